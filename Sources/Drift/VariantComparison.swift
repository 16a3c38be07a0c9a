import Foundation

/// One variant's labelled requests, as a live comparison sees them: a loss per request (its
/// absolute error for a regression, 1 for a wrong class and 0 for a right one for a classifier),
/// with the routing key of each when it is known.
public struct VariantOutcomes: Sendable, Equatable {
    public var name: String
    public var losses: [Double]
    /// One per loss, or nil.
    public var keys: [String]?

    public init(name: String, losses: [Double], keys: [String]? = nil) {
        precondition(keys == nil || keys?.count == losses.count, "VariantOutcomes: one key per loss")
        self.name = name
        self.losses = losses
        self.keys = keys
    }
}

/// What a comparison weighs.
public enum ComparedLoss: String, Codable, Sendable {
    /// Mean absolute error of a regression.
    case absoluteError = "mae"
    /// Share of wrong classes (1 − accuracy) of a classifier.
    case errorRate = "error_rate"
}

/// The thresholds of a decision between champion and candidate.
public struct ComparisonOptions: Sendable, Equatable {
    /// Significance level of the two-sided test (the interval is at 1 − alpha).
    public var alpha = 0.05
    /// Power wanted for the minimum effect when more rows are needed.
    public var power = 0.8
    /// The smallest difference in mean loss worth acting on; nil: 5 % of the champion's.
    public var minimumEffect: Double?
    /// Fewer labelled rows per variant than this are never enough, whatever the test says.
    public var minimumRows = 30

    public init(alpha: Double = 0.05, power: Double = 0.8, minimumEffect: Double? = nil, minimumRows: Int = 30) {
        self.alpha = alpha
        self.power = power
        self.minimumEffect = minimumEffect
        self.minimumRows = minimumRows
    }
}

/// Champion against candidate on live traffic with ground truth: the difference in mean loss with
/// its confidence interval and p-value, and what to do about it.
///
/// Requests whose key both variants answered (replayed or shadowed traffic) are compared pairwise
/// by key (paired t-test on the per-key differences, losses of a repeated key averaged); otherwise
/// the variants' requests are independent samples: Welch's t-test for absolute errors, the
/// two-proportion z-test for error rates. The candidate is promoted when it is significantly
/// better, the champion kept when the candidate is significantly worse or when the interval rules
/// out a difference as large as the minimum effect; otherwise the rows per variant still needed
/// for the wanted power at the minimum effect are reported.
public struct VariantComparison: Codable, Sendable, Equatable {
    public enum Recommendation: String, Codable, Sendable {
        case promoteCandidate = "promote_candidate"
        case keepChampion = "keep_champion"
        case notEnoughData = "not_enough_data"
    }

    public var champion: String
    public var candidate: String
    public var metric: ComparedLoss
    public var championRows: Int
    public var candidateRows: Int
    /// Mean loss of each variant (MAE, or error rate).
    public var championValue: Double
    public var candidateValue: Double
    /// candidate − champion: negative when the candidate errs less.
    public var difference: Double
    public var confidenceLevel: Double
    public var lower: Double
    public var upper: Double
    public var pValue: Double
    /// "paired_t", "welch_t" or "two_proportion_z".
    public var test: String
    /// Keys both variants answered (the pairs of a paired test; 0 otherwise).
    public var pairedKeys: Int
    public var minimumEffect: Double
    public var recommendation: Recommendation
    /// With `notEnoughData`: labelled rows (keys, for a paired test) still needed per variant.
    public var rowsNeeded: Int?
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case champion, candidate, metric, test, recommendation, reason, difference, lower, upper
        case championRows = "champion_rows", candidateRows = "candidate_rows"
        case championValue = "champion_value", candidateValue = "candidate_value"
        case confidenceLevel = "confidence_level", pValue = "p_value", pairedKeys = "paired_keys"
        case minimumEffect = "minimum_effect", rowsNeeded = "rows_needed"
    }

    /// Compares `candidate` with `champion` on `metric`.
    /// - Precondition: both have at least one loss, every loss finite.
    public static func compare(champion: VariantOutcomes, candidate: VariantOutcomes, metric: ComparedLoss,
                               options: ComparisonOptions = ComparisonOptions()) -> VariantComparison {
        precondition(!champion.losses.isEmpty && !candidate.losses.isEmpty, "VariantComparison: a variant without rows")
        let mean0 = mean(champion.losses), mean1 = mean(candidate.losses)
        let effect = options.minimumEffect ?? max(0.05 * mean0, 1e-12)
        let pairs = pairedDifferences(champion, candidate)
        let estimate: Estimate
        if pairs.count >= options.minimumRows {
            estimate = paired(pairs, options: options, effect: effect)
        } else if metric == .errorRate {
            estimate = proportions(champion.losses, candidate.losses, options: options, effect: effect)
        } else {
            estimate = welch(champion.losses, candidate.losses, options: options, effect: effect)
        }
        let fewest = pairs.count >= options.minimumRows ? pairs.count : min(champion.losses.count, candidate.losses.count)
        var out = VariantComparison(champion: champion.name, candidate: candidate.name, metric: metric,
                                    championRows: champion.losses.count, candidateRows: candidate.losses.count,
                                    championValue: mean0, candidateValue: mean1, difference: estimate.difference,
                                    confidenceLevel: 1 - options.alpha, lower: estimate.lower, upper: estimate.upper,
                                    pValue: estimate.pValue, test: estimate.test,
                                    pairedKeys: pairs.count >= options.minimumRows ? pairs.count : 0, minimumEffect: effect,
                                    recommendation: .notEnoughData, rowsNeeded: nil, reason: "")
        out.decide(fewest: fewest, required: estimate.rowsForEffect, options: options)
        return out
    }

    private mutating func decide(fewest: Int, required: Int, options: ComparisonOptions) {
        let level = "\(Self.percent(confidenceLevel)) interval [\(Self.number(lower)), \(Self.number(upper))]"
        if fewest < options.minimumRows {
            recommendation = .notEnoughData
            rowsNeeded = max(options.minimumRows, required) - fewest
            reason = "only \(fewest) labelled rows for a variant (at least \(options.minimumRows) are needed)"
        } else if pValue < options.alpha && difference < 0 {
            recommendation = .promoteCandidate
            reason = "\(candidate) errs less than \(champion): difference \(Self.number(difference)), \(level), p = \(Self.number(pValue))"
        } else if pValue < options.alpha {
            recommendation = .keepChampion
            reason = "\(candidate) errs more than \(champion): difference \(Self.number(difference)), \(level), p = \(Self.number(pValue))"
        } else if lower > -minimumEffect && upper < minimumEffect {
            recommendation = .keepChampion
            reason = "no difference as large as the minimum effect \(Self.number(minimumEffect)): \(level)"
        } else {
            recommendation = .notEnoughData
            rowsNeeded = max(0, required - fewest)
            reason = "difference \(Self.number(difference)) not significant (p = \(Self.number(pValue)), \(level)); about \(required) rows per variant detect \(Self.number(minimumEffect)) with \(Self.percent(options.power)) power"
        }
    }

    // MARK: Estimates

    struct Estimate {
        var difference, lower, upper, pValue: Double
        var test: String
        /// Rows per variant (or pairs) that detect the minimum effect with the wanted power.
        var rowsForEffect: Int
    }

    /// Welch's t-test and interval on the difference of two means (sample variances, ddof 1).
    static func welch(_ a: [Double], _ b: [Double], options: ComparisonOptions, effect: Double) -> Estimate {
        let (m0, v0) = meanAndVariance(a), (m1, v1) = meanAndVariance(b)
        let n0 = Double(a.count), n1 = Double(b.count)
        let s0 = v0 / n0, s1 = v1 / n1
        let se = (s0 + s1).squareRoot()
        let difference = m1 - m0
        let df = a.count > 1 && b.count > 1 && se > 0 ? (s0 + s1) * (s0 + s1) / (s0 * s0 / (n0 - 1) + s1 * s1 / (n1 - 1)) : .nan
        let (p, half) = twoSided(difference, se: se, df: df, alpha: options.alpha)
        return Estimate(difference: difference, lower: difference - half, upper: difference + half, pValue: p, test: "welch_t",
                        rowsForEffect: rowsNeeded(variance: v0 + v1, effect: effect, options: options))
    }

    /// Paired t-test and interval on the mean of per-key differences (candidate − champion).
    static func paired(_ d: [Double], options: ComparisonOptions, effect: Double) -> Estimate {
        let (m, v) = meanAndVariance(d)
        let se = (v / Double(d.count)).squareRoot()
        let (p, half) = twoSided(m, se: se, df: d.count > 1 ? Double(d.count - 1) : .nan, alpha: options.alpha)
        return Estimate(difference: m, lower: m - half, upper: m + half, pValue: p, test: "paired_t",
                        rowsForEffect: rowsNeeded(variance: v, effect: effect, options: options))
    }

    /// Two-proportion z-test (pooled standard error) with a Wald interval (unpooled) on the
    /// difference of two error rates.
    static func proportions(_ a: [Double], _ b: [Double], options: ComparisonOptions, effect: Double) -> Estimate {
        let n0 = Double(a.count), n1 = Double(b.count)
        let p0 = mean(a), p1 = mean(b)
        let pooled = (p0 * n0 + p1 * n1) / (n0 + n1)
        let seTest = (pooled * (1 - pooled) * (1 / n0 + 1 / n1)).squareRoot()
        let seInterval = (p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1).squareRoot()
        let difference = p1 - p0
        let p = seTest > 0 ? SpecialFunctions.normalTwoSidedP(difference / seTest) : (difference == 0 ? 1 : 0)
        let half = SpecialFunctions.twoSidedCriticalValue(options.alpha) * seInterval
        return Estimate(difference: difference, lower: difference - half, upper: difference + half, pValue: p, test: "two_proportion_z",
                        rowsForEffect: rowsNeeded(variance: p0 * (1 - p0) + p1 * (1 - p1), effect: effect, options: options))
    }

    /// p-value and interval half-width of a t (df finite) or z (df NaN) statistic; a zero standard
    /// error gives p = 1 for no difference and 0 otherwise.
    static func twoSided(_ difference: Double, se: Double, df: Double, alpha: Double) -> (p: Double, halfWidth: Double) {
        guard se > 0 else { return (difference == 0 ? 1 : 0, 0) }
        let dof: Double? = df.isFinite ? df : nil
        let t = difference / se
        let p = dof.map { SpecialFunctions.studentTTwoSidedP(t, degreesOfFreedom: $0) } ?? SpecialFunctions.normalTwoSidedP(t)
        return (p, SpecialFunctions.twoSidedCriticalValue(alpha, degreesOfFreedom: dof) * se)
    }

    /// n per group = (z_{1−α/2} + z_{power})² · variance / effect² (normal approximation).
    static func rowsNeeded(variance: Double, effect: Double, options: ComparisonOptions) -> Int {
        let z = SpecialFunctions.twoSidedCriticalValue(options.alpha) + SpecialFunctions.twoSidedCriticalValue(2 * (1 - options.power))
        let n = z * z * variance / (effect * effect)
        return n < 1e15 ? Int(n.rounded(.up)) : Int.max   // NaN and beyond any log: Int.max
    }

    /// candidate − champion per key both answered, each side's losses for the key averaged.
    static func pairedDifferences(_ champion: VariantOutcomes, _ candidate: VariantOutcomes) -> [Double] {
        guard let k0 = champion.keys, let k1 = candidate.keys else { return [] }
        func meanByKey(_ keys: [String], _ losses: [Double]) -> [String: Double] {
            var sums: [String: (Double, Int)] = [:]
            for (k, l) in zip(keys, losses) { sums[k, default: (0, 0)] = (sums[k, default: (0, 0)].0 + l, sums[k, default: (0, 0)].1 + 1) }
            return sums.mapValues { $0.0 / Double($0.1) }
        }
        let a = meanByKey(k0, champion.losses), b = meanByKey(k1, candidate.losses)
        return a.keys.filter { b[$0] != nil }.sorted().map { (b[$0] ?? 0) - (a[$0] ?? 0) }
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

    /// Mean and sample variance (ddof 1; 0 for a single value), two-pass.
    static func meanAndVariance(_ v: [Double]) -> (mean: Double, variance: Double) {
        let m = mean(v)
        guard v.count > 1 else { return (m, 0) }
        let ss = v.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (m, ss / Double(v.count - 1))
    }

    static func number(_ x: Double) -> String { fmtG(x) }
    static func percent(_ x: Double) -> String { "\(fmtG(x * 100))%" }
}
