/// A drift test method. Raw values are the names used in JSON and on the command line.
public enum DriftMethod: String, Codable, Sendable, CaseIterable {
    /// Two-sample Kolmogorov–Smirnov (numeric); drift when p-value < threshold.
    case ks
    /// Wasserstein-1 distance divided by the reference standard deviation (numeric); drift when
    /// the normalised distance ≥ threshold.
    case wasserstein
    /// Population stability index on reference-quantile bins (numeric) or levels
    /// (categorical); drift when PSI ≥ threshold.
    case psi
    /// Chi-square goodness of fit of current counts against reference proportions
    /// (categorical); drift when p-value < threshold.
    case chisquare
    /// Jensen–Shannon distance, natural log (categorical levels, or numeric PSI bins);
    /// drift when distance ≥ threshold.
    case jensenshannon

    /// True when drift is a small p-value (tests), false when it is a large distance.
    public var isPValueTest: Bool { self == .ks || self == .chisquare }

    /// Evidently's default threshold: 0.05 for p-value tests, 0.1 for distances.
    public var defaultThreshold: Double { isPValueTest ? 0.05 : 0.1 }
}

/// A test and its threshold for one column.
public struct ColumnTest: Codable, Sendable, Equatable {
    public var method: DriftMethod
    public var threshold: Double

    public init(_ method: DriftMethod, threshold: Double? = nil) {
        self.method = method
        self.threshold = threshold ?? method.defaultThreshold
    }

    public static let ks = ColumnTest(.ks)
    public static let wasserstein = ColumnTest(.wasserstein)
    public static let psi = ColumnTest(.psi)
    public static let chisquare = ColumnTest(.chisquare)
    public static let jensenshannon = ColumnTest(.jensenshannon)

    /// Whether `value` (a p-value for tests, a distance otherwise) means drift.
    public func isDrift(_ value: Double) -> Bool {
        if value.isNaN { return false }
        return method.isPValueTest ? value < threshold : value >= threshold
    }
}

/// Options of a drift comparison.
public struct DriftOptions: Codable, Sendable, Equatable {
    /// Per-column test and threshold, by column name; other columns use the default rule.
    public var columnTests: [String: ColumnTest]
    /// Dataset drift when the share of drifted columns is strictly above this (default 0.2).
    public var driftShareThreshold: Double
    /// Reference size (rows) up to which the default tests are KS / chi-square; above it,
    /// normalised Wasserstein / Jensen–Shannon (Evidently's rule: 1000).
    public var smallReferenceRows: Int
    /// Number of PSI bins (reference quantiles) when PSI or numeric Jensen–Shannon is used.
    public var psiBins: Int

    public init(columnTests: [String: ColumnTest] = [:], driftShareThreshold: Double = 0.2,
                smallReferenceRows: Int = 1000, psiBins: Int = 10) {
        self.columnTests = columnTests
        self.driftShareThreshold = driftShareThreshold
        self.smallReferenceRows = smallReferenceRows
        self.psiBins = psiBins
    }

    /// The test for a column: the override if any, else Evidently's default for its kind and
    /// the reference size (≤ 1000 rows: KS / chi-square; more: Wasserstein / Jensen–Shannon).
    /// Binary categorical columns also get chi-square (Evidently would use a Z-test).
    public func test(for column: String, numeric: Bool, referenceRows: Int) -> ColumnTest {
        if let t = columnTests[column] { return t }
        if referenceRows <= smallReferenceRows { return numeric ? .ks : .chisquare }
        return numeric ? .wasserstein : .jensenshannon
    }
}

/// When to recommend retraining.
public struct RetrainPolicy: Codable, Sendable, Equatable {
    /// Retrain when RMSE is strictly above this (default 0.5). Regression only.
    public var maxRMSE: Double
    /// Retrain when R² is strictly below this (default 0.6). Regression only.
    public var minR2: Double
    /// Retrain when dataset drift is detected (default true).
    public var retrainOnDatasetDrift: Bool
    /// Further triggers on any reported metric, with their direction (`roc_auc < 0.8`,
    /// `log_loss > 0.4`, `mae > 0.3`); each fires on its own.
    public var triggers: [MetricTrigger]
    /// Retrain when a classifier's predicted class shares, score distribution or true class
    /// shares drifted (default false: they are reported, the metrics decide).
    public var retrainOnPredictionDrift: Bool

    public init(maxRMSE: Double = 0.5, minR2: Double = 0.6, retrainOnDatasetDrift: Bool = true,
                triggers: [MetricTrigger] = [], retrainOnPredictionDrift: Bool = false) {
        self.maxRMSE = maxRMSE
        self.minR2 = minR2
        self.retrainOnDatasetDrift = retrainOnDatasetDrift
        self.triggers = triggers
        self.retrainOnPredictionDrift = retrainOnPredictionDrift
    }
}
