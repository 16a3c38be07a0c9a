// The prediction log path: handlers append entries to an in-memory queue (one lock, no I/O); a
// background service drains it to the sink in batches, scoring the shadow model on the way (so
// shadow scoring is off the response path too), and drains everything on graceful shutdown.
import Foundation
import MLCore
import Logging
import ServiceLifecycle

/// Bounded in-memory queue of prediction log entries in front of a `PredictionLogSink`.
final class PredictionLogQueue: @unchecked Sendable {
    let sink: any PredictionLogSink
    let capacity: Int
    let batchSize: Int
    let metrics: ServingMetrics
    let shadow: ModelBox?
    private let pending = Locked<[PredictionLogEntry]>([])
    /// Serialises flushes so a feedback lookup after `flush()` sees every earlier prediction.
    private let flushMutex = AsyncMutex()

    init(sink: any PredictionLogSink, capacity: Int, batchSize: Int, metrics: ServingMetrics, shadow: ModelBox?) {
        self.sink = sink
        self.capacity = capacity
        self.batchSize = max(1, batchSize)
        self.metrics = metrics
        self.shadow = shadow
    }

    /// Number of entries not yet handed to the sink.
    var depth: Int { pending.withLock { $0.count } }

    /// Appends entries (request path: no I/O). Entries beyond `capacity` are dropped and counted.
    func enqueue(_ entries: [PredictionLogEntry]) {
        let dropped: Int = pending.withLock { q in
            if q.isEmpty && entries.count <= capacity { q = entries; return 0 }
            let room = max(0, capacity - q.count)
            if entries.count <= room { q.append(contentsOf: entries); return 0 }
            q.append(contentsOf: entries.prefix(room))
            return entries.count - room
        }
        if dropped > 0 { metrics.addLogDropped(dropped) }
    }

    /// Hands every queued entry to the sink (in batches of `batchSize`), shadow-scoring them first.
    /// On a sink error the unwritten entries go back to the front of the queue and the error is rethrown.
    func flush() async throws {
        try await flushMutex.withLock {
            let taken: [PredictionLogEntry] = pending.withLock { q in
                let t = q
                q = []
                return t
            }
            var start = 0
            while start < taken.count {
                let end = min(taken.count, start + batchSize)
                var batch = Array(taken[start..<end])
                scoreShadow(&batch)
                do {
                    try await sink.append(batch)
                } catch {
                    metrics.addLogError()
                    let rest = taken[start...]
                    pending.withLock { q in q.insert(contentsOf: rest, at: 0) }
                    throw ServingError(code: "log_sink_failed", message: "prediction log sink failed; \(rest.count) entries kept for retry", underlying: error)
                }
                metrics.addLogWritten(batch.count)
                start = end
            }
        }
    }

    /// Fills `shadowVersion` / `shadowPrediction` with the current shadow model's scores.
    func scoreShadow(_ batch: inout [PredictionLogEntry]) {
        guard let loaded = shadow?.current, !batch.isEmpty else { return }
        let names = loaded.layout.names
        var rows = [[FeatureValue?]]()
        rows.reserveCapacity(batch.count)
        for e in batch {
            if e.featureNames == names { rows.append(e.row); continue }
            // Different feature order: map by name (missing names → nil).
            var map = [String: FeatureValue?]()
            for (n, v) in zip(e.featureNames, e.row) { map[n] = .some(v) }
            rows.append(names.map { map[$0] ?? nil })
        }
        guard let scores = try? loaded.model.predict(rows: rows), scores.count == batch.count else { return }
        for i in batch.indices {
            batch[i].shadowVersion = loaded.model.version
            batch[i].shadowPrediction = scores[i]
        }
        metrics.addShadowPredictions(batch.count)
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
