import Foundation
import GRDB

/// Experiment tracking, model registry and prediction log in one SQLite file (WAL mode).
///
/// Safe under concurrency: in-process writes are serialized by GRDB's `DatabasePool`; across
/// processes, WAL + a 30 s busy timeout + `BEGIN IMMEDIATE` write transactions (GRDB 7's default
/// for writable connections) mean writers queue instead of failing with "database is locked", and
/// readers never block. Every multi-row mutation is one transaction, so a killed process leaves no
/// half-written state. Artifacts live next to the database, content-addressed by SHA-256.
public final class TrackingStore: Sendable {

    /// Path of the SQLite database file.
    public let path: String
    /// Directory that holds `artifacts/`: the directory of `path`.
    public let directory: URL
    let pool: DatabasePool
    /// The thread that checkpoints the WAL, in `.background` mode.
    private let checkpointer: WALCheckpointer?
    /// The files that hold logged batches' inputs and predictions.
    let payloads: PredictionPayloadFiles

    /// Default database path: `$PLUMB_STORE` if set and non-empty, else `.plumb/plumb.db`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["PLUMB_STORE"], !p.isEmpty { return p }
        return ".plumb/plumb.db"
    }

    /// Opens (creating if needed) the store at `path` and applies pending schema migrations.
    /// `checkpoints` says who copies the WAL back into the database (see `CheckpointMode`).
    /// - Throws: `TrackingError` (`.io` if the directory cannot be created, `.database` otherwise).
    public init(path: String, checkpoints: CheckpointMode = .onCommit) throws {
        self.path = path
        if case .background = checkpoints {
            payloads = PredictionPayloadFiles(databasePath: path, syncEachAppend: false)
        } else {
            payloads = PredictionPayloadFiles(databasePath: path)
        }
        let url = URL(fileURLWithPath: path)
        directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TrackingError(code: .io, message: "\(directory.path): cannot create store directory (\(error.localizedDescription))", underlying: error)
        }
        let autocheckpointBytes: Int
        switch checkpoints {
        case .onCommit: autocheckpointBytes = 64 << 20
        case .background(let b): autocheckpointBytes = b.safetyNetBytes
        }
        var config = Configuration()
        config.label = "plumb.tracking"
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // Only a new, empty file takes this; an existing store keeps the page size it has.
            try db.execute(sql: "PRAGMA page_size = \(Self.newStorePageSize)")
            // WAL + NORMAL is durable against process crashes (the SIGKILL case); only an OS crash
            // can lose the last transactions, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Checkpoint every 64 MB of log rather than SQLite's 4 MB: each checkpoint costs two
            // fsyncs. In background mode the store's own thread checkpoints, and SQLite's only
            // past the safety net.
            let frames = max(1, autocheckpointBytes / (try Self.pageSize(db)))
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(frames)")
        }
        do {
            pool = try Self.openPool(path: path, configuration: config)
        } catch {
            throw TrackingError.wrap(error, "\(path): cannot open tracking store")
        }
        if case .background(let settings) = checkpoints {
            do {
                let payloads = self.payloads
                checkpointer = try WALCheckpointer(path: path, pool: pool, settings: settings) { try payloads.sync() }
            } catch {
                throw TrackingError.wrap(error, "\(path): cannot open the checkpoint connection")
            }
        } else {
            checkpointer = nil
        }
        try migrate()
    }

    deinit { checkpointer?.stop() }

    /// Opens the pool, retrying while the file is locked: processes that open a new store at
    /// the same moment race to create it and switch it to WAL, and SQLite answers some of those
    /// steps with SQLITE_BUSY at once instead of waiting out the busy timeout.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let e as DatabaseError where (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED) && attempt < 50 {
                attempt += 1
                usleep(useconds_t(5_000 * min(attempt, 20)))
            }
        }
    }

    /// The page size of stores created from now on. Larger than SQLite's 4 KB default: chosen
    /// when logged batches kept their ~80 KB of inputs and predictions in the row (16 KB pages cut
    /// the log writer's CPU per batch by about a quarter then). Those bytes now go to payload
    /// files; rows logged by older versions still hold them, and the size stays for them.
    static let newStorePageSize = 16_384

    /// The database's page size (the size of one WAL frame's page).
    static func pageSize(_ db: Database) throws -> Int {
        guard let size = try Int.fetchOne(db, sql: "PRAGMA page_size"), size > 0 else {
            throw TrackingError.invalid("the database reports no page size")
        }
        return size
    }

    private func migrate() throws {
        let migrator = Self.migrator
        var lastError: (any Error)?
        // Processes opening a fresh store race on the migrations: GRDB reads the applied set before
        // each migration's IMMEDIATE transaction, so the loser fails ("table already exists") and
        // rolls back. Re-running then sees the winner's work; a bounded number of retries suffices.
        for attempt in 0..<50 {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                lastError = error
                if (try? pool.read({ db in try migrator.hasCompletedMigrations(db) })) == true { return }
                usleep(useconds_t(5_000 * min(attempt + 1, 20)))
            }
        }
        throw TrackingError.wrap(lastError ?? TrackingError.invalid("unknown"), "\(path): schema migration failed")
    }

    // MARK: - Access helpers (the only places that touch the pool)

    /// One write transaction (BEGIN IMMEDIATE); any error rolls it back and becomes a `TrackingError`.
    func write<T>(_ context: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write { db in try body(db) }
        } catch {
            throw TrackingError.wrap(error, context())
        }
    }

    /// One read transaction on a snapshot (never blocked by writers).
    func read<T>(_ context: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(db) }
        } catch {
            throw TrackingError.wrap(error, context())
        }
    }

    /// Names of the migrations applied to this store, in order.
    public func appliedMigrations() throws -> [String] {
        try read("reading applied migrations") { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Runs integrity checks and returns a list of human-readable problems (empty = consistent):
    /// SQLite `integrity_check`, foreign keys, versions whose artifact row or file is missing,
    /// aliases pointing to missing versions, prediction log payload files missing or shorter
    /// than their rows say.
    public func integrityProblems() throws -> [String] {
        let rows: ([String], [String], [(String, Int64)]) = try read("checking store integrity") { db in
            var problems: [String] = []
            let check = try Self.confirmedIntegrityReports(db, String.fetchAll(db, sql: "PRAGMA integrity_check"))
            if !check.isEmpty { problems += check.map { "integrity_check: \($0)" } }
            let fk = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            for r in fk { problems.append("foreign key violation in \(r[0] as String? ?? "?") rowid \(r[1] as Int64? ?? -1)") }
            let orphanVersions = try Row.fetchAll(db, sql: """
                SELECT v.model, v.version FROM model_versions v
                LEFT JOIN artifacts a ON a.sha256 = v.artifact_sha256 WHERE a.sha256 IS NULL
                """)
            for r in orphanVersions { problems.append("model \(r[0] as String) version \(r[1] as Int) has no artifact row") }
            let badAliases = try Row.fetchAll(db, sql: """
                SELECT a.model, a.alias, a.version FROM model_aliases a
                LEFT JOIN model_versions v ON v.model = a.model AND v.version = a.version WHERE v.version IS NULL
                """)
            for r in badAliases { problems.append("alias \(r[0] as String)@\(r[1] as String) points to missing version \(r[2] as Int)") }
            let shas = try String.fetchAll(db, sql: "SELECT DISTINCT artifact_sha256 FROM model_versions")
            let payloadEnds = try Row.fetchAll(db, sql: """
                SELECT payload_file, max(payload_offset + payload_length) FROM prediction_batches
                WHERE payload_file IS NOT NULL GROUP BY payload_file
                """).map { ($0[0] as String, $0[1] as Int64) }
            return (problems, shas, payloadEnds)
        }
        var problems = rows.0
        for sha in rows.1 where !FileManager.default.fileExists(atPath: artifactPath(sha)) {
            problems.append("artifact file \(sha) referenced by a model version is missing")
        }
        // Logged batches' payload files: present and long enough (checksums are verified on read).
        for (file, end) in rows.2 {
            let path = payloads.directory.appendingPathComponent(file).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            if let size, Int64(size) >= end { continue }
            problems.append(size == nil ? "prediction log file \(path) is missing"
                                        : "prediction log file \(path) holds \(size!) bytes, rows point up to byte \(end)")
        }
        return problems
    }

    /// `integrity_check`'s lines without its false "NULL value in T.C" reports. SQLite 3.40
    /// (Debian 12's) reads the wrong column for that check in a WITHOUT ROWID table whose key
    /// columns do not come first (`datasets`, for one): each such line is kept only
    /// when a query finds a NULL in that column.
    static func confirmedIntegrityReports(_ db: Database, _ lines: [String]) throws -> [String] {
        if lines == ["ok"] { return [] }
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        return try lines.filter { line in
            let prefix = "NULL value in "
            guard line.hasPrefix(prefix) else { return true }
            let parts = line.dropFirst(prefix.count).split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, tables.contains(parts[0]) else { return true }
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(parts[0].quotedDatabaseIdentifier))").map { $0["name"] as String }
            guard columns.contains(parts[1]) else { return true }
            let nulls = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM \(parts[0].quotedDatabaseIdentifier) WHERE \(parts[1].quotedDatabaseIdentifier) IS NULL
                """) ?? 0
            return nulls > 0
        }
    }

    /// `$PLUMB_USER`, `$USER` or `$LOGNAME`, else the account name of the process's uid (containers
    /// and CI often set no `$USER`), else "uid N".
    static var currentUser: String {
        let env = ProcessInfo.processInfo.environment
        for key in ["PLUMB_USER", "USER", "LOGNAME"] {
            if let u = env[key], !u.isEmpty { return u }
        }
        let uid = getuid()
        if let pw = getpwuid(uid), let name = pw.pointee.pw_name {
            let s = String(cString: name)
            if !s.isEmpty { return s }
        }
        return "uid \(uid)"
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
