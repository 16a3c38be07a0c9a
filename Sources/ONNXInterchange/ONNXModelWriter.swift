import Foundation
import SwiftProtobuf
import TreeModels

/// Writes a Plumb tree model as an ONNX model of one `ai.onnx.ml` tree ensemble (opset 3), which
/// ONNX Runtime loads and `ONNXModelReader` reads back.
///
/// The input `X` is double (rows × features): ONNX Runtime then compares in double, with the
/// thresholds as a double tensor (`nodes_values_as_tensor`), every node `BRANCH_LEQ` (Plumb's
/// `x <= t`) with `nodes_missing_value_tracks_true` its default direction, and the leaf weights
/// a double tensor too; it sums them in double and rounds only its float32 output. Outputs:
/// - regression: `TreeEnsembleRegressor`, `variable` (rows × 1);
/// - boosted binary: `TreeEnsembleClassifier` scoring class 1 with the leaves and class 0 with
///   their negation, LOGISTIC: (σ(−s), σ(s));
/// - boosted multiclass: one class per tree list, SOFTMAX;
/// - forest of two classes: class 1 scores the share s, class 0 its complement (1 in the first
///   tree's leaves minus the share), NONE: (1 − s, s) up to rounding;
/// - forest of three or more: every leaf writes each class's share, NONE.
/// Classifiers output `label` (int64, the class index) and `probabilities` (rows × classes).
/// The feature names and class labels go in the model's metadata (`plumb.feature_names`,
/// `plumb.classes`, JSON arrays).
public enum ONNXModelWriter {
    public static func bytes(_ e: ExportableEnsemble, producerVersion: String) throws -> [UInt8] {
        var node = Onnx_NodeProto()
        node.domain = "ai.onnx.ml"
        node.input = ["X"]
        node.name = "plumb_\(e.kind)"
        var nodes = NodeArrays()
        var targets = TargetArrays()
        var transform = "NONE"
        var treeID: Int64 = 0
        switch e.output {
        case .regression, .softmax:
            for (k, list) in e.trees.enumerated() {
                for tree in list {
                    let leafIDs = nodes.append(tree, id: treeID)
                    for (j, id) in leafIDs.enumerated() { targets.append(tree: treeID, node: id, output: k, weight: tree.leafValue[j]) }
                    treeID += 1
                }
            }
            if e.output == .softmax { transform = "SOFTMAX" }
        case .logistic:
            for tree in e.trees[0] {
                let leafIDs = nodes.append(tree, id: treeID)
                for (j, id) in leafIDs.enumerated() {
                    targets.append(tree: treeID, node: id, output: 0, weight: -tree.leafValue[j])
                    targets.append(tree: treeID, node: id, output: 1, weight: tree.leafValue[j])
                }
                treeID += 1
            }
            transform = "LOGISTIC"
        case .forestBinary:
            // Class 1 the share, class 0 its complement (the 1 in the first tree): ONNX Runtime
            // outputs the two sums as they are.
            for (t, tree) in e.trees[0].enumerated() {
                let leafIDs = nodes.append(tree, id: treeID)
                for (j, id) in leafIDs.enumerated() {
                    targets.append(tree: treeID, node: id, output: 0, weight: (t == 0 ? 1 : 0) - tree.leafValue[j])
                    targets.append(tree: treeID, node: id, output: 1, weight: tree.leafValue[j])
                }
                treeID += 1
            }
        case .forestShares:
            for (t, tree) in e.trees[0].enumerated() {
                let leafIDs = nodes.append(tree, id: treeID)
                for (j, id) in leafIDs.enumerated() {
                    for k in e.trees.indices { targets.append(tree: treeID, node: id, output: k, weight: e.trees[k][t].leafValue[j]) }
                }
                treeID += 1
            }
        }

        var attributes = nodes.attributes
        let classifier = e.output != .regression
        let prefix = classifier ? "class_" : "target_"
        attributes += [
            .ints(prefix + "treeids", targets.tree), .ints(prefix + "nodeids", targets.node), .ints(prefix + "ids", targets.output),
            .doubles(prefix + "weights_as_tensor", targets.weight), .string("post_transform", transform),
        ]
        var outputs: [Onnx_ValueInfoProto]
        if classifier {
            node.opType = "TreeEnsembleClassifier"
            node.output = ["label", "probabilities"]
            attributes.append(.ints("classlabels_int64s", (0..<Int64(max(2, e.classCount))).map { $0 }))
            outputs = [.tensor("label", elementType: 7, columns: nil), .tensor("probabilities", elementType: 1, columns: max(2, e.classCount))]
        } else {
            node.opType = "TreeEnsembleRegressor"
            node.output = ["variable"]
            attributes += [.int("n_targets", 1), .string("aggregate_function", "SUM")]
            outputs = [.tensor("variable", elementType: 1, columns: 1)]
        }
        node.attribute = attributes

        var graph = Onnx_GraphProto()
        graph.name = "plumb_\(e.kind)_\(e.output)"
        graph.node = [node]
        graph.input = [.tensor("X", elementType: 11, columns: e.featureCount)]
        graph.output = outputs

        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "plumb"
        model.producerVersion = producerVersion
        model.graph = graph
        model.opsetImport = [.init(domain: "", version: 17), .init(domain: "ai.onnx.ml", version: 3)]
        func json(_ list: [String]) -> String {
            (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
        }
        var metadata = [Onnx_StringStringEntryProto(key: ONNXModelReader.featureNamesKey, value: json(e.featureNames))]
        if let classes = e.classes { metadata.append(Onnx_StringStringEntryProto(key: ONNXModelReader.classesKey, value: json(classes))) }
        model.metadataProps = metadata
        do {
            return try model.serializedBytes()
        } catch {
            throw ModelExportError(code: .io, message: "the ONNX model does not serialise: \(error)")
        }
    }

    /// The `nodes_*` attributes, tree after tree.
    struct NodeArrays {
        var tree: [Int64] = [], node: [Int64] = [], feature: [Int64] = [], mode: [String] = [], value: [Double] = []
        var trueNode: [Int64] = [], falseNode: [Int64] = [], missingTrue: [Int64] = []

        /// Appends `t` as tree `id`: internal node k has id k, leaf j id nodeCount + j.
        /// - Returns: the leaves' node ids, in leaf order.
        mutating func append(_ t: Tree, id: Int64) -> [Int64] {
            let n = Int64(t.nodeCount)
            func ref(_ c: Int32) -> Int64 { c >= 0 ? Int64(c) : n + Int64(~c) }
            for k in 0..<t.nodeCount {
                tree.append(id); node.append(Int64(k)); feature.append(Int64(t.feature[k])); mode.append("BRANCH_LEQ")
                value.append(t.threshold[k]); trueNode.append(ref(t.left[k])); falseNode.append(ref(t.right[k]))
                missingTrue.append(t.defaultLeft[k] ? 1 : 0)
            }
            var leaves: [Int64] = []
            for j in t.leafValue.indices {
                tree.append(id); node.append(n + Int64(j)); feature.append(0); mode.append("LEAF"); value.append(0)
                trueNode.append(0); falseNode.append(0); missingTrue.append(0)
                leaves.append(n + Int64(j))
            }
            return leaves
        }

        var attributes: [Onnx_AttributeProto] {
            [.ints("nodes_treeids", tree), .ints("nodes_nodeids", node), .ints("nodes_featureids", feature),
             .strings("nodes_modes", mode), .doubles("nodes_values_as_tensor", value),
             .ints("nodes_truenodeids", trueNode), .ints("nodes_falsenodeids", falseNode),
             .ints("nodes_missing_value_tracks_true", missingTrue)]
        }
    }

    /// The `target_*` / `class_*` attributes.
    struct TargetArrays {
        var tree: [Int64] = [], node: [Int64] = [], output: [Int64] = [], weight: [Double] = []

        mutating func append(tree t: Int64, node n: Int64, output k: Int, weight w: Double) {
            tree.append(t); node.append(n); output.append(Int64(k)); weight.append(w)
        }
    }
}

extension Onnx_AttributeProto {
    static func ints(_ name: String, _ values: [Int64]) -> Self {
        var a = Self(); a.name = name; a.type = .ints; a.ints = values; return a
    }
    static func int(_ name: String, _ value: Int64) -> Self {
        var a = Self(); a.name = name; a.type = .int; a.i = value; return a
    }
    static func string(_ name: String, _ value: String) -> Self {
        var a = Self(); a.name = name; a.type = .string; a.s = Data(value.utf8); return a
    }
    static func strings(_ name: String, _ values: [String]) -> Self {
        var a = Self(); a.name = name; a.type = .strings; a.strings = values.map { Data($0.utf8) }; return a
    }
    /// A 1-D double tensor attribute (the `*_as_tensor` form).
    static func doubles(_ name: String, _ values: [Double]) -> Self {
        var t = Onnx_TensorProto()
        t.dataType = 11
        t.dims = [Int64(values.count)]
        t.doubleData = values
        var a = Self(); a.name = name; a.type = .tensor; a.t = t; return a
    }
}

extension Onnx_ValueInfoProto {
    /// A tensor of `elementType` (ONNX TensorProto.DataType), rows × columns (rows symbolic "N";
    /// nil columns: one dimension).
    static func tensor(_ name: String, elementType: Int32, columns: Int?) -> Self {
        var rows = Onnx_TensorShapeProto.Dimension()
        rows.dimParam = "N"
        var shape = Onnx_TensorShapeProto()
        shape.dim = [rows]
        if let columns {
            var c = Onnx_TensorShapeProto.Dimension()
            c.dimValue = Int64(columns)
            shape.dim.append(c)
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = elementType
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var v = Self(); v.name = name; v.type = type; return v
    }
}

extension Onnx_OperatorSetIdProto {
    init(domain: String, version: Int64) {
        self.init()
        self.domain = domain
        self.version = version
    }
}

extension Onnx_StringStringEntryProto {
    init(key: String, value: String) {
        self.init()
        self.key = key
        self.value = value
    }
}
