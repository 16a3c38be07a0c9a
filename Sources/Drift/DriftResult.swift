import Foundation

/// The drift verdict for one column.
public struct ColumnDrift: Codable, Sendable, Equatable {
    public var name: String
    /// The method's raw name ("ks", "wasserstein", "psi", "chisquare", "jensenshannon").
    public var test: String
    /// KS D, normalised Wasserstein, PSI, chi-square statistic or JS distance. +∞ only for
    /// chi-square with a category unseen in the reference; encoded as JSON null then.
    public var statistic: Double
    /// p-value for KS and chi-square, nil (JSON null) for distances.
    public var pValue: Double?
    public var threshold: Double
    public var drifted: Bool

    public init(name: String, test: String, statistic: Double, pValue: Double?, threshold: Double, drifted: Bool) {
        self.name = name
        self.test = test
        self.statistic = statistic
        self.pValue = pValue
        self.threshold = threshold
        self.drifted = drifted
    }

    enum CodingKeys: String, CodingKey {
        case name, test, statistic, pValue = "p_value", threshold, drifted
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(test, forKey: .test)
        try c.encode(statistic.isFinite ? statistic : nil, forKey: .statistic)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(drifted, forKey: .drifted)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        test = try c.decode(String.self, forKey: .test)
        statistic = try c.decodeIfPresent(Double.self, forKey: .statistic) ?? .infinity
        pValue = try c.decodeIfPresent(Double.self, forKey: .pValue)
        threshold = try c.decode(Double.self, forKey: .threshold)
        drifted = try c.decode(Bool.self, forKey: .drifted)
    }
}

/// The outcome of a drift comparison: per-column verdicts, dataset drift, optional model
/// performance, and the retraining recommendation with its reasons.
/// JSON keys: dataset_drift, drift_share, columns, performance (null when absent), retrain, reasons;
/// for a classifier also prediction_drift and classification (absent for regression, whose JSON
/// is unchanged).
public struct DriftResult: Codable, Sendable, Equatable {
    public var datasetDrift: Bool
    /// Drifted columns / compared columns (0 when no column was compared).
    public var driftShare: Double
    public var columns: [ColumnDrift]
    public var performance: PerformanceReport?
    /// Classifiers: predicted class shares, score distribution and (with ground truth) true class
    /// shares against the training reference. Not counted in the dataset drift share.
    public var predictionDrift: [ColumnDrift] = []
    /// Classifiers with ground truth: metrics, confusion matrix and curves.
    public var classification: ClassificationReport?
    public var retrain: Bool
    /// Human sentences with figures, e.g. "RMSE 0.62 > 0.5".
    public var reasons: [String]

    public init(datasetDrift: Bool, driftShare: Double, columns: [ColumnDrift], performance: PerformanceReport?,
                retrain: Bool, reasons: [String]) {
        self.datasetDrift = datasetDrift
        self.driftShare = driftShare
        self.columns = columns
        self.performance = performance
        self.retrain = retrain
        self.reasons = reasons
    }

    enum CodingKeys: String, CodingKey {
        case datasetDrift = "dataset_drift", driftShare = "drift_share", columns, performance, retrain, reasons
        case predictionDrift = "prediction_drift", classification
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        datasetDrift = try c.decode(Bool.self, forKey: .datasetDrift)
        driftShare = try c.decode(Double.self, forKey: .driftShare)
        columns = try c.decode([ColumnDrift].self, forKey: .columns)
        performance = try c.decodeIfPresent(PerformanceReport.self, forKey: .performance)
        retrain = try c.decode(Bool.self, forKey: .retrain)
        reasons = try c.decode([String].self, forKey: .reasons)
        predictionDrift = try c.decodeIfPresent([ColumnDrift].self, forKey: .predictionDrift) ?? []
        classification = try c.decodeIfPresent(ClassificationReport.self, forKey: .classification)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(datasetDrift, forKey: .datasetDrift)
        try c.encode(driftShare, forKey: .driftShare)
        try c.encode(columns, forKey: .columns)
        try c.encode(performance, forKey: .performance)
        try c.encode(retrain, forKey: .retrain)
        try c.encode(reasons, forKey: .reasons)
        if !predictionDrift.isEmpty { try c.encode(predictionDrift, forKey: .predictionDrift) }
        try c.encodeIfPresent(classification, forKey: .classification)
    }

    /// The metrics triggers can name: the regression report's (`rmse`, `mae`, `r2`,
    /// `mean_error`) and the classification report's.
    public static func metricValues(performance: PerformanceReport?, classification: ClassificationReport?) -> [String: Double] {
        var out = classification?.metrics ?? [:]
        if let p = performance {
            out["rmse"] = p.rmse
            out["mae"] = p.mae
            out["r2"] = p.r2
            out["mean_error"] = p.meanError
        }
        return out
    }

    /// Builds the verdict from column results: dataset drift when the drifted share is above
    /// `driftShareThreshold`; retrain when the policy says so for drift or performance.
    /// Metric triggers fire on the figures of `performance` and `classification` (a metric
    /// neither reports is skipped; callers validate names up front); prediction drift counts
    /// only when the policy says so.
    public static func decide(columns: [ColumnDrift], performance: PerformanceReport?,
                              driftShareThreshold: Double, policy: RetrainPolicy,
                              predictionDrift: [ColumnDrift] = [], classification: ClassificationReport? = nil) -> DriftResult {
        let drifted = columns.filter(\.drifted)
        let share = columns.isEmpty ? 0 : Double(drifted.count) / Double(columns.count)
        let datasetDrift = share > driftShareThreshold
        var reasons: [String] = []
        if datasetDrift && policy.retrainOnDatasetDrift {
            reasons.append("Dataset drift: \(drifted.count) of \(columns.count) columns drifted "
                + "(\(fmt(share * 100, 1))% > \(fmt(driftShareThreshold * 100, 1))%): "
                + drifted.map(\.name).joined(separator: ", "))
        }
        if let p = performance {
            if p.rmse > policy.maxRMSE { reasons.append("RMSE \(fmt(p.rmse, 4)) > \(fmt(policy.maxRMSE, 4))") }
            if p.r2 < policy.minR2 { reasons.append("R² \(fmt(p.r2, 4)) < \(fmt(policy.minR2, 4))") }
        }
        let values = metricValues(performance: performance, classification: classification)
        for t in policy.triggers {
            guard let v = values[t.metric], t.fires(v) else { continue }
            reasons.append("\(t.metric) \(fmt(v, 4)) \(t.op.rawValue) \(fmt(t.value, 4))")
        }
        let outputDrift = predictionDrift.filter(\.drifted)
        if policy.retrainOnPredictionDrift && !outputDrift.isEmpty {
            reasons.append("Prediction drift: " + outputDrift.map(\.name).joined(separator: ", "))
        }
        var result = DriftResult(datasetDrift: datasetDrift, driftShare: share, columns: columns,
                                 performance: performance, retrain: !reasons.isEmpty, reasons: reasons)
        result.predictionDrift = predictionDrift
        result.classification = classification
        return result
    }

    /// A plain-text table for the CLI: one row per column, then the verdict and reasons.
    public func renderTable() -> String {
        var out = Self.driftTable(columns)
        let drifted = columns.filter(\.drifted).count
        out.append("")
        out.append("Drifted columns: \(drifted) of \(columns.count) (share \(fmt(driftShare, 3)))"
            + " — dataset drift: \(datasetDrift ? "YES" : "no")")
        if !predictionDrift.isEmpty {
            out.append("")
            out.append("Prediction drift (model outputs and labels against training):")
            out += Self.driftTable(predictionDrift)
            out.append("")
        }
        if let p = performance {
            out.append("Performance: RMSE \(fmt(p.rmse, 4)), MAE \(fmt(p.mae, 4)), R² \(fmt(p.r2, 4)), "
                + "mean error \(fmt(p.meanError, 4)), n = \(p.count)")
        }
        if let c = classification {
            let m = c.metrics
            let f1 = c.classes.count > 2 ? "F1 (macro)" : "F1"
            out.append("Performance: accuracy \(fmt(m["accuracy"] ?? .nan, 4)), \(f1) \(fmt(m["f1"] ?? .nan, 4)), "
                + "ROC AUC \(fmt(m["roc_auc"] ?? .nan, 4)), log loss \(fmt(m["log_loss"] ?? .nan, 4)), n = \(c.count)")
        }
        out.append("Retrain: \(retrain ? "YES" : "no")")
        for r in reasons { out.append("  - \(r)") }
        return out.joined(separator: "\n") + "\n"
    }

    /// One row per column: name, test, statistic, p-value, threshold, drift.
    static func driftTable(_ columns: [ColumnDrift]) -> [String] {
        let header = ["column", "test", "statistic", "p-value", "threshold", "drift"]
        var rows = columns.map { c -> [String] in
            [c.name, c.test, c.statistic.isFinite ? fmtG(c.statistic) : "inf",
             c.pValue.map(fmtG) ?? "-", fmtG(c.threshold), c.drifted ? "YES" : "no"]
        }
        rows.insert(header, at: 0)
        let widths = (0..<header.count).map { k in rows.map { $0[k].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r.enumerated().map { k, s in
                k == 0 || k == 1 ? s.padding(toLength: widths[k], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[k] - s.count) + s
            }.joined(separator: "  ")
        }
        var out = [line(rows[0]), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.dropFirst().map(line)
        return out
    }
}

/// Fixed-point formatting with `digits` decimals.
func fmt(_ x: Double, _ digits: Int) -> String {
    if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    return String(format: "%.\(digits)f", x)
}

/// Compact formatting with 4 significant digits.
func fmtG(_ x: Double) -> String {
    if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    return String(format: "%.4g", x)
}
