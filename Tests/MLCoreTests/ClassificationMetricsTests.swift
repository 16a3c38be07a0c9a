import Foundation
import Testing
@testable import MLCore

/// One case of Fixtures/classification_metrics.json (scripts/classification-fixtures.py,
/// scikit-learn 1.9.1); null reference values are undefined metrics (NaN here).
struct ClassificationCase: Decodable {
    var name: String
    var classes: Int
    var threshold: Double
    var y: [Int]
    var p: [Double]
    var accuracy: Double
    var balanced_accuracy: Double
    var precision: Double
    var recall: Double
    var f1: Double
    var precision_weighted: Double?
    var recall_weighted: Double?
    var f1_weighted: Double?
    var roc_auc: Double?
    var average_precision: Double?
    var log_loss: Double
    var brier: Double
    var ece: Double
    var confusion_matrix: [[Int]]
    var best_f1_threshold: Double?
    var best_f1: Double?
}

struct ClassificationFixture: Decodable {
    var sklearn: String
    var cases: [ClassificationCase]

    static func load() throws -> ClassificationFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("classification_metrics.json")
        return try JSONDecoder().decode(ClassificationFixture.self, from: Data(contentsOf: url))
    }
}

/// |a − b| ≤ tolerance · max(1, |b|); NaN matches a nil reference only.
func agrees(_ a: Double, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
    guard let b else { return a.isNaN }
    return abs(a - b) <= tolerance * max(1, abs(b))
}

@Suite struct ClassificationMetricsFixtureTests {
    /// Every metric of every committed case against scikit-learn / numpy, to 1e-9; prints the
    /// largest deviation per metric.
    @Test func everyMetricMatchesScikitLearn() throws {
        let fixture = try ClassificationFixture.load()
        #expect(fixture.cases.count >= 12)
        var worst = [String: Double]()
        func check(_ name: String, _ metric: String, _ a: Double, _ b: Double?) {
            #expect(agrees(a, b), "\(name): \(metric) \(a) vs scikit-learn \(String(describing: b))")
            if let b, !a.isNaN { worst[metric] = max(worst[metric] ?? 0, abs(a - b)) }
        }
        for c in fixture.cases {
            let m = try ClassificationMetrics(classes: c.y, probabilities: c.p, classCount: c.classes, threshold: c.threshold)
            check(c.name, "accuracy", m.accuracy, c.accuracy)
            check(c.name, "balanced_accuracy", m.balancedAccuracy, c.balanced_accuracy)
            check(c.name, "precision", m.precision, c.precision)
            check(c.name, "recall", m.recall, c.recall)
            check(c.name, "f1", m.f1, c.f1)
            if c.classes > 2 {
                check(c.name, "precision_weighted", try #require(m.precisionWeighted), c.precision_weighted)
                check(c.name, "recall_weighted", try #require(m.recallWeighted), c.recall_weighted)
                check(c.name, "f1_weighted", try #require(m.f1Weighted), c.f1_weighted)
                #expect(m.threshold == nil)
            } else {
                #expect(m.precisionWeighted == nil && m.threshold == c.threshold)
            }
            check(c.name, "roc_auc", m.rocAUC, c.roc_auc)
            check(c.name, "average_precision", m.averagePrecision, c.average_precision)
            check(c.name, "log_loss", m.logLoss, c.log_loss)
            check(c.name, "brier", m.brier, c.brier)
            check(c.name, "ece", m.ece, c.ece)
            #expect(m.confusionMatrix == c.confusion_matrix, "\(c.name): confusion matrix")
            #expect(m.count == c.y.count && m.classCount == c.classes)
            if let want = c.best_f1_threshold {
                let t = try ClassificationMetrics.bestF1Threshold(classes: c.y, probabilities: c.p)
                #expect(t == want, "\(c.name): best F1 threshold \(t) vs \(want)")
                let atBest = try ClassificationMetrics(classes: c.y, probabilities: c.p, classCount: 2, threshold: t)
                check(c.name, "best_f1", atBest.f1, c.best_f1)
            }
        }
        print("classification metrics, max |Plumb − reference| over \(fixture.cases.count) cases (scikit-learn \(fixture.sklearn)):")
        for (metric, d) in worst.sorted(by: { $0.key < $1.key }) { print("  \(metric): \(d)") }
    }

    /// The fixture covers what it claims to: ties, separable cases, a never-predicted class,
    /// exact 0/1 probabilities, a class absent from y.
    @Test func fixtureCoversTheEdgeCases() throws {
        let cases = Dictionary(uniqueKeysWithValues: try ClassificationFixture.load().cases.map { ($0.name, $0) })
        let ties = try #require(cases["binary_five_scores"])
        #expect(Set(ties.p).count <= 10)
        #expect(try #require(cases["binary_separable"]).roc_auc == 1)
        #expect(try #require(cases["multi_separable"]).roc_auc == 1)
        let never = try #require(cases["multi_class_never_predicted"])
        #expect(never.confusion_matrix.map { $0[3] }.reduce(0, +) == 0)
        #expect(try #require(cases["multi_extreme"]).p.contains(0))
        #expect(try #require(cases["binary_extreme"]).log_loss > 10)
        #expect(!(try #require(cases["multi_absent_class"]).y.contains(4)))
    }
}

@Suite struct ClassificationMetricsTests {
    /// p₁ exactly at the threshold is positive (`p >= t`).
    @Test func thresholdTieIsPositive() throws {
        // Row 0: p₁ = 0.5 (class 1), row 1: p₁ = 0.3 (class 0).
        let m = try ClassificationMetrics(classes: [1, 0], probabilities: [0.5, 0.5, 0.7, 0.3], classCount: 2)
        #expect(m.confusionMatrix == [[1, 0], [0, 1]])
        let high = try ClassificationMetrics(classes: [1, 0], probabilities: [0.5, 0.5, 0.7, 0.3], classCount: 2, threshold: 0.6)
        #expect(high.confusionMatrix == [[1, 0], [1, 0]])
    }

    /// Multiclass argmax takes the first of tied maxima.
    @Test func argmaxTieTakesFirstClass() throws {
        let m = try ClassificationMetrics(classes: [2, 0], probabilities: [0.1, 0.45, 0.45, 0.4, 0.2, 0.4], classCount: 3)
        #expect(m.confusionMatrix == [[1, 0, 0], [0, 0, 0], [0, 1, 0]])
    }

    /// Hand-computed: 4 rows, scores 0.9 (pos), 0.8 (neg), 0.8 (pos), 0.1 (neg).
    @Test func handComputedBinary() throws {
        let p1 = [0.9, 0.8, 0.8, 0.1]
        let m = try ClassificationMetrics(classes: [1, 0, 1, 0], probabilities: binaryMatrix(p1), classCount: 2)
        // Pairs (pos, neg): (0.9, 0.8) 1, (0.9, 0.1) 1, (0.8, 0.8) ½, (0.8, 0.1) 1 → 3.5 / 4.
        #expect(m.rocAUC == 0.875)
        // Groups: {0.9: +} recall ½ at precision 1; {0.8: −, +} recall 1 at precision 2/3.
        #expect(abs(m.averagePrecision - (0.5 + 0.5 * 2 / 3)) < 1e-15)
        #expect(m.accuracy == 0.75 && m.precision == 2.0 / 3 && m.recall == 1 && m.f1 == 0.8)
        #expect(abs(m.brier - (0.01 + 0.64 + 0.04 + 0.01) / 4) < 1e-15)
        #expect(abs(m.logLoss - -(log(0.9) + log(0.2) + log(0.8) + log(0.9)) / 4) < 1e-15)
        // Bins (width 1/15): 0.1 → 1, 0.8 → 12, 0.9 → 13; |Σy − Σp| per bin: 0.1, 0.6, 0.1.
        #expect(abs(m.ece - 0.8 / 4) < 1e-15)
    }

    @Test func rankingMatchesNaivePairwiseTwin() {
        var rng = SplitMix(seed: 7)
        for trial in 0..<40 {
            let n = 1 + Int(rng.next() % 120)
            let levels = 1 + Int(rng.next() % 12)  // few levels → many ties
            let p1 = (0..<n).map { _ in Double(rng.next() % UInt64(levels)) / Double(levels) }
            let y = (0..<n).map { _ in Int(rng.next() % 2) }
            let m = try? ClassificationMetrics(classes: y, probabilities: binaryMatrix(p1), classCount: 2)
            let naive = NaiveRanking(scores: p1, positive: y.map { $0 == 1 })
            #expect(agrees(m?.rocAUC ?? -1, naive.auc, 1e-14), "trial \(trial)")
            #expect(agrees(m?.averagePrecision ?? -1, naive.averagePrecision, 1e-14), "trial \(trial)")
            if y.contains(1) {
                #expect((try? ClassificationMetrics.bestF1Threshold(classes: y, probabilities: binaryMatrix(p1))) == naive.bestF1Threshold, "trial \(trial)")
            }
        }
    }

    /// The radix sort behind the ranking metrics equals the standard library's sort, on
    /// probability bit patterns (shared high digits) and on arbitrary keys.
    @Test(arguments: [0, 1, 600, 5_000, 70_000])
    func radixSortMatchesSort(count: Int) {
        var rng = SplitMix(seed: UInt64(count))
        var scores = (0..<count).map { _ in (Double(rng.next() % 1000) / 999).bitPattern << 1 | rng.next() % 2 }
        var any = (0..<count).map { _ in rng.next() }
        let (wantScores, wantAny) = (scores.sorted(), any.sorted())
        radixSort(&scores)
        radixSort(&any)
        #expect(scores == wantScores && any == wantAny)
    }

    /// Shuffling rows changes no metric (only summation order, at rounding level).
    @Test func rowOrderDoesNotMatter() throws {
        var rng = SplitMix(seed: 11)
        let n = 500, k = 4
        var p = [Double](), y = [Int]()
        for _ in 0..<n {
            let raw = (0..<k).map { _ in Double(rng.next() % 7 + 1) }
            let s = raw.reduce(0, +)
            p += raw.map { $0 / s }
            y.append(Int(rng.next() % UInt64(k)))
        }
        let a = try ClassificationMetrics(classes: y, probabilities: p, classCount: k)
        let order = (0..<n).shuffled(using: &rng)
        let b = try ClassificationMetrics(classes: order.map { y[$0] }, probabilities: order.flatMap { p[($0 * k)..<($0 * k + k)] }, classCount: k)
        #expect(a.confusionMatrix == b.confusionMatrix)
        for (key, v) in a.dictionary { #expect(agrees(v, b.dictionary[key], 1e-14), "\(key)") }
    }

    @Test func singleClassMakesRankingMetricsNaN() throws {
        let negatives = try ClassificationMetrics(classes: [0, 0, 0], probabilities: binaryMatrix([0.2, 0.6, 0.1]), classCount: 2)
        #expect(negatives.rocAUC.isNaN && negatives.averagePrecision.isNaN)
        #expect(negatives.accuracy == 2.0 / 3 && negatives.precision == 0 && negatives.f1 == 0)
        let positives = try ClassificationMetrics(classes: [1, 1], probabilities: binaryMatrix([0.2, 0.6]), classCount: 2)
        #expect(positives.rocAUC.isNaN && positives.averagePrecision == 1)
        // Multiclass with one class present: AUC undefined, AP of that class is 1.
        let one = try ClassificationMetrics(classes: [2, 2], probabilities: [0.2, 0.3, 0.5, 0.1, 0.1, 0.8], classCount: 3)
        #expect(one.rocAUC.isNaN && one.averagePrecision == 1 && one.balancedAccuracy == 1)
        #expect(throws: ClassificationMetricsError.self) {
            try ClassificationMetrics.bestF1Threshold(classes: [0, 0], probabilities: binaryMatrix([0.2, 0.6]))
        }
    }

    @Test func invalidInputThrowsNamingTheRow() {
        func code(_ body: () throws -> Void) -> (ClassificationMetricsError.Code?, String) {
            do { try body(); return (nil, "") } catch let e as ClassificationMetricsError { return (e.code, e.message) } catch { return (nil, "\(error)") }
        }
        #expect(code { _ = try ClassificationMetrics(classes: [], probabilities: [], classCount: 2) }.0 == .noRows)
        #expect(code { _ = try ClassificationMetrics(classes: [0], probabilities: [1], classCount: 1) }.0 == .invalidClassCount)
        #expect(code { _ = try ClassificationMetrics(classes: [0, 1], probabilities: [1, 0, 0], classCount: 2) }.0 == .shapeMismatch)
        let range = code { _ = try ClassificationMetrics(classes: [0, 2], probabilities: [1, 0, 0, 1], classCount: 2) }
        #expect(range.0 == .classOutOfRange && range.1.contains("row 1"))
        let nan = code { _ = try ClassificationMetrics(classes: [0, 1], probabilities: [1, 0, .nan, 1], classCount: 2) }
        #expect(nan.0 == .nonFiniteProbability && nan.1.contains("row 1"))
        #expect(code { _ = try ClassificationMetrics(classes: [0], probabilities: [1.5, -0.5], classCount: 2) }.0 == .probabilityOutOfRange)
        let sum = code { _ = try ClassificationMetrics(classes: [0, 1], probabilities: [0.5, 0.5, 0.5, 0.4], classCount: 2) }
        #expect(sum.0 == .probabilitiesDoNotSumToOne && sum.1.contains("row 1"))
        #expect(code { _ = try ClassificationMetrics(classes: [0], probabilities: [0.5, 0.5], classCount: 2, threshold: .nan) }.0 == .invalidThreshold)
        // Within numpy's allclose tolerance is accepted.
        #expect(code { _ = try ClassificationMetrics(classes: [0], probabilities: [0.5, 0.500004], classCount: 2) }.0 == nil)
    }

    @Test func codableRoundTripKeepsNaN() throws {
        let m = try ClassificationMetrics(classes: [0, 0], probabilities: binaryMatrix([0.2, 0.6]), classCount: 2)
        let data = try JSONEncoder().encode(m)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"roc_auc\":null") && json.contains("\"balanced_accuracy\""))
        #expect(try JSONDecoder().decode(ClassificationMetrics.self, from: data) == m)
        let multi = try ClassificationMetrics(classes: [0, 1, 2], probabilities: [0.6, 0.2, 0.2, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4], classCount: 3)
        #expect(try JSONDecoder().decode(ClassificationMetrics.self, from: JSONEncoder().encode(multi)) == multi)
    }

    @Test func dictionaryKeys() throws {
        let binary = try ClassificationMetrics(classes: [0, 1], probabilities: binaryMatrix([0.2, 0.6]), classCount: 2)
        let base: Set = ["accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "average_precision", "log_loss", "brier", "ece"]
        #expect(Set(binary.dictionary.keys) == base)
        let multi = try ClassificationMetrics(classes: [0, 1, 2], probabilities: [0.6, 0.2, 0.2, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4], classCount: 3)
        #expect(Set(multi.dictionary.keys) == base.union(["f1_weighted", "precision_weighted", "recall_weighted"]))
        #expect(multi.dictionary["f1"] == multi.f1 && multi.dictionary["f1_weighted"] == multi.f1Weighted)
    }

    /// Speed check on 1M rows, off by default (no timed assertions in tests): run with
    /// PLUMB_TIMING=1 in a release build to print the figures.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PLUMB_TIMING"] != nil))
    func millionRowsTiming() throws {
        var rng = SplitMix(seed: 3)
        let n = 1_000_000
        for k in [2, 5] {
            var p = [Double](repeating: 0, count: n * k), y = [Int](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for c in 0..<k { let v = Double(rng.next() % 1000 + 1); p[i * k + c] = v; s += v }
                for c in 0..<k { p[i * k + c] /= s }
                y[i] = Int(rng.next() % UInt64(k))
            }
            let clock = ContinuousClock()
            let start = clock.now
            let m = try ClassificationMetrics(classes: y, probabilities: p, classCount: k)
            let elapsed = clock.now - start
            print("ClassificationMetrics \(n) rows × \(k) classes: \(elapsed) (AUC \(m.rocAUC))")
            if k == 2 {
                let t0 = clock.now
                let t = try ClassificationMetrics.bestF1Threshold(classes: y, probabilities: p)
                print("bestF1Threshold \(n) rows: \(clock.now - t0) (t = \(t))")
            }
        }
    }
}

func binaryMatrix(_ p1: [Double]) -> [Double] { p1.flatMap { [1 - $0, $0] } }

/// Plain O(n²) twins of the ranking metrics, from their pairwise definitions.
struct NaiveRanking {
    var auc: Double?
    var averagePrecision: Double?
    var bestF1Threshold: Double?

    init(scores s: [Double], positive: [Bool]) {
        let pos = s.indices.filter { positive[$0] }, neg = s.indices.filter { !positive[$0] }
        if !pos.isEmpty && !neg.isEmpty {
            var wins = 0.0
            for i in pos { for j in neg { wins += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0) } }
            auc = wins / Double(pos.count * neg.count)
        }
        if !pos.isEmpty {
            // Mean over positives of the precision of the rule s >= s_i.
            var total = 0.0
            for i in pos {
                let above = s.indices.filter { s[$0] >= s[i] }
                total += Double(above.filter { positive[$0] }.count) / Double(above.count)
            }
            averagePrecision = total / Double(pos.count)
            var best = -1.0
            for t in Set(s).sorted() {
                let tp = pos.filter { s[$0] >= t }.count, fp = neg.filter { s[$0] >= t }.count
                let f = 2 * Double(tp) / Double(pos.count + tp + fp)
                if f > best { best = f; bestF1Threshold = t }
            }
        }
    }
}

/// Deterministic generator for the property tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
