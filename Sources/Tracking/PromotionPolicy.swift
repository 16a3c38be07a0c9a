import Foundation

/// Rules for `TrackingStore.promote`: which versions go to Staging and which one becomes the
/// Production champion. JSON form (all keys optional):
/// ```json
/// {"metric": "r2", "higher_is_better": true, "staging_threshold": 0.70, "production_threshold": 0.75,
///  "tie_break": "rmse", "tie_break_higher_is_better": false}
/// ```
/// `staging_<metric>` / `production_<metric>` (e.g. `staging_r2`) are accepted as threshold keys too.
///
/// Any metric the runs log may be used, each with its natural direction unless
/// `higher_is_better` says otherwise (see `naturalHigherIsBetter`); the gates may also be written
/// with their direction, and the tie-break defaults to the metric's natural partner:
/// ```json
/// {"metric": "roc_auc", "staging": "> 0.85", "production": "> 0.9", "tie_break": "log_loss"}
/// ```
///
/// Production may also require limits on the segment and fairness evaluations stored with the
/// version (`plumb evaluate --record`, or the pipeline's holdout), and a named human approval
/// (`plumb models approve`); a version that fails them does not go to Production and the outcome
/// says which segment, group or approval was missing:
/// ```json
/// {"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25, "min_rows": 30},
///  "fairness": {"sensitive": "sex", "max_equalized_odds_difference": 0.1},
///  "require_approval": true}
/// ```
/// `segments` and `fairness` take one object or a list of them.
public struct PromotionPolicy: Codable, Sendable, Equatable {
    /// Metric compared against the thresholds (from each version's registration snapshot).
    public var metric: String
    public var higherIsBetter: Bool
    /// A version qualifies for Staging if its metric is strictly better than this.
    public var stagingThreshold: Double
    /// A version qualifies for Production if its metric is strictly better than this.
    public var productionThreshold: Double
    /// Second metric used when the main metric ties; nil for none.
    public var tieBreak: String?
    public var tieBreakHigherIsBetter: Bool
    /// Production gates on stored segment evaluations (empty: none).
    public var segments: [SegmentGate] = []
    /// Production gates on stored fairness evaluations (empty: none).
    public var fairness: [FairnessGate] = []
    /// Production needs an `approve` entry for the version in the audit trail; without it the
    /// best candidate stops at Staging.
    public var requireApproval = false

    /// No segment of `column` (with at least `minRows` rows) may be worse than all rows by more
    /// than `maxRelativeDegradation` on the stored evaluation's metric (RMSE for regression, log
    /// loss for classification, unless evaluated with another); `metric`, when set, must be the
    /// one the evaluation used.
    public struct SegmentGate: Codable, Sendable, Equatable {
        public var column: String
        public var maxRelativeDegradation: Double
        public var minRows: Int
        public var metric: String?

        public init(column: String, maxRelativeDegradation: Double, minRows: Int = 0, metric: String? = nil) {
            self.column = column; self.maxRelativeDegradation = maxRelativeDegradation; self.minRows = minRows; self.metric = metric
        }

        enum CodingKeys: String, CodingKey { case column, maxRelativeDegradation = "max_relative_degradation", minRows = "min_rows", metric }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decode(String.self, forKey: .column)
            maxRelativeDegradation = try c.decode(Double.self, forKey: .maxRelativeDegradation)
            guard maxRelativeDegradation >= 0, maxRelativeDegradation.isFinite else {
                throw DecodingError.dataCorruptedError(forKey: .maxRelativeDegradation, in: c, debugDescription: "max_relative_degradation must be a share ≥ 0 such as 0.25, got \(maxRelativeDegradation)")
            }
            minRows = try c.decodeIfPresent(Int.self, forKey: .minRows) ?? 0
            metric = try c.decodeIfPresent(String.self, forKey: .metric)
        }
    }

    /// Limits on the fairness of a binary classifier over `sensitive` (Fairlearn's definitions).
    public struct FairnessGate: Codable, Sendable, Equatable {
        public var sensitive: String
        public var maxEqualizedOddsDifference: Double?
        public var maxDemographicParityDifference: Double?

        public init(sensitive: String, maxEqualizedOddsDifference: Double? = nil, maxDemographicParityDifference: Double? = nil) {
            self.sensitive = sensitive
            self.maxEqualizedOddsDifference = maxEqualizedOddsDifference
            self.maxDemographicParityDifference = maxDemographicParityDifference
        }

        enum CodingKeys: String, CodingKey {
            case sensitive, maxEqualizedOddsDifference = "max_equalized_odds_difference"
            case maxDemographicParityDifference = "max_demographic_parity_difference"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sensitive = try c.decode(String.self, forKey: .sensitive)
            maxEqualizedOddsDifference = try c.decodeIfPresent(Double.self, forKey: .maxEqualizedOddsDifference)
            maxDemographicParityDifference = try c.decodeIfPresent(Double.self, forKey: .maxDemographicParityDifference)
            guard maxEqualizedOddsDifference != nil || maxDemographicParityDifference != nil else {
                throw DecodingError.dataCorruptedError(forKey: .sensitive, in: c, debugDescription: "fairness gate on \(sensitive): give max_equalized_odds_difference and/or max_demographic_parity_difference")
            }
        }
    }

    /// True when Production asks for more than the metric: segment, fairness or approval gates.
    public var hasProductionGates: Bool { !segments.isEmpty || !fairness.isEmpty || requireApproval }

    public init(metric: String = "r2", higherIsBetter: Bool = true, stagingThreshold: Double = 0.70,
                productionThreshold: Double = 0.75, tieBreak: String? = "rmse", tieBreakHigherIsBetter: Bool = false) {
        self.metric = metric; self.higherIsBetter = higherIsBetter
        self.stagingThreshold = stagingThreshold; self.productionThreshold = productionThreshold
        self.tieBreak = tieBreak; self.tieBreakHigherIsBetter = tieBreakHigherIsBetter
    }

    /// The default policy: r2 > 0.70 → Staging, r2 > 0.75 → Production, ties broken by lower rmse.
    public static let `default` = PromotionPolicy()

    /// Metrics where a larger value is better.
    static let higherIsBetterMetrics: Set<String> = [
        "r2", "accuracy", "balanced_accuracy", "f1", "f1_weighted", "precision", "precision_weighted",
        "recall", "recall_weighted", "roc_auc", "average_precision", "oob_r2", "oob_accuracy", "cv_r2_mean",
    ]
    /// Metrics where a smaller value is better (errors and losses).
    static let lowerIsBetterMetrics: Set<String> = ["rmse", "mse", "mae", "mape", "max_error", "log_loss", "brier", "ece", "cv_r2_std"]

    /// The natural direction of a metric Plumb logs: true for scores (r2, accuracy, f1, roc_auc,
    /// average_precision, balanced_accuracy, ...), false for errors and losses (rmse, mae, mape,
    /// log_loss, brier, ece, ...), nil for a metric it does not know.
    public static func naturalHigherIsBetter(_ metric: String) -> Bool? {
        if higherIsBetterMetrics.contains(metric) { return true }
        if lowerIsBetterMetrics.contains(metric) { return false }
        return nil
    }

    /// The second metric that breaks ties of `metric` when the policy names none: a loss for a
    /// score and a score for a loss, of the same task (r2 ↔ rmse, log_loss for classification
    /// scores, roc_auc for classification losses); nil for an unknown metric.
    public static func defaultTieBreak(for metric: String) -> String? {
        switch metric {
        case "r2": "rmse"
        case "rmse", "mse", "mae", "mape", "max_error": "r2"
        case "log_loss", "brier", "ece": "roc_auc"
        case _ where higherIsBetterMetrics.contains(metric): "log_loss"
        default: nil
        }
    }

    /// A policy on `metric` in its natural direction (higher is better when unknown), ties broken
    /// by `tieBreak` (nil: `defaultTieBreak(for:)`) in its natural direction.
    public static func natural(metric: String, staging: Double, production: Double, tieBreak: String? = nil) -> PromotionPolicy {
        let tie = tieBreak ?? defaultTieBreak(for: metric)
        return PromotionPolicy(metric: metric, higherIsBetter: naturalHigherIsBetter(metric) ?? true, stagingThreshold: staging,
                               productionThreshold: production, tieBreak: tie,
                               tieBreakHigherIsBetter: tie.flatMap(naturalHigherIsBetter) ?? false)
    }

    enum CodingKeys: String, CodingKey {
        case metric, higherIsBetter = "higher_is_better", stagingThreshold = "staging_threshold"
        case productionThreshold = "production_threshold", tieBreak = "tie_break", tieBreakHigherIsBetter = "tie_break_higher_is_better"
        case staging, production
        case segments, fairness, requireApproval = "require_approval"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encode(higherIsBetter, forKey: .higherIsBetter)
        try c.encode(stagingThreshold, forKey: .stagingThreshold)
        try c.encode(productionThreshold, forKey: .productionThreshold)
        try c.encode(tieBreak, forKey: .tieBreak)
        try c.encode(tieBreakHigherIsBetter, forKey: .tieBreakHigherIsBetter)
        if !segments.isEmpty { try c.encode(segments, forKey: .segments) }
        if !fairness.isEmpty { try c.encode(fairness, forKey: .fairness) }
        if requireApproval { try c.encode(true, forKey: .requireApproval) }
    }

    /// One object or a list of them.
    static func oneOrMany<T: Decodable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [T] {
        guard c.contains(key) else { return [] }
        if (try? c.nestedUnkeyedContainer(forKey: key)) != nil { return try c.decode([T].self, forKey: key) }
        return [try c.decode(T.self, forKey: key)]
    }

    /// A gate written with its direction, `"> 0.85"` or `"< 0.4"` (or a bare number).
    struct Gate {
        var higherIsBetter: Bool?
        var value: Double
    }

    /// Reads `staging` / `production` as a number or "> x" / "< x".
    static func gate(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Gate? {
        guard c.contains(key) else { return nil }
        if let v = try? c.decode(Double.self, forKey: key) { return Gate(higherIsBetter: nil, value: v) }
        let text = try c.decode(String.self, forKey: key).trimmingCharacters(in: .whitespaces)
        let bad = DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected \"> NUMBER\" (higher is better) or \"< NUMBER\" (lower is better), got \"\(text)\"; gates are strict, so >= and <= are not accepted")
        guard let first = text.first, first == ">" || first == "<" else { throw bad }
        let rest = text.dropFirst()
        guard !rest.hasPrefix("="), let v = Double(rest.trimmingCharacters(in: .whitespaces)), v.isFinite else { throw bad }
        return Gate(higherIsBetter: first == ">", value: v)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let any = try decoder.container(keyedBy: AnyKey.self)
        let d = PromotionPolicy.default
        metric = try c.decodeIfPresent(String.self, forKey: .metric) ?? d.metric
        let staging = try Self.gate(c, .staging), production = try Self.gate(c, .production)
        // Direction: stated, else from the gates' operators, else the metric's natural one.
        let stated = try c.decodeIfPresent(Bool.self, forKey: .higherIsBetter)
        let fromGates = Set([staging?.higherIsBetter, production?.higherIsBetter].compactMap { $0 })
        guard fromGates.count <= 1, stated == nil || fromGates.isEmpty || fromGates == [stated!] else {
            throw DecodingError.dataCorruptedError(forKey: .production, in: c, debugDescription: "the staging and production gates and higher_is_better must agree on the direction of \(metric)")
        }
        higherIsBetter = stated ?? fromGates.first ?? Self.naturalHigherIsBetter(metric) ?? true
        if stated == nil, let natural = Self.naturalHigherIsBetter(metric), natural != higherIsBetter {
            throw DecodingError.dataCorruptedError(forKey: .production, in: c, debugDescription: "\(metric) is \(natural ? "higher" : "lower") is better: write its gates with \(natural ? ">" : "<"), or set higher_is_better to say otherwise")
        }
        stagingThreshold = try staging?.value ?? c.decodeIfPresent(Double.self, forKey: .stagingThreshold)
            ?? any.decodeIfPresent(Double.self, forKey: AnyKey("staging_\(metric)")) ?? d.stagingThreshold
        productionThreshold = try production?.value ?? c.decodeIfPresent(Double.self, forKey: .productionThreshold)
            ?? any.decodeIfPresent(Double.self, forKey: AnyKey("production_\(metric)")) ?? d.productionThreshold
        tieBreak = c.contains(.tieBreak) ? try c.decodeIfPresent(String.self, forKey: .tieBreak) : Self.defaultTieBreak(for: metric)
        tieBreakHigherIsBetter = try c.decodeIfPresent(Bool.self, forKey: .tieBreakHigherIsBetter)
            ?? tieBreak.flatMap(Self.naturalHigherIsBetter) ?? d.tieBreakHigherIsBetter
        segments = try Self.oneOrMany(c, .segments)
        fairness = try Self.oneOrMany(c, .fairness)
        requireApproval = try c.decodeIfPresent(Bool.self, forKey: .requireApproval) ?? false
    }

    /// Loads a policy from a JSON file.
    /// - Throws: `TrackingError` `.io` / `.invalidArgument` naming the file.
    public static func load(path: String) throws -> PromotionPolicy {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrackingError(code: .io, message: "\(path): cannot read promotion policy (\(error.localizedDescription))", underlying: error)
        }
        do { return try JSONDecoder().decode(PromotionPolicy.self, from: data) } catch {
            throw TrackingError(code: .invalidArgument, message: "\(path): invalid promotion policy JSON (\(error))", underlying: error)
        }
    }

    /// True if `value` is strictly better than `threshold`.
    func beats(_ value: Double, _ threshold: Double) -> Bool {
        higherIsBetter ? value > threshold : value < threshold
    }

    /// True if version `a` ranks before `b`: metric, then tie-break metric (missing = worst), then newer version.
    func ranks(_ a: ModelVersion, before b: ModelVersion) -> Bool {
        let ma = a.metrics[metric] ?? .nan, mb = b.metrics[metric] ?? .nan
        if ma != mb { return higherIsBetter ? ma > mb : ma < mb }
        if let t = tieBreak {
            let ta = a.metrics[t], tb = b.metrics[t]
            switch (ta, tb) {
            case let (x?, y?) where x != y: return tieBreakHigherIsBetter ? x > y : x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: break
            }
        }
        return a.version > b.version
    }
}

/// What `promote` / `rollback` did.
public struct PromotionOutcome: Codable, Sendable, Equatable {
    public var model: String
    /// Version holding alias `champion` afterwards (nil if none).
    public var champion: Int?
    /// Champion before the call.
    public var previousChampion: Int?
    /// True if the champion changed.
    public var changed: Bool
    /// Versions moved to Staging.
    public var staged: [Int]
    /// Versions moved to Archived.
    public var archived: [Int]
    /// Human sentence explaining the decision.
    public var message: String
    /// Why versions that met the production threshold were kept out of Production: a failed
    /// segment or fairness limit, a missing evaluation or approval (one line each).
    public var refusals: [String] = []
}
