import Foundation

/// Rules for `TrackingStore.promote`: which versions go to Staging and which one becomes the
/// Production champion. JSON form (all keys optional):
/// ```json
/// {"metric": "r2", "higher_is_better": true, "staging_threshold": 0.70, "production_threshold": 0.75,
///  "tie_break": "rmse", "tie_break_higher_is_better": false}
/// ```
/// `staging_<metric>` / `production_<metric>` (e.g. `staging_r2`) are accepted as threshold keys too.
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

    public init(metric: String = "r2", higherIsBetter: Bool = true, stagingThreshold: Double = 0.70,
                productionThreshold: Double = 0.75, tieBreak: String? = "rmse", tieBreakHigherIsBetter: Bool = false) {
        self.metric = metric; self.higherIsBetter = higherIsBetter
        self.stagingThreshold = stagingThreshold; self.productionThreshold = productionThreshold
        self.tieBreak = tieBreak; self.tieBreakHigherIsBetter = tieBreakHigherIsBetter
    }

    /// The default policy: r2 > 0.70 → Staging, r2 > 0.75 → Production, ties broken by lower rmse.
    public static let `default` = PromotionPolicy()

    enum CodingKeys: String, CodingKey {
        case metric, higherIsBetter = "higher_is_better", stagingThreshold = "staging_threshold"
        case productionThreshold = "production_threshold", tieBreak = "tie_break", tieBreakHigherIsBetter = "tie_break_higher_is_better"
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
        higherIsBetter = try c.decodeIfPresent(Bool.self, forKey: .higherIsBetter) ?? d.higherIsBetter
        stagingThreshold = try c.decodeIfPresent(Double.self, forKey: .stagingThreshold)
            ?? any.decodeIfPresent(Double.self, forKey: AnyKey("staging_\(metric)")) ?? d.stagingThreshold
        productionThreshold = try c.decodeIfPresent(Double.self, forKey: .productionThreshold)
            ?? any.decodeIfPresent(Double.self, forKey: AnyKey("production_\(metric)")) ?? d.productionThreshold
        tieBreak = c.contains(.tieBreak) ? try c.decodeIfPresent(String.self, forKey: .tieBreak) : d.tieBreak
        tieBreakHigherIsBetter = try c.decodeIfPresent(Bool.self, forKey: .tieBreakHigherIsBetter) ?? d.tieBreakHigherIsBetter
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
}
