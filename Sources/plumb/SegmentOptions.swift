import ArgumentParser
import MLCore
import Pipeline

/// `--segment-by`, `--sensitive` and their options, shared by `plumb evaluate` and `plumb monitor`.
struct SegmentOptions: ParsableArguments {
    @Option(name: .customLong("segment-by"), help: ArgumentHelp("Report every metric per segment of this column (repeatable). Numeric columns: --bins quantile bins; text columns: one segment per value. The column need not be a model feature.", valueName: "COL"))
    var segmentBy: [String] = []

    @Option(help: ArgumentHelp("Binary classifiers: demographic parity and equalized odds differences and per-group selection, true and false positive rates over this column's values (Fairlearn's definitions).", valueName: "COL"))
    var sensitive: String?

    @Option(help: "Quantile bins for a numeric --segment-by column (a column with at most this many distinct values is segmented by value).")
    var bins: Int = 4

    @Option(help: "Flag a segment whose main metric is worse than on all rows by more than this share (0.25 = 25 %).")
    var segmentTolerance: Double = 0.25

    @Option(help: ArgumentHelp("Metric segments are flagged on (default: rmse for regression, log_loss for classification; any reported metric, in its natural direction).", valueName: "METRIC"))
    var segmentMetric: String?

    @Option(help: "Bootstrap replicates for the confidence intervals (percentile method, 95 %).")
    var bootstrap: Int = Bootstrap.defaultReplicates

    @Option(help: "Seed of the bootstrap resamples.")
    var bootstrapSeed: UInt64 = 42

    func validate() throws {
        guard bins >= 2 else { throw ValidationError("--bins must be at least 2, got \(bins)") }
        guard segmentTolerance >= 0, segmentTolerance.isFinite else { throw ValidationError("--segment-tolerance must be a share ≥ 0 such as 0.25, got \(segmentTolerance)") }
        guard bootstrap >= 10 else { throw ValidationError("--bootstrap must be at least 10 replicates, got \(bootstrap)") }
    }

    var request: SegmentRequest {
        SegmentRequest(columns: segmentBy, sensitive: sensitive,
                       options: SegmentEvaluation.Options(bins: bins, tolerance: segmentTolerance, metric: segmentMetric,
                                                          replicates: bootstrap, seed: bootstrapSeed))
    }
}
