import Foundation
import Pipeline
import Tabular
import Testing

/// `LatencyRecorder` (HdrHistogram, 3 significant digits) against a naive twin: sort every
/// latency and take the nearest-rank percentile.
@Suite struct LatencyRecorderTests {
    /// The smallest recorded value with at least `p` % of the values at or below it.
    static func naivePercentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[min(sorted.count, rank) - 1]
    }

    /// Log-uniform latencies from 200 ns to 50 ms, with a few 2 s stalls.
    static func latencies(_ n: Int, seed: UInt64) -> [UInt64] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { i in
            i % 997 == 0 ? 2_000_000_000 + UInt64(i) : UInt64(200 * pow(250_000, Double.random(in: 0..<1, using: &g)))
        }
    }

    @Test(arguments: [1, 7, 1000, 20_000])
    func percentilesMatchTheSortedArrayWithinThePrecision(_ n: Int) {
        let values = Self.latencies(n, seed: UInt64(n))
        var recorder = LatencyRecorder()
        for v in values { recorder.record(nanoseconds: v) }
        let sorted = values.sorted()
        #expect(recorder.count == n)
        for p in [50.0, 90, 99, 99.9] {
            let exact = Self.naivePercentile(sorted, p), hdr = recorder.nanoseconds(atPercentile: p)
            // HdrHistogram reports the top of the exact value's bucket: never below it, at most
            // one part in 1024 above (3 significant digits).
            #expect(hdr >= exact && hdr <= exact + exact / 1024 + 1, "p\(p) of \(n): hdr \(hdr), exact \(exact)")
        }
        let s = recorder.summary
        #expect(s.max_us == Double(sorted.last!) / 1000)
        let mean = Double(values.reduce(0, +)) / Double(n) / 1000
        #expect(abs(s.mean_us - mean) <= mean / 1000)
    }

    @Test func mergingWorkersEqualsRecordingEverythingInOne() {
        let a = Self.latencies(3000, seed: 1), b = Self.latencies(5000, seed: 2)
        var one = LatencyRecorder(), left = LatencyRecorder(), right = LatencyRecorder()
        for v in a + b { one.record(nanoseconds: v) }
        for v in a { left.record(nanoseconds: v) }
        for v in b { right.record(nanoseconds: v) }
        left.merge(right)
        #expect(left.summary == one.summary)
        #expect(left.count == 8000)
    }

    @Test func emptyAndOutOfRangeValues() {
        var r = LatencyRecorder()
        #expect(r.summary == LatencySummary(count: 0, p50_us: 0, p90_us: 0, p99_us: 0, p999_us: 0, max_us: 0, mean_us: 0))
        r.record(nanoseconds: 0)                          // clamped up to 1 ns
        r.record(nanoseconds: LatencyRecorder.highest * 2) // clamped down to one minute
        #expect(r.count == 2)
        #expect(r.summary.max_us == Double(LatencyRecorder.highest) / 1000)
        #expect(r.nanoseconds(atPercentile: 50) == 1)
    }
}

