import Drift
import Foundation
import MLCore

/// What `plumb monitor --from-log --compare-variants` was asked for.
public struct VariantReviewRequest: Sendable, Equatable {
    /// The incumbent; nil: the variant named "champion", else the one that answered most requests.
    public var champion: String?
    public var options: ComparisonOptions

    public init(champion: String? = nil, options: ComparisonOptions = ComparisonOptions()) {
        self.champion = champion
        self.options = options
    }
}

/// One logged request as the comparison sees it.
public struct LoggedOutcome: Sendable, Equatable {
    public var variant: String
    /// The routing key (pairs requests across variants), nil when the request id routed it.
    public var key: String?
    /// Absolute error, or 1 / 0 for a wrong / right class; nil while no ground truth came back.
    public var loss: Double?

    public init(variant: String, key: String?, loss: Double?) {
        self.variant = variant
        self.key = key
        self.loss = loss
    }
}

/// Every variant of a canary, A/B or blue-green rollout against the champion, on the ground truth
/// fed back through `/feedback`.
public struct VariantReview: Encodable, Sendable, Equatable {
    public struct Variant: Encodable, Sendable, Equatable {
        public var name: String
        public var requests: Int
        /// Requests with ground truth.
        public var labelled: Int
        /// Mean loss over them (MAE, or error rate); nil without any.
        public var value: Double?
    }

    public var metric: ComparedLoss
    public var champion: String
    /// How the champion was chosen ("--champion", "named champion", "most requests").
    public var championChosenBy: String
    public var variants: [Variant]
    /// One per other variant with ground truth, against the champion.
    public var comparisons: [VariantComparison]

    enum CodingKeys: String, CodingKey { case metric, champion, variants, comparisons, championChosenBy = "champion_chosen_by" }

    /// Groups `outcomes` by variant and compares each other variant with the champion.
    /// - Throws: `DriftError` when fewer than two variants answered, the champion named is not
    ///   one of them, or it has no ground truth yet.
    public static func review(_ outcomes: [LoggedOutcome], metric: ComparedLoss, request: VariantReviewRequest,
                              source: String) throws -> VariantReview {
        var order: [String] = []
        var byName: [String: [LoggedOutcome]] = [:]
        for o in outcomes {
            if byName[o.variant] == nil { order.append(o.variant) }
            byName[o.variant, default: []].append(o)
        }
        guard order.count >= 2 else {
            throw DriftError(code: .missingColumn, message: "\(source): \(order.isEmpty ? "no request names a variant" : "every request was answered by \"\(order[0])\""); compare variants of a server started with --canary or --variant")
        }
        let champion: String, chosenBy: String
        if let named = request.champion {
            guard byName[named] != nil else {
                throw DriftError(code: .missingColumn, message: "\(source): no request was answered by variant \"\(named)\" (variants: \(order.joined(separator: ", ")))")
            }
            (champion, chosenBy) = (named, "--champion")
        } else if byName["champion"] != nil {
            (champion, chosenBy) = ("champion", "named champion")
        } else {
            let most = order.max { (byName[$0]?.count ?? 0, $1) < (byName[$1]?.count ?? 0, $0) } ?? order[0]
            (champion, chosenBy) = (most, "most requests")
        }
        func sample(_ name: String) -> VariantOutcomes {
            let labelled = (byName[name] ?? []).filter { $0.loss != nil }
            return VariantOutcomes(name: name, losses: labelled.compactMap(\.loss),
                                   keys: labelled.allSatisfy { $0.key != nil } ? labelled.compactMap(\.key) : nil)
        }
        let variants = order.map { name -> Variant in
            let s = sample(name)
            return Variant(name: name, requests: byName[name]?.count ?? 0, labelled: s.losses.count,
                           value: s.losses.isEmpty ? nil : s.losses.reduce(0, +) / Double(s.losses.count))
        }
        let base = sample(champion)
        guard !base.losses.isEmpty else {
            throw DriftError(code: .missingColumn, message: "\(source): the champion \"\(champion)\" has no ground truth yet; send labels to /feedback first")
        }
        let comparisons = order.filter { $0 != champion }.map(sample).filter { !$0.losses.isEmpty }.map {
            VariantComparison.compare(champion: base, candidate: $0, metric: metric, options: request.options)
        }
        return VariantReview(metric: metric, champion: champion, championChosenBy: chosenBy, variants: variants, comparisons: comparisons)
    }

    /// The variants' table and each comparison's verdict, for the terminal.
    public func renderTable() -> String {
        let name = metric == .absoluteError ? "MAE" : "error rate"
        var lines = ["Variants (\(name) on the requests with ground truth; champion: \(champion), by \(championChosenBy)):"]
        let width = max(7, variants.map(\.name.count).max() ?? 0)
        lines.append("variant".padding(toLength: width, withPad: " ", startingAt: 0) + "  requests  labelled  \(name)")
        for v in variants {
            let value = v.value.map { String(format: "%.4f", $0) } ?? "-"
            lines.append(v.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(repeating: " ", count: max(0, 10 - "\(v.requests)".count)) + "\(v.requests)"
                         + String(repeating: " ", count: max(0, 10 - "\(v.labelled)".count)) + "\(v.labelled)  \(value)")
        }
        for c in comparisons {
            lines.append("")
            lines.append("\(c.candidate) vs \(c.champion) (\(c.test)): \(c.recommendation.rawValue.replacingOccurrences(of: "_", with: " "))")
            lines.append("  \(c.reason)")
            if let more = c.rowsNeeded { lines.append("  rows still needed per variant: \(more)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
