import Drift
import Foundation
import MLCore
import Tabular
import Tracking
import Yams

extension PipelineSpec {
    /// Reads and validates a spec file. A CSV `data.source` must exist (resolved against the
    /// spec's folder).
    /// - Throws: `PipelineSpecError` naming the file, line, column and key path.
    public static func load(path: String) throws -> PipelineSpec {
        let label = (path as NSString).lastPathComponent
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PipelineSpecError(code: .io, source: path, line: nil, column: nil, keyPath: "", detail: "cannot read the pipeline spec (no such file or not readable)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw PipelineSpecError(code: .syntax, source: path, line: nil, column: nil, keyPath: "", detail: "the file is not UTF-8 text")
        }
        let (spec, root) = try parseTree(yaml: text, source: label)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let csv = spec.data.csvPath(relativeTo: folder), !FileManager.default.fileExists(atPath: csv) {
            let reader = SpecReader(source: label)
            let node = root.mapping?["data"]?.mapping?["source"]
            let known = DatasetCatalog.all.map(\.name)
            let hint = closestMatch(to: spec.data.source, among: known).map { "; did you mean the dataset \"\($0)\"?" }
                ?? " (known datasets: \(known.joined(separator: ", ")))"
            throw reader.error(.invalidValue, at: node, "data.source", "no CSV file at \(csv)\(hint)")
        }
        return spec
    }

    /// Parses and validates spec text; `source` labels error messages (usually the file name).
    /// Relative CSV sources are not checked for existence here (see `load(path:)`).
    /// - Throws: `PipelineSpecError`.
    public static func parse(yaml: String, source: String) throws -> PipelineSpec {
        try parseTree(yaml: yaml, source: source).0
    }

    static func parseTree(yaml: String, source: String) throws -> (PipelineSpec, Node) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw PipelineSpecError(code: .syntax, source: source, line: nil, column: nil, keyPath: "", detail: "the spec is empty")
            }
            root = node
        } catch let e as PipelineSpecError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, source: source)
        } catch {
            throw PipelineSpecError(code: .syntax, source: source, line: nil, column: nil, keyPath: "", detail: "not valid YAML (\(error))")
        }
        let r = SpecReader(source: source)
        return (try decode(root, r), root)
    }

    static func yamlError(_ e: YamlError, source: String) -> PipelineSpecError {
        func make(_ code: PipelineSpecError.Code, _ mark: Mark?, _ detail: String) -> PipelineSpecError {
            PipelineSpecError(code: code, source: source, line: mark?.line, column: mark?.column, keyPath: "", detail: detail, underlying: nil)
        }
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let ctx = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return make(.syntax, mark, "invalid YAML: \(problem)\(ctx)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return make(.duplicateKey, context.mark, "duplicate key(s) \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) in one mapping")
        case let .reader(problem, _, _, _):
            return make(.syntax, nil, "cannot read the YAML text: \(problem)")
        default:
            return make(.syntax, nil, "invalid YAML: \(e)")
        }
    }

    // MARK: - Decoding the tree

    static let topKeys = ["name", "data", "task", "slices", "split", "preprocessing", "models", "selection", "registry",
                          "promotion", "validation", "monitoring", "retraining", "rollout", "serving", "seed"]

    static func decode(_ root: Node, _ r: SpecReader) throws -> PipelineSpec {
        let top = try r.mapping(SpecField(node: root, path: ""), keys: topKeys)
        let name = try r.string(try top.required("name", expected: "a string"))
        let seed = try top.optional("seed").map { UInt64(try r.integer($0, .between(0, 9_007_199_254_740_991))) } ?? 42

        let data = try decodeData(try top.required("data", expected: "a mapping with source and target"), r)
        let task = try top.optional("task").map { ModelTask(rawValue: try r.choice($0, ModelTask.allCases.map(\.rawValue))) ?? .regression }

        var slices: Slices?
        if let f = top.optional("slices") {
            let m = try r.mapping(f, keys: ["by", "reference", "current", "current_holdout_fraction"])
            let by = try r.string(try m.required("by", expected: "a numeric column name"))
            let refField = try m.required("reference", expected: "a comparison such as \"< 35.5\"")
            let curField = try m.required("current", expected: "a comparison such as \">= 35.5\"")
            let reference = try comparison(refField, r)
            let current = try comparison(curField, r)
            guard reference.isDisjoint(from: current) else {
                throw r.error(.inconsistent, at: curField.node, curField.path,
                              "\"\(current)\" overlaps the reference slice \"\(reference)\"; a row cannot be both reference and current")
            }
            let holdout = try m.optional("current_holdout_fraction").map { try r.number($0, .openFraction) } ?? 0.2
            slices = Slices(by: by, reference: reference, current: current, currentHoldoutFraction: holdout)
            if by == data.target {
                throw r.error(.inconsistent, at: m.optional("by")?.node, f.child("by"), "the slicing column cannot be the target \"\(data.target)\"")
            }
        }

        var split = Split()
        if let f = top.optional("split") {
            let m = try r.mapping(f, keys: ["test_fraction", "seed"])
            if let t = m.optional("test_fraction") { split.testFraction = try r.number(t, .openFraction) }
            if let s = m.optional("seed") { split.seed = UInt64(try r.integer(s, .between(0, 9_007_199_254_740_991))) }
        }

        var pre = PreprocessingOptions()
        if let f = top.optional("preprocessing") {
            let m = try r.mapping(f, keys: ["impute", "scale", "one_hot", "clip"])
            if let v = m.optional("impute") {
                pre.impute = ImputeStrategy(rawValue: try r.choice(v, ImputeStrategy.allCases.map(\.rawValue))) ?? .median
            }
            if let v = m.optional("scale") { pre.scale = try r.bool(v) }
            if let v = m.optional("one_hot") { pre.oneHot = try r.bool(v) }
            if let v = m.optional("clip") {
                let range = try pair(v, r, rule: .rate, what: "[lower, upper] quantiles in [0, 1]")
                guard range.min < range.max else {
                    throw r.error(.invalidValue, at: v.node, v.path, "expected lower < upper quantile, found [\(format(range.min)), \(format(range.max))]")
                }
                pre.clip = ClipRange(lower: range.min, upper: range.max)
            }
        }

        let modelsField = try top.required("models", expected: "a list of candidate models")
        let modelFields = try r.list(modelsField)
        guard !modelFields.isEmpty else {
            throw r.error(.invalidValue, at: modelsField.node, modelsField.path, "expected at least one candidate model")
        }
        var models: [ModelCandidate] = []
        for f in modelFields {
            let model = try decodeModel(f, r)
            if models.contains(where: { $0.name == model.name }) {
                let m = try r.mapping(f, keys: nil)
                throw r.error(.inconsistent, at: m.optional("name")?.node ?? f.node, f.path + ".name", "duplicate model name \"\(model.name)\"; candidate names must be unique")
            }
            models.append(model)
        }

        var selection = Selection()
        if let f = top.optional("selection") {
            let m = try r.mapping(f, keys: ["metric"])
            if let v = m.optional("metric") {
                selection.metric = Selection.Metric(rawValue: try r.choice(v, Selection.Metric.allCases.map(\.rawValue))) ?? .r2
            }
        }

        var registry = Registry(modelName: name, experiment: name)
        if let f = top.optional("registry") {
            let m = try r.mapping(f, keys: ["model_name", "experiment"])
            if let v = m.optional("model_name") { registry.modelName = try r.string(v) }
            if let v = m.optional("experiment") { registry.experiment = try r.string(v) }
        }

        var promotion = Promotion()
        if let f = top.optional("promotion") { try decodeProductionGates(f, r, into: &promotion) }
        if let f = top.optional("promotion"), try r.mapping(f, keys: nil).has("metric") {
            promotion.gate = try decodeMetricGate(f, r)
        } else if let f = top.optional("promotion") {
            let m = try r.mapping(f, keys: ["staging_r2", "production_r2"] + productionGateKeys)
            let r2Rule = NumberRule(upper: 1)
            if let v = m.optional("staging_r2") { promotion.stagingR2 = try r.number(v, r2Rule) }
            if let v = m.optional("production_r2") {
                promotion.productionR2 = try r.number(v, r2Rule)
                guard promotion.productionR2 >= promotion.stagingR2 else {
                    throw r.error(.inconsistent, at: v.node, v.path, "production_r2 \(format(promotion.productionR2)) is below staging_r2 \(format(promotion.stagingR2)); the production gate must be at least the staging gate")
                }
            }
        }

        let validation = try top.optional("validation").map { try decodeValidation($0, r) } ?? Validation()
        let monitoring = try top.optional("monitoring").map { try decodeMonitoring($0, r) } ?? Monitoring()

        var retraining = Retraining()
        if let f = top.optional("retraining") {
            let m = try r.mapping(f, keys: ["enabled", "data", "min_improvement"])
            if let v = m.optional("enabled") { retraining.enabled = try r.bool(v) }
            if let v = m.optional("data") {
                retraining.data = Retraining.DataChoice(rawValue: try r.choice(v, Retraining.DataChoice.allCases.map(\.rawValue))) ?? .referencePlusCurrent
            }
            if let v = m.optional("min_improvement") { retraining.minImprovement = try r.number(v, .nonNegative) }
        }

        var rollout = Rollout()
        if let f = top.optional("rollout") {
            let m = try r.mapping(f, keys: ["strategy", "percent", "alpha"])
            if let v = m.optional("strategy") {
                rollout.strategy = Rollout.Strategy(rawValue: try r.choice(v, Rollout.Strategy.allCases.map(\.rawValue))) ?? .direct
            }
            if let v = m.optional("percent") { rollout.percent = try r.number(v, .openInterval(0, 100)) }
            if let v = m.optional("alpha") { rollout.alpha = try r.number(v, .openInterval(0, 0.5)) }
        }

        var serving = ServingOptions()
        if let f = top.optional("serving") {
            let m = try r.mapping(f, keys: ["host", "port"])
            if let v = m.optional("host") { serving.host = try r.string(v) }
            if let v = m.optional("port") { serving.port = try r.integer(v, .between(0, 65535)) }
        }

        return PipelineSpec(
            name: name, data: data, slices: slices, split: split, preprocessing: pre, models: models,
            selection: selection, registry: registry, promotion: promotion, validation: validation,
            monitoring: monitoring, retraining: retraining, rollout: rollout, serving: serving, seed: seed, task: task)
    }

    static func decodeData(_ f: SpecField, _ r: SpecReader) throws -> DataSpec {
        let m = try r.mapping(f, keys: ["source", "target", "features", "exclude", "schema"])
        let sourceField = try m.required("source", expected: "a dataset name or a CSV path")
        let source = try r.string(sourceField)
        let known = DatasetCatalog.all.first { $0.name == source }
        let looksLikePath = source.contains("/") || source.lowercased().hasSuffix(".csv")
        if known == nil, !looksLikePath {
            let names = DatasetCatalog.all.map(\.name)
            let hint = closestMatch(to: source, among: names).map { "; did you mean \"\($0)\"?" } ?? ""
            throw r.error(.invalidValue, at: sourceField.node, sourceField.path,
                          "\"\(source)\" is neither a known dataset (\(names.joined(separator: ", "))) nor a CSV path (ending in .csv)\(hint)")
        }
        let target: String
        if let t = m.optional("target") {
            target = try r.string(t)
        } else if let known {
            target = known.target
        } else {
            _ = try m.required("target", expected: "the target column name (required for a CSV source)")
            target = ""
        }
        var spec = DataSpec(source: source, target: target)
        if let v = m.optional("features") {
            let names = try r.stringList(v)
            try requireUnique(names, v, r)
            if let i = names.firstIndex(of: target) {
                throw r.error(.inconsistent, at: try r.list(v)[i].node, v.element(i), "the target \"\(target)\" cannot also be a feature")
            }
            guard !names.isEmpty else { throw r.error(.invalidValue, at: v.node, v.path, "expected at least one feature (omit the key for all columns but the target)") }
            spec.features = names
        }
        if let v = m.optional("exclude") {
            let names = try r.stringList(v)
            try requireUnique(names, v, r)
            if let features = spec.features, let i = names.firstIndex(where: { features.contains($0) }) {
                throw r.error(.inconsistent, at: try r.list(v)[i].node, v.element(i), "\"\(names[i])\" is both listed in features and excluded")
            }
            spec.exclude = names
        }
        if let v = m.optional("schema") {
            let entries = try r.mapping(v, keys: nil).fields
            for (key, _, field) in entries {
                spec.schema[key] = ColumnKind(rawValue: try r.choice(field, ColumnKind.allCases.map(\.rawValue)))
            }
        }
        return spec
    }

    static func requireUnique(_ names: [String], _ f: SpecField, _ r: SpecReader) throws {
        var seen = Set<String>()
        for (i, n) in names.enumerated() where !seen.insert(n).inserted {
            throw r.error(.inconsistent, at: try r.list(f)[i].node, f.element(i), "\"\(n)\" is listed twice")
        }
    }

    static func comparison(_ f: SpecField, _ r: SpecReader) throws -> Comparison {
        let text = try r.string(f)
        guard let c = Comparison(parsing: text) else {
            throw r.error(.invalidValue, at: f.node, f.path, "expected a comparison \"< x\", \"<= x\", \"> x\" or \">= x\" with a finite number x, found \"\(text)\"")
        }
        return c
    }

    static func pair(_ f: SpecField, _ r: SpecReader, rule: NumberRule, what: String) throws -> ValueRange {
        let items: [SpecField]
        do { items = try r.list(f) } catch {
            throw r.error(.wrongType, at: f.node, f.path, "expected \(what), found \(r.describeValue(f.node))")
        }
        guard items.count == 2 else {
            throw r.error(.invalidValue, at: f.node, f.path, "expected \(what), found a list of \(items.count)")
        }
        return ValueRange(min: try r.number(items[0], rule), max: try r.number(items[1], rule))
    }

    static func decodeModel(_ f: SpecField, _ r: SpecReader) throws -> ModelCandidate {
        let m = try r.mapping(f, keys: ["name", "kind", "params"])
        let kindField = try m.required("kind", expected: "one of \(ModelKind.allCases.map(\.rawValue).joined(separator: " | "))")
        let kind = ModelKind(rawValue: try r.choice(kindField, ModelKind.allCases.map(\.rawValue))) ?? .linear
        let name = try m.optional("name").map { try r.string($0) } ?? kind.rawValue
        var params: [String: ParamValue] = [:]
        if let pf = m.optional("params") {
            let allowed = ModelCandidate.allowedParams[kind] ?? []
            guard case .mapping = pf.node else {
                throw r.error(.wrongType, at: pf.node, pf.path, "expected a mapping, found \(r.describeValue(pf.node))")
            }
            if allowed.isEmpty, let first = try r.mapping(pf, keys: nil).entries.first {
                throw r.error(.unknownKey, at: first.keyNode, pf.child(first.key), "a \(kind.rawValue) model takes no parameters")
            }
            let pm = try r.mapping(pf, keys: allowed)
            for (key, _, v) in pm.fields {
                params[key] = try param(key, kind: kind, v, r)
            }
        }
        return ModelCandidate(name: name, kind: kind, params: params)
    }

    static func param(_ key: String, kind: ModelKind, _ f: SpecField, _ r: SpecReader) throws -> ParamValue {
        let int = { (rule: NumberRule) in ParamValue.number(Double(try r.integer(f, rule))) }
        let num = { (rule: NumberRule) in ParamValue.number(try r.number(f, rule)) }
        switch (kind, key) {
        case (.ridge, "alpha"): return try num(.nonNegative)
        case (.logistic, "alpha"): return try num(.positive)
        case (.gbm, "rounds"), (.forest, "trees"): return try int(.between(1, 1_000_000))
        case (.gbm, "learning_rate"): return try num(.positive)
        case (.gbm, "max_leaves"): return try int(.between(2, 131_072))
        case (_, "max_depth"): return try int(.between(1, 256))
        case (_, "min_leaf"): return try int(.atLeast(1))
        case (.forest, "min_split"): return try int(.atLeast(2))
        case (.gbm, "l2"): return try num(.nonNegative)
        case (.gbm, "max_bins"): return try int(.between(2, 65_535))
        case (.gbm, "subsample"): return try num(.fraction)
        case (.gbm, "feature_fraction"): return try num(.fraction)
        case (.forest, "feature_fraction"):
            if case .scalar(let s) = f.node, r.plainNumber(s) == nil {
                let options = ModelCandidate.forestFeatureFractions
                do { return .string(try r.choice(f, options)) } catch let e as PipelineSpecError {
                    throw r.error(e.code, at: f.node, f.path, "expected a number in (0, 1] or one of \(options.joined(separator: " | ")), found \(r.describeValue(f.node))")
                }
            }
            return try num(.fraction)
        case (.gbm, "early_stopping"): return try int(.nonNegative)
        case (.gbm, "loss"): return .string(try r.choice(f, ModelCandidate.gbmLosses))
        case (_, "seed"): return try int(.between(0, 9_007_199_254_740_991))
        default:
            throw r.error(.unknownKey, at: f.node, f.path, "unknown parameter for a \(kind.rawValue) model")
        }
    }

    static func decodeValidation(_ f: SpecField, _ r: SpecReader) throws -> Validation {
        let m = try r.mapping(f, keys: ["max_missing_rate", "max_duplicate_rate", "ranges", "allowed_categories"])
        var v = Validation()
        if let x = m.optional("max_missing_rate") { v.maxMissingRate = try r.number(x, .rate) }
        if let x = m.optional("max_duplicate_rate") { v.maxDuplicateRate = try r.number(x, .rate) }
        if let x = m.optional("ranges") {
            for (key, _, field) in try r.mapping(x, keys: nil).fields {
                let range = try pair(field, r, rule: .any, what: "[min, max] numbers")
                guard range.min <= range.max else {
                    throw r.error(.invalidValue, at: field.node, field.path, "expected min <= max, found [\(format(range.min)), \(format(range.max))]")
                }
                v.ranges[key] = range
            }
        }
        if let x = m.optional("allowed_categories") {
            for (key, _, field) in try r.mapping(x, keys: nil).fields {
                let levels = try r.list(field).map { try r.string($0, nonEmpty: false) }
                try requireUnique(levels, field, r)
                guard !levels.isEmpty else {
                    throw r.error(.invalidValue, at: field.node, field.path, "expected at least one allowed level")
                }
                v.allowedCategories[key] = levels
            }
        }
        return v
    }

    static func decodeMonitoring(_ f: SpecField, _ r: SpecReader) throws -> Monitoring {
        let m = try r.mapping(f, keys: ["drift_share", "rmse", "r2", "column_tests", "triggers"])
        var mon = Monitoring()
        if let x = m.optional("drift_share") { mon.driftShare = try r.number(x, .fraction) }
        if let x = m.optional("rmse") { mon.rmse = try r.number(x, .positive) }
        if let x = m.optional("r2") { mon.r2 = try r.number(x, NumberRule(upper: 1)) }
        if let x = m.optional("column_tests") {
            let tests = ColumnTest.Test.allCases.map(\.rawValue)
            for (key, _, field) in try r.mapping(x, keys: nil).fields {
                if case .scalar = field.node {
                    mon.columnTests[key] = ColumnTest(test: ColumnTest.Test(rawValue: try r.choice(field, tests)) ?? .ks)
                    continue
                }
                let cm = try r.mapping(field, keys: ["test", "threshold"])
                let test = ColumnTest.Test(rawValue: try r.choice(try cm.required("test", expected: "one of \(tests.joined(separator: " | "))"), tests)) ?? .ks
                let threshold = try cm.optional("threshold").map { try r.number($0, .positive) }
                mon.columnTests[key] = ColumnTest(test: test, threshold: threshold)
            }
        }
        if let x = m.optional("triggers") { mon.triggers = try r.list(x).map { try decodeTrigger($0, r) } }
        return mon
    }

    /// Keys of `promotion:` that gate Production beyond the metric.
    static let productionGateKeys = ["segments", "fairness", "require_approval"]

    /// `promotion:`'s `segments: {column, max_relative_degradation, min_rows, metric}` and
    /// `fairness: {sensitive, max_equalized_odds_difference, max_demographic_parity_difference}`
    /// (each one mapping or a list of them) and `require_approval: true`.
    static func decodeProductionGates(_ f: SpecField, _ r: SpecReader, into promotion: inout Promotion) throws {
        let m = try r.mapping(f, keys: nil)
        func items(_ field: SpecField) throws -> [SpecField] {
            if case .sequence = field.node { return try r.list(field) }
            return [field]
        }
        if let v = m.optional("segments") {
            promotion.segments = try items(v).map { item in
                let g = try r.mapping(item, keys: ["column", "max_relative_degradation", "min_rows", "metric"])
                return PromotionPolicy.SegmentGate(
                    column: try r.string(try g.required("column", expected: "the column to segment by")),
                    maxRelativeDegradation: try r.number(try g.required("max_relative_degradation", expected: "a share such as 0.25"), .nonNegative),
                    minRows: try g.optional("min_rows").map { try r.integer($0, .nonNegative) } ?? 0,
                    metric: try g.optional("metric").map { try r.string($0) })
            }
        }
        if let v = m.optional("fairness") {
            promotion.fairness = try items(v).map { item in
                let g = try r.mapping(item, keys: ["sensitive", "max_equalized_odds_difference", "max_demographic_parity_difference"])
                let gate = PromotionPolicy.FairnessGate(
                    sensitive: try r.string(try g.required("sensitive", expected: "the sensitive column")),
                    maxEqualizedOddsDifference: try g.optional("max_equalized_odds_difference").map { try r.number($0, .between(0, 1)) },
                    maxDemographicParityDifference: try g.optional("max_demographic_parity_difference").map { try r.number($0, .between(0, 1)) })
                guard gate.maxEqualizedOddsDifference != nil || gate.maxDemographicParityDifference != nil else {
                    throw r.error(.invalidValue, at: item.node, item.path, "a fairness gate needs max_equalized_odds_difference and/or max_demographic_parity_difference")
                }
                return gate
            }
        }
        if let v = m.optional("require_approval") { promotion.requireApproval = try r.bool(v) }
    }

    /// `promotion: {metric: M, staging: "> x", production: "> y", tie_break: T}`: gates in the
    /// metric's natural direction (a bare number takes it; an operator must agree with it).
    static func decodeMetricGate(_ f: SpecField, _ r: SpecReader) throws -> Promotion.MetricGate {
        let m = try r.mapping(f, keys: ["metric", "staging", "production", "tie_break"] + productionGateKeys)
        let metricField = try m.required("metric", expected: "a metric name")
        let metric = try r.string(metricField)
        guard let higher = PromotionPolicy.naturalHigherIsBetter(metric) else {
            throw r.error(.invalidValue, at: metricField.node, metricField.path, "unknown metric \"\(metric)\" (its direction is not known; e.g. r2, rmse, mae, accuracy, f1, roc_auc, log_loss)")
        }
        func gate(_ key: String) throws -> Double {
            let field = try m.required(key, expected: "\(higher ? "\"> NUMBER\"" : "\"< NUMBER\"") or a number")
            if case .scalar(let s) = field.node, let v = r.plainNumber(s) { return v }
            let text = try r.string(field).trimmingCharacters(in: .whitespaces)
            let op = higher ? ">" : "<"
            guard text.hasPrefix(op), !text.dropFirst().hasPrefix("="), let v = Double(text.dropFirst().trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw r.error(.invalidValue, at: field.node, field.path, "expected \"\(op) NUMBER\" (\(metric) is \(higher ? "higher" : "lower") is better; gates are strict), found \"\(text)\"")
            }
            return v
        }
        let staging = try gate("staging"), production = try gate("production")
        if higher ? production < staging : production > staging {
            let p = try m.required("production", expected: "")
            throw r.error(.inconsistent, at: p.node, p.path, "production \(format(production)) is less strict than staging \(format(staging)); the production gate must be at least the staging gate")
        }
        let tieBreak = try m.optional("tie_break").map { try r.string($0) } ?? PromotionPolicy.defaultTieBreak(for: metric)
        return Promotion.MetricGate(metric: metric, higherIsBetter: higher, staging: staging, production: production, tieBreak: tieBreak)
    }

    /// One `METRIC OP NUMBER` trigger, e.g. "mae > 0.3", on a metric monitoring reports.
    static func decodeTrigger(_ f: SpecField, _ r: SpecReader) throws -> MetricTrigger {
        let text = try r.string(f)
        let t: MetricTrigger
        do { t = try MetricTrigger(parsing: text) } catch let e as DriftError { throw r.error(.invalidValue, at: f.node, f.path, e.message) }
        let known = Monitor.triggerMetrics(classifier: false, multiclass: false) + Monitor.triggerMetrics(classifier: true, multiclass: true)
        guard known.contains(t.metric) else {
            throw r.error(.invalidValue, at: f.node, f.path, "unknown metric \"\(t.metric)\" (one of \(known.joined(separator: ", ")))")
        }
        return t
    }
}
