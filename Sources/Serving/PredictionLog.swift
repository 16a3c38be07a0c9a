// The prediction log path: handlers append entries to an in-memory queue (one lock, no I/O); a
// background service drains it to the sink in batches, scoring the shadow model on the way (so
// shadow scoring is off the response path too), and drains everything on graceful shutdown.
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Bounded in-memory queue of prediction log batches (one per request) in front of a `PredictionLogSink`.
final class PredictionLogQueue: Sendable {
    let sink: any PredictionLogSink
    /// Maximum queued rows.
    let capacity: Int
    /// Rows per `sink.append` call (a request's batch is never split).
    let batchSize: Int
    let metrics: ServingMetrics
    let shadow: ModelBox?
    /// Longest a request waits for room in a full queue before its rows are dropped.
    let maxWait: Duration
    private let pending = Mutex(Pending())
    /// Serialises flushes so a feedback lookup after `flush()` sees every earlier prediction.
    private let flushMutex = AsyncMutex()

    struct Pending {
        var batches: [PredictionLogBatch] = []
        var rows = 0
    }

    init(sink: any PredictionLogSink, capacity: Int, batchSize: Int, metrics: ServingMetrics, shadow: ModelBox?,
         maxWait: Duration = .seconds(2)) {
        self.sink = sink
        self.maxWait = maxWait
        self.capacity = capacity
        self.batchSize = max(1, batchSize)
        self.metrics = metrics
        self.shadow = shadow
    }

    /// Number of rows not yet handed to the sink.
    var depth: Int { pending.withLock { $0.rows } }

    /// Queues one request's batch (request path: no I/O). When the queue is full (the sink
    /// falls behind a sustained load), the request waits for room rather than losing its
    /// predictions: every flush makes room, so throughput settles at what scoring and logging
    /// together sustain. Only when no room appears within `maxWait` (a sink that keeps failing)
    /// is the batch dropped and its rows counted on /metrics.
    func enqueue(_ batch: PredictionLogBatch) async {
        if tryEnqueue(batch) { return }
        await waitForRoom(batch, since: ContinuousClock.now)
    }

    private func waitForRoom(_ batch: PredictionLogBatch, since start: ContinuousClock.Instant) async {
        repeat {
            metrics.addLogWait()
            do {
                try await Task.sleep(for: .milliseconds(2))
            } catch {
                // The request was cancelled (its client went away): its predictions still get
                // logged, by a task of their own that can wait.
                Task.detached { await self.waitForRoom(batch, since: start) }
                return
            }
            if tryEnqueue(batch) { return }
        } while ContinuousClock.now - start < maxWait
        metrics.addLogDropped(batch.count)
    }

    /// Appends `batch` when it fits (a batch larger than the whole capacity fits an empty queue).
    func tryEnqueue(_ batch: PredictionLogBatch) -> Bool {
        pending.withLock { q in
            guard q.rows == 0 || q.rows + batch.count <= capacity else { return false }
            q.batches.append(batch)
            q.rows += batch.count
            return true
        }
    }

    /// Hands every queued batch to the sink (about `batchSize` rows per call), shadow-scoring them first.
    /// On a sink error the unwritten batches go back to the front of the queue and the error is rethrown.
    func flush() async throws {
        try await flushMutex.withLock {
            let taken: [PredictionLogBatch] = pending.withLock { q in
                let t = q.batches
                q = Pending()
                return t
            }
            var start = 0
            var remaining = taken.reduce(0) { $0 + $1.count }  // rows taken and not yet written
            while start < taken.count {
                var end = start, rows = 0
                while end < taken.count && (end == start || rows + taken[end].count <= batchSize) {
                    rows += taken[end].count
                    end += 1
                }
                var chunk = Array(taken[start..<end])
                scoreShadow(&chunk)
                do {
                    try await sink.append(chunk, backlog: remaining + depth)
                } catch {
                    metrics.addLogError()
                    let rest = taken[start...]
                    pending.withLock { q in
                        q.batches.insert(contentsOf: rest, at: 0)
                        q.rows += remaining
                    }
                    throw ServingError(code: "log_sink_failed", message: "prediction log sink failed; \(remaining) rows kept for retry", underlying: error)
                }
                metrics.addLogWritten(rows)
                remaining -= rows
                start = end
            }
        }
    }

    /// Fills `shadowVersion` / `shadowPredictions` with the current shadow model's scores: a
    /// regression's predictions beside a regression's, a classifier's class indices beside those
    /// of a classifier with the same classes. A batch of any other shape is left unscored (its
    /// values would not compare with the primary's).
    func scoreShadow(_ batches: inout [PredictionLogBatch]) {
        guard let loaded = shadow?.current else { return }
        let names = loaded.layout.names
        let shadowClasses = loaded.classifier?.spec.classes
        var scored = 0
        for i in batches.indices {
            let b = batches[i]
            guard b.classes == shadowClasses else { continue }
            let rows = b.featureNames == names && b.rows.kinds == loaded.layout.kinds
                ? b.rows : b.rows.reordered(from: b.featureNames, to: names, kinds: loaded.layout.kinds)
            guard var scores = try? loaded.model.predict(rows), scores.count == b.count * loaded.outputCount else { continue }
            if let c = loaded.classifier { scores = c.spec.classIndices(scores).map(Double.init) }
            batches[i].shadowVersion = loaded.model.version
            batches[i].shadowPredictions = scores
            scored += scores.count
        }
        if scored > 0 { metrics.addShadowPredictions(scored) }
    }
}

/// Background service that drains the prediction log every `interval`, and once more at shutdown.
struct PredictionLogDrainer: Service {
    let queue: PredictionLogQueue
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do { try await queue.flush() } catch { logger.error("prediction log flush failed: \(error)") }
        }
        // Final drain: the HTTP server has stopped by now (services shut down in reverse order).
        for attempt in 1...3 {
            do {
                try await queue.flush()
                return
            } catch {
                logger.error("prediction log final flush attempt \(attempt) failed: \(error)")
            }
        }
        logger.critical("prediction log: \(queue.depth) entries could not be written at shutdown")
    }
}

/// Background service that polls the providers and swaps models in when they change. It also
/// performs the initial load when the server was started without a model (retrying each interval).
struct ModelPoller: Service {
    let server: PlumbServer
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await server.reload()
            } catch {
                logger.error("model poll failed: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
