import Dispatch

/// Data-parallel loops over Dispatch's worker pool (one thread per core), with results in index
/// order so that what a caller computes never depends on scheduling.
enum Parallel {
    /// `[body(0), …, body(count - 1)]`, the calls spread over the cores.
    static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        if count <= 1 { return count == 1 ? [body(0)] : [] }
        let slots = Slots<T>(count)
        DispatchQueue.concurrentPerform(iterations: count) { i in slots.put(i, body(i)) }
        return slots.collect()
    }

    /// One result cell per iteration. `@unchecked Sendable`: it owns raw memory in which each
    /// iteration writes only its own cell, and `collect()` reads them after the loop has joined.
    private final class Slots<T>: @unchecked Sendable {
        private let cells: UnsafeMutableBufferPointer<T?>

        init(_ count: Int) {
            cells = .allocate(capacity: count)
            cells.initialize(repeating: nil)
        }

        func put(_ i: Int, _ value: T) { cells[i] = value }

        func collect() -> [T] {
            let values = cells.compactMap { $0 }
            precondition(values.count == cells.count, "Parallel.map: an iteration produced no result")
            return values
        }

        deinit {
            cells.deinitialize()
            cells.deallocate()
        }
    }
}
