// Small synchronisation helpers: an async (suspending) mutex and the atomically swappable
// current-model box; the lock-protected box `Locked` lives in MLCore. All cost one uncontended
// lock on the request path.
import Foundation
import MLCore

/// A mutex that suspends instead of blocking, so an async critical section (a sink append) can
/// be serialised without actor reentrancy. FIFO hand-off.
final class AsyncMutex: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in enqueue(c) }
    }

    private func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if held { return false }
        held = true
        return true
    }

    /// Parks `c` until `release`, or resumes it at once if the mutex was freed meanwhile.
    private func enqueue(_ c: CheckedContinuation<Void, Never>) {
        lock.lock()
        if !held {
            held = true
            lock.unlock()
            c.resume()
            return
        }
        waiters.append(c)
        lock.unlock()
    }

    func release() {
        lock.lock()
        if waiters.isEmpty {
            held = false
            lock.unlock()
        } else {
            let next = waiters.removeFirst()
            lock.unlock()
            next.resume()  // ownership passes directly to the next waiter
        }
    }

    func withLock<R>(_ body: () async throws -> R) async rethrows -> R {
        await acquire()
        defer { release() }
        return try await body()
    }
}

/// A loaded model together with its precomputed request decoder.
struct LoadedModel: Sendable {
    let model: any ServableModel
    let layout: FeatureLayout
    let loadedAt: Date

    init(_ model: any ServableModel) {
        self.model = model
        self.layout = FeatureLayout(model.features)
        self.loadedAt = Date()
    }
}

/// The currently served model; handlers read it once per request, swaps replace it atomically.
final class ModelBox: @unchecked Sendable {
    private let box = Locked<LoadedModel?>(nil)

    var current: LoadedModel? { box.current }

    func set(_ model: any ServableModel) {
        let loaded = LoadedModel(model)  // built outside the lock
        box.withLock { $0 = loaded }
    }
}
