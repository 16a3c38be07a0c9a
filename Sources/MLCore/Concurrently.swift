import Dispatch
import Foundation
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

/// One dedicated thread that runs submitted jobs one at a time, in submission order — for
/// blocking work (SQLite writes) that must not occupy a Swift-concurrency thread. `niceness`
/// lowers the thread's scheduling priority on Linux, so latency-sensitive threads win the CPU.
/// The thread ends once the worker is released and its queue is empty.
public final class BackgroundWorker: @unchecked Sendable {
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [() -> Void] = []
        var stopping = false
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
                state.condition.lock()
                while state.jobs.isEmpty && !state.stopping { state.condition.wait() }
                if state.jobs.isEmpty {
                    state.condition.unlock()
                    return
                }
                let job = state.jobs.removeFirst()
                state.condition.unlock()
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        state.condition.lock()
        state.stopping = true
        state.condition.signal()
        state.condition.unlock()
    }

    /// Queues `job`; it runs after every job submitted before it.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        state.condition.lock()
        state.jobs.append(job)
        state.condition.signal()
        state.condition.unlock()
    }

    /// Runs `body` on the worker thread and returns (or throws) its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            submit { c.resume(with: Result { try body() }) }
        }
    }
}
