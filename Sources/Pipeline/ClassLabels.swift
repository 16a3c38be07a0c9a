import Foundation
import MLCore
import Tabular

/// The classes of a classification target: labels as given in the training data, in a stable
/// order (text sorted as strings; numbers sorted numerically), and each row's class index.
public struct ClassLabels: Sendable, Equatable {
    /// Class labels in model output order.
    public let labels: [String]

    public init(labels: [String]) { self.labels = labels }

    public var count: Int { labels.count }

    /// The classes of a training target column; the task says whether two classes are expected.
    /// - Throws: `TrainingError` naming rows with a missing label, or a target with one class.
    public static func of(_ column: Column, target: String, source: String) throws -> ClassLabels {
        let labels: [String]
        switch column.data {
        case .categorical(let codes, let levels):
            try rejectMissing(codes.indices.filter { codes[$0] < 0 }, target: target, source: source)
            let used = Set(codes.map(Int.init))
            labels = levels.indices.filter { used.contains($0) }.map { levels[$0] }.sorted()
        case .numeric(let values):
            try rejectMissing(values.indices.filter { !values[$0].isFinite }, target: target, source: source)
            labels = Set(values).sorted().map(label(of:))
        }
        guard labels.count >= 2 else {
            throw TrainingError(code: .badTarget, message: "\(source): target \"\(target)\" has a single class (\(labels.first.map { "\"\($0)\"" } ?? "none")): nothing to classify")
        }
        return ClassLabels(labels: labels)
    }

    /// Each row's class index in `column`.
    /// - Throws: `TrainingError` naming rows with a missing label or a label these classes lack.
    public func indices(of column: Column, target: String, source: String) throws -> [Int32] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let texts: [String?]
        switch column.data {
        case .categorical(let codes, let levels):
            texts = codes.map { $0 >= 0 ? levels[Int($0)] : nil }
        case .numeric(let values):
            texts = values.map { $0.isFinite ? Self.label(of: $0) : nil }
        }
        try Self.rejectMissing(texts.indices.filter { texts[$0] == nil }, target: target, source: source)
        var unknown: [Int] = []
        let out = texts.enumerated().map { i, t -> Int32 in
            guard let k = index[t!] else { unknown.append(i); return -1 }
            return k
        }
        if let first = unknown.first {
            let names = Set(unknown.map { texts[$0]! }).sorted().prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            throw TrainingError(code: .badTarget, message: "\(source): target \"\(target)\" has class \(names) in \(unknown.count) row(s) (first: data row \(first + 1)) that the training data does not have (classes: \(labels.joined(separator: ", ")))")
        }
        return out
    }

    /// The text of a numeric class value (`ClassDecision.labelText(of:)`).
    public static func label(of v: Double) -> String { ClassDecision.labelText(of: v) }

    private static func rejectMissing(_ rows: [Int], target: String, source: String) throws {
        guard !rows.isEmpty else { return }
        let shown = rows.prefix(5).map { String($0 + 1) }.joined(separator: ", ")
        let more = rows.count > 5 ? " and \(rows.count - 5) more" : ""
        throw TrainingError(code: .badTarget, message: "\(source): target \"\(target)\" is missing in \(rows.count) row(s): data rows \(shown)\(more)")
    }
}

/// What `Trainer` infers when no task is asked for: text or boolean targets are classification
/// (binary for two classes); a numeric target is regression, with a warning naming --task when it
/// has at most 20 distinct integer values.
public enum TaskInference {
    public static func infer(_ column: Column, target: String) -> (task: ModelTask, warning: String?) {
        switch column.data {
        case .categorical(let codes, _):
            return (Set(codes.filter { $0 >= 0 }).count == 2 ? .binary : .multiclass, nil)
        case .numeric(let values):
            var distinct = Set<Double>()
            for v in values where v.isFinite {
                guard v == v.rounded() else { return (.regression, nil) }
                distinct.insert(v)
                if distinct.count > 20 { return (.regression, nil) }
            }
            return (.regression, "target \"\(target)\" holds \(distinct.count) distinct whole numbers: trained as regression; pass --task binary or --task multiclass to classify")
        }
    }
}
