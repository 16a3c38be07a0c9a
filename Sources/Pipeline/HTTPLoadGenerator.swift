import Dispatch
import Foundation
import Serving
import Synchronization
import Tabular
#if canImport(Glibc)
import Glibc
#endif

/// A `plumb bench` failure a user can cause: a bad URL, a server that does not answer, a model
/// description it cannot read.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case badURL, unreachable, badServerAnswer, badRows }
    public var code: Code
    public var message: String
    public var description: String { message }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}

/// `plumb bench --url`: an HTTP/1.1 load generator for a running `plumb serve`.
///
/// Each connection is a blocking keep-alive socket on a thread of its own (POSIX sockets, no
/// event loop): a thread per connection costs a context switch per request, which at 16
/// connections is far below what the server spends per request, and it keeps the timed path a
/// plain `send` + `recv` with no allocation (the requests are encoded before the run, each
/// connection reads into one buffer it keeps). Modes:
/// - closed loop: every connection sends its next request as soon as the previous one is answered;
/// - open loop (`rate`): requests are meant to start on a fixed schedule shared by all
///   connections, latency counted from the intended start (see `LoadSchedule`).
public enum HTTPLoadGenerator {
    public enum WireProtocol: String, Sendable, CaseIterable, Codable {
        /// `POST /predict` with a JSON object of features.
        case plumb
        /// Open Inference Protocol: `POST /v2/models/NAME/infer`.
        case v2
    }

    public struct Target: Sendable {
        public var host: String
        public var port: UInt16

        /// Parses `http://HOST:PORT` (a trailing path is ignored; `localhost` is 127.0.0.1).
        public init(url: String) throws {
            guard let u = URL(string: url), u.scheme == "http", let h = u.host, !h.isEmpty, let p = u.port, let port = UInt16(exactly: p) else {
                throw BenchError(code: .badURL, message: "--url \(url): expected http://HOST:PORT (an IPv4 address or localhost)")
            }
            host = h == "localhost" ? "127.0.0.1" : h
            var probe = in_addr()
            guard inet_pton(AF_INET, host, &probe) == 1 else {
                throw BenchError(code: .badURL, message: "--url \(url): \(h) is not an IPv4 address (or localhost)")
            }
            self.port = port
        }

        public var base: String { "http://\(host):\(port)" }
    }

    /// The served model as `GET /model` describes it.
    public struct ServedModel: Sendable {
        public var name: String
        public var version: String
        public var features: [Serving.FeatureSpec]
    }

    /// Reads the served model's name and features from `GET /model`.
    public static func servedModel(_ target: Target) async throws -> ServedModel {
        let client = try LoopbackHTTPClient(base: target.base)
        let r: LoopbackHTTPClient.Response
        do { r = try await client.request("GET", "/model") } catch {
            throw BenchError(code: .unreachable, message: "\(target.base)/model: \(error)")
        }
        guard r.status == 200, let root = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let name = root["name"] as? String, let list = root["features"] as? [[String: Any]] else {
            throw BenchError(code: .badServerAnswer, message: "\(target.base)/model answered \(r.status): \(String(decoding: r.body.prefix(200), as: UTF8.self)) (is it plumb serve with a model loaded?)")
        }
        var features: [Serving.FeatureSpec] = []
        for f in list {
            guard let n = f["name"] as? String, let type = f["type"] as? String, let kind = FeatureKind(rawValue: type) else {
                throw BenchError(code: .badServerAnswer, message: "\(target.base)/model: a feature without name or type: \(f)")
            }
            features.append(Serving.FeatureSpec(name: n, kind: kind, levels: f["levels"] as? [String]))
        }
        return ServedModel(name: name, version: root["version"] as? String ?? "", features: features)
    }

    /// Full HTTP/1.1 requests (head and body), one per row, for the protocol.
    public static func requests(_ rows: BenchRows, wire: WireProtocol, model: String, target: Target) -> [[UInt8]] {
        let path = wire == .plumb ? "/predict" : "/v2/models/\(percentEncoded(model))/infer"
        return rows.rows.indices.map { r in
            let body = Array((wire == .plumb ? rows.jsonObject(r) : rows.v2InferBody(r)).utf8)
            let head = "POST \(path) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            return Array(head.utf8) + body
        }
    }

    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }

    public struct Options: Sendable {
        public var concurrency: Int
        /// Requests per second for an open loop; nil: closed loop.
        public var rate: Double?
        public var seconds: Double

        public init(concurrency: Int, rate: Double? = nil, seconds: Double) {
            self.concurrency = concurrency
            self.rate = rate
            self.seconds = seconds
        }
    }

    public struct Case: Codable, Sendable {
        /// "closed" or "open".
        public var mode: String
        public var concurrency: Int
        /// Target requests per second (open loop).
        public var rate: Double?
        public var requests: Int
        public var ok: Int
        public var non_2xx: Int
        public var connection_errors: Int
        /// Non-2xx answers by status code.
        public var statuses: [String: Int]
        public var seconds: Double
        /// 2xx answers per second.
        public var requests_per_second: Double
        /// 2xx answers; open loop: from the intended start.
        public var latency: LatencySummary
        /// 2xx answers, from the actual send (open loop only; a closed loop's equals `latency`).
        public var service_time: LatencySummary?
    }

    /// Runs one case: `options.concurrency` connections for `options.seconds`.
    /// Blocking work runs on threads of its own; the caller's task waits without blocking a thread.
    public static func run(_ target: Target, requests: [[UInt8]], options: Options) async -> Case {
        precondition(!requests.isEmpty, "HTTPLoadGenerator.run: no requests")
        let counter = SharedCounter()
        let clock = MonotonicClock()
        let start = clock.now() + 1_000_000  // a millisecond for the threads to start
        let n = options.concurrency
        let tallies: [LoadTally] = await BenchThreads.runAsync(n) { i in
            let connection = LoadConnection(target)
            defer { connection.close() }
            if let rate = options.rate {
                let schedule = LoadSchedule(start: start, rate: rate, seconds: options.seconds)
                return LoadLoop.open(schedule, clock: clock, next: { counter.next() }) { k in connection.exchange(requests[k % requests.count]) }
            }
            clock.sleep(until: start)
            return LoadLoop.closed(until: start + UInt64(options.seconds * 1e9), clock: clock, first: i, stride: n) { k in
                connection.exchange(requests[k % requests.count])
            }
        }
        var all = LoadTally()
        for t in tallies { all.merge(t) }
        let seconds = all.last > all.first ? Double(all.last - all.first) / 1e9 : 0
        return Case(mode: options.rate == nil ? "closed" : "open", concurrency: n, rate: options.rate, requests: all.requests, ok: all.ok,
                    non_2xx: all.non2xx, connection_errors: all.connectionErrors,
                    statuses: Dictionary(uniqueKeysWithValues: all.statuses.map { (String($0.key), $0.value) }),
                    seconds: seconds, requests_per_second: seconds > 0 ? Double(all.ok) / seconds : 0,
                    latency: all.latency.summary, service_time: options.rate == nil ? nil : all.serviceTime.summary)
    }
}

/// The next request index, shared by the workers of an open loop.
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// One keep-alive HTTP/1.1 connection of the load generator, used by one thread only.
///
/// The timed path (`exchange`) allocates nothing once the read buffer has grown to the largest
/// answer: it sends the pre-encoded request and parses the status line and the
/// `Content-Length` / `Transfer-Encoding` / `Connection` headers in place. Answers are read
/// whole and dropped. Any failure closes the socket; the next exchange reconnects.
final class LoadConnection {
    let target: HTTPLoadGenerator.Target
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Bytes of `buffer` holding data read but not yet consumed: `head ..< tail`.
    private var head = 0, tail = 0

    init(_ target: HTTPLoadGenerator.Target) { self.target = target }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        head = 0
        tail = 0
    }

    /// Sends `request` and reads its answer.
    func exchange(_ request: [UInt8]) -> ExchangeOutcome {
        if fd < 0 && !connect() { return .connectionError }
        guard send(request), let status = readResponse() else {
            close()
            return .connectionError
        }
        return .status(status)
    }

    private func connect() -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return false }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = target.port.bigEndian
        _ = inet_pton(AF_INET, target.host, &addr.sin_addr)
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else {
            Glibc.close(s)
            return false
        }
        var one: Int32 = 1
        _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A server that stops answering fails the request after 30 s instead of hanging the bench.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        _ = setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = s
        head = 0
        tail = 0
        return true
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                off += n
            }
            return true
        }
    }

    /// Reads more bytes after `tail`, growing the buffer first when it is full (an answer larger
    /// than any before; positions in the buffer stay valid). False when the peer closed or the
    /// read failed.
    private func fill() -> Bool {
        if tail == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        while true {
            let n = buffer.withUnsafeMutableBytes { b in recv(fd, b.baseAddress! + tail, b.count - tail, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            tail += n
            return true
        }
    }

    /// The next CRLF at or after `from`: where the line ends and where the next one starts,
    /// reading more as needed; nil when the read fails.
    private func line(from: Int) -> (end: Int, next: Int)? {
        var i = from
        while true {
            while i + 1 < tail {
                if buffer[i] == 13 && buffer[i + 1] == 10 { return (i, i + 2) }
                i += 1
            }
            guard fill() else { return nil }
        }
    }

    /// Reads one response; its status, or nil for a malformed one or a failed read.
    private func readResponse() -> Int? {
        // Bytes left over from the previous answer move to the front, so that positions taken
        // while this answer is read stay valid (the buffer only grows meanwhile).
        if head > 0 {
            let (h, t) = (head, tail)
            buffer.withUnsafeMutableBytes { b in if t > h { memmove(b.baseAddress!, b.baseAddress! + h, t - h) } }
            tail -= head
            head = 0
        }
        // Status line: "HTTP/1.x NNN reason".
        guard let status = line(from: head) else { return nil }
        guard status.end - head >= 12, buffer[head] == UInt8(ascii: "H"), buffer[head + 8] == 32 else { return nil }
        var code = 0
        for i in (head + 9)..<(head + 12) {
            let d = Int(buffer[i]) - 48
            guard (0...9).contains(d) else { return nil }
            code = code * 10 + d
        }
        var at = status.next
        var length: Int? = nil, chunked = false, closeAfter = false
        while true {
            let start = at
            guard let l = line(from: start) else { return nil }
            if l.end == start { at = l.next; break }
            headerField(start, l.end, &length, &chunked, &closeAfter)
            at = l.next
        }
        if chunked {
            while true {
                guard let l = line(from: at) else { return nil }
                var size = 0
                var i = at
                while i < l.end, let v = hexValue(buffer[i]) { size = size * 16 + v; i += 1 }
                at = l.next
                if size == 0 {
                    // Trailers until the empty line.
                    while true {
                        guard let t = line(from: at) else { return nil }
                        let empty = t.end == at
                        at = t.next
                        if empty { break }
                    }
                    break
                }
                guard skip(from: &at, count: size + 2) else { return nil }
            }
        } else if let length {
            guard skip(from: &at, count: length) else { return nil }
        } else if code != 204 && code != 304 && !(100..<200).contains(code) {
            return nil  // a body delimited by closing the connection: not a keep-alive answer
        }
        head = at
        if head == tail { (head, tail) = (0, 0) }
        if closeAfter { close() }
        return code
    }

    /// Makes `count` bytes after `at` available and moves `at` past them.
    private func skip(from at: inout Int, count: Int) -> Bool {
        while tail - at < count {
            guard fill() else { return false }
        }
        at += count
        return true
    }

    private func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c) - 48
        case 65...70: return Int(c) - 55
        case 97...102: return Int(c) - 87
        default: return nil
        }
    }

    /// Reads the header line `buffer[start..<end]` for the three fields the exchange needs.
    private func headerField(_ start: Int, _ end: Int, _ length: inout Int?, _ chunked: inout Bool, _ closeAfter: inout Bool) {
        func matches(_ name: StaticString) -> Bool {
            let n = name.utf8CodeUnitCount
            guard end - start > n, buffer[start + n] == UInt8(ascii: ":") else { return false }
            let p = name.utf8Start
            for i in 0..<n where buffer[start + i] | 0x20 != p[i] { return false }
            return true
        }
        func valueContains(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount, p = word.utf8Start
            var i = start
            while i + n <= end {
                var all = true
                for j in 0..<n where buffer[i + j] | 0x20 != p[j] { all = false; break }
                if all { return true }
                i += 1
            }
            return false
        }
        if matches("content-length") {
            var v = 0, i = start + 15
            while i < end, buffer[i] == 32 { i += 1 }
            while i < end, (48...57).contains(buffer[i]) { v = v * 10 + Int(buffer[i]) - 48; i += 1 }
            length = v
        } else if matches("transfer-encoding") {
            chunked = valueContains("chunked")
        } else if matches("connection") {
            closeAfter = valueContains("close")
        }
    }
}
