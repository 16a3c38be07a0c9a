import Testing
import LinearAlgebra
import LinearModels
import MLCore

@Suite struct RidgeRegressionTests {
    @Test(arguments: [0.0, 0.3, 25.0, 1e4])
    func matchesNaiveClosedForm(alpha: Double) throws {
        let (x, y, _) = LinearRegressionTests.data
        let model = try RidgeRegression.fit(x, y, alpha: alpha)
        let ref = Reference.fit(x, y, alpha: alpha)
        #expect(model.method == .normalEquations && model.alpha == alpha)
        #expect(relativeError(model.coefficients, ref.beta) < 1e-8)
        #expect(abs(model.intercept - ref.intercept) < 1e-8 * max(1, abs(ref.intercept)))
        let r2 = Reference.r2(y, model.predict(x))
        let refR2 = Reference.r2(y, Reference.predict(x, intercept: ref.intercept, beta: ref.beta))
        #expect(abs(r2 - refR2) < 1e-10)
    }

    @Test func penaltyShrinksCoefficients() throws {
        let (x, y, _) = LinearRegressionTests.data
        let norms = try [0.0, 10, 1_000, 100_000].map { alpha in
            try RidgeRegression.fit(x, y, alpha: alpha).coefficients.reduce(0.0) { $0 + $1 * $1 }
        }
        #expect(norms == norms.sorted(by: >))
    }

    @Test func saveLoadPredictIsBitIdentical() throws {
        let (x, y, _) = LinearRegressionTests.data
        let model = try RidgeRegression.fit(x, y, alpha: 2)
        var writer = BinaryWriter()
        model.encode(to: &writer)
        var reader = BinaryReader(writer.bytes)
        let loaded = try RidgeRegression.decode(from: &reader)
        #expect(loaded == model && reader.remaining == 0)
        #expect(model.predict(x).map(\.bitPattern) == loaded.predict(x).map(\.bitPattern))
        #expect(RidgeRegression.kind == "ridge" && LinearRegression.kind == "linear")
    }
}
