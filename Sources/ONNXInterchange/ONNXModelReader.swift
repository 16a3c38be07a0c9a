import Foundation
import MLCore
import SwiftProtobuf
import TreeModels

/// Reads an ONNX model whose graph is one `ai.onnx.ml` tree ensemble (`TreeEnsembleRegressor`
/// or `TreeEnsembleClassifier`, as skl2onnx writes for scikit-learn's gradient boosting and
/// random forests and onnxmltools for LightGBM and XGBoost) into a Plumb ensemble that scores
/// as ONNX Runtime does.
///
/// The graph may hold, besides the ensemble, only nodes that pass its outputs on unchanged:
/// ZipMap, Cast, Identity, Mul by a constant 1 (onnxmltools) and Normalizer (ignored, with a
/// warning). Any other operator is refused, naming it.
///
/// Comparisons: ONNX Runtime casts a float input to float32 and compares it with float32
/// thresholds (a double input with double thresholds). Each float32 comparison becomes Plumb's
/// `x <= d` with a Double `d` chosen so that the two agree on every Double `x` (see
/// `XGBoostModelReader.threshold(float32:)`), values on a threshold included. Node modes map as
/// BRANCH_LEQ `x <= t`, BRANCH_LT `x < t`, BRANCH_GTE and BRANCH_GT the same tests with the
/// branches swapped, BRANCH_EQ and BRANCH_NEQ two tests (the subtree they reach from both copied).
/// A missing value (NaN) fails every comparison but NEQ, so it takes the false branch (the true
/// branch under NEQ), unless `nodes_missing_value_tracks_true` sends it to the true branch.
///
/// Outputs (as ONNX Runtime 1.32 computes them, checked on hand-built models): a regressor's
/// score is `base_values[0] + Σ leaf weights` (AVERAGE: the sum divided by the tree count),
/// post_transform NONE. A classifier scoring one class of two gives (σ(−s), σ(s)) under LOGISTIC,
/// as a Plumb binary GBM, and (1 − s, s) under NONE (or SOFTMAX, not applied to one score) with
/// non-negative weights, as a Plumb random forest (mixed-sign weights give (−s, s): refused).
/// One scoring every class gives the softmax under SOFTMAX, as a Plumb multiclass GBM, and the
/// raw class sums under NONE for three or more classes, as a Plumb random forest. SOFTMAX_ZERO,
/// PROBIT and LOGISTIC over several classes are refused. ONNX Runtime sums leaf weights in float32 where
/// Plumb sums in Double, so the two differ by float32 rounding (measured in the tests).
public enum ONNXModelReader {
    /// Model metadata key under which Plumb's exporter writes the feature names (a JSON array).
    public static let featureNamesKey = "plumb.feature_names"
    /// Model metadata key under which Plumb's exporter writes a classifier's labels (a JSON array).
    public static let classesKey = "plumb.classes"

    /// Reads and converts the model file at `path`.
    /// - Throws: `ONNXModelError` naming the file, node and attribute at fault.
    public static func read(path: String) throws -> ImportedEnsemble {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ONNXModelError(code: .io, message: exists ? "\(path): cannot read the ONNX model file" : "\(path): no such ONNX model file")
        }
        return try read(bytes: [UInt8](data), source: path)
    }

    /// Converts the bytes of an ONNX model; `source` names it in error messages.
    public static func read(bytes: [UInt8], source: String) throws -> ImportedEnsemble {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw ONNXModelError(code: .notONNX, message: "\(source): not an ONNX model (the protobuf ModelProto does not decode: \(error))", underlying: error)
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ONNXModelError(code: .notONNX, message: "\(source): the ONNX model has no graph nodes")
        }
        let graph = model.graph
        let node = try ensembleNode(graph, source: source)
        let attributes = ONNXAttributes(node, source: source)
        let compareInDouble = inputElementType(of: node, graph: graph) == 11
        let warnings = try checkOtherNodes(graph, ensemble: node, source: source)
        let columns = declaredFeatureCount(of: node, graph: graph)
        let forest: TreeEnsembleForest
        var imported: ImportedEnsemble
        if node.opType == "TreeEnsemble" {
            forest = try TreeEnsembleForest(opset5: attributes, compareInDouble: compareInDouble, minimumFeatures: columns)
            imported = try opset5Ensemble(forest, attributes: attributes)
        } else {
            forest = try TreeEnsembleForest(attributes, compareInDouble: compareInDouble, minimumFeatures: columns)
            imported = try ensemble(forest, op: node.opType, attributes: attributes)
        }
        imported.featureNames = try featureNames(model, count: forest.featureCount, source: source)
        if let entry = model.metadataProps.first(where: { $0.key == classesKey }),
           let classes = try? JSONDecoder().decode([String].self, from: Data(entry.value.utf8)), classes.count == imported.classCount {
            imported.classLabels = classes
        }
        imported.warnings = warnings + imported.warnings
        var parameters = imported.parameters
        if !model.producerName.isEmpty { parameters["producer"] = model.producerName + (model.producerVersion.isEmpty ? "" : " " + model.producerVersion) }
        parameters["ir_version"] = String(model.irVersion)
        if let ml = model.opsetImport.first(where: { $0.domain == "ai.onnx.ml" }) { parameters["ai.onnx.ml_opset"] = String(ml.version) }
        parameters["trees"] = String(forest.treeCount)
        parameters["threshold_precision"] = compareInDouble ? "double" : "float32"
        imported.parameters = parameters
        return imported
    }

    static let ensembleOps: Set<String> = ["TreeEnsembleRegressor", "TreeEnsembleClassifier", "TreeEnsemble"]
    /// Nodes allowed beside the ensemble: they pass its outputs on (checked per op below).
    static let passThroughOps: Set<String> = ["ZipMap", "Cast", "Identity", "Normalizer", "Mul"]

    static func ensembleNode(_ graph: Onnx_GraphProto, source: String) throws -> Onnx_NodeProto {
        let ensembles = graph.node.filter { ensembleOps.contains($0.opType) }
        guard let node = ensembles.first else {
            let ops = Array(Set(graph.node.map(\.opType))).sorted().joined(separator: ", ")
            throw ONNXModelError(code: .unsupported, message: "\(source): no TreeEnsembleRegressor, TreeEnsembleClassifier or TreeEnsemble node in the graph (its operators: \(ops)); Plumb imports tree ensembles only")
        }
        guard ensembles.count == 1 else {
            throw ONNXModelError(code: .unsupported, message: "\(source): the graph holds \(ensembles.count) tree ensemble nodes; Plumb imports a graph with one")
        }
        guard node.domain == "ai.onnx.ml" else {
            throw ONNXModelError(code: .unsupported, message: "\(source): \(node.opType) in domain \"\(node.domain)\", ai.onnx.ml expected")
        }
        return node
    }

    /// Refuses nodes that change values; returns warnings for the ones Plumb ignores.
    static func checkOtherNodes(_ graph: Onnx_GraphProto, ensemble: Onnx_NodeProto, source: String) throws -> [String] {
        var warnings: [String] = []
        let initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, n) in graph.node.enumerated() where !ensembleOps.contains(n.opType) {
            let label = n.name.isEmpty ? "node \(i) (\(n.opType))" : "node \(i) '\(n.name)' (\(n.opType))"
            guard passThroughOps.contains(n.opType) else {
                throw ONNXModelError(code: .unsupported, message: "\(source): \(label): operator \(n.opType) is not supported; Plumb imports a graph of one tree ensemble followed only by ZipMap, Cast, Identity, Normalizer or a multiplication by 1")
            }
            if n.opType == "Mul" {
                let ones = n.input.contains { name in
                    guard let t = initializers[name], let v = try? ONNXAttributes.tensorNumbers(t, what: name) else { return false }
                    return !v.values.isEmpty && v.values.allSatisfy { $0 == 1 }
                }
                guard ones else {
                    throw ONNXModelError(code: .unsupported, message: "\(source): \(label): Mul by something other than a constant 1 changes the ensemble's output; not supported")
                }
            }
            if n.opType == "Normalizer" {
                warnings.append("\(label) is ignored: Plumb's class probabilities already sum to 1")
            }
        }
        return warnings
    }

    /// The element type of the graph input the ensemble reads (through Cast/Identity), 0 if unknown.
    static func inputElementType(of node: Onnx_NodeProto, graph: Onnx_GraphProto) -> Int32 {
        guard let name = node.input.first else { return 0 }
        if let input = graph.input.first(where: { $0.name == name }) { return input.type.tensorType.elemType }
        if let cast = graph.node.first(where: { $0.output.contains(name) && $0.opType == "Cast" }),
           let to = cast.attribute.first(where: { $0.name == "to" }) { return Int32(to.i) }
        return 0
    }

    /// Columns the graph input declares (its second dimension), 0 when not fixed.
    static func declaredFeatureCount(of node: Onnx_NodeProto, graph: Onnx_GraphProto) -> Int {
        guard let name = node.input.first, let input = graph.input.first(where: { $0.name == name }) else { return 0 }
        let dims = input.type.tensorType.shape.dim
        guard dims.count == 2, case .dimValue(let v)? = dims[1].value, v > 0, v < 1 << 24 else { return 0 }
        return Int(v)
    }

    static func featureNames(_ model: Onnx_ModelProto, count: Int, source: String) throws -> [String]? {
        guard let entry = model.metadataProps.first(where: { $0.key == featureNamesKey }) else { return nil }
        guard let names = try? JSONDecoder().decode([String].self, from: Data(entry.value.utf8)), names.count == count else {
            throw ONNXModelError(code: .malformed, message: "\(source): metadata \(featureNamesKey) is not a JSON array of \(count) feature names")
        }
        return names
    }

    /// The Plumb model for the ensemble's output rule (see the type's documentation).
    static func ensemble(_ f: TreeEnsembleForest, op: String, attributes a: ONNXAttributes) throws -> ImportedEnsemble {
        let source = a.source
        let transform = try a.string("post_transform") ?? "NONE"
        let base = try a.numbers("base_values")?.values ?? []
        func refuse(_ what: String) -> ONNXModelError {
            ONNXModelError(code: .unsupported, message: "\(source): \(a.node): \(what)")
        }
        func lists(_ k: Int) -> [Tree] { f.trees(output: k) }

        if op == "TreeEnsembleRegressor" {
            let targets = a.has("n_targets") ? try a.int("n_targets") : 1
            guard targets == 1, f.outputCount == 1 else { throw refuse("n_targets=\(targets): Plumb imports single-target regressors") }
            guard transform == "NONE" else { throw refuse("post_transform \(transform) on a regressor is not supported (NONE expected)") }
            let aggregate = try a.string("aggregate_function") ?? "SUM"
            guard aggregate == "SUM" || aggregate == "AVERAGE" else {
                throw refuse("aggregate_function \(aggregate) is not supported (SUM or AVERAGE expected)")
            }
            guard base.count <= 1 else { throw refuse("\(base.count) base_values for one target") }
            let scale = aggregate == "AVERAGE" ? 1 / Double(max(1, f.treeCount)) : 1
            let model = GradientBoostedTrees(importedTrees: [lists(0)], initScores: [base.first ?? 0], loss: .squared,
                                             featureCount: f.featureCount, classCount: 0, scoreScale: scale)
            return ImportedEnsemble(model: model, task: .regression, featureNames: nil, sourceFormat: "onnx",
                                    objective: "\(op) aggregate_function=\(aggregate)", parameters: [:])
        }

        let labels: [String]
        if let ints = try a.ints("classlabels_int64s"), !ints.isEmpty {
            labels = ints.map(String.init)
        } else if let strings = try a.strings("classlabels_strings"), !strings.isEmpty {
            labels = strings
        } else {
            throw a.fail("classlabels_int64s", "is missing (neither classlabels_int64s nor classlabels_strings given)")
        }
        let c = labels.count
        guard c >= 2 else { throw refuse("\(c) class label: a classifier needs at least 2") }
        guard f.outputCount <= c else { throw a.fail("class_ids", "class id \(f.outputCount - 1) for \(c) class labels") }
        let used = f.usedOutputs
        let objective = "\(op) post_transform=\(transform)"
        let defaultLabels = labels == (0..<c).map(String.init)
        func imported(_ model: GradientBoostedTrees, forest: RandomForest? = nil, task: ModelTask) -> ImportedEnsemble {
            var e = ImportedEnsemble(model: model, task: task, featureNames: nil, sourceFormat: "onnx", objective: objective)
            e.forest = forest
            e.classLabels = defaultLabels ? nil : labels
            return e
        }
        if c == 2 && used == [0] {
            // One score s for two classes: ONNX Runtime's binary rule.
            let s0 = base.first ?? 0
            if transform == "LOGISTIC" {
                let model = GradientBoostedTrees(importedTrees: [lists(0)], initScores: [s0], loss: .logistic,
                                                 featureCount: f.featureCount, classCount: 2)
                return imported(model, task: .binary)
            }
            // NONE and SOFTMAX (which ONNX Runtime does not apply to one score) alike.
            if (transform == "NONE" || transform == "SOFTMAX") && f.weightsAllNonNegative {
                let trees = [lists(0)]
                let sum = GradientBoostedTrees(importedTrees: trees, initScores: [s0], loss: .squared, featureCount: f.featureCount, classCount: 0)
                let forest = RandomForest(importedTrees: trees, base: s0, scale: 1, featureCount: f.featureCount, classCount: 2)
                return imported(sum, forest: forest, task: .binary)
            }
            throw refuse("post_transform \(transform) with \(f.weightsAllNonNegative ? "non-negative" : "mixed-sign") class weights on one class of two: ONNX Runtime outputs (−s, s) or a probit there, which Plumb does not score (LOGISTIC, or NONE with non-negative weights, expected)")
        }
        if c == 2 && used == [0, 1] && transform == "LOGISTIC" && base.isEmpty && f.outputsNegate(0, 1) {
            // Both classes scored, class 0 with the negated score: (σ(−s), σ(s)).
            let model = GradientBoostedTrees(importedTrees: [lists(1)], initScores: [0], loss: .logistic,
                                             featureCount: f.featureCount, classCount: 2)
            return imported(model, task: .binary)
        }
        if c == 2 && used == [0, 1] && transform == "NONE" && base.allSatisfy({ $0 == 0 }) && f.outputsComplement(0, 1) {
            // Class 0 the complement of class 1's share: a two-class forest, (1 − s, s).
            let trees = [lists(1)]
            let sum = GradientBoostedTrees(importedTrees: trees, initScores: [0], loss: .squared, featureCount: f.featureCount, classCount: 0)
            let forest = RandomForest(importedTrees: trees, base: 0, scale: 1, featureCount: f.featureCount, classCount: 2)
            return imported(sum, forest: forest, task: .binary)
        }
        guard used == Set(0..<c) else {
            throw refuse("class_ids name classes \(used.sorted()) of \(c): Plumb imports classifiers scoring every class, or one score for two classes")
        }
        guard base.isEmpty || base.count == c else { throw a.fail("base_values", "\(base.count) values for \(c) classes") }
        guard !(c == 2 && base.count == 2) else {
            throw refuse("two classes scored separately with base_values: ONNX Runtime's rule for that case is not supported")
        }
        let bases = base.isEmpty ? [Double](repeating: 0, count: c) : base
        switch transform {
        case "SOFTMAX":
            let model = GradientBoostedTrees(importedTrees: (0..<c).map(lists), initScores: bases, loss: .softmax,
                                             featureCount: f.featureCount, classCount: c)
            return imported(model, task: c == 2 ? .binary : .multiclass)
        case "NONE" where c >= 3:
            guard bases.allSatisfy({ $0 == bases[0] }) else {
                throw refuse("post_transform NONE with different base_values per class is not supported")
            }
            let trees = (0..<c).map(lists)
            let sum = GradientBoostedTrees(importedTrees: trees, initScores: bases, loss: .softmax, featureCount: f.featureCount, classCount: c)
            let forest = RandomForest(importedTrees: trees, base: bases[0], scale: 1, featureCount: f.featureCount, classCount: c)
            return imported(sum, forest: forest, task: .multiclass)
        default:
            throw refuse("post_transform \(transform) for \(c) classes each scored is not supported (SOFTMAX, or NONE for three or more classes, expected)")
        }
    }
}

extension ONNXModelReader {
    /// The Plumb model for a `TreeEnsemble` (opset 5) node: one output tensor of `n_targets`
    /// scores after `post_transform`, summed or averaged (`aggregate_function` 1 SUM, 0 AVERAGE).
    /// The transform codes are read as ONNX Runtime 1.32 reads them (0 NONE, 1 LOGISTIC,
    /// 2 SOFTMAX, 3 SOFTMAX_ZERO, 4 PROBIT, measured): the opset-5 text swaps 1 and 2. One target: NONE is a
    /// regression, LOGISTIC a binary classifier (Plumb writes (1 − p, p) where ONNX Runtime
    /// writes p). Several: SOFTMAX a multiclass GBM, NONE (three or more) a forest's class shares.
    static func opset5Ensemble(_ f: TreeEnsembleForest, attributes a: ONNXAttributes) throws -> ImportedEnsemble {
        let transforms = ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"], aggregates = ["AVERAGE", "SUM", "MIN", "MAX"]
        let t = a.has("post_transform") ? Int(try a.int("post_transform")) : 0
        let g = a.has("aggregate_function") ? Int(try a.int("aggregate_function")) : 1
        guard transforms.indices.contains(t) else { throw a.fail("post_transform", "\(t), 0 … 4 expected") }
        guard aggregates.indices.contains(g) else { throw a.fail("aggregate_function", "\(g), 0 … 3 expected") }
        func refuse(_ what: String) -> ONNXModelError { ONNXModelError(code: .unsupported, message: "\(a.source): \(a.node): \(what)") }
        guard g <= 1 else { throw refuse("aggregate_function \(aggregates[g]) is not supported (SUM or AVERAGE expected)") }
        let scale = g == 0 ? 1 / Double(max(1, f.treeCount)) : 1
        let k = f.outputCount
        let objective = "TreeEnsemble post_transform=\(transforms[t]) aggregate_function=\(aggregates[g])"
        let lists = (0..<k).map { f.trees(output: $0) }
        var imported = try opset5Model(transform: transforms[t], k: k, lists: lists, f: f, scale: scale, objective: objective, refuse: refuse)
        if t == 1 || t == 2 {
            imported.warnings.append("post_transform \(t) read as \(transforms[t]), as ONNX Runtime reads it (the ONNX opset-5 text says \(t == 1 ? "SOFTMAX" : "LOGISTIC"))")
        }
        return imported
    }

    static func opset5Model(transform: String, k: Int, lists: [[Tree]], f: TreeEnsembleForest, scale: Double, objective: String,
                            refuse: (String) -> ONNXModelError) throws -> ImportedEnsemble {
        switch (transform, k) {
        case ("NONE", 1):
            let model = GradientBoostedTrees(importedTrees: lists, initScores: [0], loss: .squared, featureCount: f.featureCount,
                                             classCount: 0, scoreScale: scale)
            return ImportedEnsemble(model: model, task: .regression, featureNames: nil, sourceFormat: "onnx", objective: objective)
        case ("LOGISTIC", 1):
            let model = GradientBoostedTrees(importedTrees: lists, initScores: [0], loss: .logistic, featureCount: f.featureCount,
                                             classCount: 2, scoreScale: scale)
            var e = ImportedEnsemble(model: model, task: .binary, featureNames: nil, sourceFormat: "onnx", objective: objective)
            e.warnings = ["the TreeEnsemble outputs one probability per row; Plumb predicts both classes' (1 − p, p)"]
            return e
        case ("SOFTMAX", 2...):
            let model = GradientBoostedTrees(importedTrees: lists, initScores: [Double](repeating: 0, count: k), loss: .softmax,
                                             featureCount: f.featureCount, classCount: k, scoreScale: scale)
            return ImportedEnsemble(model: model, task: k == 2 ? .binary : .multiclass, featureNames: nil, sourceFormat: "onnx", objective: objective)
        case ("NONE", 3...):
            let sum = GradientBoostedTrees(importedTrees: lists, initScores: [Double](repeating: 0, count: k), loss: .softmax,
                                           featureCount: f.featureCount, classCount: k, scoreScale: scale)
            var e = ImportedEnsemble(model: sum, task: .multiclass, featureNames: nil, sourceFormat: "onnx", objective: objective)
            e.forest = RandomForest(importedTrees: lists, base: 0, scale: scale, featureCount: f.featureCount, classCount: k)
            return e
        default:
            throw refuse("post_transform \(transform) with \(k) target\(k == 1 ? "" : "s") is not supported (NONE or LOGISTIC for one target, SOFTMAX, or NONE for three or more, expected)")
        }
    }
}

extension ONNXAttributes {
    func int(_ name: String) throws -> Int64 {
        guard let a = byName[name] else { throw fail(name, "is missing") }
        return a.i
    }
}
