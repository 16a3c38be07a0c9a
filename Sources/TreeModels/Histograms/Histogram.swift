/// Per-(feature, bin) sums for one node: gradient, hessian and row count, all Float64.
///
/// Flat layout: bin `k` of the whole matrix (feature offset + bin) holds
/// `data[3k] = Σ gradient`, `data[3k+1] = Σ hessian`, `data[3k+2] = count`.
/// A class so that the grower can pool and reuse the buffers without copies.
public final class Histogram: @unchecked Sendable {
    public let totalBins: Int
    public var data: [Double]

    public init(totalBins: Int) {
        self.totalBins = totalBins
        data = [Double](repeating: 0, count: totalBins * 3)
    }

    @inlinable public func gradient(_ k: Int) -> Double { data[3 * k] }
    @inlinable public func hessian(_ k: Int) -> Double { data[3 * k + 1] }
    @inlinable public func count(_ k: Int) -> Double { data[3 * k + 2] }

    /// Sets every sum to zero.
    public func clear() {
        data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// `self = self − other` over flat bins `bins` only (one feature's range).
    @inlinable public static func subtract(_ d: UnsafeMutablePointer<Double>, _ o: UnsafePointer<Double>, bins: Range<Int>) {
        for i in (3 * bins.lowerBound)..<(3 * bins.upperBound) { d[i] -= o[i] }
    }

    /// `self = self − other` elementwise: turns a parent's histogram into the sibling's.
    public func subtract(_ other: Histogram) {
        precondition(other.totalBins == totalBins)
        let n = data.count
        data.withUnsafeMutableBufferPointer { d in
            other.data.withUnsafeBufferPointer { o in
                for i in 0..<n { d[i] -= o[i] }
            }
        }
    }
}
