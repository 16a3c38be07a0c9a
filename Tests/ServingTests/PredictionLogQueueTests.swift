import Foundation
import Synchronization
import Testing
@testable import Serving

/// A sink that holds every append until `open()` and can be made to fail.
final class GatedSink: PredictionLogSink, Sendable {
    private struct State {
        var isOpen = false
        var failing = false
        var stored: [PredictionLogBatch] = []
    }
    private let state = Mutex(State())

    var batches: [PredictionLogBatch] { state.withLock { $0.stored } }
    func open() { state.withLock { $0.isOpen = true } }
    func setFailing(_ f: Bool) { state.withLock { $0.failing = f } }

    func append(_ batches: [PredictionLogBatch]) async throws {
        while !state.withLock({ $0.isOpen }) { try await Task.sleep(for: .milliseconds(1)) }
        try state.withLock { s in
            if s.failing { throw ServingError(code: "sink_down", message: "test sink is failing") }
            s.stored.append(contentsOf: batches)
        }
    }

    func recordFeedback(requestID: String, actual: Double) async throws -> Bool { false }
}

func logBatch(first: UInt64, rows: Int) -> PredictionLogBatch {
    var r = FeatureRows(kinds: [.numeric, .categorical])
    for i in 0..<rows { r.append([.number(Double(i)), i % 2 == 0 ? .string("s\(i)") : nil]) }
    return PredictionLogBatch(idPrefix: "0000beef-", firstCounter: first, time: Date(), modelName: "m", modelVersion: "1",
                              featureNames: ["x", "c"], rows: r, predictions: (0..<rows).map(Double.init))
}

@Suite struct PredictionLogQueueTests {
    /// A full queue makes the request wait until a flush makes room; nothing is dropped and the
    /// sink receives every batch in order.
    @Test func fullQueueWaitsInsteadOfDropping() async throws {
        let sink = GatedSink()
        let metrics = ServingMetrics()
        let q = PredictionLogQueue(sink: sink, capacity: 10, batchSize: 4, metrics: metrics, shadow: nil, maxWait: .seconds(30))
        await q.enqueue(logBatch(first: 1, rows: 8))
        #expect(q.depth == 8)
        let waiting = Task { await q.enqueue(logBatch(first: 9, rows: 5)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(q.depth == 8)                      // still waiting: 8 + 5 > 10
        sink.open()
        try await q.flush()                        // takes the 8 rows: room for the waiting batch
        await waiting.value
        try await q.flush()
        #expect(sink.batches.map(\.firstCounter) == [1, 9])
        #expect(sink.batches.map(\.count) == [8, 5])
        #expect(sink.batches[0].rows.row(2) == [.number(2), .string("s2")] && sink.batches[0].rows.row(3) == [.number(3), nil])
        let text = metrics.render(model: nil, shadow: nil, logQueueDepth: q.depth)
        #expect(text.contains("plumb_prediction_log_dropped_total 0\n"))
        #expect(text.contains("plumb_prediction_log_written_total 13\n"))
        #expect(!text.contains("plumb_prediction_log_waits_total 0\n"))
    }

    /// A request cancelled while waiting for room returns at once; its batch is still logged
    /// once there is room (no busy loop on the cancelled sleep).
    @Test func cancelledWaitStillLogs() async throws {
        let sink = GatedSink()
        let metrics = ServingMetrics()
        let q = PredictionLogQueue(sink: sink, capacity: 10, batchSize: 100, metrics: metrics, shadow: nil, maxWait: .seconds(30))
        await q.enqueue(logBatch(first: 1, rows: 8))
        let waiting = Task { await q.enqueue(logBatch(first: 9, rows: 5)) }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await waiting.value
        try await Task.sleep(for: .milliseconds(50))
        let waits = metrics.render(model: nil, shadow: nil, logQueueDepth: 0).split(separator: "\n")
            .first { $0.hasPrefix("plumb_prediction_log_waits_total ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? -1
        #expect(waits > 0 && waits < 200)          // ~2 ms pauses over ~70 ms, not a spin
        sink.open()
        try await q.flush()
        for _ in 0..<500 where q.depth == 0 { try await Task.sleep(for: .milliseconds(2)) }
        try await q.flush()
        #expect(sink.batches.map(\.firstCounter) == [1, 9])
    }

    /// A batch larger than the whole capacity is taken by an empty queue (it could never fit otherwise).
    @Test func oversizedBatchFitsAnEmptyQueue() async throws {
        let q = PredictionLogQueue(sink: GatedSink(), capacity: 10, batchSize: 4, metrics: ServingMetrics(), shadow: nil,
                                   maxWait: .milliseconds(1))
        await q.enqueue(logBatch(first: 1, rows: 25))
        #expect(q.depth == 25)
    }

    /// When the sink keeps failing, the queue keeps its rows for retry and a request that finds it
    /// full is dropped after the longest wait, counted on /metrics.
    @Test func failingSinkDropsAfterTheLongestWait() async throws {
        let sink = GatedSink()
        sink.open()
        sink.setFailing(true)
        let metrics = ServingMetrics()
        let q = PredictionLogQueue(sink: sink, capacity: 10, batchSize: 100, metrics: metrics, shadow: nil, maxWait: .milliseconds(30))
        await q.enqueue(logBatch(first: 1, rows: 8))
        await #expect(throws: ServingError.self) { try await q.flush() }
        #expect(q.depth == 8)                      // kept for retry
        let start = ContinuousClock.now
        await q.enqueue(logBatch(first: 9, rows: 5))
        #expect(ContinuousClock.now - start >= .milliseconds(30))
        #expect(q.depth == 8)
        let text = metrics.render(model: nil, shadow: nil, logQueueDepth: q.depth)
        #expect(text.contains("plumb_prediction_log_dropped_total 5\n"))
        #expect(text.contains("plumb_prediction_log_errors_total 1\n"))
        sink.setFailing(false)
        try await q.flush()
        #expect(sink.batches.map(\.firstCounter) == [1] && q.depth == 0)
    }

    /// Rows laid out for another feature list: by name, kinds must match, absent names are missing.
    @Test func rowsReorderByName() {
        var r = FeatureRows(kinds: [.numeric, .categorical, .numeric])
        r.append([.number(1), .string("a"), nil])
        r.append([.number(2), nil, .number(5)])
        let out = r.reordered(from: ["x", "c", "y"], to: ["y", "new", "c", "x"], kinds: [.numeric, .numeric, .categorical, .categorical])
        #expect(out.rows == [[nil, nil, .string("a"), nil], [.number(5), nil, nil, nil]])
    }
}
