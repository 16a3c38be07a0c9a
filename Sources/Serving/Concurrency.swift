// Small synchronisation helpers: an async (suspending) mutex and the atomically swappable
// current-model box. Both cost one uncontended lock on the request path.
import Foundation
import Synchronization

/// A mutex that suspends instead of blocking, so an async critical section (a sink append) can
/// be serialised without actor reentrancy. FIFO hand-off.
final class AsyncMutex: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in enqueue(c) }
    }

    private func tryAcquire() -> Bool {
        state.withLock { s in
            if s.held { return false }
            s.held = true
            return true
        }
    }

    /// Parks `c` until `release`, or resumes it at once if the mutex was freed meanwhile.
    private func enqueue(_ c: CheckedContinuation<Void, Never>) {
        let acquired = state.withLock { s in
            if s.held {
                s.waiters.append(c)
                return false
            }
            s.held = true
            return true
        }
        if acquired { c.resume() }
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()  // ownership passes directly to the next waiter
    }

    func withLock<R>(_ body: () async throws -> R) async rethrows -> R {
        await acquire()
        defer { release() }
        return try await body()
    }
}

/// A loaded model together with its precomputed request decoder (and, for a classifier, the
/// pieces of its responses). A request reads it once, so it is scored, answered and logged by
/// one model even while another is swapped in.
struct LoadedModel: Sendable {
    let model: any ServableModel
    let layout: FeatureLayout
    let loadedAt: Date
    /// nil for a regression.
    let classifier: ClassifierResponse?
    /// The OpenAPI document describing this model's requests and responses, with admin routes
    /// enabled and disabled.
    let openAPI: String
    let openAPIWithoutAdmin: String

    init(_ model: any ServableModel) {
        self.model = model
        self.layout = FeatureLayout(model.features)
        self.loadedAt = Date()
        self.classifier = model.classifier.map(ClassifierResponse.init)
        self.openAPI = OpenAPIDocument.document(for: model)
        self.openAPIWithoutAdmin = OpenAPIDocument.document(for: model, adminEnabled: false)
    }

    /// Values the model gives per row.
    var outputCount: Int { classifier?.spec.classes.count ?? 1 }
}

/// The currently served model; handlers read it once per request, swaps replace it atomically.
final class ModelBox: Sendable {
    private let box = Mutex<LoadedModel?>(nil)

    var current: LoadedModel? { box.withLock { $0 } }

    func set(_ model: any ServableModel) {
        let loaded = LoadedModel(model)  // built outside the lock
        box.withLock { $0 = loaded }
    }
}
