#if canImport(Glibc)
import Glibc
#endif

/// A clock in nanoseconds that a load loop reads and waits on; tests inject a fake one.
public protocol NanoClock {
    func now() -> UInt64
    /// Returns at or after `deadline` (at once if it has passed).
    func sleep(until deadline: UInt64)
}

/// The monotonic clock, waiting with `nanosleep`.
public struct MonotonicClock: NanoClock, Sendable {
    public init() {}
    public func now() -> UInt64 { monotonicNanoseconds() }
    public func sleep(until deadline: UInt64) {
        while true {
            let t = monotonicNanoseconds()
            guard t < deadline else { return }
            let wait = deadline - t
            var ts = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
            _ = nanosleep(&ts, nil)
        }
    }
}

/// An open-loop schedule: request k is meant to start at `start + k × interval`, whatever
/// happened to the requests before it, until `end`. A request that starts late (every
/// connection was busy) has its latency counted from its intended start, so a stall shows in
/// the percentiles as the wait it caused every queued request, not as one slow sample (the
/// "coordinated omission" a closed loop suffers).
public struct LoadSchedule: Sendable, Equatable {
    public var start: UInt64
    /// Requests meant to start per second.
    public var rate: Double
    /// No request is meant to start at or after this.
    public var end: UInt64

    /// - Precondition: `rate > 0`, `seconds >= 0`.
    public init(start: UInt64, rate: Double, seconds: Double) {
        precondition(rate > 0 && rate.isFinite && seconds >= 0, "LoadSchedule: rate must be > 0, seconds ≥ 0")
        self.start = start
        self.rate = rate
        end = start + UInt64(seconds * 1e9)
    }

    /// Nanoseconds between intended starts, rounded (the schedule itself does not accumulate the rounding).
    public var interval: UInt64 { UInt64((1e9 / rate).rounded()) }

    /// When request `k` is meant to start (`start + k / rate`, to the nanosecond); nil once the
    /// schedule is over.
    public func intendedStart(_ k: Int) -> UInt64? {
        let offset = (Double(k) * 1e9 / rate).rounded()
        guard k >= 0, offset < Double(end - start) else { return nil }
        return start + UInt64(offset)
    }

    /// Requests the schedule holds: the first k with no intended start.
    public var count: Int {
        var k = Swift.max(0, Int((Double(end - start) * rate / 1e9).rounded(.down)) - 1)
        while intendedStart(k) != nil { k += 1 }
        return k
    }
}

/// What one request came to.
public enum ExchangeOutcome: Sendable, Equatable {
    /// An answer with this HTTP status.
    case status(Int)
    /// The connection failed (refused, reset, timed out, malformed answer).
    case connectionError
}

/// The figures of one load worker (or of all, merged).
public struct LoadTally: Sendable {
    /// 2xx answers: from the intended start (open loop) or the send (closed loop) to the answer.
    public var latency = LatencyRecorder()
    /// 2xx answers: from the actual send to the answer (equals `latency` in a closed loop).
    public var serviceTime = LatencyRecorder()
    public var ok = 0
    public var non2xx = 0
    public var connectionErrors = 0
    /// Non-2xx answers by status.
    public var statuses: [Int: Int] = [:]
    /// First intended start and last answer, for the throughput.
    public var first: UInt64 = .max
    public var last: UInt64 = 0

    public init() {}

    public var requests: Int { ok + non2xx + connectionErrors }

    mutating func add(_ outcome: ExchangeOutcome, intended: UInt64, sent: UInt64, done: UInt64) {
        first = Swift.min(first, intended)
        last = Swift.max(last, done)
        switch outcome {
        case .status(let s) where (200..<300).contains(s):
            ok += 1
            latency.record(nanoseconds: done - intended)
            serviceTime.record(nanoseconds: done - sent)
        case .status(let s):
            non2xx += 1
            statuses[s, default: 0] += 1
        case .connectionError:
            connectionErrors += 1
        }
    }

    public mutating func merge(_ o: LoadTally) {
        latency.merge(o.latency)
        serviceTime.merge(o.serviceTime)
        ok += o.ok
        non2xx += o.non2xx
        connectionErrors += o.connectionErrors
        statuses.merge(o.statuses, uniquingKeysWith: +)
        first = Swift.min(first, o.first)
        last = Swift.max(last, o.last)
    }
}

/// The request loops of one load worker (one connection), over any clock and any exchange.
public enum LoadLoop {
    /// A worker gives up after this many connection errors in a row (a server that is gone).
    public static let maxConsecutiveConnectionErrors = 20

    /// Open loop: takes request indices from `next` (shared by all workers) and starts each at its
    /// intended time (waiting if early, at once if late) until the schedule ends.
    /// - Parameter exchange: sends request k and waits for its answer.
    public static func open(_ schedule: LoadSchedule, clock: some NanoClock, next: () -> Int,
                            exchange: (Int) -> ExchangeOutcome) -> LoadTally {
        var tally = LoadTally()
        var failures = 0
        while failures < maxConsecutiveConnectionErrors {
            let k = next()
            guard let intended = schedule.intendedStart(k) else { break }
            if clock.now() < intended { clock.sleep(until: intended) }
            let sent = clock.now()
            let outcome = exchange(k)
            tally.add(outcome, intended: intended, sent: sent, done: clock.now())
            failures = outcome == .connectionError ? failures + 1 : 0
        }
        return tally
    }

    /// Closed loop: sends request after request, each as soon as the previous one is answered,
    /// until `end` (a request under way at `end` finishes and counts).
    /// - Parameter exchange: sends request k (k = first, first + stride, …) and waits for its answer.
    public static func closed(until end: UInt64, clock: some NanoClock, first: Int = 0, stride: Int = 1,
                              exchange: (Int) -> ExchangeOutcome) -> LoadTally {
        var tally = LoadTally()
        var failures = 0, k = first
        while failures < maxConsecutiveConnectionErrors {
            let sent = clock.now()
            guard sent < end else { break }
            let outcome = exchange(k)
            tally.add(outcome, intended: sent, sent: sent, done: clock.now())
            failures = outcome == .connectionError ? failures + 1 : 0
            k += stride
        }
        return tally
    }
}
