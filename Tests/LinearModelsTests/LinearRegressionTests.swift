import Foundation
import Testing
import LinearAlgebra
import LinearModels
import MLCore

@Suite struct LinearRegressionTests {
    static let data = Reference.dataset(rows: 2_000, seed: 42)

    @Test(arguments: [LeastSquaresMethod.qr, .normalEquations, .svd])
    func matchesNaiveNormalEquations(method: LeastSquaresMethod) throws {
        let (x, y, trueBeta) = Self.data
        let model = try LinearRegression.fit(x, y, method: method)
        let ref = Reference.fit(x, y)
        #expect(model.method == method)
        #expect(model.rank == 8)
        #expect(relativeError(model.coefficients, ref.beta) < 1e-8)
        #expect(abs(model.intercept - ref.intercept) < 1e-8 * max(1, abs(ref.intercept)))
        let r2 = Reference.r2(y, model.predict(x))
        let refR2 = Reference.r2(y, Reference.predict(x, intercept: ref.intercept, beta: ref.beta))
        #expect(abs(r2 - refR2) < 1e-10)
        #expect(r2 > 0.99)
        // Sanity: near the generating β (column 2 has std ≈ 0.05, so its β has standard error ≈ 0.12).
        #expect(relativeError(model.coefficients, trueBeta) < 0.05)
    }

    @Test func predictMatchesNaiveAndPropagatesNaN() throws {
        let model = LinearRegression(coefficients: [2, -1, 0.5], intercept: 3, featureStds: [1, 1, 1], method: .qr, rank: 3)
        let x = FeatureMatrix(columns: [[1, 0, 2, .nan], [4, 1, 0, 1], [-2, 8, 1, 1]])
        let got = model.predict(x)
        // Row i: 3 + 2·x0 − x1 + 0.5·x2.
        let expected: [Double] = [0, 6, 7.5]
        #expect(Array(got[0..<3]) == expected)
        #expect(got[3].isNaN)
        let empty = model.predict(FeatureMatrix(rows: 0, columns: 3, values: []))
        #expect(empty.isEmpty)
    }

    @Test func featureImportanceIsAbsCoefficientTimesStd() throws {
        let (x, y, _) = Self.data
        let model = try LinearRegression.fit(x, y)
        let importance = try #require(model.featureImportance)
        for j in 0..<x.columns {
            let col = Array(x.column(j))
            let mean = col.reduce(0, +) / Double(col.count)
            let std = (col.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(col.count)).squareRoot()
            #expect(abs(importance[j] - abs(model.coefficients[j]) * std) <= 1e-10 * importance[j])
        }
    }

    @Test func constantColumnGetsZeroCoefficientViaSVD() throws {
        let x = FeatureMatrix(columns: [[1, 2, 3, 4, 5], [7, 7, 7, 7, 7]])
        let y: [Double] = [3, 5, 7, 9, 11]   // y = 1 + 2·x0
        let model = try LinearRegression.fit(x, y)
        #expect(model.method == .svd && model.rank == 1)
        #expect(abs(model.coefficients[0] - 2) < 1e-12 && abs(model.coefficients[1]) < 1e-12)
        #expect(abs(model.intercept - 1) < 1e-12)
    }

    @Test func saveLoadPredictIsBitIdentical() throws {
        let (x, y, _) = Self.data
        let model = try LinearRegression.fit(x, y)
        var writer = BinaryWriter()
        model.encode(to: &writer)
        var reader = BinaryReader(writer.bytes)
        let loaded = try LinearRegression.decode(from: &reader)
        #expect(reader.remaining == 0)
        #expect(loaded == model)
        let a = model.predict(x), b = loaded.predict(x)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))

        var bad = writer.bytes
        bad[0] = 9
        var badReader = BinaryReader(bad)
        #expect { _ = try LinearRegression.decode(from: &badReader) } throws: { ($0 as? ModelFileError)?.code == .newerFormat }
        var short = BinaryReader(Array(writer.bytes.dropLast(3)))
        #expect(throws: ModelFileError.self) { _ = try LinearRegression.decode(from: &short) }
    }
}

@Suite struct ValidationTests {
    static let x = FeatureMatrix(columns: [[1, 2, 3, 4], [0, 1, 0, 1]])

    func code(_ body: () throws -> Void) -> (LinearModelError.Code?, String) {
        do { try body(); return (nil, "") } catch let e as LinearModelError { return (e.code, e.message) } catch { return (nil, "\(error)") }
    }

    @Test func tooFewRows() {
        let (c, m) = code { _ = try LinearRegression.fit(FeatureMatrix(columns: [[1]]), [2]) }
        #expect(c == .tooFewRows && m.contains("at least 2") && m.contains("got 1"))
    }

    @Test func targetCountMismatch() {
        let (c, m) = code { _ = try RidgeRegression.fit(Self.x, [1, 2, 3]) }
        #expect(c == .targetCountMismatch && m.contains("3 values") && m.contains("4 rows"))
    }

    @Test func nonFiniteTargetNamesRows() {
        let x = FeatureMatrix(columns: [(0..<12).map(Double.init)])
        var y = (0..<12).map(Double.init)
        for i in [1, 3, 5, 7, 9, 10, 11] { y[i] = i % 2 == 0 ? .infinity : .nan }
        let (c, m) = code { _ = try LinearRegression.fit(x, y) }
        #expect(c == .nonFiniteTarget)
        #expect(m.contains("rows 1, 3, 5, 7, 9 and 2 more"), "\(m)")
        let (c1, m1) = code { _ = try LinearRegression.fit(Self.x, [1, .nan, 2, 3]) }
        #expect(c1 == .nonFiniteTarget && m1.contains("row 1 (0-based)"), "\(m1)")
    }

    @Test func missingFeatureNamesColumnAndFirstRow() {
        var cols: [[Double]] = [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 0, 1, 0, 1, 0, 1]]
        cols[2][5] = .nan
        cols[2][7] = .nan
        let (c, m) = code { _ = try LinearRegression.fit(FeatureMatrix(columns: cols), [Double](repeating: 1, count: 8)) }
        #expect(c == .missingFeature && m.contains("column 2") && m.contains("row 5") && m.contains("first of 2"), "\(m)")
        cols[2][5] = -.infinity
        cols[2][7] = 0
        let (c2, m2) = code { _ = try RidgeRegression.fit(FeatureMatrix(columns: cols), [Double](repeating: 1, count: 8)) }
        #expect(c2 == .infiniteFeature && m2.contains("column 2") && m2.contains("row 5"), "\(m2)")
    }

    @Test func negativeAlpha() {
        let (c, m) = code { _ = try RidgeRegression.fit(Self.x, [1, 2, 3, 4], alpha: -0.5) }
        #expect(c == .invalidAlpha && m.contains("-0.5"))
        let (c2, _) = code { _ = try RidgeRegression.fit(Self.x, [1, 2, 3, 4], alpha: .nan) }
        #expect(c2 == .invalidAlpha)
    }
}
