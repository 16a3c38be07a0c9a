import Dispatch

/// Runs two independent pieces of work at the same time and returns both results; the first
/// error thrown, in argument order, is rethrown once both have finished.
///
/// `a` runs on the calling thread and `b` on a Dispatch worker. (Not `concurrentPerform`: a
/// `concurrentPerform` nested inside one runs serially, and the work handed in here is often
/// itself parallel — scoring a batch of rows over both cores.)
public func concurrently<A, B>(_ a: () throws -> A, _ b: () throws -> B) throws -> (A, B) {
    var rb: Result<B, any Error>?
    let ra: Result<A, any Error> = withoutActuallyEscaping(b) { b in
        withUnsafeMutablePointer(to: &rb) { pb in
            let work = UncheckedBox((b, pb))
            let done = DispatchGroup()
            DispatchQueue.global().async(group: done) {
                let (b, pb) = work.value
                pb.pointee = Result { try b() }
            }
            let ra = Result { try a() }
            done.wait()
            return ra
        }
    }
    return (try ra.get(), try rb!.get())
}

/// Carries non-Sendable values into a Dispatch closure; the caller guarantees exclusive use and
/// waits for the closure before the values go out of scope.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
