/// Per-(feature, bin) sums for one node, Float64, as three planes of `totalBins` values indexed by
/// flat bin `k` (a feature's offset + its bin): Σ gradient, Σ hessian and row count.
///
/// With unit hessians the hessian sum is the row count, so `hessian` points at the count plane
/// and nothing fills it separately. A class so that the grower can pool and reuse the buffers.
public final class Histogram: @unchecked Sendable {   // owns raw memory; one grower thread writes it at a time
    public let totalBins: Int
    /// Whether `hessian` is the count plane (every hessian 1).
    public private(set) var unitHessians: Bool
    public let gradient: UnsafeMutablePointer<Double>
    public let count: UnsafeMutablePointer<Double>
    public private(set) var hessian: UnsafeMutablePointer<Double>
    private let hessianPlane: UnsafeMutablePointer<Double>

    /// A zeroed histogram.
    public init(totalBins: Int, unitHessians: Bool = false) {
        self.totalBins = totalBins
        let n = max(1, totalBins)
        gradient = .allocate(capacity: 3 * n)
        gradient.initialize(repeating: 0, count: 3 * n)
        count = gradient + n
        hessianPlane = gradient + 2 * n
        self.unitHessians = unitHessians
        hessian = unitHessians ? count : hessianPlane
    }

    deinit { gradient.deallocate() }

    /// Switches between unit hessians (the count plane serves) and a plane of its own.
    public func setUnitHessians(_ unit: Bool) {
        unitHessians = unit
        hessian = unit ? count : hessianPlane
    }

    /// Sets every sum to zero.
    public func clear() {
        gradient.update(repeating: 0, count: 3 * max(1, totalBins))
    }

    /// Copies another histogram's sums (same size, same hessian mode).
    public func copy(from other: Histogram) {
        precondition(other.totalBins == totalBins)
        setUnitHessians(other.unitHessians)
        gradient.update(from: other.gradient, count: 3 * max(1, totalBins))
    }

    /// `self −= other` over flat bins `bins` only (one feature's range): turns a parent's sums
    /// into the sibling's.
    @inlinable public func subtract(_ other: Histogram, bins: Range<Int>) {
        let lo = bins.lowerBound, n = bins.count
        Self.subtract(gradient + lo, other.gradient + lo, n)
        Self.subtract(count + lo, other.count + lo, n)
        if !unitHessians { Self.subtract(hessian + lo, other.hessian + lo, n) }
    }

    /// `self −= other` over every bin.
    public func subtract(_ other: Histogram) {
        precondition(other.totalBins == totalBins && other.unitHessians == unitHessians)
        subtract(other, bins: 0..<totalBins)
    }

    @inlinable static func subtract(_ d: UnsafeMutablePointer<Double>, _ o: UnsafePointer<Double>, _ n: Int) {
        for i in 0..<n { d[i] -= o[i] }
    }

    /// The sums as (Σg, Σh, count) triples in flat-bin order, for comparisons in tests.
    public var triples: [Double] {
        (0..<totalBins).flatMap { [gradient[$0], hessian[$0], count[$0]] }
    }
}
