import Foundation
import Tracking

/// A usage error: bad or missing flag.
struct BenchUsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// `--key value` pairs, each used at most once; unknown keys are an error after the run.
final class BenchOptions {
    private var values: [String: String] = [:]
    private var used: Set<String> = []

    init(_ args: [String]) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("--"), i + 1 < args.count else { throw BenchUsageError("expected --key value, got \"\(a)\"") }
            values[String(a.dropFirst(2))] = args[i + 1]
            i += 2
        }
    }

    func string(_ key: String) throws -> String {
        used.insert(key)
        guard let v = values[key] else { throw BenchUsageError("missing --\(key)") }
        return v
    }

    func optionalString(_ key: String) -> String? {
        used.insert(key)
        return values[key]
    }

    func int(_ key: String, default d: Int? = nil) throws -> Int {
        used.insert(key)
        guard let s = values[key] else {
            if let d { return d }
            throw BenchUsageError("missing --\(key)")
        }
        guard let v = Int(s.replacingOccurrences(of: "_", with: "")), v > 0 else {
            throw BenchUsageError("--\(key) expects a positive integer, got \"\(s)\"")
        }
        return v
    }

    var repeats: Int { get throws { try int("repeats", default: 3) } }

    func checkAllUsed() throws {
        let unknown = Set(values.keys).subtracting(used)
        if !unknown.isEmpty { throw BenchUsageError("unknown option(s): \(unknown.sorted().map { "--" + $0 }.joined(separator: ", "))") }
    }
}

/// Minimal JSON output (numbers, strings, objects) with stable key order.
indirect enum JSONValue {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case object([String: JSONValue])

    var text: String {
        switch self {
        case .number(let d): return d.isFinite ? "\(d)" : "null"
        case .int(let i): return "\(i)"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return Self.quote(s)
        case .object(let o):
            // "scenario" and "seconds" first, the rest sorted: easy to read in a log.
            let keys = o.keys.sorted { a, b in
                let rank = { (k: String) in k == "scenario" ? 0 : k == "seconds" ? 1 : 2 }
                return rank(a) != rank(b) ? rank(a) < rank(b) : a < b
            }
            return "{" + keys.map { "\(Self.quote($0)):\(o[$0]?.text ?? "null")" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (the project's one escaper).
    static func quote(_ s: String) -> String { jsonStringLiteral(s) }
}
