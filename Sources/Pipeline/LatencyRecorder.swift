import Histogram
#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock (`CLOCK_MONOTONIC`): what every `plumb bench` latency is
/// measured on. A plain syscall-free read (vDSO), no allocation.
@inline(__always)  // read around every timed call: keep it a couple of instructions
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Latencies of one benchmark case, in nanoseconds, kept in an HdrHistogram: three significant
/// digits (any percentile within 0.1 % of the exact one), 1 ns to `highest`, a fixed footprint
/// (recording allocates nothing), and histograms of several workers merge exactly.
public struct LatencyRecorder: Sendable {
    /// Latencies above this are recorded as this (one minute).
    public static let highest: UInt64 = 60_000_000_000
    public private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: LatencyRecorder.highest,
                                                          numberOfSignificantValueDigits: .three)

    public init() {}

    /// Records one latency (clamped to 1 ns … `highest`).
    @inline(__always)  // on the timed loop of every worker
    public mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(Swift.min(Swift.max(nanoseconds, 1), Self.highest))
    }

    /// Adds another worker's latencies.
    public mutating func merge(_ other: LatencyRecorder) { histogram.add(other.histogram) }

    public var count: Int { Int(histogram.totalCount) }

    /// The latency at `percentile` (0…100) in nanoseconds: HdrHistogram's value, the highest
    /// value equivalent to the recorded one at that rank (0 when nothing was recorded).
    public func nanoseconds(atPercentile percentile: Double) -> UInt64 {
        count == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }

    /// p50, p90, p99, p99.9, max and mean in microseconds.
    public var summary: LatencySummary {
        func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
        return LatencySummary(count: count, p50_us: us(nanoseconds(atPercentile: 50)), p90_us: us(nanoseconds(atPercentile: 90)),
                              p99_us: us(nanoseconds(atPercentile: 99)), p999_us: us(nanoseconds(atPercentile: 99.9)),
                              max_us: us(count == 0 ? 0 : histogram.maxRecorded), mean_us: count == 0 ? 0 : histogram.mean / 1000)
    }
}

/// The figures every `plumb bench` case reports about its latencies (microseconds).
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: Int
    public var p50_us, p90_us, p99_us, p999_us, max_us, mean_us: Double

    public init(count: Int, p50_us: Double, p90_us: Double, p99_us: Double, p999_us: Double, max_us: Double, mean_us: Double) {
        self.count = count
        (self.p50_us, self.p90_us, self.p99_us, self.p999_us, self.max_us, self.mean_us) = (p50_us, p90_us, p99_us, p999_us, max_us, mean_us)
    }
}
