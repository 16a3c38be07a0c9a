import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

/// The exact bytes of models fitted on generated data, pinned by SHA-256. A change to the grower,
/// the histograms, the splitter or the partition that is meant to be a pure refactor must leave
/// every one of these unchanged; a change that alters what is learned must say so and update them.
///
/// The cases cover the grower's paths: carried root and dense histograms (squared loss on every
/// row), small nodes searched straight from their rows, a partition split by several threads
/// (> 65,536 rows), bagging and feature sampling (no carried root), categorical splits, missing
/// values, quantile leaf refits, depth limits, and the forest's bootstrap with distinct-row counts
/// and per-split feature sampling.
@Suite struct ModelBytesPinTests {
    /// Friedman #1 (10 features) with every 13th value of feature f missing at rows i ≡ f (mod 13),
    /// and an 11th, categorical column of codes 0...7 (every 29th missing).
    static func data(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        let (x0, y) = TestData.friedman1(rows: rows, seed: seed)
        var cols = (0..<x0.columns).map { f in (0..<rows).map { i in i % 13 == f ? Double.nan : x0[i, f] } }
        cols.append((0..<rows).map { i in i % 29 == 0 ? .nan : Double(Int(x0[i, 1] * 8)) })
        return (FeatureMatrix(columns: cols), y)
    }

    static func bytes(of model: GradientBoostedTrees) -> String {
        var w = BinaryWriter()
        model.encode(to: &w)
        return SHA256.hex(w.bytes)
    }

    static func bytes(of model: RandomForest) -> String {
        var w = BinaryWriter()
        model.encode(to: &w)
        return SHA256.hex(w.bytes)
    }

    static func gbm(rows: Int, _ configure: (inout GBMParameters) -> Void) throws -> String {
        let (x, y) = data(rows: rows, seed: 71)
        var p = GBMParameters()
        p.categoricalFeatures = [10]
        configure(&p)
        return bytes(of: try GradientBoostedTrees.fit(x, y, parameters: p).model)
    }

    @Test(arguments: [1, 2])
    func gbmSquaredLossCarriedRoot(threads: Int) throws {
        let hash = try Self.gbm(rows: 4000) { p in p.rounds = 40; p.learningRate = 0.1; p.maxLeaves = 31; p.threads = threads }
        // The parameters, thread count included, are part of the model file.
        #expect(hash == (threads == 1 ? "6830501dc1ad5ddc8af2ae875b6565315b33f1aafc9ae8c2e92e1f3ab17eca65"
                                      : "88500a1af8d59670f33cd26be2717acafdf9a3d87199688245d9933c5dc704ca"))
    }

    @Test func gbmLargePartitionSplitByThreads() throws {
        let hash = try Self.gbm(rows: 70_000) { p in p.rounds = 6; p.maxLeaves = 15; p.maxBins = 63 }
        #expect(hash == "817e31de3a114ef8379cca83adc271a8865f58c3c8bbe1d9bf57dbb66045a0e5")
    }

    @Test func gbmBaggingAndFeatureSamplingHuber() throws {
        let hash = try Self.gbm(rows: 3000) { p in
            p.rounds = 30; p.subsample = 0.7; p.featureFraction = 0.6; p.loss = .huber(delta: 1.5); p.lambdaL2 = 1
        }
        #expect(hash == "1384dd73d6b20660a15f8e6f3e453d744e3be5f867fee6fd50d44fa87fd83a63")
    }

    @Test func gbmQuantileWithDepthLimit() throws {
        let hash = try Self.gbm(rows: 3000) { p in
            p.rounds = 25; p.loss = .quantile(alpha: 0.8); p.maxDepth = 4; p.minDataInLeaf = 10
        }
        #expect(hash == "f811dce4fcf439a7ac6a50f722b9638889d0a7d8b04804d2cda31dc767758498")
    }

    @Test(arguments: [1, 2])
    func forestBootstrapSqrtFeatures(threads: Int) throws {
        let (x, y) = Self.data(rows: 2500, seed: 72)
        var p = ForestParameters()
        p.trees = 12; p.maxDepth = 10; p.minSamplesSplit = 5; p.featureSampling = .sqrt
        p.categoricalFeatures = [10]; p.seed = 3; p.threads = threads
        let hash = Self.bytes(of: try RandomForest.fit(x, y, parameters: p).model)
        #expect(hash == (threads == 1 ? "6c7962ba0ed6de170184a73afe38f946891a7440aa12311d7ed2a692345447f7" : "d3978d93f523960d1237ff03b8d8da7fbcd8bd17384cab5de401342e9d75ffa9"))
    }
}
