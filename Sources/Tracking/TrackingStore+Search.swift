import Foundation
import GRDB

extension RunFilter {
    /// Translates a LIKE pattern (`%`, `_`) into an equivalent case-sensitive GLOB pattern.
    static func globPattern(fromLike like: String) -> String {
        var out = ""
        for c in like {
            switch c {
            case "%": out += "*"
            case "_": out += "?"
            case "*": out += "[*]"
            case "?": out += "[?]"
            case "[": out += "[[]"
            default: out.append(c)
            }
        }
        return out
    }

    static func attributeColumn(_ key: String) -> String {
        switch key {
        case "status": return "r.status"
        case "run_name": return "r.name"
        case "run_id": return "r.id"
        case "user": return "r.user"
        case "start_time": return "r.start_ms"
        default: return "r.end_ms"
        }
    }

    /// `column op ?` for one comparison, appending bound values to `args`.
    static func predicate(_ column: String, _ c: Comparison, _ args: inout [DatabaseValueConvertible?]) -> String {
        switch c.value {
        case .number(let v):
            args.append(v)
            return "\(column) \(c.op.rawValue) ?"
        case .string(let s):
            switch c.op {
            case .like: args.append(globPattern(fromLike: s)); return "\(column) GLOB ?"
            case .ilike: args.append(s); return "\(column) LIKE ?"
            default: args.append(s); return "\(column) \(c.op.rawValue) ?"
            }
        case .list(let items):
            args.append(contentsOf: items.map { $0 as DatabaseValueConvertible? })
            let marks = Array(repeating: "?", count: items.count).joined(separator: ",")
            return "\(column) \(c.op == .notIn ? "NOT IN" : "IN") (\(marks))"
        }
    }

    /// Parameterised SQL condition over `runs r` (ANDed comparisons); every value is bound.
    func sql(_ args: inout [DatabaseValueConvertible?]) -> String {
        comparisons.map { c -> String in
            switch c.entity {
            case .attribute:
                return Self.predicate(Self.attributeColumn(c.key), c, &args)
            case .metric, .param, .tag:
                let table = c.entity == .metric ? "latest_metrics" : (c.entity == .param ? "params" : "tags")
                args.append(c.key)
                let p = Self.predicate("value", c, &args)
                return "r.id IN (SELECT run_id FROM \(table) WHERE key = ? AND \(p))"
            }
        }.joined(separator: " AND ")
    }
}

extension RunFilter.Order {
    /// SQL ordering terms (NULLs last in both directions, as MLflow does).
    func sql(_ args: inout [DatabaseValueConvertible?]) -> String {
        let dir = descending ? "DESC" : "ASC"
        switch entity {
        case .attribute:
            let col = RunFilter.attributeColumn(key)
            return "\(col) IS NULL, \(col) \(dir)"
        case .metric, .param, .tag:
            let table = entity == .metric ? "latest_metrics" : (entity == .param ? "params" : "tags")
            let expr = "(SELECT value FROM \(table) WHERE run_id = r.id AND key = ?)"
            args.append(key); args.append(key)
            return "\(expr) IS NULL, \(expr) \(dir)"
        }
    }
}

extension TrackingStore {
    /// Searches runs, MLflow style.
    /// - Parameters:
    ///   - experiment: restrict to this experiment name (nil = all experiments).
    ///   - filter: e.g. `metrics.r2 > 0.7 AND params.model = 'gbm' AND attributes.status = "FINISHED"`.
    ///   - orderBy: terms like "metrics.r2 DESC", "attributes.start_time"; default newest first.
    ///     Metric ordering uses each run's latest value; runs without the key sort last.
    ///   - limit: maximum number of runs returned.
    /// - Returns: matching runs with params, latest metrics and tags.
    /// - Throws: `.invalidFilter` with a position for malformed filters/orderings; `.notFound` for an unknown experiment.
    public func searchRuns(experiment: String? = nil, filter: String? = nil, orderBy: [String] = [], limit: Int? = nil) throws -> [RunSummary] {
        let parsed = try RunFilter(filter ?? "")
        let orders = try orderBy.map { try RunFilter.Order($0) }
        if let limit, limit < 0 { throw TrackingError.invalid("limit must be ≥ 0, got \(limit)") }
        var args: [DatabaseValueConvertible?] = []
        var conditions: [String] = []
        if let experiment {
            conditions.append("e.name = ?")
            args.append(experiment)
        }
        if !parsed.comparisons.isEmpty { conditions.append(parsed.sql(&args)) }
        var orderArgs: [DatabaseValueConvertible?] = []
        var orderTerms = orders.map { $0.sql(&orderArgs) }
        orderTerms.append("r.start_ms DESC, r.id")
        let whereSQL = conditions.joined(separator: " AND ")
        let orderSQL = orderTerms.joined(separator: ", ")
        let arguments = StatementArguments(args), orderArguments = StatementArguments(orderArgs)
        return try read("searching runs") { db in
            if let experiment, try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM experiments WHERE name = ?)", arguments: [experiment]) != true {
                throw TrackingError.notFound("experiment \"\(experiment)\" does not exist")
            }
            return try Self.summaries(db, whereSQL: whereSQL, arguments: arguments, orderSQL: orderSQL, orderArguments: orderArguments, limit: limit)
        }
    }
}
