import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Serving
import Tabular

/// Sends a table's rows to a running `plumb serve` as production traffic would: batched
/// `/predict` calls, then one `/feedback` call per prediction with the row's true target.
enum HTTPReplay {
    struct Sent { var requests: Int; var feedback: Int; var seconds: Double }

    static func waitUntilReady(_ base: String) async throws {
        for _ in 0..<100 {
            if let url = URL(string: base + "/ready"), let (_, r) = try? await URLSession.shared.data(from: url), (r as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PipelineError(step: "serve", message: "the server at \(base) did not become ready within 10 s")
    }

    static func post(_ url: URL, _ body: Data) async throws -> Data {
        var req = URLRequest(url: url)
        req.httpMethod = "POST"
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: req)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw PipelineError(step: "replay", message: "POST \(url.path) answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return data
    }

    static func replay(_ table: Table, target: String, base: String, features: [Serving.FeatureSpec], batch: Int = 200) async throws -> Sent {
        let start = ContinuousClock.now
        guard let y = table.column(named: target)?.numericValues else {
            throw PipelineError(step: "replay", message: "current data has no numeric target \"\(target)\"")
        }
        let columns = features.map { table.column(named: $0.name) }
        func json(_ i: Int) -> String {
            var parts: [String] = []
            for (f, c) in zip(features, columns) {
                var v = "null"
                switch c?.data {
                case .numeric(let x)?: if x[i].isFinite { v = "\(x[i])" }
                case .categorical(let codes, let levels)?: if codes[i] >= 0 { v = TrainingRecorder.jsonString(levels[Int(codes[i])]) }
                case nil: break
                }
                parts.append("\(TrainingRecorder.jsonString(f.name)):\(v)")
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
        guard let predictURL = URL(string: base + "/predict"), let feedbackURL = URL(string: base + "/feedback") else {
            throw PipelineError(step: "replay", message: "bad server address \(base)")
        }
        var requests = 0
        var ids: [(String, Double)] = []
        for start in stride(from: 0, to: table.rowCount, by: batch) {
            try Task.checkCancellation()
            let rows = start..<min(table.rowCount, start + batch)
            let body = "{\"instances\":[" + rows.map(json).joined(separator: ",") + "]}"
            let data = try await post(predictURL, Data(body.utf8))
            requests += 1
            guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any], let got = obj["request_ids"] as? [String], got.count == rows.count else {
                throw PipelineError(step: "replay", message: "unexpected /predict answer: \(String(decoding: data.prefix(200), as: UTF8.self))")
            }
            ids += zip(got, rows.map { y[$0] }).map { ($0, $1) }
        }
        // Ground truth arrives later, one call per prediction; 8 in flight.
        var sentFeedback = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let (id, actual) = ids[next]
                next += 1
                group.addTask { _ = try await post(feedbackURL, Data("{\"request_id\":\"\(id)\",\"actual\":\(actual)}".utf8)) }
            }
            while next < min(8, ids.count) { add() }
            while try await group.next() != nil {
                sentFeedback += 1
                if next < ids.count { add() }
            }
        }
        return Sent(requests: requests, feedback: sentFeedback, seconds: (ContinuousClock.now - start).seconds)
    }
}

/// A free TCP port on the loopback interface (bind to port 0, read it back, release it).
enum FreePort {
    static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PipelineError(step: "serve", message: "cannot open a socket to find a free port") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw PipelineError(step: "serve", message: "cannot bind a loopback socket to find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
