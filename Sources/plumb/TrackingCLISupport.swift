import ArgumentParser
import Foundation
import Tracking

/// `--store PATH` shared by the runs/models commands.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Tracking store database (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    var path: String { store ?? TrackingStore.defaultPath() }

    func open() throws -> TrackingStore { try TrackingStore(path: path) }
}

/// `--server URL --admin-token T`: the running server a registry change is applied to as well.
struct ServerOptions: ParsableArguments {
    @Option(help: "A running plumb serve (http://HOST:PORT) to apply the change to at once (POST /admin/reload).")
    var server: String?

    @Option(help: "Its admin token (default: $PLUMB_ADMIN_TOKEN).")
    var adminToken: String?

    func validate() throws {
        if server != nil, token == nil { throw ValidationError("--server needs --admin-token (or PLUMB_ADMIN_TOKEN)") }
    }

    var token: String? {
        if let adminToken, !adminToken.isEmpty { return adminToken }
        guard let t = ProcessInfo.processInfo.environment["PLUMB_ADMIN_TOKEN"], !t.isEmpty else { return nil }
        return t
    }
}

/// Helpers shared by the tracking commands: error reporting, JSON and aligned tables.
enum TrackingCLI {
    /// Runs `body`; a thrown error prints `error: <message>` to stderr and exits 1.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw reported(error)
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    /// Columns padded to their widest cell; columns in `right` are right-aligned.
    static func table(_ headers: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
        var width = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < width.count { width[i] = max(width[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, width[i] - c.count))
                return right.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    static func num(_ x: Double?) -> String {
        guard let x else { return "-" }
        return x.isNaN ? "NaN" : String(format: "%.6g", x)
    }

    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "-" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
