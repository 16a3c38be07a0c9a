import Drift
import Foundation
import MLCore
import Tabular
import Tracking

/// Everything `plumb pipeline run` needs to know: data, slices, split, preprocessing, candidate
/// models, selection, registry, promotion gates, data-quality checks, monitoring triggers,
/// retraining policy and serving. Read from YAML (`load(path:)`, `parse(yaml:source:)`); every
/// field is documented in `data/pipelines/california-housing.yaml`.
public struct PipelineSpec: Codable, Sendable, Equatable {
    /// Pipeline name: names the run, and defaults the registry model name and experiment.
    public var name: String
    public var data: DataSpec
    /// regression, binary or multiclass; nil: inferred from the target as `plumb train` does (text
    /// or true/false labels are classes).
    public var task: ModelTask?
    /// How the closed loop separates reference (training-time) rows from "current" (production)
    /// rows; nil = every row is reference data and there is no current slice.
    public var slices: Slices?
    public var split: Split
    /// Tabular's preprocessing options (impute, scale, one-hot, quantile clip).
    public var preprocessing: PreprocessingOptions
    /// Candidate models, in the order they are trained; names are unique.
    public var models: [ModelCandidate]
    public var selection: Selection
    public var registry: Registry
    public var promotion: Promotion
    public var validation: Validation
    public var monitoring: Monitoring
    public var retraining: Retraining
    /// How a challenger that passed the comparison and the gates goes live.
    public var rollout: Rollout
    public var serving: ServingOptions
    /// Seed of every seeded step that has no seed of its own (split, models).
    public var seed: UInt64

    /// Memberwise initialiser.
    public init(name: String, data: DataSpec, slices: Slices?, split: Split, preprocessing: PreprocessingOptions,
                models: [ModelCandidate], selection: Selection, registry: Registry, promotion: Promotion,
                validation: Validation, monitoring: Monitoring, retraining: Retraining, rollout: Rollout = Rollout(),
                serving: ServingOptions, seed: UInt64, task: ModelTask? = nil) {
        self.name = name
        self.task = task
        self.data = data
        self.slices = slices
        self.split = split
        self.preprocessing = preprocessing
        self.models = models
        self.selection = selection
        self.registry = registry
        self.promotion = promotion
        self.validation = validation
        self.monitoring = monitoring
        self.retraining = retraining
        self.rollout = rollout
        self.serving = serving
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case name, data, task, slices, split, preprocessing, models, selection, registry, promotion,
             validation, monitoring, retraining, rollout, serving, seed
    }

    /// Where the rows come from and which column is predicted.
    public struct DataSpec: Codable, Sendable, Equatable {
        /// A `DatasetCatalog` name (e.g. `california-housing`) or a CSV path, relative to the
        /// spec file's folder when not absolute.
        public var source: String
        /// Target column; defaults to the catalog's target for a known dataset.
        public var target: String
        /// Feature columns; nil = every column but the target and `exclude`.
        public var features: [String]?
        /// Columns never used as features.
        public var exclude: [String]
        /// Column kind overrides for CSV type inference.
        public var schema: [String: ColumnKind]

        public init(source: String, target: String, features: [String]? = nil, exclude: [String] = [], schema: [String: ColumnKind] = [:]) {
            self.source = source
            self.target = target
            self.features = features
            self.exclude = exclude
            self.schema = schema
        }

        /// The catalog entry when `source` names a known dataset.
        public var knownDataset: KnownDataset? { DatasetCatalog.all.first { $0.name == source } }

        /// The CSV path `source` denotes, resolved against `specDirectory`; nil for a catalog name.
        public func csvPath(relativeTo specDirectory: String) -> String? {
            if knownDataset != nil { return nil }
            if source.hasPrefix("/") { return source }
            return URL(fileURLWithPath: specDirectory).appendingPathComponent(source).standardized.path
        }
    }

    /// A one-sided comparison against a number: `< 35.5`, `<= x`, `> x`, `>= x`.
    public struct Comparison: Codable, Sendable, Equatable, CustomStringConvertible {
        public enum Operator: String, Codable, Sendable, CaseIterable {
            case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        }
        public var op: Operator
        public var value: Double

        public init(_ op: Operator, _ value: Double) {
            self.op = op
            self.value = value
        }

        /// Parses "< 35.5" (spaces optional); nil when the text is not of that form.
        public init?(parsing text: String) {
            let t = text.trimmingCharacters(in: .whitespaces)
            for op in [Operator.lessOrEqual, .greaterOrEqual, .less, .greater] where t.hasPrefix(op.rawValue) {
                let rest = t.dropFirst(op.rawValue.count).trimmingCharacters(in: .whitespaces)
                guard let v = Double(rest), v.isFinite else { return nil }
                self.init(op, v)
                return
            }
            return nil
        }

        /// Whether `x` satisfies the comparison (NaN never does).
        public func matches(_ x: Double) -> Bool {
            switch op {
            case .less: x < value
            case .lessOrEqual: x <= value
            case .greater: x > value
            case .greaterOrEqual: x >= value
            }
        }

        public var description: String { "\(op.rawValue) \(format(value))" }

        /// True when no number satisfies both comparisons.
        public func isDisjoint(from other: Comparison) -> Bool {
            let upper: Comparison, lower: Comparison
            switch (op, other.op) {
            case (.less, .greater), (.less, .greaterOrEqual), (.lessOrEqual, .greater), (.lessOrEqual, .greaterOrEqual):
                (upper, lower) = (self, other)
            case (.greater, .less), (.greater, .lessOrEqual), (.greaterOrEqual, .less), (.greaterOrEqual, .lessOrEqual):
                (upper, lower) = (other, self)
            default:
                return false
            }
            if upper.value < lower.value { return true }
            if upper.value > lower.value { return false }
            return !(upper.op == .lessOrEqual && lower.op == .greaterOrEqual)
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let parsed = Comparison(parsing: text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected \"< x\", \"<= x\", \"> x\" or \">= x\", found \"\(text)\"")
            }
            self = parsed
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }

    /// Reference vs current rows by a numeric column (e.g. south vs north of a latitude).
    public struct Slices: Codable, Sendable, Equatable {
        /// Numeric column the comparisons apply to.
        public var by: String
        /// Rows whose `by` value satisfies this are reference (training-time) data.
        public var reference: Comparison
        /// Rows whose `by` value satisfies this are current (production) data; disjoint from reference.
        public var current: Comparison
        /// Fraction of current rows kept unseen for the champion/challenger comparison, in (0, 1).
        public var currentHoldoutFraction: Double

        enum CodingKeys: String, CodingKey {
            case by, reference, current
            case currentHoldoutFraction = "current_holdout_fraction"
        }

        public init(by: String, reference: Comparison, current: Comparison, currentHoldoutFraction: Double = 0.2) {
            self.by = by
            self.reference = reference
            self.current = current
            self.currentHoldoutFraction = currentHoldoutFraction
        }
    }

    /// Train/test split of the reference rows.
    public struct Split: Codable, Sendable, Equatable {
        /// Fraction of rows held out for testing, in (0, 1). Default 0.2.
        public var testFraction: Double
        /// Split seed; nil = the spec's top-level `seed`.
        public var seed: UInt64?

        enum CodingKeys: String, CodingKey {
            case testFraction = "test_fraction", seed
        }

        public init(testFraction: Double = 0.2, seed: UInt64? = nil) {
            self.testFraction = testFraction
            self.seed = seed
        }
    }

    /// Model family of a candidate.
    public enum ModelKind: String, Codable, Sendable, CaseIterable {
        case linear, ridge, logistic, gbm, forest

        /// Whether this kind fits `task` (least squares fit numbers, logistic regression classes).
        public func fits(_ task: ModelTask) -> Bool {
            switch self {
            case .linear, .ridge: task == .regression
            case .logistic: task.isClassification
            case .gbm, .forest: true
            }
        }
    }

    /// One hyperparameter value as written in YAML.
    public enum ParamValue: Codable, Sendable, Equatable, CustomStringConvertible {
        case number(Double)
        case string(String)
        case bool(Bool)

        public var number: Double? { if case .number(let x) = self { x } else { nil } }
        public var string: String? { if case .string(let s) = self { s } else { nil } }
        public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }

        public var description: String {
            switch self {
            case .number(let x): format(x)
            case .string(let s): s
            case .bool(let b): b ? "true" : "false"
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let x = try? c.decode(Double.self) { self = .number(x) }
            else { self = .string(try c.decode(String.self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let x): try c.encode(x)
            case .string(let s): try c.encode(s)
            case .bool(let b): try c.encode(b)
            }
        }
    }

    /// A candidate model: a unique name, a kind and validated hyperparameters.
    public struct ModelCandidate: Codable, Sendable, Equatable {
        public var name: String
        public var kind: ModelKind
        /// Hyperparameters, keys from `ModelCandidate.allowedParams[kind]`, already type- and
        /// range-checked; absent keys mean the trainer's default.
        public var params: [String: ParamValue]

        public init(name: String, kind: ModelKind, params: [String: ParamValue] = [:]) {
            self.name = name
            self.kind = kind
            self.params = params
        }

        /// A numeric hyperparameter, or nil when absent (or not a number).
        public func number(_ key: String) -> Double? { params[key]?.number }
        /// An integer hyperparameter (checked integral at load), or nil when absent.
        public func integer(_ key: String) -> Int? { params[key]?.number.map { Int($0) } }
        /// A string hyperparameter, or nil when absent.
        public func string(_ key: String) -> String? { params[key]?.string }

        /// Parameter names each kind accepts.
        public static let allowedParams: [ModelKind: [String]] = [
            .linear: [],
            .ridge: ["alpha"],
            .logistic: ["alpha"],
            .gbm: ["rounds", "learning_rate", "max_leaves", "max_depth", "min_leaf", "l2", "max_bins",
                   "subsample", "feature_fraction", "early_stopping", "loss", "seed"],
            .forest: ["trees", "max_depth", "min_leaf", "min_split", "feature_fraction", "seed"],
        ]

        /// Losses a gbm candidate may name.
        public static let gbmLosses = ["squared", "absolute", "huber", "quantile"]
        /// Symbolic feature fractions of a forest (sqrt(p) or p/3 features per split).
        public static let forestFeatureFractions = ["sqrt", "third"]
    }

    /// Which metric picks the best candidate.
    public struct Selection: Codable, Sendable, Equatable {
        public enum Metric: String, Codable, Sendable, CaseIterable {
            case r2, rmse, mae
            case accuracy, balanced_accuracy, f1, roc_auc, average_precision, log_loss, brier

            /// Scores (r2, accuracy, f1, roc_auc, …) are better higher; errors and losses lower.
            public var higherIsBetter: Bool { PromotionPolicy.naturalHigherIsBetter(rawValue) ?? true }

            /// Whether the metric is reported for `task`.
            public func applies(to task: ModelTask) -> Bool {
                switch self {
                case .r2, .rmse, .mae: task == .regression
                case .roc_auc, .average_precision: task == .binary
                default: task.isClassification
                }
            }
        }
        public var metric: Metric

        public init(metric: Metric = .r2) { self.metric = metric }
    }

    /// Names used in the tracking store.
    public struct Registry: Codable, Sendable, Equatable {
        /// Registered model name (default: the pipeline name).
        public var modelName: String
        /// Experiment the runs are logged under (default: the pipeline name).
        public var experiment: String

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", experiment
        }

        public init(modelName: String, experiment: String) {
            self.modelName = modelName
            self.experiment = experiment
        }
    }

    /// Test-set R² gates for moving a version to a stage.
    public struct Promotion: Codable, Sendable, Equatable {
        /// Minimum R² for Staging (default 0.70).
        public var stagingR2: Double
        /// Minimum R² for Production (default 0.75); not below `stagingR2`.
        public var productionR2: Double
        /// Gates on another metric (`metric`, `staging`, `production`, `tie_break` in the spec);
        /// nil: the R² gates above (and the spec's hash is as before).
        public var gate: MetricGate?
        /// Production gates on the candidate's segments and fairness, evaluated on the holdout
        /// and stored with the version (`segments:` / `fairness:` in the spec); nil: none.
        public var segments: [PromotionPolicy.SegmentGate]?
        public var fairness: [PromotionPolicy.FairnessGate]?
        /// `require_approval: true`: Production needs `plumb models approve`; nil: not required.
        public var requireApproval: Bool?

        enum CodingKeys: String, CodingKey {
            case stagingR2 = "staging_r2", productionR2 = "production_r2", gate
            case segments, fairness, requireApproval = "require_approval"
        }

        public init(stagingR2: Double = 0.70, productionR2: Double = 0.75, gate: MetricGate? = nil) {
            self.stagingR2 = stagingR2
            self.productionR2 = productionR2
            self.gate = gate
        }

        /// Promotion gates on any logged metric, in its direction.
        public struct MetricGate: Codable, Sendable, Equatable {
            public var metric: String
            public var higherIsBetter: Bool
            /// Staging when strictly better than this; Production when strictly better than `production`.
            public var staging: Double
            public var production: Double
            public var tieBreak: String?

            public init(metric: String, higherIsBetter: Bool, staging: Double, production: Double, tieBreak: String?) {
                self.metric = metric
                self.higherIsBetter = higherIsBetter
                self.staging = staging
                self.production = production
                self.tieBreak = tieBreak
            }
        }

        /// The registry policy these gates describe: R² (ties: lower RMSE) unless `gate` says otherwise.
        public var policy: PromotionPolicy {
            var p: PromotionPolicy
            if let g = gate {
                p = PromotionPolicy(metric: g.metric, higherIsBetter: g.higherIsBetter, stagingThreshold: g.staging,
                                    productionThreshold: g.production, tieBreak: g.tieBreak,
                                    tieBreakHigherIsBetter: g.tieBreak.flatMap(PromotionPolicy.naturalHigherIsBetter) ?? false)
            } else {
                p = PromotionPolicy(metric: "r2", higherIsBetter: true, stagingThreshold: stagingR2,
                                    productionThreshold: productionR2, tieBreak: "rmse", tieBreakHigherIsBetter: false)
            }
            p.segments = segments ?? []
            p.fairness = fairness ?? []
            p.requireApproval = requireApproval ?? false
            return p
        }
    }

    /// Inclusive `[min, max]` for a numeric column.
    public struct ValueRange: Codable, Sendable, Equatable {
        public var min: Double
        public var max: Double

        public init(min: Double, max: Double) {
            self.min = min
            self.max = max
        }

        public init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            min = try c.decode(Double.self)
            max = try c.decode(Double.self)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(min)
            try c.encode(max)
        }
    }

    /// Data-quality checks run on every table the pipeline reads (see `DataQualityChecker`).
    public struct Validation: Codable, Sendable, Equatable {
        /// Largest allowed fraction of missing values in any one column, in [0, 1]. Default 0.05.
        public var maxMissingRate: Double
        /// Largest allowed fraction of rows that exactly repeat an earlier row, in [0, 1]. Default 0.01.
        public var maxDuplicateRate: Double
        /// Per-column inclusive numeric ranges.
        public var ranges: [String: ValueRange]
        /// Per-column allowed category levels.
        public var allowedCategories: [String: [String]]

        enum CodingKeys: String, CodingKey {
            case maxMissingRate = "max_missing_rate", maxDuplicateRate = "max_duplicate_rate", ranges
            case allowedCategories = "allowed_categories"
        }

        public init(maxMissingRate: Double = 0.05, maxDuplicateRate: Double = 0.01, ranges: [String: ValueRange] = [:], allowedCategories: [String: [String]] = [:]) {
            self.maxMissingRate = maxMissingRate
            self.maxDuplicateRate = maxDuplicateRate
            self.ranges = ranges
            self.allowedCategories = allowedCategories
        }
    }

    /// A per-column drift test override.
    public struct ColumnTest: Codable, Sendable, Equatable {
        public enum Test: String, Codable, Sendable, CaseIterable {
            case ks, chi2, psi, wasserstein, jensen_shannon
        }
        public var test: Test
        /// Drift threshold of the test (p-value for ks/chi2, distance otherwise); nil = the test's default.
        public var threshold: Double?

        public init(test: Test, threshold: Double? = nil) {
            self.test = test
            self.threshold = threshold
        }
    }

    /// Retraining triggers, checked on current data.
    public struct Monitoring: Codable, Sendable, Equatable {
        /// Retrain when at least this fraction of feature columns drift, in (0, 1]. Default 0.2.
        public var driftShare: Double
        /// Retrain when RMSE on labelled current data exceeds this; nil = no RMSE trigger.
        public var rmse: Double?
        /// Retrain when R² on labelled current data falls below this; nil = no R² trigger.
        public var r2: Double?
        /// Per-column drift test overrides.
        public var columnTests: [String: ColumnTest]
        /// Further triggers on any monitored metric with its direction (`mae > 0.3`,
        /// `roc_auc < 0.8`); nil when the spec has none (so older specs keep their hash).
        public var triggers: [MetricTrigger]?

        enum CodingKeys: String, CodingKey {
            case driftShare = "drift_share", rmse, r2, columnTests = "column_tests", triggers
        }

        public init(driftShare: Double = 0.2, rmse: Double? = nil, r2: Double? = nil, columnTests: [String: ColumnTest] = [:],
                    triggers: [MetricTrigger]? = nil) {
            self.driftShare = driftShare
            self.rmse = rmse
            self.r2 = r2
            self.columnTests = columnTests
            self.triggers = triggers
        }
    }

    /// What happens when a trigger fires.
    public struct Retraining: Codable, Sendable, Equatable {
        public enum DataChoice: String, Codable, Sendable, CaseIterable {
            case referencePlusCurrent = "reference+current"
            case current
        }
        /// Whether a trigger retrains at all. Default true.
        public var enabled: Bool
        /// Rows the challenger trains on (current = the non-holdout part of the current slice). Default reference+current.
        public var data: DataChoice
        /// The challenger must beat the champion on the current holdout by at least this much of
        /// the selection metric (>= 0). Default 0.
        public var minImprovement: Double

        enum CodingKeys: String, CodingKey {
            case enabled, data, minImprovement = "min_improvement"
        }

        public init(enabled: Bool = true, data: DataChoice = .referencePlusCurrent, minImprovement: Double = 0) {
            self.enabled = enabled
            self.data = data
            self.minImprovement = minImprovement
        }
    }

    /// How a challenger goes live once it beat the champion on the holdout and passed the gates.
    public struct Rollout: Codable, Sendable, Equatable {
        public enum Strategy: String, Codable, Sendable, CaseIterable {
            /// Promote at once; the server swaps to it.
            case direct
            /// Serve it to `percent` % of the holdout's rows replayed through a server with both
            /// versions (routed by each row's key), feed the labels back, and promote only when
            /// the live comparison (`plumb monitor --compare-variants`) recommends it.
            case canary
        }
        public var strategy: Strategy
        /// The canary's share of the replayed requests, in (0, 100). Default 20.
        public var percent: Double
        /// Significance level of the live comparison, in (0, 0.5). Default 0.05.
        public var alpha: Double

        public init(strategy: Strategy = .direct, percent: Double = 20, alpha: Double = 0.05) {
            self.strategy = strategy
            self.percent = percent
            self.alpha = alpha
        }
    }

    /// Where the model server listens.
    public struct ServingOptions: Codable, Sendable, Equatable {
        /// Default 127.0.0.1.
        public var host: String
        /// 0 = any free port. Default 0.
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 0) {
            self.host = host
            self.port = port
        }
    }

    /// The split seed in effect (`split.seed` or the top-level `seed`).
    public var splitSeed: UInt64 { split.seed ?? seed }

    /// Canonical JSON: sorted keys, no whitespace; equal specs give equal bytes whatever the
    /// YAML's key order, comments or formatting.
    public func canonicalJSON() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types to JSON cannot fail (every Double is finite after validation;
        // a non-finite one would be encoded as a string by the strategy below).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// SHA-256 (lower-case hex) of `canonicalJSON()`: identifies the spec in caches and run params.
    public var canonicalHash: String { SHA256.hex(canonicalJSON()) }
}

extension PipelineSpec {
    /// The California Housing spec (`defaultYAML`, i.e. `data/pipelines/california-housing.yaml`).
    public static let `default`: PipelineSpec = {
        do {
            return try parse(yaml: defaultYAML, source: "california-housing.yaml")
        } catch {
            // The embedded text is fixed at build time and checked by PipelineSpecTests.
            preconditionFailure("the embedded default pipeline spec is invalid: \(error)")
        }
    }()

    /// A spec with the given essentials and every other field at its default.
    public init(name: String, data: DataSpec, models: [ModelCandidate], slices: Slices? = nil, seed: UInt64 = 42) {
        self.init(name: name, data: data, slices: slices, split: Split(), preprocessing: PreprocessingOptions(),
                  models: models, selection: Selection(), registry: Registry(modelName: name, experiment: name),
                  promotion: Promotion(), validation: Validation(), monitoring: Monitoring(), retraining: Retraining(),
                  serving: ServingOptions(), seed: seed)
    }
}
