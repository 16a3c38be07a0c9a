import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Serving
import Tabular
import Tracking

/// Sends a table's rows to a running `plumb serve` as production traffic would: batched
/// `/predict` calls, then one `/feedback` call per prediction with the row's true target.
enum HTTPReplay {
    struct Sent { var requests: Int; var feedback: Int; var seconds: Double }

    static func waitUntilReady(_ base: String) async throws {
        let client = try LoopbackHTTPClient(base: base)
        for _ in 0..<100 {
            if let r = try? await client.request("GET", "/ready"), r.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PipelineError(step: "serve", message: "the server at \(base) did not become ready within 10 s")
    }

    static func post(_ client: LoopbackHTTPClient, _ path: String, _ body: [UInt8], headers: [(String, String)] = []) async throws -> [UInt8] {
        let r = try await client.request("POST", path, json: body, headers: headers)
        guard r.status == 200 else {
            throw PipelineError(step: "replay", message: "POST \(path) answered \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))")
        }
        return r.body
    }

    /// - Parameters:
    ///   - batch: rows per /predict call.
    ///   - routingKey: when given, each call carries `X-Plumb-Key` = the key of its first row, so
    ///     a server with variants routes by it (give `batch: 1` to route every row).
    static func replay(_ table: Table, target: String, base: String, features: [Serving.FeatureSpec], batch: Int = 200,
                       routingKey: ((Int) -> String)? = nil) async throws -> Sent {
        let start = ContinuousClock.now
        guard let targetColumn = table.column(named: target) else {
            throw PipelineError(step: "replay", message: "current data has no target column \"\(target)\"")
        }
        // The truth as /feedback takes it: a number, or a class label as a JSON string; nil when missing.
        let truth: [String?]
        switch targetColumn.data {
        case .numeric(let v): truth = v.map { $0.isFinite ? "\($0)" : nil }
        case .categorical(let codes, let levels): truth = codes.map { $0 >= 0 ? jsonStringLiteral(levels[Int($0)]) : nil }
        }
        let columns = features.map { table.column(named: $0.name) }
        func json(_ i: Int) -> String {
            var parts: [String] = []
            for (f, c) in zip(features, columns) {
                var v = "null"
                switch c?.data {
                case .numeric(let x)?: if x[i].isFinite { v = "\(x[i])" }
                case .categorical(let codes, let levels)?: if codes[i] >= 0 { v = jsonStringLiteral(levels[Int(codes[i])]) }
                case nil: break
                }
                parts.append("\(jsonStringLiteral(f.name)):\(v)")
            }
            return "{" + parts.joined(separator: ",") + "}"
        }
        // One keep-alive connection for /predict, and one per feedback call in flight.
        let client: LoopbackHTTPClient
        do { client = try LoopbackHTTPClient(base: base) } catch {
            throw PipelineError(step: "replay", message: "bad server address \(base): \(error)")
        }
        let inFlight = 8
        let feedbackClients = try (0..<inFlight).map { _ in try LoopbackHTTPClient(base: base) }
        var requests = 0
        var ids: [(String, String)] = []
        for start in stride(from: 0, to: table.rowCount, by: batch) {
            try Task.checkCancellation()
            let rows = start..<min(table.rowCount, start + batch)
            let body = "{\"instances\":[" + rows.map(json).joined(separator: ",") + "]}"
            let headers = routingKey.map { [("X-Plumb-Key", $0(rows.lowerBound))] } ?? []
            let data = Data(try await post(client, "/predict", Array(body.utf8), headers: headers))
            requests += 1
            guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any], let got = obj["request_ids"] as? [String], got.count == rows.count else {
                throw PipelineError(step: "replay", message: "unexpected /predict answer: \(String(decoding: data.prefix(200), as: UTF8.self))")
            }
            ids += zip(got, rows).compactMap { id, row in truth[row].map { (id, $0) } }
        }
        // Ground truth arrives later, one call per prediction; `inFlight` at a time, each on its
        // own connection (a finished call hands its connection to the next one).
        var sentFeedback = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            func add(_ slot: Int) {
                let (id, actual) = ids[next]
                next += 1
                let c = feedbackClients[slot]
                group.addTask { _ = try await post(c, "/feedback", Array("{\"request_id\":\"\(id)\",\"actual\":\(actual)}".utf8)); return slot }
            }
            for slot in 0..<min(inFlight, ids.count) { add(slot) }
            while let slot = try await group.next() {
                sentFeedback += 1
                if next < ids.count { add(slot) }
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
