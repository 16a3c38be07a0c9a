import Foundation
import Testing
import LinearAlgebra
@testable import LinearModels
import MLCore

/// Fits of Fixtures/logistic_fixture.json, made by scripts/classification-fixtures.py with
/// scikit-learn 1.9.1 (`solver="newton-cholesky", tol=1e-14`, C = 1 / (alpha · n)).
struct LogisticFixture: Decodable {
    struct Fit: Decodable {
        var name: String
        var classes: Int
        var alpha: Double
        var x: [[Double]]
        var y: [Int]
        var coefficients: [[Double]]
        var intercepts: [Double]
        var probabilities: [Double]
        var gradient_max: Double
    }
    var sklearn: String
    var fits: [Fit]

    static func load() throws -> LogisticFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("logistic_fixture.json")
        return try JSONDecoder().decode(LogisticFixture.self, from: Data(contentsOf: url))
    }
}

/// max |a − b|.
func maxDeviation(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "maxDeviation: \(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
}

@Suite struct LogisticRegressionFixtureTests {
    /// Coefficients, intercepts and probabilities agree with scikit-learn to 1e-6 (absolute;
    /// every coefficient in the fixtures is of order 0.01–10).
    @Test func fitsMatchScikitLearn() throws {
        let fixture = try LogisticFixture.load()
        #expect(fixture.fits.count == 5)
        print("logistic regression vs scikit-learn \(fixture.sklearn), max |Δ|:")
        for f in fixture.fits {
            #expect(f.gradient_max < 1e-11, "\(f.name): reference not converged")
            let model = try LogisticRegression.fit(FeatureMatrix(columns: f.x), classes: f.y, classCount: f.classes, alpha: f.alpha)
            let dw = maxDeviation(model.coefficients, f.coefficients.flatMap { $0 })
            let db = maxDeviation(model.intercepts, f.intercepts)
            let dp = maxDeviation(model.predictProbabilities(FeatureMatrix(columns: f.x)), f.probabilities)
            print("  \(f.name): coefficients \(dw), intercepts \(db), probabilities \(dp), \(model.iterations) Newton steps")
            #expect(dw < 1e-6 && db < 1e-6 && dp < 1e-6, "\(f.name)")
            #expect(model.scoreCount == (f.classes == 2 ? 1 : f.classes))
        }
    }

    @Test func constantColumnGetsZeroCoefficient() throws {
        let f = try #require(LogisticFixture.load().fits.first { $0.name.contains("constant") })
        let model = try LogisticRegression.fit(FeatureMatrix(columns: f.x), classes: f.y, classCount: 2, alpha: f.alpha)
        #expect(model.coefficients[3] == 0 && model.featureStds[3] == 0)
        #expect(abs(f.coefficients[0][3]) < 1e-9)
    }
}

@Suite struct LogisticRegressionTests {
    /// Synthetic data: `rows` × `features`, class drawn from a softmax (or sigmoid) of a fixed
    /// linear function, so the classes overlap.
    static func data(rows: Int, features p: Int, classes k: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        var rng = Mix(seed: seed)
        var cols = [[Double]](repeating: [], count: p)
        var y = [Int]()
        for _ in 0..<rows {
            var row = [Double]()
            for j in 0..<p {
                let v = rng.normal() * Double(j + 1) + Double(j) * 3
                cols[j].append(v)
                row.append((v - Double(j) * 3) / Double(j + 1))
            }
            var logits = (0..<k).map { c in (0..<p).reduce(0.0) { $0 + row[$1] * sin(Double(c * 7 + $1 + 1)) } }
            if k == 2 { logits[0] = 0 }
            let top = logits.max()!
            let e = logits.map { exp($0 - top) }
            var u = rng.uniform() * e.reduce(0, +)
            var c = 0
            while c < k - 1 && u > e[c] { u -= e[c]; c += 1 }
            y.append(c)
        }
        return (FeatureMatrix(columns: cols), y)
    }

    /// The optimised objective (blocked, parallel, standardised) equals a plain per-row loop
    /// over the original features — loss, gradient and Hessian — at an arbitrary θ.
    @Test(arguments: [2, 4])
    func objectiveMatchesNaiveTwin(classes k: Int) throws {
        let (x, y) = Self.data(rows: 2_500, features: 3, classes: k, seed: 5)  // > 2 blocks, a short tail
        let (means, stds) = try LogisticRegression.columnStatistics(x)
        let f = LogisticObjective(x: x, classes: y, classCount: k, alpha: 0.03, means: means, stds: stds)
        let theta = (0..<f.parameterCount).map { sin(Double($0) * 1.7) * 0.8 }
        let fast = f.evaluate(theta, hessian: true)
        let naive = NaiveLogistic(x: x, y: y, classCount: k, alpha: 0.03, means: means, stds: stds, theta: theta)
        #expect(abs(fast.objective - naive.objective) < 1e-13 * abs(naive.objective))
        #expect(maxDeviation(fast.gradient, naive.gradient) < 1e-13)
        #expect(maxDeviation(try #require(fast.hessian).storage, naive.hessian) < 1e-13)
    }

    /// At the fitted parameters the gradient of the objective on the original scale is zero:
    /// (1/n) Xᵀ(P − Y) + alpha·W = 0 and (1/n) Σ (P − Y) = 0.
    @Test(arguments: [(2, 0.0), (2, 0.1), (3, 0.01), (5, 0.0)])
    func fittedParametersAreStationary(classes k: Int, alpha: Double) throws {
        let (x, y) = Self.data(rows: 3_000, features: 4, classes: k, seed: UInt64(k * 10))
        let model = try LogisticRegression.fit(x, classes: y, classCount: k, alpha: alpha)
        let prob = model.predictProbabilities(x)
        let m = model.scoreCount, p = x.columns, n = Double(x.rows)
        for out in 0..<m {
            let c = k == 2 ? 1 : out
            var gb = 0.0
            var gw = [Double](repeating: 0, count: p)
            for i in 0..<x.rows {
                let r = prob[i * k + c] - (y[i] == c ? 1 : 0)
                gb += r
                for j in 0..<p { gw[j] += r * x[i, j] }
            }
            #expect(abs(gb / n) < 1e-9)
            for j in 0..<p {
                #expect(abs(gw[j] / n + alpha * model.coefficients[out * p + j]) < 1e-8, "output \(out) feature \(j)")
            }
        }
        if m > 1 { #expect(abs(model.intercepts.reduce(0, +)) < 1e-12) }
        for i in 0..<x.rows { #expect(abs(prob[(i * k)..<(i * k + k)].reduce(0, +) - 1) < 1e-12) }
    }

    /// Without a penalty, rescaling a feature by c rescales its coefficient by 1/c.
    @Test func unpenalisedFitIsScaleEquivariant() throws {
        let (x, y) = Self.data(rows: 800, features: 3, classes: 2, seed: 9)
        var scaled = x
        for i in 0..<x.rows { scaled[i, 1] = x[i, 1] * 1000 }
        let a = try LogisticRegression.fit(x, classes: y, classCount: 2, alpha: 0)
        let b = try LogisticRegression.fit(scaled, classes: y, classCount: 2, alpha: 0)
        #expect(abs(b.coefficients[1] * 1000 - a.coefficients[1]) < 1e-9 * abs(a.coefficients[1]))
        #expect(abs(b.intercepts[0] - a.intercepts[0]) < 1e-9)
    }

    @Test func separableDataWithoutPenaltyIsAnError() throws {
        let x = FeatureMatrix(columns: [[-2, -1, -0.5, 0.5, 1, 2], [1, 0, 1, 0, 1, 0]])
        let y = [0, 0, 0, 1, 1, 1]
        #expect(code { _ = try LogisticRegression.fit(x, classes: y, classCount: 2, alpha: 0) }.0 == .perfectSeparation)
        // A penalty makes the optimum finite.
        let model = try LogisticRegression.fit(x, classes: y, classCount: 2, alpha: 0.01)
        let p = model.predictProbabilities(x)
        #expect(p[1] < 0.5 && p[11] > 0.5)
        // Multinomial too.
        let x3 = FeatureMatrix(columns: [[0, 0.1, 5, 5.1, 10, 10.1]])
        #expect(code { _ = try LogisticRegression.fit(x3, classes: [0, 0, 1, 1, 2, 2], classCount: 3, alpha: 0) }.0 == .perfectSeparation)
    }

    /// Quasi-complete separation: rows at x = 0 of both classes, every other row separated.
    /// The gradient vanishes at a finite-looking w ≈ 22, but the Newton step stays ≈ 1.
    @Test func quasiSeparableDataWithoutPenaltyIsAnError() throws {
        let x = FeatureMatrix(columns: [[-2, -1, 0, 0, 1, 2]])
        let binary = code { _ = try LogisticRegression.fit(x, classes: [0, 0, 0, 1, 1, 1], classCount: 2, alpha: 0) }
        #expect(binary.0 == .perfectSeparation && binary.1.contains("quasi"))
        let x3 = FeatureMatrix(columns: [[0, 0, 1, 1, 2, 2, 1]])
        #expect(code { _ = try LogisticRegression.fit(x3, classes: [0, 0, 1, 1, 2, 2, 0], classCount: 3, alpha: 0) }.0 == .perfectSeparation)
        // The same data with a penalty, and with the tie broken by an overlap, fit normally.
        _ = try LogisticRegression.fit(x, classes: [0, 0, 0, 1, 1, 1], classCount: 2, alpha: 0.001)
        _ = try LogisticRegression.fit(FeatureMatrix(columns: [[-2, -1, 0, 0, 1, 2, -1.5]]), classes: [0, 0, 0, 1, 1, 1, 1], classCount: 2, alpha: 0)
    }

    @Test func invalidInputIsNamed() {
        let x = FeatureMatrix(columns: [[1, 2, 3, 4], [0, 1, 0, 1]])
        let single = code { _ = try LogisticRegression.fit(x, classes: [1, 1, 1, 1], classCount: 2, alpha: 1) }
        #expect(single.0 == .singleClass && single.1.contains("class 1"))
        let missing = code { _ = try LogisticRegression.fit(x, classes: [0, 1, 0, 1], classCount: 3, alpha: 1) }
        #expect(missing.0 == .missingClass && missing.1.contains("class 2"))
        let range = code { _ = try LogisticRegression.fit(x, classes: [0, 1, 2, 1], classCount: 2, alpha: 1) }
        #expect(range.0 == .classOutOfRange && range.1.contains("row 2"))
        #expect(code { _ = try LogisticRegression.fit(x, classes: [0, 1, 0], classCount: 2, alpha: 1) }.0 == .targetCountMismatch)
        #expect(code { _ = try LogisticRegression.fit(x, classes: [0, 0, 0, 0], classCount: 1, alpha: 1) }.0 == .invalidClassCount)
        #expect(code { _ = try LogisticRegression.fit(x, classes: [0, 1, 0, 1], classCount: 2, alpha: -1) }.0 == .invalidAlpha)
        #expect(code { _ = try LogisticRegression.fit(x, classes: [0, 1, 0, 1], classCount: 2, alpha: .nan) }.0 == .invalidAlpha)
        let nan = code { _ = try LogisticRegression.fit(FeatureMatrix(columns: [[1, 2, 3, 4], [0, .nan, 0, 1]]), classes: [0, 1, 0, 1], classCount: 2, alpha: 1) }
        #expect(nan.0 == .missingFeature && nan.1.contains("column 1") && nan.1.contains("row 1"))
        let inf = code { _ = try LogisticRegression.fit(FeatureMatrix(columns: [[1, 2, -.infinity, 4]]), classes: [0, 1, 0, 1], classCount: 2, alpha: 1) }
        #expect(inf.0 == .infiniteFeature && inf.1.contains("row 2"))
    }

    @Test func noFeaturesFitsTheClassFrequencies() throws {
        let x = FeatureMatrix(rows: 5, columns: 0, values: [])
        let model = try LogisticRegression.fit(x, classes: [0, 1, 1, 2, 2], classCount: 3, alpha: 0)
        let p = model.predictProbabilities(x)
        #expect(abs(p[0] - 0.2) < 1e-12 && abs(p[1] - 0.4) < 1e-12 && abs(p[2] - 0.4) < 1e-12)
    }

    @Test(arguments: [2, 4])
    func saveLoadPredictsIdentically(classes k: Int) throws {
        let (x, y) = Self.data(rows: 500, features: 3, classes: k, seed: 2)
        let model = try LogisticRegression.fit(x, classes: y, classCount: k, alpha: 0.01)
        var writer = BinaryWriter()
        model.encode(to: &writer)
        var reader = BinaryReader(writer.bytes)
        let loaded = try LogisticRegression.decode(from: &reader)
        #expect(loaded == model && reader.remaining == 0)
        #expect(loaded.predictProbabilities(x) == model.predictProbabilities(x))
        #expect(model.importance.count == 3 && model.coefficients(ofOutput: model.scoreCount - 1).count == 3)

        var truncated = BinaryReader(Array(writer.bytes.dropLast(3)))
        #expect(throws: ModelFileError.self) { _ = try LogisticRegression.decode(from: &truncated) }
        var newer = writer.bytes
        newer[0] = 3   // versions 1 (no feature means) and 2 (with them) are read
        var newerReader = BinaryReader(newer)
        #expect(throws: ModelFileError.self) { _ = try LogisticRegression.decode(from: &newerReader) }
    }

    /// Fit time on 1M × 28 binary, off by default (no timed assertions in tests): run with
    /// PLUMB_TIMING=1 in a release build to print the figures.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PLUMB_TIMING"] != nil), arguments: [2, 5])
    func millionRowsTiming(classes k: Int) throws {
        let (x, y) = Self.data(rows: 1_000_000, features: 28, classes: k, seed: 1)
        let clock = ContinuousClock()
        let start = clock.now
        let model = try LogisticRegression.fit(x, classes: y, classCount: k, alpha: 1e-4)
        let fit = clock.now - start
        let t0 = clock.now
        let p = model.predictProbabilities(x)
        print("LogisticRegression 1M × 28, \(k) classes: fit \(fit) (\(model.iterations) Newton steps), predict \(clock.now - t0), p[1] = \(p[1])")
    }

    func code(_ body: () throws -> Void) -> (LinearModelError.Code?, String) {
        do { try body(); return (nil, "") } catch let e as LinearModelError { return (e.code, e.message) } catch { return (nil, "\(error)") }
    }
}

/// Plain per-row twin of `LogisticObjective.evaluate`: objective, gradient and Hessian in the
/// same standardised parameterisation, with no blocking, BLAS or threads.
struct NaiveLogistic {
    var objective = 0.0
    var gradient: [Double]
    /// d × d column-major.
    var hessian: [Double]

    init(x: FeatureMatrix, y: [Int], classCount k: Int, alpha: Double, means: [Double], stds: [Double], theta: [Double]) {
        let p = x.columns, q = p + 1, m = k == 2 ? 1 : k, d = q * m, n = x.rows
        gradient = [Double](repeating: 0, count: d)
        hessian = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            let z = (0..<p).map { (x[i, $0] - means[$0]) / stds[$0] } + [1]
            let eta = (0..<m).map { c in (0..<q).reduce(0.0) { $0 + theta[c * q + $1] * z[$1] } }
            var prob: [Double], target: [Double]
            if m == 1 {
                prob = [1 / (1 + exp(-eta[0]))]
                target = [y[i] == 1 ? 1 : 0]
                objective += -log(y[i] == 1 ? prob[0] : 1 - prob[0])
            } else {
                let e = eta.map { exp($0) }
                let s = e.reduce(0, +)
                prob = e.map { $0 / s }
                target = (0..<m).map { $0 == y[i] ? 1 : 0 }
                objective += -log(prob[y[i]])
            }
            for c in 0..<m {
                for a in 0..<q { gradient[c * q + a] += (prob[c] - target[c]) * z[a] }
                for l in 0..<m {
                    let v = m == 1 ? prob[0] * (1 - prob[0]) : (c == l ? prob[c] * (1 - prob[c]) : -prob[c] * prob[l])
                    for a in 0..<q { for b in 0..<q { hessian[(l * q + b) * d + (c * q + a)] += v * z[a] * z[b] } }
                }
            }
        }
        objective /= Double(n)
        for i in 0..<d { gradient[i] /= Double(n) }
        for i in 0..<(d * d) { hessian[i] /= Double(n) }
        for c in 0..<m {
            for j in 0..<p {
                let w = theta[c * q + j] / stds[j]
                objective += alpha / 2 * w * w
                gradient[c * q + j] += alpha * w / stds[j]
                hessian[(c * q + j) * d + (c * q + j)] += alpha / (stds[j] * stds[j])
            }
        }
    }
}

/// Deterministic generator for the synthetic data.
struct Mix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x1234_5678 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        (-2 * log(1 - uniform())).squareRoot() * cos(2 * .pi * uniform())
    }
}
