import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Pipeline

/// A one-connection HTTP server on 127.0.0.1 that answers each request with the next canned
/// response, byte for byte, and records the requests it read.
final class CannedHTTPServer: Sendable {
    let port: Int
    private let fd: Int32
    private let responses: [String]
    private let seen = Mutex<[String]>([])
    var requests: [String] { seen.withLock { $0 } }

    init(responses: [String]) throws {
        self.responses = responses
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = s
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && listen(s, 4) == 0 && getsockname(s, $0, &len) == 0 }
        }
        guard ok else { throw CocoaError(.fileWriteUnknown) }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit { close(fd) }

    private func serve() {
        let c = accept(fd, nil, nil)
        guard c >= 0 else { return }
        defer { close(c) }
        var buffer: [UInt8] = []
        for response in responses {
            // Read one request: headers, then Content-Length bytes of body.
            var request: String?
            while request == nil {
                if let end = buffer.indices.dropLast(3).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }) {
                    let head = String(decoding: buffer[0..<end], as: UTF8.self)
                    let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                        let parts = line.split(separator: ":", maxSplits: 1)
                        return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                    }.first ?? 0
                    if buffer.count >= end + 4 + length {
                        request = String(decoding: buffer[0..<(end + 4 + length)], as: UTF8.self)
                        buffer.removeFirst(end + 4 + length)
                        break
                    }
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress!, 4096, 0) }
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            seen.withLock { $0.append(request!) }
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { send(c, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL)) }
        }
    }
}

@Suite struct HTTPClientTests {
    @Test func keepAliveContentLengthAndChunkedBodies() async throws {
        let server = try CannedHTTPServer(responses: [
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
            "HTTP/1.1 422 Unprocessable Entity\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"err\r\n6;x=1\r\nor\":1}\r\n0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ])
        let client = try LoopbackHTTPClient(base: "http://127.0.0.1:\(server.port)")
        let a = try await client.request("POST", "/predict", json: Array("{\"x\":1}".utf8))
        #expect(a.status == 200)
        #expect(String(decoding: a.body, as: UTF8.self) == "{\"ok\":true}")
        let b = try await client.request("GET", "/ready")
        #expect(b.status == 422)
        #expect(String(decoding: b.body, as: UTF8.self) == "{\"error\":1}")
        let c = try await client.request("GET", "/health")
        #expect(c.status == 204 && c.body.isEmpty)
        // All three went over one connection, each a well-formed HTTP/1.1 request.
        let seen = server.requests
        #expect(seen.count == 3)
        #expect(seen[0].hasPrefix("POST /predict HTTP/1.1\r\n"))
        #expect(seen[0].contains("Content-Length: 7\r\n") && seen[0].hasSuffix("\r\n\r\n{\"x\":1}"))
        #expect(seen[1].hasPrefix("GET /ready HTTP/1.1\r\n"))
    }

    @Test func refusedConnectionAndBadAddressesAreErrors() async throws {
        #expect(throws: LoopbackHTTPClient.ClientError.self) { try LoopbackHTTPClient(base: "https://127.0.0.1:1") }
        #expect(throws: LoopbackHTTPClient.ClientError.self) { try LoopbackHTTPClient(base: "http://127.0.0.1") }
        let port = try FreePort.find()
        let client = try LoopbackHTTPClient(base: "http://127.0.0.1:\(port)")
        await #expect(throws: LoopbackHTTPClient.ClientError.self) { _ = try await client.request("GET", "/ready") }
    }

    @Test func downloadThroughLibcurl() throws {
        let body = String(repeating: "MedInc,HouseAge\n8.3252,41.0\n", count: 2000)
        let server = try CannedHTTPServer(responses: [
            "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
        ])
        let got = try HTTPDownload.get("http://127.0.0.1:\(server.port)/data.csv")
        #expect(got == Array(body.utf8))
        let missing = try CannedHTTPServer(responses: ["HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"])
        #expect {
            _ = try HTTPDownload.get("http://127.0.0.1:\(missing.port)/gone.csv")
        } throws: { error in
            "\(error)" == "cannot download http://127.0.0.1:\(missing.port)/gone.csv: the server answered HTTP 404"
        }
        let port = try FreePort.find()
        #expect {
            _ = try HTTPDownload.get("http://127.0.0.1:\(port)/x")
        } throws: { error in
            "\(error)".hasPrefix("cannot download http://127.0.0.1:\(port)/x: ")
        }
    }
}
