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
        let score = NumericProfile.build(sorted: SortedSample.sortedNonMissing(scores), missing: 0,
                                         maxSample: maxSample, psiBins: psiBins, rng: &rng)
        var classScores: [NumericProfile]?
        if k > 2 {
            classScores = (0..<k).map { c in
                var rng = SeededGenerator.stream(seed: seed, 0xC1A5 &+ UInt64(c) &+ 1)
                let column = stride(from: c, to: probabilities.count, by: k).map { probabilities[$0] }
                return NumericProfile.build(sorted: SortedSample.sortedNonMissing(column), missing: 0,
                                            maxSample: maxSample, psiBins: psiBins, rng: &rng)
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
    /// Tests follow the column rule of `options` under the names `predicted_class`, the score's
    /// name (`prob_<class>` / `max_probability`, then `prob_<class>` per class for multiclass)
    /// and `true_class`, so `--test` overrides them.
    /// The default test follows the size of the sample each was profiled on (held-out rows for
    /// the outputs, training rows for the labels), as a column's follows the reference rows.
    static func classifierDrift(reference r: ClassifierProfile, outputs o: ClassifierOutputs,
                                options: DriftOptions) -> [(ColumnDrift, ColumnSummary)] {
        let k = r.classes.count
        let outputRows = r.predictedCounts.reduce(0, +), labelRows = r.trueCounts.reduce(0, +)
        let codes = o.predicted.map { Int32($0) }
        var out = [compareCategorical(name: "predicted_class", reference: shares(r.classes, r.predictedCounts), codes: codes,
                                      levels: r.classes, test: categoricalTest("predicted_class", options, outputRows))]
        let scores = ClassifierOutputs.scores(o.probabilities, classCount: k)
        out.append(compareNumeric(name: r.scoreName, reference: r.score, current: scores,
                                  test: options.test(for: r.scoreName, numeric: true, referenceRows: outputRows)))
        for (c, profile) in (r.classScores ?? []).enumerated() where c < k {
            let name = "prob_\(r.classes[c])"
            let column = stride(from: c, to: o.probabilities.count, by: k).map { o.probabilities[$0] }
            out.append(compareNumeric(name: name, reference: profile, current: column,
                                      test: options.test(for: name, numeric: true, referenceRows: outputRows)))
        }
        if let truth = o.truth {
            let known = truth.filter { $0 >= 0 }.map { Int32($0) }
            if !known.isEmpty {
                out.append(compareCategorical(name: "true_class", reference: shares(r.classes, r.trueCounts), codes: known,
                                              levels: r.classes, test: categoricalTest("true_class", options, labelRows)))
            }
        }
        return out
    }

    static func shares(_ classes: [String], _ counts: [Int]) -> CategoricalProfile {
        CategoricalProfile(count: counts.reduce(0, +), missing: 0, levels: classes, frequencies: counts)
    }

    /// The configured test of a class-share column; a numeric-only override (ks, wasserstein)
    /// falls back to the default categorical test rather than failing the whole comparison.
    static func categoricalTest(_ name: String, _ options: DriftOptions, _ referenceRows: Int) -> ColumnTest {
        let t = options.test(for: name, numeric: false, referenceRows: referenceRows)
        if t.method == .ks || t.method == .wasserstein {
            var o = options
            o.columnTests[name] = nil
            return o.test(for: name, numeric: false, referenceRows: referenceRows)
        }
        return t
    }
}
