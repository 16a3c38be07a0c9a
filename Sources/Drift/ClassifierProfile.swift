import Foundation
import Tabular

/// A classifier's outputs on the training rows, kept in the reference profile so monitoring can
/// test prediction drift (class shares, probability distribution) and label drift (true class
/// shares) without the training data. Present only for classifiers: a regression profile has
/// none, and its JSON is unchanged.
public struct ClassifierProfile: Codable, Sendable, Equatable {
    /// Class labels in model output order.
    public var classes: [String]
    /// Rows predicted as each class (the model's threshold / argmax rule). Plumb profiles the
    /// model's outputs on the held-out rows (see `TrainingRecorder.profile`).
    public var predictedCounts: [Int]
    /// Rows whose true class is each class (Plumb: the training rows).
    public var trueCounts: [Int]
    /// The score whose distribution is compared: binary, the positive-class probability;
    /// multiclass, each row's largest probability (the model's confidence).
    public var score: NumericProfile
    /// Multiclass only: each class's probability, so a shift between classes shows even when
    /// the model's confidence does not change (nil for binary, where `score` is p₁).
    public var classScores: [NumericProfile]? = nil

    /// The name the score is reported under: `prob_<positive class>` or `max_probability`.
    public var scoreName: String { Self.scoreName(classes: classes) }

    static func scoreName(classes: [String]) -> String {
        classes.count == 2 ? "prob_\(classes[1])" : "max_probability"
    }

    /// Profiles a classifier's outputs.
    /// - Parameters:
    ///   - classes: class labels in output order (K ≥ 2).
    ///   - truth: true class index per row, in `0..<K`.
    ///   - predicted: predicted class index per row.
    ///   - probabilities: rows × K, row-major.
    /// - Precondition: consistent lengths.
    public static func build(classes: [String], truth: [Int], predicted: [Int], probabilities: [Double],
                             seed: UInt64 = 42, maxSample: Int = 10_000, psiBins: Int = 10) -> ClassifierProfile {
        let k = classes.count
        precondition(k >= 2 && truth.count == predicted.count && probabilities.count == truth.count * k,
                     "ClassifierProfile: \(truth.count) truths, \(predicted.count) predictions, \(probabilities.count) probabilities for \(k) classes")
        let scores = ClassifierOutputs.scores(probabilities, classCount: k)
        var rng = SeededGenerator.stream(seed: seed, 0xC1A5)
        let score = NumericProfile.build(column: scores, maxSample: maxSample, psiBins: psiBins, rng: &rng)
        var classScores: [NumericProfile]?
        if k > 2 {
            classScores = (0..<k).map { c in
                var rng = SeededGenerator.stream(seed: seed, 0xC1A5 &+ UInt64(c) &+ 1)
                let column = stride(from: c, to: probabilities.count, by: k).map { probabilities[$0] }
                return NumericProfile.build(column: column, maxSample: maxSample, psiBins: psiBins, rng: &rng)
            }
        }
        return ClassifierProfile(classes: classes, predictedCounts: counts(predicted, k), trueCounts: counts(truth, k), score: score,
                                 classScores: classScores)
    }

    /// Occurrences of each class index in `0..<k` (others ignored).
    public static func counts(_ indices: [Int], _ k: Int) -> [Int] {
        var out = [Int](repeating: 0, count: k)
        for c in indices where c >= 0 && c < k { out[c] += 1 }
        return out
    }
}

/// A classifier's outputs on current data, for the prediction and label drift tests.
public struct ClassifierOutputs: Sendable {
    /// Predicted class index per row.
    public var predicted: [Int]
    /// rows × K probabilities, row-major.
    public var probabilities: [Double]
    /// True class index per row, −1 where unknown; nil when no row has ground truth.
    public var truth: [Int]?

    public init(predicted: [Int], probabilities: [Double], truth: [Int]?) {
        self.predicted = predicted
        self.probabilities = probabilities
        self.truth = truth
    }

    /// Binary: column 1 (the positive class); multiclass: each row's largest probability.
    static func scores(_ probabilities: [Double], classCount k: Int) -> [Double] {
        let n = probabilities.count / k
        if k == 2 { return (0..<n).map { probabilities[2 * $0 + 1] } }
        return (0..<n).map { i in probabilities[(i * k)..<((i + 1) * k)].max() ?? .nan }
    }
}

extension DriftAnalyzer {
    /// Prediction drift (predicted class shares, score distribution) and, with ground truth,
    /// label drift (true class shares) of current outputs against the classifier's reference.
    /// Named `predicted_class`, the score's name (`prob_<class>` / `max_probability`, then
    /// `prob_<class>` per class for multiclass) and `true_class`; `--test NAME=METHOD` overrides
    /// each. Defaults are distances whatever the size: the output reference is a held-out sample
    /// of a few hundred rows whose own sampling noise chi-square and KS against it would read as
    /// drift (a 300-row holdout flagged same-distribution data at p = 6e-5). Shares: Jensen–Shannon
    /// (0.1). Scores: PSI at 0.2 (`scoreTest`), the usual measure for a score in [0, 1];
    /// Wasserstein divided by the std blew up on a confident model's tight max probability.
    static func classifierDrift(reference r: ClassifierProfile, outputs o: ClassifierOutputs,
                                options: DriftOptions) -> [(ColumnDrift, ColumnSummary)] {
        let k = r.classes.count
        let codes = o.predicted.map { Int32($0) }
        var out = [compareCategorical(name: "predicted_class", reference: shares(r.classes, r.predictedCounts), codes: codes,
                                      levels: r.classes, test: categoricalTest("predicted_class", options))]
        let scores = ClassifierOutputs.scores(o.probabilities, classCount: k)
        out.append(compareNumeric(name: r.scoreName, reference: r.score, current: scores,
                                  test: options.columnTests[r.scoreName] ?? scoreTest))
        for (c, profile) in (r.classScores ?? []).enumerated() where c < k {
            let name = "prob_\(r.classes[c])"
            let column = stride(from: c, to: o.probabilities.count, by: k).map { o.probabilities[$0] }
            out.append(compareNumeric(name: name, reference: profile, current: column,
                                      test: options.columnTests[name] ?? scoreTest))
        }
        if let truth = o.truth {
            let known = truth.filter { $0 >= 0 }.map { Int32($0) }
            if !known.isEmpty {
                out.append(compareCategorical(name: "true_class", reference: shares(r.classes, r.trueCounts), codes: known,
                                              levels: r.classes, test: categoricalTest("true_class", options)))
            }
        }
        return out
    }

    /// PSI ≥ 0.2 on the reference's quantile bins: above the ~0.05 that sampling alone gives two
    /// samples of a few hundred rows in 10 bins, below the 0.25 credit scoring calls a major shift.
    static let scoreTest = ColumnTest(.psi, threshold: 0.2)

    static func shares(_ classes: [String], _ counts: [Int]) -> CategoricalProfile {
        CategoricalProfile(count: counts.reduce(0, +), missing: 0, levels: classes, frequencies: counts)
    }

    /// The configured test of a class-share column, Jensen–Shannon by default; a numeric-only
    /// override (ks, wasserstein) falls back to it rather than failing the whole comparison.
    static func categoricalTest(_ name: String, _ options: DriftOptions) -> ColumnTest {
        guard let t = options.columnTests[name], t.method != .ks, t.method != .wasserstein else { return .jensenshannon }
        return t
    }
}
