extension TreeEnsembleForest {
    /// `nodes_modes` codes of `TreeEnsemble` (ai.onnx.ml opset 5); 6 is BRANCH_MEMBER.
    static let opset5Modes: [Mode] = [.leq, .lt, .gte, .gt, .eq, .neq]

    /// The trees of a `TreeEnsemble` node (ai.onnx.ml opset 5): `nodes_*` hold the interior nodes
    /// only, each branch naming a node or (with `nodes_trueleafs` / `nodes_falseleafs`) a leaf of
    /// `leaf_targetids` / `leaf_weights`; `tree_roots` names each tree's first node. Read into
    /// the same form as opset 3's: interior nodes 0 ..< n, then the leaves.
    /// - Throws: `ONNXModelError` naming the attribute and node at fault; BRANCH_MEMBER is refused.
    init(opset5 a: ONNXAttributes, compareInDouble: Bool, minimumFeatures: Int) throws {
        let featureIDs = try a.requiredInts("nodes_featureids")
        let trueIDs = try a.requiredInts("nodes_truenodeids"), falseIDs = try a.requiredInts("nodes_falsenodeids")
        let trueLeafs = try a.requiredInts("nodes_trueleafs"), falseLeafs = try a.requiredInts("nodes_falseleafs")
        guard let codes = try a.tensorIntegers("nodes_modes") else { throw a.fail("nodes_modes", "is missing") }
        guard let splits = try a.tensorNumbers("nodes_splits")?.values else { throw a.fail("nodes_splits", "is missing") }
        let missing = try a.ints("nodes_missing_value_tracks_true") ?? []
        let roots = try a.requiredInts("tree_roots")
        let targets = try a.requiredInts("leaf_targetids")
        guard let weights = try a.tensorNumbers("leaf_weights")?.values else { throw a.fail("leaf_weights", "is missing") }
        let n = featureIDs.count, leaves = targets.count
        for (name, count) in [("nodes_truenodeids", trueIDs.count), ("nodes_falsenodeids", falseIDs.count), ("nodes_trueleafs", trueLeafs.count),
                              ("nodes_falseleafs", falseLeafs.count), ("nodes_modes", codes.count), ("nodes_splits", splits.count)]
        where count != n {
            throw a.fail(name, "\(count) values, but nodes_featureids has \(n) (one per interior node expected)")
        }
        guard missing.isEmpty || missing.count == n else { throw a.fail("nodes_missing_value_tracks_true", "\(missing.count) values for \(n) nodes") }
        guard weights.count == leaves else { throw a.fail("leaf_weights", "\(weights.count) values, but leaf_targetids has \(leaves)") }
        guard n > 0, !roots.isEmpty else { throw a.fail("tree_roots", "is empty: the ensemble has no trees") }

        var modes: [Mode] = []
        var trueChild: [Int] = [], falseChild: [Int] = []
        var features = 0
        for i in 0..<n {
            guard codes[i] >= 0, codes[i] < Int64(Self.opset5Modes.count) else {
                throw ONNXModelError(code: .unsupported, message: "\(a.source): \(a.node), attribute nodes_modes: node \(i) has mode \(codes[i]) (\(codes[i] == 6 ? "BRANCH_MEMBER" : "unknown")); 0 … 5 (BRANCH_LEQ … BRANCH_NEQ) supported")
            }
            modes.append(Self.opset5Modes[Int(codes[i])])
            guard featureIDs[i] >= 0, featureIDs[i] < 1 << 24 else { throw a.fail("nodes_featureids", "node \(i) reads feature \(featureIDs[i])") }
            features = max(features, Int(featureIDs[i]) + 1)
            for (field, id, isLeaf, list) in [("nodes_truenodeids", trueIDs[i], trueLeafs[i] != 0, 0), ("nodes_falsenodeids", falseIDs[i], falseLeafs[i] != 0, 1)] {
                let bound = isLeaf ? leaves : n
                guard id >= 0, id < Int64(bound) else {
                    throw a.fail(field, "node \(i) names \(isLeaf ? "leaf" : "node") \(id), but there are \(bound)")
                }
                let c = isLeaf ? n + Int(id) : Int(id)
                if list == 0 { trueChild.append(c) } else { falseChild.append(c) }
            }
        }
        featureCount = max(features, minimumFeatures, 1)
        let declared = a.has("n_targets") ? Int(try a.int("n_targets")) : 1
        guard let maxID = targets.max(), let minID = targets.min(), minID >= 0, maxID < Int64(max(declared, 1)), declared < 1 << 16 else {
            throw a.fail("leaf_targetids", "targets must lie in 0 ..< n_targets (\(declared))")
        }
        outputCount = declared
        usedOutputs = Set(targets.map { Int($0) })
        weightsAllNonNegative = weights.allSatisfy { $0 >= 0 }
        var leafWeights = [[Double]](repeating: [Double](repeating: 0, count: declared), count: n + leaves)
        for j in 0..<leaves {
            guard weights[j].isFinite else { throw a.fail("leaf_weights", "leaf \(j) has weight \(weights[j]), a finite number expected") }
            leafWeights[n + j][Int(targets[j])] = weights[j]
        }
        self.leafWeights = leafWeights
        modes += [Mode](repeating: .leaf, count: leaves)
        trueChild += [Int](repeating: -1, count: leaves)
        falseChild += [Int](repeating: -1, count: leaves)

        // Every interior node reached once from a root (a leaf may be shared: a one-leaf tree
        // names it from both branches).
        var reached = [Bool](repeating: false, count: n)
        for (t, root) in roots.enumerated() {
            guard root >= 0, root < Int64(n) else { throw a.fail("tree_roots", "tree \(t) starts at node \(root), but there are \(n)") }
            var stack = [Int(root)]
            while let i = stack.popLast() {
                if i >= n { continue }
                guard !reached[i] else { throw a.fail("nodes_truenodeids", "node \(i) is reached twice: the nodes do not form trees") }
                reached[i] = true
                stack.append(falseChild[i]); stack.append(trueChild[i])
            }
        }
        if let i = reached.firstIndex(of: false) { throw a.fail("tree_roots", "node \(i) is not reachable from any tree root") }

        let emitter = Emitter(mode: modes, feature: (featureIDs + [Int64](repeating: 0, count: leaves)).map { Int32(truncatingIfNeeded: $0) },
                              value: splits + [Double](repeating: 0, count: leaves), trueChild: trueChild, falseChild: falseChild,
                              missingTrue: missing.isEmpty ? [] : missing.map { $0 != 0 } + [Bool](repeating: false, count: leaves),
                              compareInDouble: compareInDouble)
        shapes = try roots.enumerated().map { t, root in
            do { return try emitter.emit(root: Int(root)) } catch let e as EmitError {
                throw a.fail("nodes_modes", "tree \(t): \(e.what)")
            }
        }
    }
}
