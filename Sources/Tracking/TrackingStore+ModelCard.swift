import Foundation

extension TrackingStore {
    /// Markdown model card generated from the store: description, training-data lineage (digest,
    /// rows, schema), hyperparameters (params of the source run), metrics, feature importances,
    /// segment and fairness evaluations stored with the version, approvals, known limitations
    /// (data ranges, drift caveats, features) and the registry history.
    ///
    /// Feature importances are taken from, in order: run tag `feature_importance` (JSON object
    /// name → number), run artifact `feature_importance.json` (same shape), run metrics or params
    /// named `feature_importance.<feature>`. Extra limitations come from run tags `limitations`
    /// or `limitation.<anything>`. A run tag `shap_importance` (JSON object feature → mean |SHAP|,
    /// with `shap_importance_note` saying over what) adds a SHAP importance section.
    /// - Throws: `.notFound` for an unknown model, version or alias.
    public func modelCard(_ uri: ModelURI) throws -> String {
        let v = try resolve(uri)
        let model = try self.model(uri.name)
        let run = try v.runID.map { try self.run($0) }
        let history = try self.history(model: uri.name)
        var out: [String] = []
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        func num(_ x: Double) -> String { x.isNaN ? "NaN" : String(format: "%.6g", x) }
        func date(_ ms: Int64) -> String {
            let f = ISO8601DateFormatter()
            return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
        }

        out.append("# Model card: \(v.model) v\(v.version)")
        out.append("")
        out.append("- URI: `models:/\(v.model)/\(v.version)`" + (v.aliases.isEmpty ? "" : " (aliases: " + v.aliases.map { "`@\($0)`" }.joined(separator: ", ") + ")"))
        out.append("- Stage: \(v.stage.rawValue)")
        out.append("- Registered: \(date(v.createdMs))")
        out.append("- Artifact: `\(v.artifactSHA256)`")
        if let r = run?.run {
            out.append("- Source run: `\(r.id)` (\(r.name), experiment \(r.experiment), \(r.status.rawValue), user \(r.user))")
            if let c = r.sourceCommit { out.append("- Source commit: `\(c)`") }
        }
        out.append("")
        out.append("## Description")
        out.append("")
        let desc = [model.description, v.description].filter { !$0.isEmpty }
        out.append(desc.isEmpty ? "_No description recorded._" : desc.joined(separator: "\n\n"))
        out.append("")

        // Lineage
        out.append("## Training data lineage")
        out.append("")
        var features: [(name: String, type: String?, min: Double?, max: Double?)] = []
        let datasets = run?.datasets ?? []
        if datasets.isEmpty {
            out.append("_No dataset inputs were logged for the source run; lineage is unknown._")
        } else {
            out.append("| Context | Name | Rows | Digest (SHA-256) | Source |")
            out.append("|---|---|---:|---|---|")
            for d in datasets {
                out.append("| \(d.context.rawValue) | \(cell(d.name)) | \(d.rows) | `\(d.digest)` | \(cell(d.source)) |")
            }
            for d in datasets {
                out.append("")
                out.append("Schema of \(d.name) (\(d.context.rawValue)):")
                out.append("")
                let cols = Self.schemaColumns(d.schemaJSON)
                if cols.isEmpty {
                    out.append("```json")
                    out.append(d.schemaJSON)
                    out.append("```")
                } else {
                    out.append("| Column | Type | Min | Max |")
                    out.append("|---|---|---:|---:|")
                    for c in cols {
                        out.append("| \(cell(c.name)) | \(c.type ?? "") | \(c.min.map(num) ?? "") | \(c.max.map(num) ?? "") |")
                    }
                    if d.context == .training || features.isEmpty { features = cols }
                }
            }
        }
        out.append("")

        out.append("## Hyperparameters")
        out.append("")
        let params = run?.run.params ?? [:]
        let hyper = params.filter { !$0.key.hasPrefix("feature_importance.") }
        if hyper.isEmpty { out.append("_None logged._") } else {
            out.append("| Parameter | Value |")
            out.append("|---|---|")
            for k in hyper.keys.sorted() { out.append("| \(cell(k)) | \(cell(hyper[k] ?? "")) |") }
        }
        out.append("")

        out.append("## Metrics")
        out.append("")
        var metrics = v.metrics
        for (k, x) in run?.run.metrics ?? [:] where metrics[k] == nil && !k.hasPrefix("feature_importance.") { metrics[k] = x }
        if metrics.isEmpty { out.append("_None logged._") } else {
            out.append("| Metric | Value |")
            out.append("|---|---:|")
            for k in metrics.keys.sorted() { out.append("| \(cell(k)) | \(num(metrics[k] ?? .nan)) |") }
        }
        out.append("")

        out += Self.classesSection(tags: run?.run.tags ?? [:])
        out += Self.evaluationSection(try evaluations(model: v.model, version: v.version))
        out += Self.approvalSection(history.filter { $0.action == "approve" && $0.version == v.version }, date: date)

        out.append("## Feature importances")
        out.append("")
        let importances = try run.map { try featureImportances($0) } ?? [:]
        if importances.isEmpty { out.append("_Not logged._") } else {
            out.append("| Feature | Importance |")
            out.append("|---|---:|")
            for (k, x) in importances.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                out.append("| \(cell(k)) | \(num(x)) |")
            }
        }
        out.append("")

        if let tags = run?.run.tags, let text = tags["shap_importance"],
           let shap = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Double], !shap.isEmpty {
            out.append("## SHAP importance")
            out.append("")
            if let note = tags["shap_importance_note"] {
                out.append("Exact SHAP, \(note).")
                out.append("")
            }
            out.append("| Feature | Mean \\|SHAP\\| |")
            out.append("|---|---:|")
            for (k, x) in shap.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                out.append("| \(cell(k)) | \(num(x)) |")
            }
            out.append("")
        }

        out.append("## Known limitations")
        out.append("")
        var limits: [String] = []
        if let train = datasets.first(where: { $0.context == .training }) {
            limits.append("Trained on \(train.rows) rows of \(train.source) (digest `\(train.digest.prefix(12))…`); it reflects that sample only.")
        } else {
            limits.append("No training dataset is recorded, so the data it was trained on cannot be verified.")
        }
        let ranged = features.filter { $0.min != nil && $0.max != nil }
        if !ranged.isEmpty {
            limits.append("Observed training ranges: " + ranged.map { "\($0.name) ∈ [\(num($0.min ?? .nan)), \(num($0.max ?? .nan))]" }.joined(separator: ", ")
                          + ". Predictions for inputs outside these ranges are extrapolations.")
        }
        if !features.isEmpty {
            limits.append("Expects the features " + features.map { "`\($0.name)`" }.joined(separator: ", ") + "; missing or renamed columns make inputs invalid.")
        }
        limits.append("Metrics were measured on held-out data at training time; if the input distribution drifts, accuracy can degrade silently — monitor drift and feed back actuals.")
        let tags = run?.run.tags ?? [:]
        if let t = tags["limitations"] { limits.append(t) }
        for k in tags.keys.sorted() where k.hasPrefix("limitation.") { limits.append(tags[k] ?? "") }
        if let d = tags["drift"] { limits.append("Drift note: \(d)") }
        for l in limits { out.append("- \(l)") }
        out.append("")

        out.append("## Registry history")
        out.append("")
        out.append("| Time | User | Action | Version | Change | Reason |")
        out.append("|---|---|---|---:|---|---|")
        for e in history {
            let change = (e.alias.map { "@\($0): " } ?? "") + [e.from ?? "—", e.to ?? "—"].joined(separator: " → ")
            out.append("| \(date(e.timeMs)) | \(cell(e.user)) | \(e.action) | \(e.version.map(String.init) ?? "") | \(cell(change)) | \(cell(e.reason)) |")
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    /// Parses a schema JSON: an array of `{"name", "type"/"kind", "min", "max"}` objects or an
    /// object `{"columns": [...]}` / `{"name": "type", ...}`. Empty if the shape is unknown.
    static func schemaColumns(_ json: String) -> [(name: String, type: String?, min: Double?, max: Double?)] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return [] }
        func columns(_ arr: [Any]) -> [(name: String, type: String?, min: Double?, max: Double?)] {
            arr.compactMap { item in
                guard let d = item as? [String: Any], let name = d["name"] as? String else { return nil }
                let type = (d["type"] as? String) ?? (d["kind"] as? String)
                return (name, type, (d["min"] as? NSNumber)?.doubleValue, (d["max"] as? NSNumber)?.doubleValue)
            }
        }
        if let arr = obj as? [Any] { return columns(arr) }
        if let d = obj as? [String: Any] {
            if let arr = d["columns"] as? [Any] { return columns(arr) }
            if d.values.allSatisfy({ $0 is String }) {
                return d.keys.sorted().map { ($0, d[$0] as? String, nil, nil) }
            }
        }
        return []
    }

    /// Feature importances of a run (see `modelCard` for the sources, in priority order).
    public func featureImportances(_ run: RunDetail) throws -> [String: Double] {
        func parse(_ data: Data) -> [String: Double]? {
            guard let d = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            var out: [String: Double] = [:]
            for (k, v) in d { if let n = v as? NSNumber { out[k] = n.doubleValue } }
            return out.isEmpty ? nil : out
        }
        if let t = run.run.tags["feature_importance"], let m = parse(Data(t.utf8)) { return m }
        if let a = run.artifacts.first(where: { $0.name == "feature_importance.json" }), let m = parse(try readArtifact(a.sha256)) { return m }
        var out: [String: Double] = [:]
        let prefix = "feature_importance."
        for (k, x) in run.run.metrics where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = x }
        for (k, s) in run.run.params where k.hasPrefix(prefix) { if let x = Double(s) { out[String(k.dropFirst(prefix.count))] = x } }
        return out
    }
}

extension TrackingStore {
    /// A classifier's card section from its run tags: task, classes, decision threshold and the
    /// confusion matrix on the test rows (rows true class, columns predicted). Empty for a regression.
    static func classesSection(tags: [String: String]) -> [String] {
        guard let task = tags["task"], let classesJSON = tags["classes"],
              let classes = try? JSONDecoder().decode([String].self, from: Data(classesJSON.utf8)) else { return [] }
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = ["## Classes", "", "- Task: \(task)", "- Classes, in output order: " + classes.map { "`\(cell($0))`" }.joined(separator: ", ")]
        if let t = tags["threshold"], classes.count == 2 {
            out.append("- Decision threshold: `\(cell(classes[1]))` when its probability is at least \(t)")
        }
        if let json = tags["confusion_matrix"], let m = try? JSONDecoder().decode([[Int]].self, from: Data(json.utf8)), m.count == classes.count {
            out += ["", "Confusion matrix on the test rows (rows: true class; columns: predicted):", ""]
            out.append("| true \\ predicted | " + classes.map(cell).joined(separator: " | ") + " |")
            out.append("|---|" + String(repeating: "---:|", count: classes.count))
            for (c, row) in zip(classes, m) { out.append("| \(cell(c)) | " + row.map(String.init).joined(separator: " | ") + " |") }
        }
        out.append("")
        return out
    }
}

extension TrackingStore {
    /// The segment and fairness evaluations stored with a version, one table per column;
    /// empty when none is stored.
    static func evaluationSection(_ e: VersionEvaluations) -> [String] {
        guard !e.isEmpty else { return [] }
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        func num(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.6g", $0) : "NaN" } ?? "—" }
        var out = ["## Performance by segment", ""]
        for s in e.segments {
            let m = s.metric
            out.append("By `\(cell(s.column))`, on \(m) (flagged when more than \(Int((s.tolerance * 100).rounded())) % worse than all rows; 95 % bootstrap intervals):")
            out.append("")
            out.append("| Segment | Rows | \(m) | 95 % CI | vs all | Flagged |")
            out.append("|---|---:|---:|---|---:|---|")
            for (i, r) in ([s.overall] + s.segments).enumerated() {
                let ci = r.ci[m].map { "[\(num($0.lower)), \(num($0.upper))]" } ?? ""
                let vs = r.relativeDegradation.map { String(format: "%+.1f %%", (s.higherIsBetter ? -$0 : $0) * 100) } ?? ""
                out.append("| \(i == 0 ? "all rows" : cell(r.segment)) | \(r.rows) | \(num(r.metrics[m])) | \(ci) | \(vs) | \(r.flagged ? "yes" : "") |")
            }
            out.append("")
        }
        for f in e.fairness {
            let m = f.metrics
            out.append("Fairness over `\(cell(f.sensitive))` (positive class `\(cell(f.positiveClass))`, \(f.rows) rows): demographic parity difference \(num(m.demographicParityDifference)), equalized odds difference \(num(m.equalizedOddsDifference)).")
            out.append("")
            out.append("| Group | Rows | Selection rate | TPR | FPR |")
            out.append("|---|---:|---:|---:|---:|")
            for g in m.groups {
                out.append("| \(cell(g.group)) | \(g.count) | \(num(g.selectionRate)) | \(num(g.truePositiveRate)) | \(num(g.falsePositiveRate)) |")
            }
            out.append("")
        }
        return out
    }

    /// Approvals for Production of this version; empty when none.
    static func approvalSection(_ approvals: [AuditEntry], date: (Int64) -> String) -> [String] {
        guard !approvals.isEmpty else { return [] }
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = ["## Approvals", "", "| Time | Approved by | Reason |", "|---|---|---|"]
        for a in approvals { out.append("| \(date(a.timeMs)) | \(cell(a.user)) | \(cell(a.reason)) |") }
        out.append("")
        return out
    }
}
