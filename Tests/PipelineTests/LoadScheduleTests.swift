import Pipeline
import Testing

/// The open-loop schedule and its coordinated-omission correction, on a fake clock: a scripted
/// server whose answer times are known, so every latency has a closed form.
@Suite struct LoadScheduleTests {
    /// Time moves only when the loop sleeps or a scripted exchange takes time.
    final class FakeClock: NanoClock, @unchecked Sendable {  // used by one test thread only
        var t: UInt64
        init(_ t: UInt64) { self.t = t }
        func now() -> UInt64 { t }
        func sleep(until deadline: UInt64) { t = max(t, deadline) }
    }

    static let ms: UInt64 = 1_000_000

    @Test func intendedStartsAreEvenlySpacedUntilTheEnd() {
        let s = LoadSchedule(start: 5 * Self.ms, rate: 10, seconds: 1)  // every 100 ms for a second
        #expect(s.interval == 100 * Self.ms)
        #expect(s.intendedStart(0) == 5 * Self.ms)
        #expect(s.intendedStart(3) == 305 * Self.ms)
        #expect(s.intendedStart(9) == 905 * Self.ms)
        #expect(s.intendedStart(10) == nil)
        #expect(s.count == 10)
        #expect(LoadSchedule(start: 0, rate: 3, seconds: 1).count == 3)       // 0, 333, 667 ms
        #expect(LoadSchedule(start: 0, rate: 1000, seconds: 0).count == 0)
    }

    /// One connection, a request every 100 ms; the second answer takes 350 ms, the others 50 ms.
    /// Requests 2… queue behind it and start late; their latency counts from when they should
    /// have started: 350, 300, 250, 200, 150, 100 ms, then back to 50 ms once caught up.
    @Test func aStallCountsForEveryRequestItDelayed() {
        let clock = FakeClock(0)
        let schedule = LoadSchedule(start: 0, rate: 10, seconds: 1)
        var next = 0, sentAt: [UInt64] = []
        let tally = LoadLoop.open(schedule, clock: clock, next: { defer { next += 1 }; return next }) { k in
            sentAt.append(clock.t)
            clock.t += (k == 1 ? 350 : 50) * Self.ms
            return .status(200)
        }
        #expect(tally.ok == 10 && tally.requests == 10)
        #expect(sentAt == [0, 100, 450, 500, 550, 600, 650, 700, 800, 900].map { $0 * Self.ms })
        // Latency from the intended start, in ms, by request.
        let expected: [UInt64] = [50, 350, 300, 250, 200, 150, 100, 50, 50, 50]
        var naive = LatencyRecorder()
        for l in expected { naive.record(nanoseconds: l * Self.ms) }
        #expect(tally.latency.summary == naive.summary)
        // (HdrHistogram answers with the top of the value's bucket: equivalent, not equal.)
        #expect(tally.latency.histogram.valuesAreEquivalent(tally.latency.nanoseconds(atPercentile: 50), 100 * Self.ms))
        // Measured from the actual send only one answer is slow: the omission the schedule corrects.
        #expect(tally.serviceTime.histogram.valuesAreEquivalent(tally.serviceTime.nanoseconds(atPercentile: 90), 50 * Self.ms))
        #expect(tally.serviceTime.summary.max_us == 350_000)
        #expect(tally.first == 0 && tally.last == 950 * Self.ms)
    }

    /// An early worker waits for the intended time; errors are tallied apart from latencies.
    @Test func earlyRequestsWaitAndErrorsAreCountedApart() {
        let clock = FakeClock(0)
        let schedule = LoadSchedule(start: 10 * Self.ms, rate: 100, seconds: 0.05)  // 10, 20, 30, 40, 50 ms
        var next = 0, sentAt: [UInt64] = []
        let outcomes: [ExchangeOutcome] = [.status(200), .status(503), .connectionError, .status(204), .status(404)]
        let tally = LoadLoop.open(schedule, clock: clock, next: { defer { next += 1 }; return next }) { k in
            sentAt.append(clock.t)
            clock.t += 1 * Self.ms
            return outcomes[k]
        }
        #expect(sentAt == [10, 20, 30, 40, 50].map { $0 * Self.ms })
        #expect(tally.ok == 2 && tally.non2xx == 2 && tally.connectionErrors == 1 && tally.requests == 5)
        #expect(tally.statuses == [503: 1, 404: 1])
        #expect(tally.latency.count == 2 && tally.latency.summary.max_us == 1000)
    }

    /// Closed loop: back to back until the end; the request under way at the end still counts.
    @Test func closedLoopSendsBackToBack() {
        let clock = FakeClock(0)
        var ks: [Int] = []
        let tally = LoadLoop.closed(until: 100 * Self.ms, clock: clock, first: 1, stride: 4) { k in
            ks.append(k)
            clock.t += 30 * Self.ms
            return .status(200)
        }
        #expect(ks == [1, 5, 9, 13])  // sent at 0, 30, 60, 90 ms
        #expect(tally.ok == 4 && tally.latency.summary.max_us == 30_000 && tally.last == 120 * Self.ms)
    }

    /// A server that is gone: the worker stops after a run of connection errors instead of spinning.
    @Test func aDeadServerStopsTheWorker() {
        let clock = FakeClock(0)
        let tally = LoadLoop.closed(until: .max, clock: clock) { _ in
            clock.t += 1
            return .connectionError
        }
        #expect(tally.connectionErrors == LoadLoop.maxConsecutiveConnectionErrors && tally.ok == 0)
    }
}
