import Foundation
import GRDB
import MLCore

/// Segment and fairness evaluations stored with a registered version.
public struct VersionEvaluations: Codable, Sendable, Equatable {
    /// One per segmented column, sorted by column.
    public var segments: [SegmentEvaluation]
    /// One per sensitive column, sorted by column.
    public var fairness: [FairnessEvaluation]

    public init(segments: [SegmentEvaluation] = [], fairness: [FairnessEvaluation] = []) {
        self.segments = segments
        self.fairness = fairness
    }

    public var isEmpty: Bool { segments.isEmpty && fairness.isEmpty }
}

extension TrackingStore {
    static func evaluationJSON<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    /// Stores evaluations with `model` version `version`, replacing earlier ones of the same
    /// columns; one transaction, audited as `record_evaluation` (the columns, and `source` as the
    /// reason).
    /// - Throws: `.notFound` for an unknown model or version.
    public func recordEvaluations(model: String, version: Int, _ evaluations: VersionEvaluations, source: String) throws {
        try write("recording evaluation of model \"\(model)\" version \(version)") { db in
            _ = try Self.version(db, model, version)
            var what: [String] = []
            func put(_ kind: String, _ column: String, _ json: String) throws {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO version_evaluations(model, version, kind, column_name, json, source, created_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [model, version, kind, column, json, source, Self.nowMs()])
                what.append("\(kind):\(column)")
            }
            for s in evaluations.segments { try put("segments", s.column, try Self.evaluationJSON(s)) }
            for f in evaluations.fairness { try put("fairness", f.sensitive, try Self.evaluationJSON(f)) }
            try Self.audit(db, action: "record_evaluation", model: model, version: version, to: what.joined(separator: ", "), reason: source)
        }
    }

    /// The evaluations stored with a version (empty when none).
    /// - Throws: `.notFound` for an unknown model or version; `.corruptArtifact` for a stored
    ///   evaluation that no longer decodes.
    public func evaluations(model: String, version: Int) throws -> VersionEvaluations {
        try read("reading evaluations of model \"\(model)\" version \(version)") { db in
            _ = try Self.version(db, model, version)
            return try Self.evaluations(db, model: model, version: version)
        }
    }

    static func evaluations(_ db: Database, model: String, version: Int) throws -> VersionEvaluations {
        var out = VersionEvaluations()
        for r in try Row.fetchAll(db, sql: """
            SELECT kind, column_name, json FROM version_evaluations WHERE model = ? AND version = ? ORDER BY kind, column_name
            """, arguments: [model, version]) {
            let kind: String = r[0], column: String = r[1], json: String = r[2]
            do {
                if kind == "segments" {
                    out.segments.append(try JSONDecoder().decode(SegmentEvaluation.self, from: Data(json.utf8)))
                } else {
                    out.fairness.append(try JSONDecoder().decode(FairnessEvaluation.self, from: Data(json.utf8)))
                }
            } catch {
                throw TrackingError(code: .corruptArtifact, message: "model \"\(model)\" version \(version): stored \(kind) evaluation of \"\(column)\" is unreadable (\(error))", underlying: error)
            }
        }
        return out
    }

    // MARK: Approvals

    /// Records a named person's approval of a version for Production in the audit trail (action
    /// `approve`); `promote` under a policy with `require_approval` looks for it.
    /// - Parameters:
    ///   - by: who approves (default: the current user, as every audit entry).
    /// - Throws: `.invalidArgument` for an empty reason or name, `.notFound` for an unknown
    ///   model or version.
    @discardableResult
    public func approve(model: String, version: Int, reason: String, by: String? = nil) throws -> AuditEntry {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw TrackingError.invalid("approving \(model)/\(version): a reason is required (--reason \"…\")") }
        let user = by?.trimmingCharacters(in: .whitespacesAndNewlines) ?? Self.currentUser
        guard !user.isEmpty else { throw TrackingError.invalid("approving \(model)/\(version): the approver's name is empty") }
        return try write("approving model \"\(model)\" version \(version)") { db in
            let v = try Self.version(db, model, version)
            try db.execute(sql: """
                INSERT INTO registry_audit(time_ms, user, action, model, version, alias, from_value, to_value, reason)
                VALUES (?, ?, 'approve', ?, ?, NULL, ?, 'approved', ?)
                """, arguments: [Self.nowMs(), user, model, version, v.stage.rawValue, reason])
            let id = db.lastInsertedRowID
            return try Self.auditEntries(db, sql: "id = ?", [id])[0]
        }
    }

    /// Approvals of a version, oldest first.
    public func approvals(model: String, version: Int) throws -> [AuditEntry] {
        try read("reading approvals of model \"\(model)\" version \(version)") { db in
            _ = try Self.version(db, model, version)
            return try Self.approvals(db, model: model, version: version)
        }
    }

    static func approvals(_ db: Database, model: String, version: Int) throws -> [AuditEntry] {
        try auditEntries(db, sql: "model = ? AND version = ? AND action = 'approve'", [model, version])
    }

    static func auditEntries(_ db: Database, sql condition: String, _ arguments: StatementArguments) throws -> [AuditEntry] {
        try Row.fetchAll(db, sql: """
            SELECT id, time_ms, user, action, model, version, alias, from_value, to_value, reason
            FROM registry_audit WHERE \(condition) ORDER BY id
            """, arguments: arguments).map {
            AuditEntry(id: $0[0], timeMs: $0[1], user: $0[2], action: $0[3], model: $0[4], version: $0[5],
                       alias: $0[6], from: $0[7], to: $0[8], reason: $0[9])
        }
    }
}
