import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct SplitterTests {
    /// Brute force on raw values: every threshold between distinct values, missing both ways.
    func bruteForce(_ x: FeatureMatrix, _ g: [Double], lambda: Double, minData: Int) -> (gain: Double, feature: Int, threshold: Double, defaultLeft: Bool)? {
        let n = x.rows
        let G = g.reduce(0, +), H = Double(n)
        func s(_ a: Double, _ b: Double) -> Double { a * a / (b + lambda) }
        var best: (gain: Double, feature: Int, threshold: Double, defaultLeft: Bool)? = nil
        for f in 0..<x.columns {
            let distinct = Array(Set((0..<n).map { x[$0, f] }.filter { !$0.isNaN })).sorted()
            var cands = zip(distinct, distinct.dropFirst()).map { ($0 + $1) / 2 }
            cands.append(.infinity)
            for t in cands {
                for dl in [false, true] {
                    var gl = 0.0, cl = 0
                    for i in 0..<n {
                        let v = x[i, f]
                        if v.isNaN ? dl : v <= t { gl += g[i]; cl += 1 }
                    }
                    guard cl >= minData, n - cl >= minData else { continue }
                    let gain = s(gl, Double(cl)) + s(G - gl, H - Double(cl)) - s(G, H)
                    if gain > (best?.gain ?? 1e-9) { best = (gain, f, t, dl) }
                }
            }
        }
        return best
    }

    @Test(arguments: [(0.0, 1), (1.0, 5), (10.0, 20)])
    func matchesBruteForce(lambda: Double, minData: Int) throws {
        for seed in UInt64(0)..<4 {
            // Few distinct values per feature so bins are exact.
            var rng = SeededGenerator(seed: seed)
            let n = 200
            let cols = (0..<3).map { _ in (0..<n).map { _ in rng.unit() < 0.1 ? Double.nan : Double(rng.below(30)) } }
            let x = FeatureMatrix(columns: cols)
            let g = (0..<n).map { i in (cols[0][i].isNaN ? 2 : 0) + sin(cols[1][i].isNaN ? 1 : cols[1][i]) + rng.unit() - 0.5 }
            let binned = try BinnedMatrix(x, maxBins: 255)
            let hist = HistogramBuilder(binned: binned, threads: 1).buildReference(rows: Array(0..<Int32(n)), gradients: g.map { Float($0) }, hessians: nil)
            let gf = g.map { Double(Float($0)) }
            let splitter = Splitter(lambdaL2: lambda, minDataInLeaf: minData, minSumHessianInLeaf: 0, minGainToSplit: 0)
            let split = splitter.findBestSplit(hist: hist, binned: binned, features: [0, 1, 2], totals: (gf.reduce(0, +), Double(n), Double(n)))
            let brute = bruteForce(x, gf, lambda: lambda, minData: minData)
            #expect((split == nil) == (brute == nil))
            guard let split, let brute else { continue }
            #expect(abs(split.gain - brute.gain) <= 1e-9 * max(1, brute.gain))
            #expect(split.feature == brute.feature)
            let t = binned.mappers[split.feature].upperBounds[split.thresholdBin]
            // The same partition: thresholds equal, or equivalent when no missing value moves.
            #expect(t == brute.threshold)
            #expect(split.leftCount + split.rightCount == Double(n))
        }
    }

    @Test func respectsMinDataAndMinGain() throws {
        let x = FeatureMatrix(columns: [[1, 2, 3, 4, 5, 6, 7, 8]])
        let g: [Float] = [-1, -1, -1, -1, 1, 1, 1, 1]
        let binned = try BinnedMatrix(x, maxBins: 255)
        let hist = HistogramBuilder(binned: binned, threads: 1).buildReference(rows: Array(0..<8), gradients: g, hessians: nil)
        var sp = Splitter(lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: 0)
        let s = sp.findBestSplit(hist: hist, binned: binned, features: [0], totals: (0, 8, 8))
        #expect(s?.thresholdBin == 3 && s?.gain == 8)   // 4²/4 + 4²/4 − 0
        sp.minDataInLeaf = 5
        #expect(sp.findBestSplit(hist: hist, binned: binned, features: [0], totals: (0, 8, 8)) == nil)
        sp.minDataInLeaf = 1; sp.minGainToSplit = 8
        #expect(sp.findBestSplit(hist: hist, binned: binned, features: [0], totals: (0, 8, 8)) == nil)
    }

    @Test func categoricalSplitGroupsLevels() throws {
        // Levels 0, 2, 4 have positive gradients, 1, 3 negative: the best split separates them.
        var codes: [Double] = [], g: [Float] = []
        for i in 0..<100 { let c = i % 5; codes.append(Double(c)); g.append(c % 2 == 0 ? 1 : -1) }
        let binned = try BinnedMatrix(FeatureMatrix(columns: [codes]), maxBins: 255, categorical: [0])
        let hist = HistogramBuilder(binned: binned, threads: 1).buildReference(rows: Array(0..<100), gradients: g, hessians: nil)
        let sp = Splitter(lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: 0)
        let s = try #require(sp.findBestSplit(hist: hist, binned: binned, features: [0], totals: (20, 100, 100)))
        #expect(s.isCategorical)
        #expect(Set(s.leftCategoryBins) == [1, 3] || Set(s.leftCategoryBins) == [0, 2, 4])
    }

    /// The vectorised dense scan (both builds) finds exactly the reference scan's split on random
    /// histograms: empty bins holding gradient residues (as derived histograms do), ties, the
    /// missing bin empty or not, hessians or unit hessians, every constraint binding somewhere.
    @Test(arguments: [KernelVariant.portable, .avx2])
    func denseScanEqualsReferenceScan(kernel: KernelVariant) throws {
        var rng = SeededGenerator(seed: 91)
        var checked = 0, found = 0
        for trial in 0..<3000 {
            let nv = 1 + rng.below(255)
            let unit = trial % 2 == 0
            let x = FeatureMatrix(columns: [(0..<nv).map(Double.init)])
            var binned = try BinnedMatrix(x, maxBins: 255)
            if binned.mappers[0].valueBinCount != nv { continue }
            let hist = Histogram(totalBins: binned.totalBins, unitHessians: unit)
            let ties = trial % 5 == 0
            for b in 0...nv {
                let empty = rng.below(4) == 0 || (b == nv && trial % 3 == 0)
                let count = empty ? 0 : Double(1 + rng.below(ties ? 2 : 40))
                hist.count[b] = count
                // A residue of rounding in an empty bin, or whole (tie-prone) gradients.
                hist.gradient[b] = empty ? (rng.below(3) == 0 ? 1e-17 * Double(rng.below(5)) : 0)
                                         : (ties ? Double(rng.below(3)) - 1 : (rng.unit() - 0.5) * count)
                if !unit { hist.hessian[b] = empty ? 0 : count * (0.05 + rng.unit()) }
            }
            var tg = 0.0, th = 0.0, tc = 0.0
            for b in 0...nv where hist.count[b] != 0 { tg += hist.gradient[b]; th += hist.hessian[b]; tc += hist.count[b] }
            var splitter = Splitter(lambdaL2: [0, 1, 10][trial % 3], minDataInLeaf: [1, 5, 30][(trial / 3) % 3],
                                    minSumHessianInLeaf: [0, 1e-3, 4][(trial / 9) % 3], minGainToSplit: [0, 0.5][(trial / 27) % 2])
            splitter.scanKernel = kernel
            binned.mappers[0].isAllMissing = false
            let fast = splitter.bestSplit(feature: 0, hist: hist, binned: binned, totals: (tg, th, tc))
            let reference = splitter.bestSplitReference(feature: 0, hist: hist, binned: binned, totals: (tg, th, tc))
            #expect(fast == reference, "trial \(trial): nv \(nv)")
            checked += 1
            if reference != nil { found += 1 }
        }
        #expect(checked > 2500 && found > 1000)
    }
}
