import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client for a server on this machine (`http://127.0.0.1:PORT`): one
/// keep-alive connection, one request at a time, blocking socket I/O on its own serial queue so
/// no Swift-concurrency thread ever waits on the network. Responses with `Content-Length` or
/// chunked bodies are understood; anything else is an error that says what was received.
///
/// It replaces URLSession for the pipeline's replay of production traffic, so the `plumb` binary
/// does not load libcurl and its ~25 libraries at every start.
final class LoopbackHTTPClient: Sendable {
    struct Response { var status: Int; var body: [UInt8] }

    struct ClientError: Error, CustomStringConvertible { var description: String }

    let host: String
    let port: UInt16
    private let queue: DispatchQueue
    /// Used only by jobs on `queue`, one at a time, so its lock is never contended.
    private let connection: Mutex<Connection>

    /// `base` is `http://HOST:PORT` (a trailing path is ignored).
    init(base: String) throws {
        guard let url = URL(string: base), url.scheme == "http", let h = url.host, let p = url.port, let port = UInt16(exactly: p) else {
            throw ClientError(description: "\(base): expected http://HOST:PORT")
        }
        host = h == "localhost" ? "127.0.0.1" : h
        self.port = port
        queue = DispatchQueue(label: "plumb.loopback-http")
        connection = Mutex(Connection(host: host, port: port))
    }

    deinit { connection.withLock { $0.reset() } }

    /// - Parameter headers: extra request headers (names and values without CR or LF).
    func request(_ method: String, _ path: String, json body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Response {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Response, any Error>) in
            queue.async {
                let result: Result<Response, any Error> = self.connection.withLock { connection in
                    // A kept-alive connection the server has closed meanwhile fails at once; a GET is
                    // retried on a new connection. A POST is not: the server may have acted on it.
                    let reused = connection.fd >= 0
                    do { return .success(try connection.exchange(method, path, body, headers)) } catch {
                        connection.reset()
                        guard reused, method == "GET" else { return .failure(error) }
                        do { return .success(try connection.exchange(method, path, body, headers)) } catch {
                            connection.reset()
                            return .failure(error)
                        }
                    }
                }
                c.resume(with: result)
            }
        }
    }
}

/// The keep-alive connection of a `LoopbackHTTPClient` (used on its queue only).
private struct Connection {
    typealias Response = LoopbackHTTPClient.Response
    typealias ClientError = LoopbackHTTPClient.ClientError

    let host: String
    let port: UInt16
    var fd: Int32 = -1
    var pending: [UInt8] = []   // bytes read past the previous response

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    mutating func reset() {
        if fd >= 0 { close(fd) }
        fd = -1
        pending.removeAll()
    }

    mutating func connectIfNeeded() throws {
        guard fd < 0 else { return }
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw ClientError(description: "cannot open a socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(s)
            throw ClientError(description: "\(host): not an IPv4 address")
        }
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            close(s)
            throw ClientError(description: "cannot connect to \(host):\(port): \(reason)")
        }
        var one: Int32 = 1
        _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = s
    }

    mutating func exchange(_ method: String, _ path: String, _ body: [UInt8]?, _ headers: [(String, String)] = []) throws -> Response {
        for (name, value) in headers where (name + value).contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw ClientError(description: "header \(name): a line break is not allowed in a header")
        }
        try connectIfNeeded()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: keep-alive\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + (body ?? []))
        return try readResponse()
    }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ClientError(description: "send to \(host):\(port) failed: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// Reads more bytes into `pending`; throws when the peer closed the connection.
    mutating func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ClientError(description: "\(host):\(port) closed the connection before a complete response") }
            pending += chunk[0..<n]
            return
        }
    }

    mutating func readLine() throws -> String {
        while true {
            if let i = indexOfCRLF() {
                let line = String(decoding: pending[0..<i], as: UTF8.self)
                pending.removeFirst(i + 2)
                return line
            }
            try fill()
        }
    }

    func indexOfCRLF() -> Int? {
        guard pending.count >= 2 else { return nil }
        for i in 0..<(pending.count - 1) where pending[i] == 13 && pending[i + 1] == 10 { return i }
        return nil
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        while pending.count < n { try fill() }
        let out = Array(pending[0..<n])
        pending.removeFirst(n)
        return out
    }

    mutating func readResponse() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError(description: "\(host):\(port) sent a malformed status line: \(statusLine.prefix(100))")
        }
        var length: Int?, chunked = false, closeAfter = false
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": closeAfter = value.lowercased() == "close"
            default: break
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "", radix: 16) else {
                    throw ClientError(description: "\(host):\(port) sent a malformed chunk size: \(sizeLine.prefix(40))")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}   // trailers
                    break
                }
                body += try take(size)
                _ = try take(2)
            }
        } else if let length {
            body = try take(length)
        } else if status != 204 && status != 304 {
            throw ClientError(description: "\(host):\(port) answered \(status) without Content-Length or chunked encoding")
        }
        if closeAfter { reset() }
        return Response(status: status, body: body)
    }
}
