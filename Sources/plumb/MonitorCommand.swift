import ArgumentParser
import Drift
import Foundation
import MLCore
import Pipeline

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Detect data drift and performance decay against the model's training reference.",
        discussion: """
            Compares current data — a CSV, or what `plumb serve` logged — with the reference profile stored when \
            the model was trained. Per column the default test is KS (numeric) / chi² (categorical) when the \
            reference has ≤ 1,000 rows, else normalised Wasserstein (numeric, drift at ≥ 0.1) / Jensen–Shannon \
            (categorical, drift at ≥ 0.1); --test overrides it per column. Dataset drift when more than \
            --drift-share of the columns drifted. With ground truth (a target column in --current, or \
            /feedback in the log) it scores RMSE, MAE, R² and recommends retraining when RMSE > --max-rmse or \
            R² < --min-r2, or on dataset drift.

            A classifier is scored on accuracy, F1 (macro for multiclass), ROC AUC, log loss, Brier and ECE \
            where the file holds its target (or labels were fed back to the log); its predicted class shares, score (positive-class \
            probability, or the largest probability for multiclass) and true class shares are tested against \
            the training reference as `predicted_class`, `prob_<class>` / `max_probability` (and `prob_<class>` \
            per class for multiclass) and `true_class`: Jensen–Shannon (≥ 0.1) on shares, PSI (≥ 0.2) on \
            scores by default; --test overrides them like a column. --trigger adds a retraining trigger on any reported metric \
            with its direction, e.g. --trigger "roc_auc < 0.8" --trigger "log_loss > 0.4" (or "mae > 0.3" for \
            regression).

            Exit codes: 0 healthy, 10 retraining recommended, 1 runtime failure, 64 usage error.

            Examples:
              plumb monitor --model models:/california@champion --current out/current.csv --report out/drift.html
              plumb monitor --model models:/california@champion --from-log --since 2026-11-23T00:00:00Z --json
              plumb monitor --model models:/churn@champion --current out/current.csv --trigger "roc_auc < 0.8" --report out/churn.html
              plumb monitor --model models:/california@champion --current out/current.csv --segment-by ocean_proximity --json

            With --segment-by COL the labelled rows' metrics are also reported per segment of COL (quantile bins \
            for a numeric column, values for a text column) with bootstrap 95 % intervals, and segments worse \
            than all rows by more than --segment-tolerance on the main metric (RMSE; log loss for classifiers) \
            are flagged; --json gains "segments" (one object per segment) and, with --sensitive COL, "fairness".
            """
    )

    @Option(help: "Model file or registry URI.")
    var model: String

    @Option(help: "CSV of current (production) data.")
    var current: String?

    @Flag(help: "Use the server's prediction log instead of a CSV.")
    var fromLog = false

    @Option(help: "With --from-log: only requests at or after this ISO-8601 time.")
    var since: String?

    @Option(help: "Write a self-contained HTML report here.")
    var report: String?

    @Option(help: "Share of drifted columns above which the dataset drifted.")
    var driftShare: Double = 0.2

    @Option(help: "Retrain when RMSE is above this.")
    var maxRmse: Double = 0.5

    @Option(help: "Retrain when R² is below this.")
    var minR2: Double = 0.6

    @Option(name: .customLong("trigger"), help: ArgumentHelp("Retrain when a metric crosses a bound, e.g. \"roc_auc < 0.8\" or \"log_loss > 0.4\" (repeatable).", valueName: "METRIC<|<=|>|>=NUMBER"))
    var triggers: [String] = []

    @Flag(help: "Also retrain when a classifier's predicted class shares, score or true class shares drifted.")
    var retrainOnPredictionDrift = false

    @Option(name: .customLong("test"), help: ArgumentHelp("Per-column test, e.g. --test MedInc=ks or --test AveRooms=psi:0.2 (repeatable).", valueName: "COL=ks|wasserstein|psi|chisquare|jensenshannon[:THRESHOLD]"))
    var tests: [String] = []

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @OptionGroup var csv: CSVInputOptions

    @OptionGroup(title: "Segments and fairness (on the rows with ground truth)") var segments: SegmentOptions

    @OptionGroup(title: "Canary and A/B variants (with --from-log)") var variantOptions: VariantCompareOptions

    @Flag(help: "Print a JSON object instead of the table.")
    var json = false

    func validate() throws {
        guard (current != nil) != fromLog else { throw ValidationError("give exactly one of --current FILE or --from-log") }
        if since != nil && !fromLog { throw ValidationError("--since goes with --from-log") }
        if let s = since, Self.parseTime(s) == nil { throw ValidationError("--since must be an ISO-8601 time such as 2026-11-23T10:00:00Z, got \"\(s)\"") }
        guard driftShare >= 0, driftShare <= 1 else { throw ValidationError("--drift-share must be in [0, 1]") }
        _ = try columnTests()
        _ = try metricTriggers()
        if variantOptions.compareVariants && !fromLog { throw ValidationError("--compare-variants goes with --from-log (the log says which variant answered)") }
        try variantOptions.validate()
    }

    func metricTriggers() throws -> [MetricTrigger] {
        do { return try triggers.map { try MetricTrigger(parsing: $0) } } catch let e as DriftError { throw ValidationError("--trigger: \(e.message)") }
    }

    static func parseTime(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withFullDate]
        return f.date(from: s)
    }

    func columnTests() throws -> [String: ColumnTest] {
        var out: [String: ColumnTest] = [:]
        for t in tests {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--test expects COL=METHOD[:THRESHOLD], got \"\(t)\"") }
            let spec = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
            guard let method = DriftMethod(rawValue: spec[0]) else {
                throw ValidationError("--test \(t): unknown method \"\(spec[0])\" (ks, wasserstein, psi, chisquare, jensenshannon)")
            }
            var threshold: Double?
            if spec.count == 2 {
                guard let v = Double(spec[1]), v.isFinite else { throw ValidationError("--test \(t): threshold \"\(spec[1])\" is not a number") }
                threshold = v
            }
            out[parts[0]] = ColumnTest(method, threshold: threshold)
        }
        return out
    }

    func run() async throws {
        var retrain = false
        try await runReportingErrors {
            var options = DriftOptions(columnTests: try columnTests(), driftShareThreshold: driftShare)
            options.driftShareThreshold = driftShare
            let policy = RetrainPolicy(maxRMSE: maxRmse, minR2: minR2, triggers: try metricTriggers(),
                                       retrainOnPredictionDrift: retrainOnPredictionDrift)
            let source: Monitor.Current = fromLog ? .log(since: since.flatMap(Self.parseTime)) : .file(current ?? "", try csv.csvOptions())
            let outcome = try Monitor.run(model: model, storePath: store ?? defaultStorePath(), current: source,
                                          options: options, policy: policy, reportPath: report, segments: segments.request,
                                          compareVariants: variantOptions.request)
            if json {
                try printJSON(MonitorJSON(result: outcome.result, segments: outcome.segments, variants: outcome.variants))
            } else {
                print("\(model) vs \(outcome.source): \(grouped(outcome.currentRows)) rows, \(grouped(outcome.labelledRows)) with ground truth")
                print(outcome.result.renderTable())
                // The drift table ends with a blank line.
                if let s = outcome.segments { print(s.renderTable()) }
                if let v = outcome.variants { print(v.renderTable()) }
                if let r = outcome.reportPath { print("report: \(r)") }
            }
            retrain = outcome.result.retrain
        }
        if retrain { throw ExitCode(10) }
    }
}

/// `plumb monitor --json`: the drift result's keys, plus "overall", "segments" and "fairness"
/// with --segment-by / --sensitive.
struct MonitorJSON: Encodable {
    var result: DriftResult
    var segments: SegmentedEvaluation?
    var variants: VariantReview?

    enum CodingKeys: String, CodingKey {
        case segments, fairness, variants, segmentMetric = "segment_metric", segmentOverall = "segment_overall"
    }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(variants, forKey: .variants)
        guard let s = segments else { return }
        try c.encode(s.segments, forKey: .segments)
        try c.encode(s.metric, forKey: .segmentMetric)
        try c.encode(s.overall, forKey: .segmentOverall)
        try c.encodeIfPresent(s.fairness, forKey: .fairness)
    }
}

/// `--compare-variants` and its thresholds.
struct VariantCompareOptions: ParsableArguments {
    @Flag(help: "Compare each serving variant (canary, A/B, blue-green) with the champion on the labels fed back to /feedback: difference, 95 % interval, p-value and a recommendation.")
    var compareVariants = false

    @Option(help: "The incumbent variant (default: the one named champion, else the one that answered most requests).")
    var champion: String?

    @Option(help: "Smallest difference in MAE (or error rate) worth acting on (default: 5 % of the champion's).")
    var minEffect: Double?

    @Option(help: "Significance level of the comparison.")
    var alpha: Double = 0.05

    func validate() throws {
        guard alpha > 0, alpha < 0.5 else { throw ValidationError("--alpha must be in (0, 0.5), got \(alpha)") }
        if let e = minEffect, !(e > 0 && e.isFinite) { throw ValidationError("--min-effect must be a positive number, got \(e)") }
        if !compareVariants, champion != nil || minEffect != nil { throw ValidationError("--champion and --min-effect go with --compare-variants") }
    }

    var request: VariantReviewRequest? {
        compareVariants ? VariantReviewRequest(champion: champion, options: ComparisonOptions(alpha: alpha, minimumEffect: minEffect)) : nil
    }
}
