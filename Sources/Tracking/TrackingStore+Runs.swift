import Foundation
import GRDB

extension TrackingStore {
    // MARK: Experiments

    /// Returns the experiment called `name`, creating it if needed.
    public func experiment(named name: String) throws -> Experiment {
        guard !name.isEmpty else { throw TrackingError.invalid("experiment name must not be empty") }
        return try write("creating experiment \"\(name)\"") { db in try Self.experiment(db, name: name) }
    }

    static func experiment(_ db: Database, name: String) throws -> Experiment {
        try db.execute(sql: "INSERT OR IGNORE INTO experiments(name, created_ms) VALUES (?, ?)", arguments: [name, nowMs()])
        guard let row = try Row.fetchOne(db, sql: "SELECT id, name, created_ms FROM experiments WHERE name = ?", arguments: [name]) else {
            throw TrackingError.notFound("experiment \"\(name)\" vanished while being created")
        }
        return Experiment(id: row[0], name: row[1], createdMs: row[2])
    }

    /// All experiments, by name.
    public func experiments() throws -> [Experiment] {
        try read("listing experiments") { db in
            try Row.fetchAll(db, sql: "SELECT id, name, created_ms FROM experiments ORDER BY name").map {
                Experiment(id: $0[0], name: $0[1], createdMs: $0[2])
            }
        }
    }

    // MARK: Runs

    /// Starts a run (status RUNNING) in `experiment` (created if needed).
    /// - Parameters:
    ///   - name: run name; defaults to the first 8 characters of the id.
    ///   - sourceCommit: git commit of the code, when the caller knows it.
    ///   - parentRunID: id of the parent run (nested runs, e.g. one per fold).
    ///   - user: defaults to `$PLUMB_USER`, `$USER`, `$LOGNAME` or the account name of the uid.
    /// - Returns: the new run id (32 lower-case hex characters).
    @discardableResult
    public func startRun(experiment: String, name: String? = nil, sourceCommit: String? = nil,
                         parentRunID: String? = nil, user: String? = nil, startMs: Int64? = nil) throws -> String {
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let runName = name ?? String(id.prefix(8))
        try write("starting run in experiment \"\(experiment)\"") { db in
            let exp = try Self.experiment(db, name: experiment)
            if let parent = parentRunID, try Self.runExists(db, parent) == false {
                throw TrackingError.notFound("parent run \(parent) does not exist")
            }
            try db.execute(sql: """
                INSERT INTO runs(id, experiment_id, name, status, start_ms, user, source_commit, parent_id)
                VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?)
                """, arguments: [id, exp.id, runName, startMs ?? Self.nowMs(), user ?? Self.currentUser, sourceCommit, parentRunID])
        }
        return id
    }

    /// Ends a run with `status` (FINISHED by default); `errorMessage` for FAILED runs.
    public func endRun(_ runID: String, status: RunStatus = .finished, errorMessage: String? = nil, endMs: Int64? = nil) throws {
        try write("ending run \(runID)") { db in
            try db.execute(sql: "UPDATE runs SET status = ?, end_ms = ?, error = ? WHERE id = ?",
                           arguments: [status.rawValue, endMs ?? Self.nowMs(), errorMessage, runID])
            if db.changesCount == 0 { throw TrackingError.notFound("run \(runID) does not exist") }
        }
    }

    static func runExists(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM runs WHERE id = ?)", arguments: [id]) ?? false
    }

    static func requireRun(_ db: Database, _ id: String) throws {
        if try !runExists(db, id) { throw TrackingError.notFound("run \(id) does not exist") }
    }

    // MARK: Params (immutable)

    /// Logs one parameter. Params are immutable: re-logging the same value is fine, a different
    /// value throws `.immutable` naming the key.
    public func logParam(run runID: String, key: String, value: String) throws {
        try logParams(run: runID, [key: value])
    }

    /// Logs several parameters in one transaction (all or none).
    public func logParams(run runID: String, _ params: [String: String]) throws {
        try write("logging params for run \(runID)") { db in
            try Self.requireRun(db, runID)
            for key in params.keys.sorted() {
                guard let value = params[key] else { continue }
                guard !key.isEmpty else { throw TrackingError.invalid("run \(runID): param key must not be empty") }
                if let old = try String.fetchOne(db, sql: "SELECT value FROM params WHERE run_id = ? AND key = ?", arguments: [runID, key]) {
                    if old != value {
                        throw TrackingError(code: .immutable, message: "run \(runID): param \"\(key)\" is already logged as \"\(old)\"; params are immutable (tried \"\(value)\")")
                    }
                    continue
                }
                try db.execute(sql: "INSERT INTO params(run_id, key, value) VALUES (?, ?, ?)", arguments: [runID, key, value])
            }
        }
    }

    // MARK: Metrics

    /// Logs one metric value.
    public func logMetric(run runID: String, key: String, value: Double, step: Int64 = 0, timestampMs: Int64? = nil) throws {
        try logMetrics(run: runID, [MetricPoint(key: key, value: value, step: step, timestampMs: timestampMs)])
    }

    /// Logs a batch of metric points in one transaction; the full history is kept and the latest
    /// value per key (highest step, then timestamp, then insertion order) is maintained for search.
    /// - Complexity: O(batch) with two cached prepared statements.
    public func logMetrics(run runID: String, _ batch: [MetricPoint]) throws {
        guard !batch.isEmpty else { return }
        try write("logging \(batch.count) metric points for run \(runID)") { db in
            try Self.requireRun(db, runID)
            let insert = try db.cachedStatement(sql: "INSERT INTO metrics(run_id, key, value, step, timestamp_ms) VALUES (?, ?, ?, ?, ?)")
            // Upsert keeps the row with the greatest (step, timestamp); ties go to the newer point.
            let latest = try db.cachedStatement(sql: """
                INSERT INTO latest_metrics(run_id, key, value, step, timestamp_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp_ms = excluded.timestamp_ms
                WHERE excluded.step > latest_metrics.step
                   OR (excluded.step = latest_metrics.step AND excluded.timestamp_ms >= latest_metrics.timestamp_ms)
                """)
            for p in batch {
                guard !p.key.isEmpty else { throw TrackingError.invalid("run \(runID): metric key must not be empty") }
                let v: Double? = p.value.isNaN ? nil : p.value
                let args: StatementArguments = [runID, p.key, v, p.step, p.timestampMs]
                try insert.execute(arguments: args)
                try latest.execute(arguments: args)
            }
        }
    }

    /// Full history of metric `key` for a run, ordered by step, then timestamp, then logging order.
    public func metricHistory(run runID: String, key: String) throws -> [MetricPoint] {
        try read("reading metric \"\(key)\" of run \(runID)") { db in
            try Self.requireRun(db, runID)
            return try Row.fetchAll(db, sql: """
                SELECT key, value, step, timestamp_ms FROM metrics WHERE run_id = ? AND key = ?
                ORDER BY step, timestamp_ms, id
                """, arguments: [runID, key]).map {
                MetricPoint(key: $0[0], value: ($0[1] as Double?) ?? .nan, step: $0[2], timestampMs: $0[3])
            }
        }
    }

    // MARK: Tags (mutable)

    /// Sets (or overwrites) a tag.
    public func setTag(run runID: String, key: String, value: String) throws {
        try write("setting tag \"\(key)\" on run \(runID)") { db in
            try Self.requireRun(db, runID)
            try db.execute(sql: "INSERT INTO tags(run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value",
                           arguments: [runID, key, value])
        }
    }

    /// Deletes a tag; throws `.notFound` if it is not set.
    public func deleteTag(run runID: String, key: String) throws {
        try write("deleting tag \"\(key)\" of run \(runID)") { db in
            try db.execute(sql: "DELETE FROM tags WHERE run_id = ? AND key = ?", arguments: [runID, key])
            if db.changesCount == 0 { throw TrackingError.notFound("run \(runID) has no tag \"\(key)\"") }
        }
    }

    // MARK: Artifacts and datasets

    /// Stores `bytes` and attaches them to the run as `name` (replacing an earlier artifact of that name).
    @discardableResult
    public func logArtifact(run runID: String, name: String, bytes: Data) throws -> RunArtifact {
        let sha = try putArtifact(bytes)
        return try logArtifact(run: runID, name: name, sha256: sha)
    }

    /// Attaches an already stored artifact (see `putArtifact`) to the run as `name`.
    @discardableResult
    public func logArtifact(run runID: String, name: String, sha256: String) throws -> RunArtifact {
        try write("attaching artifact \"\(name)\" to run \(runID)") { db in
            try Self.requireRun(db, runID)
            guard let size = try Int64.fetchOne(db, sql: "SELECT size FROM artifacts WHERE sha256 = ?", arguments: [sha256]) else {
                throw TrackingError.notFound("artifact \(sha256) is not in the store (call putArtifact first)")
            }
            try db.execute(sql: """
                INSERT INTO run_artifacts(run_id, name, sha256, size) VALUES (?, ?, ?, ?)
                ON CONFLICT(run_id, name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size
                """, arguments: [runID, name, sha256, size])
            return RunArtifact(name: name, sha256: sha256, size: size)
        }
    }

    /// Records a dataset input of the run (lineage). Logging the same name and context again replaces it.
    public func logDataset(run runID: String, _ d: DatasetInput) throws {
        try write("logging dataset \"\(d.name)\" for run \(runID)") { db in
            try Self.requireRun(db, runID)
            try db.execute(sql: """
                INSERT OR REPLACE INTO datasets(run_id, name, digest, rows, schema_json, source, context)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, d.name, d.digest, d.rows, d.schemaJSON, d.source, d.context.rawValue])
        }
    }

    // MARK: Reading

    /// Full details of one run. `id` may be a unique prefix (at least 4 characters) of a run id.
    /// - Throws: `.notFound` naming the id, `.invalidArgument` if a prefix is ambiguous.
    public func run(_ id: String) throws -> RunDetail {
        try read("reading run \(id)") { db in
            let full = try Self.resolveRunID(db, id)
            guard let summary = try Self.summaries(db, whereSQL: "r.id = ?", arguments: [full], orderSQL: "", limit: nil).first else {
                throw TrackingError.notFound("run \(id) does not exist")
            }
            let datasets = try Row.fetchAll(db, sql: """
                SELECT name, digest, rows, schema_json, source, context FROM datasets WHERE run_id = ? ORDER BY context, name
                """, arguments: [full]).map {
                DatasetInput(name: $0[0], digest: $0[1], rows: $0[2], schemaJSON: $0[3], source: $0[4],
                             context: DatasetContext(rawValue: $0[5]) ?? .training)
            }
            let artifacts = try Row.fetchAll(db, sql: "SELECT name, sha256, size FROM run_artifacts WHERE run_id = ? ORDER BY name",
                                             arguments: [full]).map { RunArtifact(name: $0[0], sha256: $0[1], size: $0[2]) }
            let children = try String.fetchAll(db, sql: "SELECT id FROM runs WHERE parent_id = ? ORDER BY start_ms, id", arguments: [full])
            return RunDetail(run: summary, datasets: datasets, artifacts: artifacts, children: children)
        }
    }

    static func resolveRunID(_ db: Database, _ id: String) throws -> String {
        if try runExists(db, id) { return id }
        let hex = id.lowercased()
        guard hex.count >= 4, hex.count < 32, hex.allSatisfy({ $0.isHexDigit }) else {
            throw TrackingError.notFound("run \(id) does not exist")
        }
        let matches = try String.fetchAll(db, sql: "SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 2",
                                          arguments: [hex, hex + "g"])
        switch matches.count {
        case 1: return matches[0]
        case 0: throw TrackingError.notFound("run \(id) does not exist")
        default: throw TrackingError.invalid("run id prefix \(id) is ambiguous; give more characters")
        }
    }

    /// Loads run summaries (with params, latest metrics, tags) for `runs r JOIN experiments e`
    /// rows matching `whereSQL` (bound by `arguments`), in `orderSQL` order (bound by `orderArguments`). Values are always bound, never interpolated.
    static func summaries(_ db: Database, whereSQL: String, arguments: StatementArguments, orderSQL: String,
                          orderArguments: StatementArguments = [], limit: Int?, bulkThreshold: Int = 500) throws -> [RunSummary] {
        var sql = """
            SELECT r.id, e.name, r.name, r.status, r.start_ms, r.end_ms, r.user, r.source_commit, r.parent_id, r.error
            FROM runs r JOIN experiments e ON e.id = r.experiment_id
            """
        if !whereSQL.isEmpty { sql += " WHERE " + whereSQL }
        if !orderSQL.isEmpty { sql += " ORDER BY " + orderSQL }
        var args = arguments
        args += orderArguments
        if let limit { sql += " LIMIT ?"; args += [limit] }
        var runs: [RunSummary] = []
        var index: [String: Int] = [:]
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: args)
        while let r = try cursor.next() {
            let id: String = r[0]
            index[id] = runs.count
            runs.append(RunSummary(id: id, experiment: r[1], name: r[2], status: RunStatus(rawValue: r[3]) ?? .running,
                                   startMs: r[4], endMs: r[5], user: r[6], sourceCommit: r[7], parentID: r[8], errorMessage: r[9],
                                   params: [:], metrics: [:], tags: [:]))
        }
        if runs.isEmpty { return runs }
        func attach(_ table: String, _ cursorSQL: String, _ args: StatementArguments) throws {
            let c = try Row.fetchCursor(db, sql: cursorSQL, arguments: args)
            switch table {
            case "params": while let r = try c.next() { if let i = index[r[0]] { runs[i].params[r[1]] = r[2] } }
            case "tags": while let r = try c.next() { if let i = index[r[0]] { runs[i].tags[r[1]] = r[2] } }
            default: while let r = try c.next() { if let i = index[r[0]] { runs[i].metrics[r[1]] = (r[2] as Double?) ?? .nan } }
            }
        }
        let tables = ["params", "latest_metrics", "tags"]
        if limit == nil && runs.count > bulkThreshold {
            // Many runs: one pass per table over the same filter (no long IN lists).
            let from = "FROM runs r JOIN experiments e ON e.id = r.experiment_id" + (whereSQL.isEmpty ? "" : " WHERE " + whereSQL)
            for t in tables {
                try attach(t, "SELECT x.run_id, x.key, x.value FROM \(t) x WHERE x.run_id IN (SELECT r.id \(from))", arguments)
            }
            return runs
        }
        // Few runs: attach params/metrics/tags in chunks of ids (bounded number of bound variables).
        let ids = runs.map(\.id)
        let chunk = 500
        var start = 0
        while start < ids.count {
            let part = Array(ids[start..<min(start + chunk, ids.count)])
            let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
            for t in tables {
                try attach(t, "SELECT run_id, key, value FROM \(t) WHERE run_id IN (\(marks))", StatementArguments(part))
            }
            start += chunk
        }
        return runs
    }
}
