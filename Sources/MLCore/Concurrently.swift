import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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
            // Unavoidable: Dispatch wants a Sendable job, but `b` and `pb` are used by this one job
            // only, which finishes before `done.wait()` returns and they go out of scope.
            nonisolated(unsafe) let work = (b, pb)
            let done = DispatchGroup()
            DispatchQueue.global().async(group: done) {
                let (b, pb) = work
                pb.pointee = Result { try b() }
            }
            let ra = Result { try a() }
            done.wait()
            return ra
        }
    }
    return (try ra.get(), try rb!.get())
}

/// One dedicated thread that runs submitted jobs one at a time, in submission order — for
/// blocking work (SQLite writes) that must not occupy a Swift-concurrency thread. `niceness`
/// lowers the thread's scheduling priority on Linux, so latency-sensitive threads win the CPU.
/// The thread ends once the worker is released and its queue is empty.
public final class BackgroundWorker: Sendable {
    private final class State: Sendable {
        /// Jobs not yet started, in submission order.
        let jobs = Mutex<[@Sendable () -> Void]>([])
        /// Signalled once per submitted job (after queueing it) and once at release.
        let wake = DispatchSemaphore(value: 0)
    }
    private let state = State()

    public init(name: String, niceness: Int32 = 0) {
        let state = self.state
        let thread = Thread {
            #if os(Linux)
            // Linux keeps the nice value per thread; `who` 0 is the calling thread.
            if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
            #endif
            while true {
                state.wake.wait()
                // Each job is queued before its signal and the release signal comes last, so
                // an empty queue on waking means released with nothing left to run.
                let job: (@Sendable () -> Void)? = state.jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                guard let job else { return }
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        state.wake.signal()
    }

    /// Queues `job`; it runs after every job submitted before it.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        state.jobs.withLock { $0.append(job) }
        state.wake.signal()
    }

    /// Runs `body` on the worker thread and returns (or throws) its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            submit { c.resume(with: Result { try body() }) }
        }
    }
}
