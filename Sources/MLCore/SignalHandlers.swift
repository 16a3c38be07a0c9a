import Dispatch
import Foundation
import Synchronization

/// Runs a handler (on a Dispatch queue, not in signal context) for each delivery of the given
/// signals, which are ignored by default meanwhile. Dispatch signal sources coexist, so a later
/// handler (swift-service-lifecycle's, say) also sees the signal. `cancel()` restores the default
/// action.
public final class SignalHandlers: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let signals: [Int32]

    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        var sources: [any DispatchSourceSignal] = []
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { handler(sig) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    /// Stops handling and restores the default action of the signals.
    public func cancel() {
        sources.withLock { sources in
            for s in sources { s.cancel() }
            sources = []
        }
        for sig in signals { signal(sig, SIG_DFL) }
    }
}
