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
///
/// Each case pins two hashes: the model file's payload, and the same payload written without the
/// per-node covers. Covers (payload versions 3 and 4, for TreeSHAP) changed every file hash on
/// 2026-12-06 while the trees stayed the same: the cover-free hashes are the pins from before,
/// unchanged, which shows no learned value moved.
@Suite struct ModelBytesPinTests {
    /// Friedman #1 (10 features) with every 13th value of feature f missing at rows i ≡ f (mod 13),
    /// and an 11th, categorical column of codes 0...7 (every 29th missing).
    static func data(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        let (x0, y) = TestData.friedman1(rows: rows, seed: seed)
        var cols = (0..<x0.columns).map { f in (0..<rows).map { i in i % 13 == f ? Double.nan : x0[i, f] } }
        cols.append((0..<rows).map { i in i % 29 == 0 ? .nan : Double(Int(x0[i, 1] * 8)) })
        return (FeatureMatrix(columns: cols), y)
    }

    /// The payload's hash, and the hash of the payload without covers (the format before them).
    static func bytes(of model: GradientBoostedTrees) -> Pin {
        var w = BinaryWriter(), old = BinaryWriter()
        model.encode(to: &w)
        #expect(w.bytes[0] >= GradientBoostedTrees.regressionWithCoverFormat, "a fitted ensemble is written with covers")
        GradientBoostedTrees(parameters: model.parameters, featureCount: model.featureCount, classCount: model.classCount,
                             bestIteration: model.bestIteration, predictors: model.predictors.map(withoutCovers),
                             importanceGain: model.importanceGain, importanceSplits: model.importanceSplits).encode(to: &old)
        return Pin(file: SHA256.hex(w.bytes), withoutCovers: SHA256.hex(old.bytes))
    }

    static func bytes(of model: RandomForest) -> Pin {
        var w = BinaryWriter(), old = BinaryWriter()
        model.encode(to: &w)
        #expect(w.bytes[0] >= RandomForest.regressionWithCoverFormat, "a fitted forest is written with covers")
        RandomForest(parameters: model.parameters, featureCount: model.featureCount, classCount: model.classCount,
                     predictor: withoutCovers(model.predictor), importanceGain: model.importanceGain,
                     importanceSplits: model.importanceSplits, oobR2: model.oobR2).encode(to: &old)
        return Pin(file: SHA256.hex(w.bytes), withoutCovers: SHA256.hex(old.bytes))
    }

    struct Pin: Equatable, CustomStringConvertible {
        var file: String
        var withoutCovers: String
        var description: String { "file \(file), without covers \(withoutCovers)" }
    }

    static func withoutCovers(_ p: TreePredictor) -> TreePredictor {
        var q = p
        q.nodeCover = []; q.leafCover = []
        return q
    }

    static func gbm(rows: Int, _ configure: (inout GBMParameters) -> Void) throws -> Pin {
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
        #expect(hash == (threads == 1
            ? Pin(file: "2259089821a75a37820cdb444eb8e688f7755456b60aa6b18812d8487ee17711",
                  withoutCovers: "6830501dc1ad5ddc8af2ae875b6565315b33f1aafc9ae8c2e92e1f3ab17eca65")
            : Pin(file: "1957eaf711393a9892e210afda665ead81ada5fc718bcc43a343058184fb8c44",
                  withoutCovers: "88500a1af8d59670f33cd26be2717acafdf9a3d87199688245d9933c5dc704ca")))
    }

    @Test func gbmLargePartitionSplitByThreads() throws {
        let hash = try Self.gbm(rows: 70_000) { p in p.rounds = 6; p.maxLeaves = 15; p.maxBins = 63 }
        #expect(hash == Pin(file: "9a4037dd6c6e9e1810c0e762237310db58d7eda222a426b2350984f3ec2a9715",
                            withoutCovers: "817e31de3a114ef8379cca83adc271a8865f58c3c8bbe1d9bf57dbb66045a0e5"))
    }

    @Test func gbmBaggingAndFeatureSamplingHuber() throws {
        let hash = try Self.gbm(rows: 3000) { p in
            p.rounds = 30; p.subsample = 0.7; p.featureFraction = 0.6; p.loss = .huber(delta: 1.5); p.lambdaL2 = 1
        }
        #expect(hash == Pin(file: "3db2ddce9647e981efaf6ec3da4875640e0536668b46717cad92a76fa428cdde",
                            withoutCovers: "1384dd73d6b20660a15f8e6f3e453d744e3be5f867fee6fd50d44fa87fd83a63"))
    }

    @Test func gbmQuantileWithDepthLimit() throws {
        let hash = try Self.gbm(rows: 3000) { p in
            p.rounds = 25; p.loss = .quantile(alpha: 0.8); p.maxDepth = 4; p.minDataInLeaf = 10
        }
        #expect(hash == Pin(file: "89a470859fc5eeaec89b705a487167033d525a336edbb8252e8f94435f7d91f3",
                            withoutCovers: "f811dce4fcf439a7ac6a50f722b9638889d0a7d8b04804d2cda31dc767758498"))
    }

    @Test(arguments: [1, 2])
    func forestBootstrapSqrtFeatures(threads: Int) throws {
        let (x, y) = Self.data(rows: 2500, seed: 72)
        var p = ForestParameters()
        p.trees = 12; p.maxDepth = 10; p.minSamplesSplit = 5; p.featureSampling = .sqrt
        p.categoricalFeatures = [10]; p.seed = 3; p.threads = threads
        let hash = Self.bytes(of: try RandomForest.fit(x, y, parameters: p).model)
        #expect(hash == (threads == 1
            ? Pin(file: "639b1c7181142f71ba0bbb94059bb499e5d090ba7dc98ed2bbe42dcb29435a19",
                  withoutCovers: "6c7962ba0ed6de170184a73afe38f946891a7440aa12311d7ed2a692345447f7")
            : Pin(file: "0051ad799380a14d162abf300ffda3cbff4c880cb1e1babdaede08e7f0dc7064",
                  withoutCovers: "d3978d93f523960d1237ff03b8d8da7fbcd8bd17384cab5de401342e9d75ffa9")))
    }
}
