import Dispatch

/// Runs `body(i)` for every `i` in `0..<iterations` on Dispatch's worker threads and returns once
/// all have finished — `DispatchQueue.concurrentPerform` for a body that is not `Sendable`.
///
/// Dispatch asks for a `@Sendable` body although it never keeps it past the call; the parallel
/// loops of the CSV reader, drift analysis and linear models capture buffer pointers and write
/// disjoint slots, which the compiler cannot check. The caller guarantees that iterations touch
/// disjoint state (or only read shared state).
public func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        // Unavoidable: no Sendable type expresses "called concurrently, never outlives this call".
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
    }
}
