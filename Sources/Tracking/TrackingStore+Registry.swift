import Foundation
import GRDB

extension TrackingStore {
    /// True if `alias` matches `[A-Za-z0-9_-]+`.
    public static func isValidAlias(_ alias: String) -> Bool {
        !alias.isEmpty && alias.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
    }

    static func validateModelName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.contains("@"), name.trimmingCharacters(in: .whitespaces) == name else {
            throw TrackingError.invalid("model name \"\(name)\" must be non-empty, without \"/\", \"@\" or surrounding spaces")
        }
    }

    // MARK: Audit

    static func audit(_ db: Database, action: String, model: String, version: Int? = nil, alias: String? = nil,
                      from: String? = nil, to: String? = nil, reason: String) throws {
        try db.execute(sql: """
            INSERT INTO registry_audit(time_ms, user, action, model, version, alias, from_value, to_value, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [nowMs(), currentUser, action, model, version, alias, from, to, reason])
    }

    /// Audit trail of `model`, oldest first.
    /// - Throws: `.notFound` if the model does not exist.
    public func history(model: String) throws -> [AuditEntry] {
        try read("reading history of model \"\(model)\"") { db in
            try Self.requireModel(db, model)
            return try Row.fetchAll(db, sql: """
                SELECT id, time_ms, user, action, model, version, alias, from_value, to_value, reason
                FROM registry_audit WHERE model = ? ORDER BY id
                """, arguments: [model]).map {
                AuditEntry(id: $0[0], timeMs: $0[1], user: $0[2], action: $0[3], model: $0[4], version: $0[5],
                           alias: $0[6], from: $0[7], to: $0[8], reason: $0[9])
            }
        }
    }

    // MARK: Models

    static func requireModel(_ db: Database, _ name: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM registered_models WHERE name = ?)", arguments: [name]) != true {
            throw TrackingError.notFound("model \"\(name)\" is not registered")
        }
    }

    static func ensureModel(_ db: Database, _ name: String, description: String, reason: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM registered_models WHERE name = ?)", arguments: [name]) == true { return }
        try db.execute(sql: "INSERT INTO registered_models(name, description, created_ms) VALUES (?, ?, ?)",
                       arguments: [name, description, nowMs()])
        try audit(db, action: "create_model", model: name, reason: reason)
    }

    /// Creates a registered model (one transaction, audited).
    /// - Throws: `.alreadyExists` if the name is taken, `.invalidArgument` for a bad name.
    @discardableResult
    public func createModel(name: String, description: String = "", tags: [String: String] = [:], reason: String = "") throws -> RegisteredModel {
        try Self.validateModelName(name)
        try write("creating model \"\(name)\"") { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM registered_models WHERE name = ?)", arguments: [name]) == true {
                throw TrackingError(code: .alreadyExists, message: "model \"\(name)\" already exists")
            }
            try Self.ensureModel(db, name, description: description, reason: reason)
            for (k, v) in tags {
                try db.execute(sql: "INSERT INTO model_tags(model, key, value) VALUES (?, ?, ?)", arguments: [name, k, v])
            }
        }
        return try model(name)
    }

    /// Sets a model's description (audited).
    public func setModelDescription(_ name: String, _ description: String, reason: String = "") throws {
        try write("describing model \"\(name)\"") { db in
            try Self.requireModel(db, name)
            try db.execute(sql: "UPDATE registered_models SET description = ? WHERE name = ?", arguments: [description, name])
            try Self.audit(db, action: "set_description", model: name, reason: reason)
        }
    }

    /// Sets a tag on a registered model.
    public func setModelTag(_ name: String, key: String, value: String) throws {
        try write("tagging model \"\(name)\"") { db in
            try Self.requireModel(db, name)
            try db.execute(sql: "INSERT INTO model_tags(model, key, value) VALUES (?, ?, ?) ON CONFLICT(model, key) DO UPDATE SET value = excluded.value",
                           arguments: [name, key, value])
        }
    }

    /// All registered models, by name.
    public func models() throws -> [RegisteredModel] {
        try read("listing models") { db in
            try String.fetchAll(db, sql: "SELECT name FROM registered_models ORDER BY name").map { try Self.model(db, $0) }
        }
    }

    /// One registered model with its tags, aliases and latest version number.
    public func model(_ name: String) throws -> RegisteredModel {
        try read("reading model \"\(name)\"") { db in try Self.model(db, name) }
    }

    static func model(_ db: Database, _ name: String) throws -> RegisteredModel {
        guard let row = try Row.fetchOne(db, sql: "SELECT name, description, created_ms FROM registered_models WHERE name = ?", arguments: [name]) else {
            throw TrackingError.notFound("model \"\(name)\" is not registered")
        }
        var tags: [String: String] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT key, value FROM model_tags WHERE model = ?", arguments: [name]) { tags[r[0]] = r[1] }
        var aliases: [String: Int] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT alias, version FROM model_aliases WHERE model = ?", arguments: [name]) { aliases[r[0]] = r[1] }
        let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ?", arguments: [name])
        return RegisteredModel(name: row[0], description: row[1], tags: tags, createdMs: row[2], latestVersion: latest, aliases: aliases)
    }

    // MARK: Versions

    /// Registers a new version of `model` (the model is created if needed), in ONE transaction:
    /// the next number is allocated inside it, the metrics snapshot is copied and an audit row is written.
    /// - Parameters:
    ///   - runID: source run; when `metrics` is nil its latest metrics are copied as the snapshot.
    ///   - artifactSHA256: the model file, already stored with `putArtifact`.
    /// - Returns: the new version (stage None).
    /// - Throws: `.notFound` for an unknown run or artifact.
    @discardableResult
    public func registerVersion(model: String, runID: String?, artifactSHA256: String, description: String = "",
                                tags: [String: String] = [:], metrics: [String: Double]? = nil, reason: String = "") throws -> ModelVersion {
        try Self.validateModelName(model)
        let version: Int = try write("registering a version of model \"\(model)\"") { db in
            try Self.ensureModel(db, model, description: "", reason: reason)
            if let runID { try Self.requireRun(db, runID) }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM artifacts WHERE sha256 = ?)", arguments: [artifactSHA256]) != true {
                throw TrackingError.notFound("artifact \(artifactSHA256) is not in the store (call putArtifact first)")
            }
            var snapshot = metrics ?? [:]
            if metrics == nil, let runID {
                for r in try Row.fetchAll(db, sql: "SELECT key, value FROM latest_metrics WHERE run_id = ? AND value IS NOT NULL", arguments: [runID]) {
                    snapshot[r[0]] = r[1]
                }
            }
            let json = try Self.encodeMetrics(snapshot)
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ?", arguments: [model]) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO model_versions(model, version, run_id, artifact_sha256, description, stage, metrics_json, created_ms)
                VALUES (?, ?, ?, ?, ?, 'None', ?, ?)
                """, arguments: [model, next, runID, artifactSHA256, description, json, Self.nowMs()])
            for (k, v) in tags {
                try db.execute(sql: "INSERT INTO version_tags(model, version, key, value) VALUES (?, ?, ?, ?)", arguments: [model, next, k, v])
            }
            try Self.audit(db, action: "register", model: model, version: next, to: ModelStage.none.rawValue, reason: reason)
            return next
        }
        return try self.version(model: model, version: version)
    }

    static func encodeMetrics(_ m: [String: Double]) throws -> String {
        let finite = m.filter { $0.value.isFinite }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(finite)
        return String(decoding: data, as: UTF8.self)
    }

    /// All versions of `model`, ascending.
    public func versions(model: String) throws -> [ModelVersion] {
        try read("listing versions of model \"\(model)\"") { db in
            try Self.requireModel(db, model)
            return try Self.versions(db, model: model, only: nil)
        }.map(withArtifactPath)
    }

    func withArtifactPath(_ v: ModelVersion) -> ModelVersion {
        var v = v
        v.artifactPath = artifactPath(v.artifactSHA256)
        return v
    }

    /// One version.
    /// - Throws: `.notFound` naming the model or version.
    public func version(model: String, version: Int) throws -> ModelVersion {
        withArtifactPath(try read("reading model \"\(model)\" version \(version)") { db in try Self.version(db, model, version) })
    }

    static func version(_ db: Database, _ model: String, _ version: Int) throws -> ModelVersion {
        try requireModel(db, model)
        guard let v = try versions(db, model: model, only: version).first else {
            throw TrackingError.notFound("model \"\(model)\" has no version \(version)")
        }
        return v
    }


    static func versions(_ db: Database, model: String, only: Int?) throws -> [ModelVersion] {
        var sql = "SELECT model, version, run_id, artifact_sha256, description, stage, metrics_json, created_ms FROM model_versions WHERE model = ?"
        var args: StatementArguments = [model]
        if let only { sql += " AND version = ?"; args += [only] }
        sql += " ORDER BY version"
        var tags: [Int: [String: String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT version, key, value FROM version_tags WHERE model = ?", arguments: [model]) {
            tags[r[0], default: [:]][r[1]] = r[2]
        }
        var aliases: [Int: [String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT version, alias FROM model_aliases WHERE model = ? ORDER BY alias", arguments: [model]) {
            aliases[r[0], default: []].append(r[1])
        }
        return try Row.fetchAll(db, sql: sql, arguments: args).map { r in
            let v: Int = r[1]
            let sha: String = r[3]
            let metricsJSON: String = r[6]
            let metrics = (try? JSONDecoder().decode([String: Double].self, from: Data(metricsJSON.utf8))) ?? [:]
            return ModelVersion(model: r[0], version: v, runID: r[2], artifactSHA256: sha, artifactPath: "",
                                description: r[4], tags: tags[v] ?? [:], stage: ModelStage(rawValue: r[5]) ?? .none,
                                metrics: metrics, createdMs: r[7], aliases: aliases[v] ?? [])
        }
    }

    // MARK: Aliases and stages

    /// Points `alias` of `model` at `version` (one transaction, audited with the previous target).
    /// - Throws: `.invalidArgument` if the alias does not match [A-Za-z0-9_-]+, `.notFound` for an unknown model/version.
    public func setAlias(model: String, alias: String, version: Int, reason: String = "") throws {
        guard Self.isValidAlias(alias) else { throw TrackingError.invalid("alias \"\(alias)\" must match [A-Za-z0-9_-]+") }
        try write("setting alias \(model)@\(alias)") { db in try Self.setAlias(db, model: model, alias: alias, version: version, action: "set_alias", reason: reason) }
    }

    static func setAlias(_ db: Database, model: String, alias: String, version: Int, action: String, reason: String) throws {
        _ = try self.version(db, model, version)
        let old = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
        if old == version { return }
        try db.execute(sql: "INSERT INTO model_aliases(model, alias, version) VALUES (?, ?, ?) ON CONFLICT(model, alias) DO UPDATE SET version = excluded.version",
                       arguments: [model, alias, version])
        try audit(db, action: action, model: model, version: version, alias: alias, from: old.map(String.init), to: String(version), reason: reason)
    }

    /// Removes `alias` of `model` (audited). Throws `.notFound` if it is not set.
    public func deleteAlias(model: String, alias: String, reason: String = "") throws {
        try write("deleting alias \(model)@\(alias)") { db in
            try Self.requireModel(db, model)
            guard let old = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = ?", arguments: [model, alias]) else {
                throw TrackingError.notFound("model \"\(model)\" has no alias \"\(alias)\"")
            }
            try db.execute(sql: "DELETE FROM model_aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            try Self.audit(db, action: "delete_alias", model: model, version: old, alias: alias, from: String(old), to: nil, reason: reason)
        }
    }

    /// Moves `version` to `stage` (one transaction, audited). With `archiveExisting`, other
    /// versions currently in that stage move to Archived in the same transaction.
    public func transitionStage(model: String, version: Int, to stage: ModelStage, archiveExisting: Bool = false, reason: String = "") throws {
        try write("moving model \"\(model)\" version \(version) to \(stage.rawValue)") { db in
            if archiveExisting && stage != .archived {
                for other in try Int.fetchAll(db, sql: "SELECT version FROM model_versions WHERE model = ? AND stage = ? AND version != ?",
                                              arguments: [model, stage.rawValue, version]) {
                    try Self.setStage(db, model: model, version: other, to: .archived, reason: reason)
                }
            }
            try Self.setStage(db, model: model, version: version, to: stage, reason: reason)
        }
    }

    static func setStage(_ db: Database, model: String, version: Int, to stage: ModelStage, action: String = "stage", reason: String) throws {
        let v = try self.version(db, model, version)
        if v.stage == stage { return }
        try db.execute(sql: "UPDATE model_versions SET stage = ? WHERE model = ? AND version = ?", arguments: [stage.rawValue, model, version])
        try audit(db, action: action, model: model, version: version, from: v.stage.rawValue, to: stage.rawValue, reason: reason)
    }

    // MARK: URIs

    /// Resolves a model URI to a version (with `artifactPath` filled in).
    /// - Throws: `.notFound` naming the unknown model, version, alias or empty stage.
    public func resolve(_ uri: ModelURI) throws -> ModelVersion {
        let v: ModelVersion = try read("resolving \(uri)") { db in
            try Self.requireModel(db, uri.name)
            let number: Int
            switch uri.reference {
            case .version(let n): number = n
            case .latest:
                guard let n = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ?", arguments: [uri.name]) else {
                    throw TrackingError.notFound("\(uri): model \"\(uri.name)\" has no versions")
                }
                number = n
            case .alias(let a):
                guard let n = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = ?", arguments: [uri.name, a]) else {
                    throw TrackingError.notFound("\(uri): model \"\(uri.name)\" has no alias \"\(a)\"")
                }
                number = n
            case .stage(let s):
                guard let n = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ? AND stage = ?", arguments: [uri.name, s.rawValue]) else {
                    throw TrackingError.notFound("\(uri): model \"\(uri.name)\" has no version in stage \(s.rawValue)")
                }
                number = n
            }
            return try Self.version(db, uri.name, number)
        }
        return withArtifactPath(v)
    }

    /// Parses and resolves a URI string.
    public func resolve(_ uri: String) throws -> ModelVersion { try resolve(try ModelURI.parse(uri)) }
}
