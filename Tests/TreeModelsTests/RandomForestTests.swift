import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct RandomForestTests {
    static func params() -> ForestParameters {
        var p = ForestParameters()
        p.trees = 30; p.maxBins = 64; p.minSamplesLeaf = 3; p.featureSampling = .third; p.seed = 7
        return p
    }

    @Test func friedman1() throws {
        let (x, y) = TestData.friedman1(rows: 2000, seed: 3)
        let (xt, yt) = TestData.friedman1(rows: 500, seed: 4)
        let res = try RandomForest.fit(x, y, parameters: Self.params())
        let r2 = TestData.r2(yt, res.model.predict(xt))
        #expect(r2 > 0.7)
        let oob = try #require(res.oobR2)
        #expect(oob > 0.6 && abs(oob - r2) < 0.1)
        #expect(res.model.treeCount == 30)
        #expect(res.model.predict(xt) == res.model.predictReference(xt))
    }

    @Test func fullyGrownTreeFitsTrainingDataExactly() throws {
        let x = TestData.uniform(rows: 200, columns: 3, seed: 5)
        let y = (0..<200).map { i in x[i, 0] * 10 + x[i, 1] }
        var p = ForestParameters()
        p.trees = 1; p.bootstrap = false
        let m = try RandomForest.fit(x, y, parameters: p).model
        let pred = m.predict(x)
        for i in 0..<200 { #expect(abs(pred[i] - y[i]) < 1e-4) }   // Float32 gradients
    }

    @Test func deterministicAcrossThreadCounts() throws {
        let (x, y) = TestData.friedman1(rows: 600, seed: 8)
        var p = Self.params()
        p.trees = 5
        var bytes: [[UInt8]] = []
        for threads in [1, 2] {
            p.threads = threads
            let m = try RandomForest.fit(x, y, parameters: p).model
            var w = BinaryWriter()
            m.predictor.encode(to: &w)
            w.write(array: m.importanceGain)
            w.write(m.oobR2)
            bytes.append(w.bytes)
        }
        #expect(bytes[0] == bytes[1])
    }

    @Test func saveLoadAndDepthLimit() throws {
        let (x, y) = TestData.friedman1(rows: 500, seed: 9)
        var p = Self.params()
        p.trees = 4; p.maxDepth = 3; p.featureSampling = .sqrt
        let m = try RandomForest.fit(x, y, parameters: p).model
        #expect(m.predictor.feature.count <= 4 * 7)
        var w = BinaryWriter()
        m.encode(to: &w)
        var r = BinaryReader(w.bytes)
        let loaded = try RandomForest.decode(from: &r)
        #expect(loaded.predict(x) == m.predict(x))
        #expect(loaded.parameters == m.parameters && loaded.oobR2 == m.oobR2)
    }

    @Test func errorCases() {
        var p = ForestParameters()
        p.minSamplesSplit = 1
        #expect(throws: TreeModelsError.self) { try p.validate() }
        p = ForestParameters(); p.featureSampling = .fraction(0)
        #expect(throws: TreeModelsError.self) { try p.validate() }
        let x = TestData.uniform(rows: 10, columns: 2, seed: 1)
        #expect(throws: TreeModelsError.self) { try RandomForest.fit(x, [Double](repeating: 1, count: 10)) }
    }
}
