// Histogram GBM on Friedman #1 (5 informative + 15 noise features): fit on 200,000 rows
// (100 rounds, 31 leaves, LightGBM defaults otherwise) and batch prediction of 1,000,000 rows
// with a model fitted in setup.
import BenchSupport
import Benchmark
import Foundation
import MLCore
import TreeModels

func gbmParameters(rounds: Int) -> GBMParameters {
    var p = GBMParameters()
    p.rounds = rounds
    p.learningRate = 0.1
    p.maxLeaves = 31
    p.seed = 42
    return p
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("GBM fit Friedman 200k x 20, 100 rounds",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0,
                                   maxDuration: .seconds(30), maxIterations: 5)) { (benchmark: Benchmark, data: (x: FeatureMatrix, y: [Double])) in
        do {
            blackHole(try GradientBoostedTrees.fit(data.x, data.y, parameters: gbmParameters(rounds: 100)))
        } catch {
            benchmark.error("GBM fit failed: \(error)")
        }
    } setup: {
        BenchData.friedman(rows: 200_000, seed: 1)
    }

    Benchmark("GBM predict 1M rows (100 rounds)",
              configuration: .init(metrics: [.wallClock, .throughput], warmupIterations: 1, scalingFactor: .mega,
                                   maxDuration: .seconds(15), maxIterations: 10)) { (benchmark: Benchmark, state: (model: GradientBoostedTrees, x: FeatureMatrix)) in
        var out = [Double](repeating: 0, count: state.x.rows)
        out.withUnsafeMutableBufferPointer { state.model.predict(state.x, into: $0) }
        blackHole(out)
    } setup: {
        let train = BenchData.friedman(rows: 200_000, seed: 1)
        let model = try GradientBoostedTrees.fit(train.x, train.y, parameters: gbmParameters(rounds: 100)).model
        return (model: model, x: BenchData.friedman(rows: 1_000_000, seed: 2).x)
    }
}
