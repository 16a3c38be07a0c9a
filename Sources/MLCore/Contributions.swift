import Tabular

/// Exact SHAP values (Shapley additive explanations) of a model's raw scores: per row, output and
/// feature, how much knowing the feature moved the score from the expected value.
///
/// For every row `i` and output `k`: `expectedValue[k] + Σ_j self[i, k, j]` is the model's raw
/// score (`Explainable.explainedScores`) up to rounding. Outputs: 1 for a regression or a binary
/// classifier, one per class for a multiclass one.
public struct Contributions: Sendable, Equatable {
    public let rows: Int
    public let outputs: Int
    public let features: Int
    /// rows × outputs × features, row-major: row `i`, output `k`, feature `j` at
    /// `(i * outputs + k) * features + j`.
    public var values: [Double]
    /// One per output: the raw score with no feature known.
    public var expectedValue: [Double]

    public init(rows: Int, outputs: Int, features: Int, values: [Double], expectedValue: [Double]) {
        precondition(values.count == rows * outputs * features && expectedValue.count == outputs,
                     "Contributions: \(values.count) values and \(expectedValue.count) expected values for \(rows) rows × \(outputs) outputs × \(features) features")
        self.rows = rows
        self.outputs = outputs
        self.features = features
        self.values = values
        self.expectedValue = expectedValue
    }

    public subscript(row: Int, output: Int, feature: Int) -> Double {
        values[(row * outputs + output) * features + feature]
    }

    /// `expectedValue[k] + Σ_j φ` per row and output (rows × outputs, row-major): what the
    /// contributions say the raw score is.
    public func totals() -> [Double] {
        var out = [Double](repeating: 0, count: rows * outputs)
        for i in 0..<rows {
            for k in 0..<outputs {
                var s = expectedValue[k]
                let base = (i * outputs + k) * features
                for j in 0..<features { s += values[base + j] }
                out[i * outputs + k] = s
            }
        }
        return out
    }

    /// The contributions of groups of features, each the sum of its members' (how a one-hot
    /// encoded column is reported: the groups still add up to the same raw score).
    /// - Parameters:
    ///   - group: for each feature, its group in `0..<groups`.
    public func grouped(_ group: [Int], groups: Int) -> Contributions {
        precondition(group.count == features && group.allSatisfy { $0 >= 0 && $0 < groups }, "Contributions.grouped: one group in 0..<\(groups) per feature")
        var out = [Double](repeating: 0, count: rows * outputs * groups)
        for r in 0..<(rows * outputs) {
            for j in 0..<features { out[r * groups + group[j]] += values[r * features + j] }
        }
        return Contributions(rows: rows, outputs: outputs, features: groups, values: out, expectedValue: expectedValue)
    }

    /// Global importance: mean |φ| over the rows, per output and feature (outputs × features,
    /// row-major); zeros when there is no row.
    public func meanAbsolute() -> [Double] {
        var out = [Double](repeating: 0, count: outputs * features)
        guard rows > 0 else { return out }
        for i in 0..<rows {
            for m in 0..<(outputs * features) { out[m] += abs(values[i * outputs * features + m]) }
        }
        for m in out.indices { out[m] /= Double(rows) }
        return out
    }
}

/// A model whose raw scores have exact SHAP contributions (TreeSHAP for tree ensembles, linear
/// SHAP for linear models).
public protocol Explainable: Regressor {
    /// Raw scores per row: 1 (a value, or the log-odds or share of the second class), or one per
    /// class for a multiclass model.
    var explainedOutputCount: Int { get }
    /// What a raw score is, e.g. "value", "log-odds of class 1", "softmax score per class".
    var explainedScore: String { get }
    /// The raw scores the contributions add up to: rows × explainedOutputCount, row-major.
    func explainedScores(_ x: FeatureMatrix, threads: Int) -> [Double]
    /// About how many basic steps explaining one row takes (for callers that size a sample).
    var explanationCostPerRow: Int { get }
    /// The exact contributions of every feature of every row of `x`.
    /// - Throws: `ExplanationError` when the fitted model lacks what explaining needs (a model
    ///   file written before tree covers or feature means were stored).
    func contributions(_ x: FeatureMatrix, threads: Int) throws -> Contributions
}

/// Why a model cannot be explained.
public struct ExplanationError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The kind has no explainer.
        case notExplainable
        /// A tree model file without per-node covers, or a linear one without feature means.
        case missingStatistics
        /// Bad input (a column or shape).
        case badInput
    }
    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

extension Preprocessor {
    /// For each output column, the index of the input feature it comes from (a one-hot column
    /// from its categorical feature, any other column from itself).
    public var outputSources: [Int] {
        var out: [Int] = []
        out.reserveCapacity(outputNames.count)
        for (f, spec) in inputFeatures.enumerated() {
            let width = spec.kind == .categorical && options.oneHot ? (spec.levels?.count ?? 0) : 1
            out += [Int](repeating: f, count: width)
        }
        precondition(out.count == outputNames.count, "Preprocessor: \(out.count) output columns from the features' widths, \(outputNames.count) names")
        return out
    }
}

extension LoadedModel {
    /// Contributions of the raw input columns to each row of `table`: the model's own
    /// contributions on the preprocessed columns, one-hot columns summed back to their feature.
    /// - Returns: the contributions (features = `header.inputFeatures`), and the unseen
    ///   categories as `predict` reports them.
    /// - Throws: `ExplanationError` (`.notExplainable` for a kind without an explainer), the
    ///   explainer's errors, or the preprocessing's `TabularError` naming a missing column.
    public func explain(_ table: Table, threads: Int) throws -> (contributions: Contributions, unseenCategories: [String: Int]) {
        guard let model = regressor as? any Explainable else {
            throw ExplanationError(code: .notExplainable, message: "model kind \(header.kind) has no SHAP explainer")
        }
        let t = try header.preprocessor.transform(table)
        let x = FeatureMatrix(rows: t.rows, columns: t.columns, values: t.values)
        let c = try model.contributions(x, threads: threads)
        return (c.grouped(header.preprocessor.outputSources, groups: header.preprocessor.inputFeatures.count), t.unseenCategories)
    }

    /// The raw scores `explain` adds up to (rows × outputs); nil for a kind without an explainer.
    public func explainedScores(_ table: Table, threads: Int) throws -> [Double]? {
        guard let model = regressor as? any Explainable else { return nil }
        let t = try header.preprocessor.transform(table)
        return model.explainedScores(FeatureMatrix(rows: t.rows, columns: t.columns, values: t.values), threads: threads)
    }
}
