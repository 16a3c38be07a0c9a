import Foundation

/// A retraining trigger on one performance metric: `roc_auc < 0.8`, `log_loss > 0.4`,
/// `rmse > 0.5`. It fires when the metric, computed on labelled current data, satisfies the
/// comparison (a NaN metric never fires). Encoded in JSON as that text.
public struct MetricTrigger: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Codable, Sendable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// A metric name as `plumb monitor --json` reports it (`rmse`, `r2`, `accuracy`, `f1`,
    /// `roc_auc`, `log_loss`, ...).
    public var metric: String
    public var op: Operator
    public var value: Double

    public init(_ metric: String, _ op: Operator, _ value: Double) {
        self.metric = metric
        self.op = op
        self.value = value
    }

    /// Parses `METRIC OP NUMBER` (spaces optional around the operator), e.g. "roc_auc<0.8".
    /// - Throws: `DriftError(.invalidTrigger)` saying what the text should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        // Two-character operators first, so "<=" is not read as "<" followed by "=0.8".
        for op in [Operator.lessOrEqual, .greaterOrEqual, .less, .greater] {
            guard let r = t.range(of: op.rawValue) else { continue }
            let name = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let number = t[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                  let v = Double(number), v.isFinite else { break }
            self.init(name, op, v)
            return
        }
        throw DriftError(code: .invalidTrigger, message: "trigger \"\(text)\": expected METRIC OP NUMBER with OP one of <, <=, >, >= (e.g. \"roc_auc < 0.8\" or \"log_loss > 0.4\")")
    }

    /// Whether `x` satisfies the comparison (NaN never does).
    public func fires(_ x: Double) -> Bool {
        switch op {
        case .less: x < value
        case .lessOrEqual: x <= value
        case .greater: x > value
        case .greaterOrEqual: x >= value
        }
    }

    public var description: String { "\(metric) \(op.rawValue) \(fmtG(value))" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode("\(metric) \(op.rawValue) \(value)")
    }
}
