/// Group fairness of a binary classifier's decisions, as Fairlearn 0.15 defines it.
///
/// Inputs: `truth` and `predicted`, one 0/1 value per row (1 = the positive class; `predicted`
/// is the decision after the model's threshold), and `groups`, one group index per row in
/// `0..<groupNames.count` (negative = row left out, e.g. a missing sensitive value).
///
/// Definitions (Fairlearn `fairlearn.metrics`, `method="between_groups"`, `agg="worst_case"`):
/// - selection rate of a group: share of its rows predicted positive (`selection_rate`).
/// - true positive rate: TP / (TP + FN); **0 when the group has no positive row** — Fairlearn's
///   `true_positive_rate` normalises scikit-learn's confusion matrix by row (`normalize="true"`),
///   which turns the 0/0 of an empty row into 0.
/// - false positive rate: FP / (FP + TN); 0 when the group has no negative row, likewise.
/// - demographic parity difference: max − min of the selection rates over groups.
/// - equalized odds difference: max(TPR difference, FPR difference), each max − min over groups.
/// Groups with no row are not groups (Fairlearn only sees values that occur); the differences
/// over a single group are 0.
public struct FairnessMetrics: Codable, Sendable, Equatable {
    /// One sensitive group's counts and rates.
    public struct Group: Codable, Sendable, Equatable {
        public var group: String
        public var count: Int
        /// Rows whose true class is positive / negative.
        public var positives: Int
        public var negatives: Int
        public var selectionRate: Double
        public var truePositiveRate: Double
        public var falsePositiveRate: Double

        enum CodingKeys: String, CodingKey {
            case group, count, positives, negatives, selectionRate = "selection_rate"
            case truePositiveRate = "true_positive_rate", falsePositiveRate = "false_positive_rate"
        }
    }

    /// Groups that occur, in `groupNames` order.
    public var groups: [Group]
    public var demographicParityDifference: Double
    public var equalizedOddsDifference: Double
    /// The two parts of the equalized odds difference.
    public var truePositiveRateDifference: Double
    public var falsePositiveRateDifference: Double

    enum CodingKeys: String, CodingKey {
        case groups, demographicParityDifference = "demographic_parity_difference"
        case equalizedOddsDifference = "equalized_odds_difference"
        case truePositiveRateDifference = "true_positive_rate_difference"
        case falsePositiveRateDifference = "false_positive_rate_difference"
    }

    /// - Precondition: equal lengths; truth and predictions in {0, 1}; group indices below
    ///   `groupNames.count`.
    /// - Complexity: O(n + groups).
    public init(truth: [Int], predicted: [Int], groups rowGroups: [Int], groupNames: [String]) {
        precondition(truth.count == predicted.count && truth.count == rowGroups.count,
                     "fairness: \(truth.count) labels, \(predicted.count) predictions, \(rowGroups.count) groups")
        let g = groupNames.count
        // confusion[4 * group + 2 * truth + predicted]
        var confusion = [Int](repeating: 0, count: 4 * g)
        for i in truth.indices where rowGroups[i] >= 0 {
            precondition(rowGroups[i] < g && (truth[i] == 0 || truth[i] == 1) && (predicted[i] == 0 || predicted[i] == 1),
                         "fairness: row \(i) has group \(rowGroups[i]), truth \(truth[i]), prediction \(predicted[i])")
            confusion[4 * rowGroups[i] + 2 * truth[i] + predicted[i]] += 1
        }
        func rate(_ hits: Int, _ total: Int) -> Double { total == 0 ? 0 : Double(hits) / Double(total) }
        groups = (0..<g).compactMap { k in
            let tn = confusion[4 * k], fp = confusion[4 * k + 1], fn = confusion[4 * k + 2], tp = confusion[4 * k + 3]
            let n = tn + fp + fn + tp
            guard n > 0 else { return nil }
            return Group(group: groupNames[k], count: n, positives: tp + fn, negatives: tn + fp,
                         selectionRate: rate(tp + fp, n), truePositiveRate: rate(tp, tp + fn), falsePositiveRate: rate(fp, fp + tn))
        }
        func spread(_ values: [Double]) -> Double {
            guard let lo = values.min(), let hi = values.max() else { return 0 }
            return hi - lo
        }
        demographicParityDifference = spread(groups.map(\.selectionRate))
        truePositiveRateDifference = spread(groups.map(\.truePositiveRate))
        falsePositiveRateDifference = spread(groups.map(\.falsePositiveRate))
        equalizedOddsDifference = max(truePositiveRateDifference, falsePositiveRateDifference)
    }
}
