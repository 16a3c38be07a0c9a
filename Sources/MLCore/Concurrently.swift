import Dispatch

/// Runs two independent pieces of work at the same time and returns both results; the first
/// error thrown, in argument order, is rethrown once both have finished.
public func concurrently<A, B>(_ a: () throws -> A, _ b: () throws -> B) throws -> (A, B) {
    var ra: Result<A, any Error>?, rb: Result<B, any Error>?
    withoutActuallyEscaping(a) { a in
    withoutActuallyEscaping(b) { b in
    withUnsafeMutablePointer(to: &ra) { pa in
    withUnsafeMutablePointer(to: &rb) { pb in
        let work = UncheckedBox((a, b, pa, pb))
        // Each iteration writes only its own slot; concurrentPerform returns after both.
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let (a, b, pa, pb) = work.value
            if k == 0 { pa.pointee = Result { try a() } } else { pb.pointee = Result { try b() } }
        }
    }}}}
    return (try ra!.get(), try rb!.get())
}

/// Carries non-Sendable values into `concurrentPerform`; the caller guarantees exclusive use.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
