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
/// JSON keys: dataset_drift, drift_share, columns, performance (null when absent), retrain, reasons.
public struct DriftResult: Codable, Sendable, Equatable {
    public var datasetDrift: Bool
    /// Drifted columns / compared columns (0 when no column was compared).
    public var driftShare: Double
    public var columns: [ColumnDrift]
    public var performance: PerformanceReport?
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
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(datasetDrift, forKey: .datasetDrift)
        try c.encode(driftShare, forKey: .driftShare)
        try c.encode(columns, forKey: .columns)
        try c.encode(performance, forKey: .performance)
        try c.encode(retrain, forKey: .retrain)
        try c.encode(reasons, forKey: .reasons)
    }

    /// Builds the verdict from column results: dataset drift when the drifted share is above
    /// `driftShareThreshold`; retrain when the policy says so for drift or performance.
    public static func decide(columns: [ColumnDrift], performance: PerformanceReport?,
                              driftShareThreshold: Double, policy: RetrainPolicy) -> DriftResult {
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
        return DriftResult(datasetDrift: datasetDrift, driftShare: share, columns: columns,
                           performance: performance, retrain: !reasons.isEmpty, reasons: reasons)
    }

    /// A plain-text table for the CLI: one row per column, then the verdict and reasons.
    public func renderTable() -> String {
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
        let drifted = columns.filter(\.drifted).count
        out.append("")
        out.append("Drifted columns: \(drifted) of \(columns.count) (share \(fmt(driftShare, 3)))"
            + " — dataset drift: \(datasetDrift ? "YES" : "no")")
        if let p = performance {
            out.append("Performance: RMSE \(fmt(p.rmse, 4)), MAE \(fmt(p.mae, 4)), R² \(fmt(p.r2, 4)), "
                + "mean error \(fmt(p.meanError, 4)), n = \(p.count)")
        }
        out.append("Retrain: \(retrain ? "YES" : "no")")
        for r in reasons { out.append("  - \(r)") }
        return out.joined(separator: "\n") + "\n"
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
