import Foundation
import GRDB
import Synchronization

/// How a store's write-ahead log gets copied back into the database file.
public enum CheckpointMode: Sendable, Equatable {
    /// SQLite's own: the transaction that takes the WAL past 64 MB checkpoints it before its
    /// `COMMIT` returns (right for short-lived commands).
    case onCommit
    /// A thread of the store's own checkpoints the WAL while the process keeps writing (a server
    /// logging predictions: a checkpoint copies 64 MB and waits for two fsyncs, and writes queued
    /// behind it stall requests).
    case background(BackgroundCheckpoints = .init())
}

/// The background checkpointer's tuning.
public struct BackgroundCheckpoints: Sendable, Equatable {
    /// How often the WAL's new frames are copied into the database.
    public var interval: Duration
    /// WAL size (in bytes of pages) at which the log is brought back to its start: after the
    /// background copies, one short checkpoint on the writing connection copies what arrived
    /// meanwhile, so the next write transaction rewinds the WAL.
    public var rewindBytes: Int
    /// SQLite's own checkpoint on commit stays on as a safety net, this many bytes of pages in.
    public var safetyNetBytes: Int

    public init(interval: Duration = .milliseconds(200), rewindBytes: Int = 64 << 20, safetyNetBytes: Int = 1 << 30) {
        self.interval = interval
        self.rewindBytes = rewindBytes
        self.safetyNetBytes = safetyNetBytes
    }
}

/// Checkpoints a WAL database on a thread of its own through a connection of its own.
///
/// A PASSIVE checkpoint never blocks writers or readers, so the store's writer keeps committing
/// while frames are copied and fsynced. SQLite rewinds the WAL only when a write transaction
/// starts with every frame copied, which a writer that never pauses does not give a background
/// copy; so once the WAL holds `rewindBytes` of pages, after the background copy has caught up as far as
/// it can, one more PASSIVE checkpoint runs on the writing connection itself (no commit can slip
/// in between), copying only the frames of the last moments. The WAL then restarts at its next
/// write, as with SQLite's own checkpoints, at a fraction of their stall.
final class WALCheckpointer: Sendable {
    private let stopping = Atomic<Bool>(false)
    /// Signalled by `stop()`, to cut the pause between rounds short.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled once the thread has ended.
    private let ended = DispatchSemaphore(value: 0)

    /// `beforeRound` runs first in every round (the store syncs its prediction payload files
    /// there, so they reach the disk before the rows the round makes durable); when it throws,
    /// the round is skipped.
    init(path: String, pool: DatabasePool, settings: BackgroundCheckpoints, beforeRound: @escaping @Sendable () throws -> Void = {}) throws {
        var config = Configuration()
        config.label = "plumb.checkpoint"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let own = try DatabaseQueue(path: path, configuration: config)
        let pageSize = try own.inDatabase { try TrackingStore.pageSize($0) }
        let rewindFrames = max(1, settings.rewindBytes / pageSize)
        let catchUpFrames = max(1, (4 << 20) / pageSize)
        // At least a millisecond: a zero or negative interval would spin.
        let interval = max(0.001, Double(settings.interval.components.seconds) + Double(settings.interval.components.attoseconds) / 1e18)
        let thread = Thread { [self] in
            defer { ended.signal() }
            while true {
                if !stopping.load(ordering: .acquiring) { _ = wake.wait(timeout: .now() + interval) }
                if stopping.load(ordering: .acquiring) { return }
                guard (try? beforeRound()) != nil else { continue }
                Self.round(own: own, writer: pool, rewindFrames: rewindFrames, catchUpFrames: catchUpFrames)
            }
        }
        thread.name = "plumb-checkpoint"
        thread.start()
    }

    /// Frames in the WAL and frames copied, after a PASSIVE checkpoint on `db`.
    static func checkpoint(_ db: Database) throws -> (log: Int, copied: Int) {
        guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return (0, 0) }
        return (row[1] ?? 0, row[2] ?? 0)
    }

    /// One background copy (repeated while it keeps up with the writer), and the short catch-up
    /// on the writer when the WAL is due to rewind. Errors (a busy or closing database) skip the
    /// round: the next one, or SQLite's own safety net, checkpoints instead.
    static func round(own: DatabaseQueue, writer: DatabasePool, rewindFrames: Int, catchUpFrames: Int) {
        do {
            var state = try own.inDatabase { try checkpoint($0) }
            var passes = 1
            // While much is left (over 4 MB: the writer went on during the copy), copy again: each
            // pass takes less time than the last as long as copying outpaces writing.
            while state.log - state.copied > catchUpFrames && passes < 4 {
                state = try own.inDatabase { try checkpoint($0) }
                passes += 1
            }
            if state.log >= rewindFrames {
                _ = try writer.writeWithoutTransaction { try checkpoint($0) }
            }
        } catch {
            return
        }
    }

    /// Stops the thread and waits for a round in progress to end.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        ended.wait()
        ended.signal()  // for any other caller of `stop()`
    }
}
