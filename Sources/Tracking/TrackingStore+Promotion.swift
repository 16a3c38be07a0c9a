import Foundation
import GRDB

extension TrackingStore {
    static func fmt(_ x: Double) -> String { String(format: "%.4g", x) }

    /// Applies `policy` to `model` in ONE transaction (every change audited):
    /// versions better than the staging threshold that are not Production (nor Archived) → Staging;
    /// the best candidate (metric, then tie-break) better than the production threshold → Production
    /// and alias `champion`, archiving the previous Production version(s) — unless it already is champion.
    /// If nothing qualifies the champion stays and `message` says why.
    /// - Parameters:
    ///   - version: if given, only this version is considered (for Staging and Production); it may be Archived.
    /// - Throws: `.notFound` for an unknown model or version.
    @discardableResult
    public func promote(model: String, version only: Int? = nil, policy: PromotionPolicy = .default, reason: String = "") throws -> PromotionOutcome {
        try write("promoting model \"\(model)\"") { db in
            try Self.requireModel(db, model)
            let all = try Self.versions(db, model: model, only: nil)
            let considered: [ModelVersion]
            if let only {
                guard let v = all.first(where: { $0.version == only }) else {
                    throw TrackingError.notFound("model \"\(model)\" has no version \(only)")
                }
                considered = [v]
            } else {
                considered = all.filter { $0.stage != .archived }
            }
            let champion = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = 'champion'", arguments: [model])
            let why = reason.isEmpty ? "promotion policy" : reason
            let withMetric = considered.filter { $0.metrics[policy.metric].map { !$0.isNaN } ?? false }
            let qualified = withMetric.filter { policy.beats($0.metrics[policy.metric] ?? .nan, policy.productionThreshold) }
            // Best first; segment, fairness and approval gates (when the policy has any) may pass
            // over a version, or stop the best one at Staging until someone approves it.
            var winner: ModelVersion?
            var awaitingApproval: ModelVersion?
            var refusals: [String] = []
            for v in qualified.sorted(by: { policy.ranks($0, before: $1) }) {
                guard policy.hasProductionGates else { winner = v; break }
                let failed = policy.gateRefusals(model: model, version: v.version, evaluations: try Self.evaluations(db, model: model, version: v.version))
                if !failed.isEmpty { refusals += failed; continue }
                let alreadyChampion = champion == v.version && v.stage == .production
                if policy.requireApproval, !alreadyChampion, try Self.approvals(db, model: model, version: v.version).isEmpty {
                    refusals.append("v\(v.version) has no recorded approval, which the policy requires for Production (plumb models approve \(model)/\(v.version) --reason \"…\")")
                    awaitingApproval = v
                    break
                }
                winner = v
                break
            }
            var staged: [Int] = []
            // The winner goes straight to Production, so it is not staged on the way.
            for v in considered where v.stage != .production && v.stage != .staging && v.version != winner?.version {
                if let m = v.metrics[policy.metric], policy.beats(m, policy.stagingThreshold) {
                    try Self.setStage(db, model: model, version: v.version, to: .staging, reason: why)
                    staged.append(v.version)
                }
            }
            let championText = champion.map { "champion v\($0) stays" } ?? "there is no champion"
            guard let best = winner else {
                let message: String
                if let waiting = awaitingApproval {
                    let stage = staged.contains(waiting.version) ? "staged" : "stays \(waiting.stage.rawValue)"
                    message = "v\(waiting.version) qualifies for Production but awaits approval (the policy requires it): \(stage); approve it with `plumb models approve \(model)/\(waiting.version) --reason \"…\"`, then promote again; \(championText)"
                        + (refusals.count > 1 ? " (passed over: " + refusals.dropLast().joined(separator: "; ") + ")" : "")
                } else if !refusals.isEmpty {
                    message = "no version qualifies for Production: " + refusals.joined(separator: "; ") + "; \(championText)"
                } else if let top = withMetric.min(by: { policy.ranks($0, before: $1) }), let m = top.metrics[policy.metric] {
                    message = "no version qualifies for Production: best candidate v\(top.version) has \(policy.metric) \(Self.fmt(m)), not \(policy.higherIsBetter ? "above" : "below") the production threshold \(Self.fmt(policy.productionThreshold)); \(championText)"
                } else {
                    message = "no version qualifies for Production: no \(only.map { "version \($0)" } ?? "candidate version") has metric \(policy.metric); \(championText)"
                }
                return PromotionOutcome(model: model, champion: champion, previousChampion: champion, changed: false,
                                        staged: staged, archived: [], message: message, refusals: refusals)
            }
            let bestMetric = Self.fmt(best.metrics[policy.metric] ?? .nan)
            let passedOver = refusals.isEmpty ? "" : " (passed over: " + refusals.joined(separator: "; ") + ")"
            if champion == best.version && best.stage == .production {
                return PromotionOutcome(model: model, champion: champion, previousChampion: champion, changed: false, staged: staged, archived: [],
                                        message: "v\(best.version) (\(policy.metric) \(bestMetric)) is the best candidate and already the champion" + passedOver,
                                        refusals: refusals)
            }
            var archived: [Int] = []
            for v in try Int.fetchAll(db, sql: "SELECT version FROM model_versions WHERE model = ? AND stage = 'Production' AND version != ?",
                                      arguments: [model, best.version]) {
                try Self.setStage(db, model: model, version: v, to: .archived, reason: why)
                archived.append(v)
            }
            try Self.setStage(db, model: model, version: best.version, to: .production, reason: why)
            try Self.setAlias(db, model: model, alias: "champion", version: best.version, action: "set_alias", reason: why)
            let prev = champion.map { "; previous champion v\($0)" } ?? ""
            return PromotionOutcome(model: model, champion: best.version, previousChampion: champion, changed: champion != best.version,
                                    staged: staged, archived: archived,
                                    message: "v\(best.version) promoted to Production as champion (\(policy.metric) \(bestMetric) \(policy.higherIsBetter ? ">" : "<") \(Self.fmt(policy.productionThreshold)))\(prev)" + passedOver,
                                    refusals: refusals)
        }
    }

    /// Makes the version behind `alias` (a canary's, e.g. "challenger") the champion, in ONE
    /// audited transaction: it goes to Production, the previous Production version(s) to
    /// Archived, and `champion` points at it (so `rollback` returns to the previous champion).
    /// `alias` itself stays where it is. The policy's metric thresholds do not apply (the
    /// canary's live results are the evidence, and the reason records them); its Production
    /// gates do: segment and fairness limits, and a required approval.
    /// - Throws: `.notFound` for an unknown model or an unset alias; `.invalidArgument` when
    ///   `alias` is "champion", or when a gate refuses the version (the message names the
    ///   segment, the groups or the missing approval); nothing changes then.
    @discardableResult
    public func promote(model: String, fromAlias alias: String, policy: PromotionPolicy = .default, reason: String = "") throws -> PromotionOutcome {
        guard alias != "champion" else { throw TrackingError.invalid("--from-canary: the canary alias cannot be \"champion\" itself") }
        return try write("promoting model \"\(model)\" from alias \(alias)") { db in
            try Self.requireModel(db, model)
            guard let version = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = ?", arguments: [model, alias]) else {
                throw TrackingError.notFound("model \"\(model)\" has no alias \"\(alias)\" (the canary's): set it with plumb models alias \(model) \(alias) VERSION")
            }
            let champion = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = 'champion'", arguments: [model])
            let current = try Self.version(db, model, version)
            if champion == version && current.stage == .production {
                return PromotionOutcome(model: model, champion: champion, previousChampion: champion, changed: false, staged: [], archived: [],
                                        message: "v\(version) (\(model)@\(alias)) is already the champion")
            }
            if policy.hasProductionGates {
                let refusals = policy.gateRefusals(model: model, version: version, evaluations: try Self.evaluations(db, model: model, version: version))
                if !refusals.isEmpty {
                    throw TrackingError.invalid("v\(version) (\(model)@\(alias)) cannot become champion: " + refusals.joined(separator: "; "))
                }
                if policy.requireApproval, try Self.approvals(db, model: model, version: version).isEmpty {
                    throw TrackingError.invalid("v\(version) (\(model)@\(alias)) cannot become champion: it has no recorded approval, which the policy requires for Production (plumb models approve \(model)/\(version) --reason \"…\")")
                }
            }
            let why = reason.isEmpty ? "promoted from canary alias \(alias)" : reason
            var archived: [Int] = []
            for v in try Int.fetchAll(db, sql: "SELECT version FROM model_versions WHERE model = ? AND stage = 'Production' AND version != ?",
                                      arguments: [model, version]) {
                try Self.setStage(db, model: model, version: v, to: .archived, reason: why)
                archived.append(v)
            }
            try Self.setStage(db, model: model, version: version, to: .production, reason: why)
            try Self.setAlias(db, model: model, alias: "champion", version: version, action: "promote_canary", reason: why)
            let prev = champion.map { "; previous champion v\($0)" } ?? ""
            return PromotionOutcome(model: model, champion: version, previousChampion: champion, changed: champion != version, staged: [],
                                    archived: archived, message: "v\(version) (\(model)@\(alias)) promoted to Production as champion\(prev)")
        }
    }

    /// Restores the previous champion (found by replaying the `champion` alias history in the audit
    /// trail: set pushes, rollback pops, delete clears) and archives the current one; one transaction.
    /// - Throws: `.notFound` if the model has no previous champion to return to.
    @discardableResult
    public func rollback(model: String, reason: String = "") throws -> PromotionOutcome {
        try write("rolling back model \"\(model)\"") { db in
            try Self.requireModel(db, model)
            var stack: [Int] = []
            for r in try Row.fetchAll(db, sql: """
                SELECT action, to_value FROM registry_audit WHERE model = ? AND alias = 'champion' ORDER BY id
                """, arguments: [model]) {
                let action: String = r[0]
                let to = (r[1] as String?).flatMap { Int($0) }
                switch action {
                case "rollback":
                    if !stack.isEmpty { stack.removeLast() }
                    if let to, stack.last != to { stack.append(to) }
                case "delete_alias": stack.removeAll()
                default: if let to { stack.append(to) }
                }
            }
            let current = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = 'champion'", arguments: [model])
            guard let current, stack.last == current, stack.count >= 2 else {
                throw TrackingError.notFound("model \"\(model)\" has no previous champion to roll back to" + (current.map { " (champion is v\($0))" } ?? " (no champion)"))
            }
            let target = stack[stack.count - 2]
            let why = reason.isEmpty ? "rollback" : reason
            try Self.setStage(db, model: model, version: current, to: .archived, reason: why)
            try Self.setStage(db, model: model, version: target, to: .production, reason: why)
            try Self.setAlias(db, model: model, alias: "champion", version: target, action: "rollback", reason: why)
            return PromotionOutcome(model: model, champion: target, previousChampion: current, changed: true, staged: [], archived: [current],
                                    message: "rolled back: v\(target) is champion again, v\(current) archived")
        }
    }
}
