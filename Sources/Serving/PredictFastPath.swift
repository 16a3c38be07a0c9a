// POST /predict answered on the connection's event loop, below Hummingbird's request handling.
import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with `PredictFastPath` inserted right after NIO's HTTP
/// decoder, before the conversion to Swift HTTP Types.
struct PlumbHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let server: PlumbServer

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let codec = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            let outlet = ResponseBytesOutlet()
            try operations.addHandler(outlet, position: .first)
            try operations.addHandler(PredictFastPath(server: server, outlet: outlet), position: .before(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Answers small `POST /predict` requests on the event loop. Decoding and scoring a few rows
/// takes microseconds; handing the request to a task on the concurrency pool and its response
/// back to the loop costs more than that, and Hummingbird's per-request machinery (HTTP Types
/// conversion, request and response objects, async streams) several times more again.
///
/// Only a request that is certain to succeed is answered here: `POST /predict` exactly, HTTP/1.1
/// keep-alive, a JSON body of declared length ≤ 4 KB (a few dozen rows), no `Expect`, and a body
/// that decodes and scores, with room in the prediction log queue. Anything else — other routes,
/// chunked or large bodies, any error, a full log queue — is passed on whole to Hummingbird,
/// which answers it exactly as it always does.
///
/// A /predict body of declared length up to the server's limit is gathered here into one buffer
/// before it is answered or passed on, so a large batch reaches Hummingbird's handler as a single
/// part instead of one async-stream step (and possibly one thread hand-off) per socket read.
///
/// Responses stay in request order: a request is answered here only while no request passed to
/// Hummingbird on this connection is waiting for its response (counted by the response ends
/// that come back through this handler).
final class PredictFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest body answered here; larger batches are scored on the concurrency pool, away from
    /// the sockets.
    static let maximumBodyBytes = 4 << 10

    private let server: PlumbServer
    /// Where complete responses leave, past NIO's response encoder.
    private let outlet: ResponseBytesOutlet
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var forwarded = 0
    /// The request being held: its head, its body so far, its declared length, and when it began.
    private var held: Held?
    /// A quiesce event (graceful shutdown) that arrived while a request was held.
    private var quiescePending = false
    private var dateCache = HTTPDateCache()

    private struct Held {
        var head: HTTPRequestHead
        var body: ByteBuffer?
        let length: Int
        let start: UInt64
    }

    init(server: PlumbServer, outlet: ResponseBytesOutlet) {
        self.server = server
        self.outlet = outlet
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if forwarded == 0, held == nil, let length = acceptedLength(head) {
                held = Held(head: head, body: nil, length: length, start: DispatchTime.now().uptimeNanoseconds)
            } else {
                forward(head, context: context)
            }
        case .body(var part):
            guard var h = held else { context.fireChannelRead(data); return }
            held = nil  // keeps the body buffer uniquely referenced while appending
            if h.body == nil, part.readableBytes == h.length {
                h.body = part
            } else {
                // Room for the declared length up to 1 MB (the default body limit), so a batch is
                // copied once rather than again at each doubling; larger bodies grow as parts
                // arrive. Untouched capacity costs address space, not memory.
                if h.body == nil { h.body = context.channel.allocator.buffer(capacity: min(h.length, 1 << 20)) }
                h.body!.writeBuffer(&part)
            }
            held = h
        case .end(let trailers):
            guard let h = held else { context.fireChannelRead(data); return }
            if trailers == nil, h.length <= Self.maximumBodyBytes, respond(h, context: context) { return }
            handOver(context: context)
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Graceful shutdown closes idle connections at once; a held request is not idle.
        if event is ChannelShouldQuiesceEvent, held != nil {
            quiescePending = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held = nil
        context.fireChannelInactive()
    }

    /// The declared body length of a request this handler may answer, nil for any other.
    private func acceptedLength(_ head: HTTPRequestHead) -> Int? {
        guard head.method == .POST, head.uri == "/predict", head.version == .http1_1 else { return nil }
        var length: Int?
        var json = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 14 where name.caseInsensitiveEquals("content-length"):
                guard length == nil, let n = Int(value) else { return nil }
                length = n
            case 12 where name.caseInsensitiveEquals("content-type"):
                guard !json else { return nil }
                json = value == "application/json" || PlumbServer.isJSONMediaType(value)
                guard json else { return nil }
            case 10 where name.caseInsensitiveEquals("connection"):
                guard value.caseInsensitiveEquals("keep-alive") else { return nil }
            case 6 where name.caseInsensitiveEquals("expect"),
                 17 where name.caseInsensitiveEquals("transfer-encoding"):
                return nil
            default:
                continue
            }
        }
        guard json, let length, length > 0, length <= server.configuration.maxBodyBytes else { return nil }
        return length
    }

    /// Passes the held request's parts so far to Hummingbird.
    private func handOver(context: ChannelHandlerContext) {
        guard let h = held else { return }
        held = nil
        forward(h.head, context: context)
        if let body = h.body { context.fireChannelRead(wrapInboundOut(.body(body))) }
        releaseQuiesce(context: context)
    }

    private func forward(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        forwarded += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// Answers the complete held request when it succeeds; false (nothing written) otherwise.
    private func respond(_ h: Held, context: ChannelHandlerContext) -> Bool {
        // The routing key header is looked for only when the server has variants.
        let key = server.variants == nil ? nil : h.head.headers.first(name: "x-plumb-key")
        guard let out = outlet.context, let body = h.body, body.readableBytes == h.length,
              case .answered(let json, let batch, let variant) = server.answerPredict(body, routingKey: key) else { return false }
        // A full log makes the request wait for room, which only the task path can do.
        guard server.log.tryEnqueue(batch) else { return false }
        held = nil
        // Counted before the response leaves, as the router's requests are (a client that has
        // its answer sees it in /metrics).
        let seconds = Double(DispatchTime.now().uptimeNanoseconds &- h.start) * 1e-9
        server.metrics.record(route: .predict, status: 200, seconds: seconds, predictions: batch.count, onEventLoop: true)
        if let variant { server.metrics.recordVariant(variant, status: 200, seconds: seconds, predictions: batch.count) }
        // The headers Hummingbird sends with a JSON response, in its order; one buffer, one write.
        var response = context.channel.allocator.buffer(capacity: 192 + json.readableBytes)
        response.writeStaticString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ")
        response.writeString(String(json.readableBytes))
        response.writeStaticString("\r\nDate: ")
        response.writeString(dateCache.now())
        if let name = server.configuration.serverName {
            response.writeStaticString("\r\nServer: ")
            response.writeString(name)
        }
        if let variant, let name = server.variants?.variants[variant].name {
            response.writeStaticString("\r\nX-Plumb-Variant: ")
            response.writeString(name)
        }
        response.writeStaticString("\r\n\r\n")
        response.writeImmutableBuffer(json)
        out.writeAndFlush(NIOAny(IOData.byteBuffer(response)), promise: nil)
        releaseQuiesce(context: context)
        return true
    }

    private func releaseQuiesce(context: ChannelHandlerContext) {
        guard quiescePending else { return }
        quiescePending = false
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

/// The pipeline's first handler, next to the socket. `PredictFastPath` writes its complete
/// responses (status line, headers and body in one buffer) through this handler's context, past
/// NIO's HTTP response encoder; it only does so when every response Hummingbird owed on the
/// connection has gone through the encoder already, so bytes stay in request order.
final class ResponseBytesOutlet: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData
    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }
}

extension String {
    /// ASCII case-insensitive equality (HTTP header names and tokens).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            guard x | 0x20 == y | 0x20, (x | 0x20) >= 0x61, (x | 0x20) <= 0x7a else { return false }
        }
        return true
    }
}

/// The `Date` header (RFC 9110 IMF-fixdate), formatted at most once a second per connection.
struct HTTPDateCache {
    private var second = Int.min
    private var value = ""
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    mutating func now() -> String {
        var t = time(nil)
        if Int(t) == second { return value }
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        value = "\(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        second = Int(t)
        return value
    }
}
