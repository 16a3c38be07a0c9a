import MLCore

/// Writes a Plumb tree model as LightGBM's text model format (what `Booster.save_model` writes
/// and `lightgbm.Booster(model_file=)` loads, and so Triton's FIL backend and SynapseML), laid
/// out as `LightGBMModelReader` documents it.
///
/// Every split is numeric with missing type NaN: LightGBM then sends NaN the default direction
/// and compares any other value as `x <= threshold` in float64, as Plumb does; thresholds and
/// leaves are written in Swift's shortest round-trip form, so LightGBM reads the same doubles.
/// Scores are sums of the trees (the base and scale are folded into the leaves, see
/// `ExportableEnsemble`): objective `regression` for a regressor, `binary sigmoid:1` and
/// `multiclass` for boosted classifiers. A random forest classifier averages class shares,
/// which no LightGBM objective does: it is refused (ONNX export writes it).
public enum LightGBMModelWriter {
    /// The model text.
    /// - Throws: `ModelExportError` for what LightGBM's format cannot express.
    public static func text(_ e: ExportableEnsemble) throws -> String {
        let objective: String
        switch e.output {
        case .regression: objective = "regression"
        case .logistic: objective = "binary sigmoid:1"
        case .softmax: objective = "multiclass num_class:\(e.trees.count)"
        case .forestBinary, .forestShares:
            throw ModelExportError(code: .unsupported, message: "a random forest classifier averages class shares, which LightGBM's objectives (sigmoid or softmax of summed scores) cannot express; export it with --format onnx")
        }
        for name in e.featureNames where name.contains(where: { $0 == " " || $0 == "\n" || $0 == "=" }) {
            throw ModelExportError(code: .unsupported, message: "feature name \"\(name)\" holds a space, '=' or a line break, which LightGBM's feature_names line cannot hold")
        }
        let perIteration = e.trees.count
        let iterations = e.trees[0].count
        var blocks: [String] = []
        for i in 0..<iterations {
            for k in 0..<perIteration { blocks.append(treeBlock(e.trees[k][i], index: i * perIteration + k)) }
        }
        var lines = [
            "tree", "version=v4",
            "num_class=\(e.output == .softmax ? perIteration : 1)",
            "num_tree_per_iteration=\(perIteration)",
            "label_index=0",
            "max_feature_idx=\(e.featureCount - 1)",
            "objective=\(objective)",
            "feature_names=\(e.featureNames.joined(separator: " "))",
            "feature_infos=\(Array(repeating: "none", count: e.featureCount).joined(separator: " "))",
            "tree_sizes=\(blocks.map { String($0.utf8.count + 1) }.joined(separator: " "))",
            "",
        ]
        for b in blocks { lines.append(b) }
        lines += ["end of trees", "", "feature_importances:", "", "parameters:", "[boosting: \(e.kind == "forest" ? "rf" : "gbdt")]",
                  "[objective: \(objective.split(separator: " ")[0])]", "end of parameters", "", "pandas_categorical:null", ""]
        return lines.joined(separator: "\n")
    }

    /// A Double as LightGBM reads it back exactly (shortest round-trip digits; infinities as
    /// the largest finite doubles, which LightGBM's parser accepts).
    static func number(_ x: Double) -> String {
        if x == .infinity { return "1.7976931348623157e+308" }
        if x == -.infinity { return "-1.7976931348623157e+308" }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    /// One `Tree=i` block and its blank line.
    static func treeBlock(_ t: Tree, index: Int) -> String {
        let leaves = t.leafValue.count
        var lines = ["Tree=\(index)", "num_leaves=\(leaves)", "num_cat=0"]
        if t.nodeCount > 0 {
            // LightGBM children: ≥ 0 internal node, < 0 leaf ~child, as Plumb's.
            lines += [
                "split_feature=" + t.feature.map { String($0) }.joined(separator: " "),
                "split_gain=" + t.gain.map { number($0) }.joined(separator: " "),
                "threshold=" + t.threshold.map(number).joined(separator: " "),
                // missing type NaN (8), default left (2).
                "decision_type=" + t.defaultLeft.map { $0 ? "10" : "8" }.joined(separator: " "),
                "left_child=" + t.left.map { String($0) }.joined(separator: " "),
                "right_child=" + t.right.map { String($0) }.joined(separator: " "),
            ]
        }
        lines.append("leaf_value=" + t.leafValue.map(number).joined(separator: " "))
        // Covers (training rows per node and leaf) when the tree has them: TreeSHAP weighs by them.
        if t.hasCover {
            lines.append("leaf_count=" + t.leafCover.map { String(Int64(max(0, $0.rounded()))) }.joined(separator: " "))
            if t.nodeCount > 0 {
                lines.append("internal_count=" + t.nodeCover.map { String(Int64(max(0, $0.rounded()))) }.joined(separator: " "))
            }
        }
        lines += ["is_linear=0", "shrinkage=1", ""]
        return lines.joined(separator: "\n")
    }
}
