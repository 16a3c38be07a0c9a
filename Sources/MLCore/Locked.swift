import Synchronization

/// A value guarded by a mutex and shared by reference, for state that closures or several
/// owners share (one uncontended lock per access). A type that owns its state stores a
/// `Mutex` directly instead.
public final class Locked<Value: ~Copyable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: consuming sending Value) { mutex = Mutex(value) }

    public func withLock<R: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending R) throws(E) -> sending R {
        try mutex.withLock(body)
    }
}

extension Locked where Value: Sendable {
    public var current: Value { withLock { $0 } }
}
