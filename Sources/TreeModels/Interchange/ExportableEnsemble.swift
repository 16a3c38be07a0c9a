import MLCore
import Tabular

/// A Plumb model another library's format cannot express: the message names the model kind,
/// the preprocessing step and feature, or the split at fault.
public struct ModelExportError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The model kind, its output, its preprocessing or a split has no counterpart in the format.
        case unsupported
        /// The output file cannot be written.
        case io
    }
    public var code: Code
    public var message: String
    public var description: String { message }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}

/// A Plumb tree model in the plain form writers of other formats need: raw numeric inputs, one
/// list of trees per output whose leaf values already hold the scale and base, and how outputs
/// become predictions.
///
/// Every score is `Σ` of its trees' leaves: each leaf is `scale × leaf`, and the first tree's
/// leaves also hold `base` (so the score equals Plumb's `base + scale × Σ leaves` up to the
/// rounding of a reordered sum, about 1e-16 relative per tree). Missing-value imputation by a
/// constant `v` is folded into each split on that feature (missing goes where `v` goes), so the
/// trees read the raw columns.
public struct ExportableEnsemble: Sendable {
    /// How scores become predictions.
    public enum Output: Sendable, Equatable {
        /// The score itself.
        case regression
        /// σ(score) is the probability of the second class (a boosted binary classifier).
        case logistic
        /// softmax over one score per class (a boosted multiclass classifier).
        case softmax
        /// The score is the second class's share, (1 − s, s) (a random forest of two classes).
        case forestBinary
        /// One share per class, as they are (a random forest of three or more classes).
        case forestShares
    }

    public var output: Output
    /// One list per score (one for regression, binary and forestBinary; one per class otherwise).
    public var trees: [[Tree]]
    public var featureNames: [String]
    /// Class labels of a classifier, in output order.
    public var classes: [String]?
    /// "gbm" or "forest".
    public var kind: String

    public var featureCount: Int { featureNames.count }
    public var classCount: Int { classes?.count ?? 0 }

    /// Prepares `regressor` (with `header`'s preprocessing) for export.
    /// - Parameter format: the format's name, for messages ("ONNX", "LightGBM text").
    /// - Throws: `ModelExportError` naming the model kind, the preprocessing step and feature, or
    ///   a categorical split that cannot be expressed.
    public init(header: ModelHeader, regressor: any Regressor, format: String) throws {
        let p = header.preprocessor
        for (spec, step) in zip(p.inputFeatures, p.steps) {
            func refuse(_ what: String) -> ModelExportError {
                ModelExportError(code: .unsupported, message: "feature \"\(spec.name)\": \(what), which \(format) tree models cannot express; retrain with that preprocessing off (the exported trees read raw numeric columns)")
            }
            if spec.kind == .categorical {
                throw refuse("categorical (levels \(spec.levels?.prefix(5).joined(separator: ", ") ?? "")…) encoded \(p.options.oneHot ? "one-hot" : "as level indices")")
            }
            if step.clipper != nil { throw refuse("clipped to fitted quantiles") }
            if step.scaler != nil { throw refuse("standardised (scale: true)") }
            if step.encoder != nil { throw refuse("encoded") }
        }
        guard p.outputNames == p.inputFeatures.map(\.name) else {
            throw ModelExportError(code: .unsupported, message: "the preprocessing writes columns \(p.outputNames.prefix(5).joined(separator: ", ")) from inputs \(p.inputFeatures.prefix(5).map(\.name).joined(separator: ", ")): \(format) export needs one raw numeric column per model feature")
        }
        let fills = p.steps.map { $0.imputer.number }

        let predictors: [TreePredictor]
        switch regressor {
        case let gbm as GradientBoostedTrees:
            kind = GradientBoostedTrees.kind
            predictors = gbm.predictors
            switch gbm.parameters.loss {
            case .logistic: output = .logistic
            case .softmax: output = .softmax
            case .squared, .absolute, .huber, .quantile: output = .regression
            }
            guard gbm.classCount == 0 || output != .regression else {
                throw ModelExportError(code: .unsupported, message: "gbm with \(gbm.classCount) classes and loss \(gbm.parameters.loss.name): no \(format) output rule")
            }
        case let forest as RandomForest:
            kind = RandomForest.kind
            predictors = forest.predictors
            output = forest.classCount == 0 ? .regression : forest.classCount == 2 ? .forestBinary : .forestShares
        default:
            throw ModelExportError(code: .unsupported, message: "model kind \(regressor.kindName): only gbm and forest models export to \(format)")
        }
        guard predictors.allSatisfy({ $0.featureCount == p.outputNames.count }) else {
            throw ModelExportError(code: .unsupported, message: "the model reads \(predictors.first?.featureCount ?? 0) features but its preprocessing writes \(p.outputNames.count)")
        }
        featureNames = p.outputNames
        classes = header.classes
        trees = try predictors.map { predictor in
            try (0..<predictor.treeCount).map { t in
                var tree = predictor.extractTree(t)
                if let k = tree.leftCategories.firstIndex(where: { !$0.isEmpty }) {
                    throw ModelExportError(code: .unsupported, message: "tree \(t) node \(k) splits feature \"\(p.outputNames[Int(tree.feature[k])])\" by category set, which \(format) export does not write")
                }
                for k in 0..<tree.nodeCount {
                    if let v = fills[Int(tree.feature[k])], !v.isNaN { tree.defaultLeft[k] = v <= tree.threshold[k] }
                }
                for i in tree.leafValue.indices {
                    tree.leafValue[i] = predictor.scale * tree.leafValue[i] + (t == 0 ? predictor.base : 0)
                }
                return tree
            }
        }
        // A score without trees still has its base: one single-leaf tree holding it.
        for (k, predictor) in predictors.enumerated() where trees[k].isEmpty {
            var leaf = Tree()
            leaf.leafValue = [predictor.base]
            trees[k] = [leaf]
        }
        // Equal tree counts per score (LightGBM's iterations; harmless elsewhere).
        let most = trees.map(\.count).max() ?? 0
        for k in trees.indices where trees[k].count < most {
            var zero = Tree()
            zero.leafValue = [0]
            trees[k] += [Tree](repeating: zero, count: most - trees[k].count)
        }
    }
}
