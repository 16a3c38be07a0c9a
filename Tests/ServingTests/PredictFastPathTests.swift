import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing
@testable import Serving

/// `PredictFastPath` on its own (an embedded channel stands in for the socket and for
/// Hummingbird behind it) and inside the real server over a socket.
@Suite struct PredictFastPathTests {
    static let row = #"{"MedInc":2,"HouseAge":4,"Ocean":"NEAR BAY"}"#

    static func head(_ uri: String = "/predict", method: HTTPMethod = .POST, version: HTTPVersion = .http1_1,
                     length: Int?, type: String? = "application/json", extra: [(String, String)] = []) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        if let type { headers.add(name: "Content-Type", value: type) }
        if let length { headers.add(name: "Content-Length", value: String(length)) }
        for (n, v) in extra { headers.add(name: n, value: v) }
        return HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
    }

    /// The parts of one request: head, the body in `pieces` parts, end.
    static func parts(_ head: HTTPRequestHead, _ body: String, pieces: Int = 1) -> [HTTPServerRequestPart] {
        var out: [HTTPServerRequestPart] = [.head(head)]
        let bytes = Array(body.utf8)
        let step = max(1, (bytes.count + pieces - 1) / pieces)
        var i = 0
        while i < bytes.count {
            out.append(.body(ByteBuffer(bytes: bytes[i..<min(bytes.count, i + step)])))
            i += step
        }
        out.append(.end(nil))
        return out
    }

    /// Records the events that reach Hummingbird's side of the pipeline, in order, with the
    /// request parts passed on.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        var events: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): events.append("head \(h.uri)")
            case .body(let b): events.append("body \(b.readableBytes)")
            case .end: events.append("end")
            }
            context.fireChannelRead(data)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { events.append("quiesce") }
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A channel with the outlet, the handler and a recorder standing in for Hummingbird.
    static func channel(_ server: PlumbServer, recorder: Recorder = Recorder()) -> EmbeddedChannel {
        let outlet = ResponseBytesOutlet()
        return EmbeddedChannel(handlers: [outlet, PredictFastPath(server: server, outlet: outlet), recorder])
    }

    /// Reads the one response the handler wrote (one buffer): status, headers and body.
    static func readResponse(_ channel: EmbeddedChannel) throws -> (status: Int, headers: [String: String], body: String)? {
        guard case .byteBuffer(let bytes)? = try channel.readOutbound(as: IOData.self) else { return nil }
        let text = String(buffer: bytes)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            headers[String(kv[0])] = kv[1].trimmingCharacters(in: .whitespaces)
        }
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        #expect(lines[0] == "HTTP/1.1 \(status) OK")
        return (status, headers, String(text[split.upperBound...]))
    }

    @Test func answersACompleteRequestOnTheLoopAndLogsIt() async throws {
        let h = try await Harness()
        let channel = Self.channel(h.server)
        // The body arrives in three parts; nothing reaches Hummingbird.
        for p in Self.parts(Self.head(length: Self.row.utf8.count), Self.row, pieces: 3) { try channel.writeInbound(p) }
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        let (status, headers, body) = try #require(try Self.readResponse(channel))
        #expect(status == 200)
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["Content-Length"] == String(body.utf8.count))
        #expect(headers["Date"]?.hasSuffix(" GMT") == true)
        #expect(headers.count == 3)
        let o = object(ByteBuffer(string: body))
        #expect(o["prediction"] as? Double == toyExpected(2, 4, "NEAR BAY"))
        #expect((o["model"] as? [String: Any])?["version"] as? String == "1")
        #expect(h.server.log.depth == 1)
        #expect(h.server.metrics.eventLoopAnswers == 1)
        #expect(h.server.metrics.count(route: .predict, status: 200) == 1)
        _ = try channel.finish()
    }

    @Test func passesEverythingElseOnWhole() async throws {
        let h = try await Harness()
        let big = "{\"instances\":[" + Array(repeating: Self.row, count: 100).joined(separator: ",") + "]}"
        let cases: [(String, HTTPRequestHead, String)] = [
            ("other route", Self.head("/health", method: .GET, length: nil, type: nil), ""),
            ("query string", Self.head("/predict?x=1", length: Self.row.utf8.count), Self.row),
            ("invalid body", Self.head(length: 14), #"{"MedInc":"x"}"#),
            ("not JSON", Self.head(length: Self.row.utf8.count, type: "text/plain"), Self.row),
            ("no content type", Self.head(length: Self.row.utf8.count, type: nil), Self.row),
            ("connection close", Self.head(length: Self.row.utf8.count, extra: [("Connection", "close")]), Self.row),
            ("HTTP/1.0", Self.head(version: .http1_0, length: Self.row.utf8.count), Self.row),
            ("expect", Self.head(length: Self.row.utf8.count, extra: [("Expect", "100-continue")]), Self.row),
            ("chunked", Self.head(length: nil, extra: [("Transfer-Encoding", "chunked")]), Self.row),
            ("two lengths", Self.head(length: Self.row.utf8.count, extra: [("Content-Length", "3")]), Self.row),
            ("over 4 KB", Self.head(length: big.utf8.count), big),
        ]
        for (name, head, body) in cases {
            let recorder = Recorder()
            let channel = Self.channel(h.server, recorder: recorder)
            let sent = Self.parts(head, body, pieces: 2)
            for p in sent { try channel.writeInbound(p) }
            var received: [HTTPServerRequestPart] = []
            while let p = try channel.readInbound(as: HTTPServerRequestPart.self) { received.append(p) }
            #expect(try channel.readOutbound(as: IOData.self) == nil, "\(name)")
            // Same head, same body bytes (held parts may be merged), then the end.
            #expect(received.first == sent.first, "\(name)")
            let bytes = received.compactMap { if case .body(let b) = $0 { return String(buffer: b) } else { return nil } }.joined()
            #expect(bytes == body, "\(name)")
            #expect(received.last == .end(nil), "\(name)")
            if name == "over 4 KB" { #expect(received.count == 3, "gathered into one body part") }
            _ = try channel.finish()
        }
        #expect(h.server.metrics.eventLoopAnswers == 0)
    }

    @Test func waitsWhileHummingbirdOwesAResponse() async throws {
        let h = try await Harness()
        let recorder = Recorder()
        let channel = Self.channel(h.server, recorder: recorder)
        let predict = Self.parts(Self.head(length: Self.row.utf8.count), Self.row)
        for p in Self.parts(Self.head("/health", method: .GET, length: nil, type: nil), "") { try channel.writeInbound(p) }
        // Hummingbird has not answered /health yet: this /predict must queue behind it.
        for p in predict { try channel.writeInbound(p) }
        #expect(recorder.events == ["head /health", "end", "head /predict", "body \(Self.row.utf8.count)", "end"])
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        // Hummingbird answers both; the next request is answered on the loop.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }
        while try channel.readOutbound(as: HTTPServerResponsePart.self) != nil {}
        for p in predict { try channel.writeInbound(p) }
        #expect(try Self.readResponse(channel)?.status == 200)
        #expect(recorder.events.count == 5)
        #expect(h.server.metrics.eventLoopAnswers == 1)
        _ = try channel.finish()
    }

    @Test func aFullLogQueueSendsTheRequestToHummingbird() async throws {
        let config = ServerConfiguration(port: 0, logQueueCapacity: 1)
        let server = PlumbServer(configuration: config, provider: InMemoryModelProvider(toyModel(), description: "test"),
                                 sink: InMemoryPredictionLog())
        try await server.loadModels()
        let recorder = Recorder()
        let channel = Self.channel(server, recorder: recorder)
        let predict = Self.parts(Self.head(length: Self.row.utf8.count), Self.row)
        for p in predict { try channel.writeInbound(p) }
        #expect(try Self.readResponse(channel)?.status == 200)
        // The queue (one row, never drained here) is full: Hummingbird's path can wait for room.
        for p in predict { try channel.writeInbound(p) }
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        #expect(recorder.events == ["head /predict", "body \(Self.row.utf8.count)", "end"])
        #expect(server.log.depth == 1)
        _ = try channel.finish()
    }

    @Test func shutdownWaitsForAHeldRequest() async throws {
        let h = try await Harness()
        // Answered on the loop: the quiesce event follows the response.
        do {
            let recorder = Recorder()
            let channel = Self.channel(h.server, recorder: recorder)
            let predict = Self.parts(Self.head(length: Self.row.utf8.count), Self.row, pieces: 2)
            try channel.writeInbound(predict[0])
            try channel.writeInbound(predict[1])
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            #expect(recorder.events.isEmpty)
            try channel.writeInbound(predict[2])
            try channel.writeInbound(predict[3])
            #expect(try Self.readResponse(channel)?.status == 200)
            #expect(recorder.events == ["quiesce"])
            _ = try channel.finish()
        }
        // Passed on: Hummingbird sees the request before the event, so it finishes it first.
        do {
            let recorder = Recorder()
            let channel = Self.channel(h.server, recorder: recorder)
            let bad = Self.parts(Self.head(length: 14), #"{"MedInc":"x"}"#)
            try channel.writeInbound(bad[0])
            try channel.writeInbound(bad[1])
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            try channel.writeInbound(bad[2])
            #expect(recorder.events == ["head /predict", "body 14", "quiesce", "end"])
            _ = try channel.finish()
        }
    }

    /// Over a real socket: requests pipelined on one connection, some answered on the loop and
    /// some by Hummingbird, come back in order.
    @Test func pipelinedResponsesKeepRequestOrder() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.live) { client in
            let port = try #require(client.port)
            func predict(_ json: String) -> String {
                "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)"
            }
            func row(_ m: Int) -> String { "{\"MedInc\":\(m),\"HouseAge\":1,\"Ocean\":\"INLAND\"}" }
            let first = predict(row(1)) + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + predict(row(2))
                + predict(#"{"MedInc":"x"}"#) + predict(row(3)) + predict("{\"instances\":[\(row(4)),\(row(5))]}")
            let connection = try RawConnection(port: port)
            let responses = try await connection.exchange(first, responses: 6)
            #expect(responses.map(\.status) == [200, 200, 200, 422, 200, 200])
            let predictions = responses.map { object(ByteBuffer(string: $0.body))["prediction"] as? Double }
            #expect(predictions[0] == toyExpected(1, 1, "INLAND"))
            #expect(predictions[2] == toyExpected(2, 1, "INLAND"))
            #expect(predictions[4] == toyExpected(3, 1, "INLAND"))
            #expect(object(ByteBuffer(string: responses[5].body))["predictions"] as? [Double]
                    == [toyExpected(4, 1, "INLAND"), toyExpected(5, 1, "INLAND")])
            // Only the first came before Hummingbird owed a response; once it has answered, the
            // loop takes the next one again.
            #expect(h.server.metrics.eventLoopAnswers == 1)
            let next = try await connection.exchange(predict(row(6)), responses: 1)
            #expect(next.map(\.status) == [200])
            #expect(h.server.metrics.eventLoopAnswers == 2)
            connection.close()
        }
        #expect(h.log.entries.map(\.prediction) == [1, 2, 3, 4, 5, 6].map { toyExpected(Double($0), 1, "INLAND") })
    }
}

/// A blocking HTTP/1.1 client socket; its I/O runs on a thread of its own, off the concurrency pool.
final class RawConnection: Sendable {
    private let fd: Int32
    /// Bytes received and not yet taken as a response; exchanges hold it for their whole run.
    private let pending = Mutex<[UInt8]>([])

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(); throw POSIXError(.ECONNREFUSED) }
    }

    func close() { _ = Glibc.close(fd) }

    /// Sends `request` in one write and reads `responses` responses (Content-Length framed).
    func exchange(_ request: String, responses: Int) async throws -> [(status: Int, body: String)] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.blockingExchange(request, responses: responses) })
            }
        }
    }

    private func blockingExchange(_ request: String, responses: Int) throws -> [(status: Int, body: String)] {
        try pending.withLock { pending in try blockingExchange(request, responses: responses, pending: &pending) }
    }

    private func blockingExchange(_ request: String, responses: Int, pending: inout [UInt8]) throws -> [(status: Int, body: String)] {
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
        var out: [(status: Int, body: String)] = []
        while out.count < responses {
            if let r = takeResponse(&pending) { out.append(r); continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.ETIMEDOUT) }
            pending += chunk[0..<n]
        }
        return out
    }

    /// One complete response from the front of `pending`, if it has arrived.
    private func takeResponse(_ pending: inout [UInt8]) -> (status: Int, body: String)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard pending.count >= 4,
              let end = (0...(pending.count - 4)).first(where: { Array(pending[$0..<$0 + 4]) == separator }) else { return nil }
        let head = String(decoding: pending[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        let length = lines.dropFirst().compactMap { line -> Int? in
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2, kv[0].lowercased() == "content-length" else { return nil }
            return Int(kv[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        guard pending.count >= end + 4 + length else { return nil }
        let body = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        pending.removeFirst(end + 4 + length)
        return (status, body)
    }
}
