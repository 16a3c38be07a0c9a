import TreeModels

/// The trees of one `TreeEnsembleRegressor` / `TreeEnsembleClassifier` node, read from its
/// `nodes_*` and `target_*` / `class_*` attributes, checked, and turned into Plumb trees (one
/// list per output: the shapes are shared, the leaf values are each output's weights).
struct TreeEnsembleForest {
    /// `nodes_modes` values.
    enum Mode: String {
        case leaf = "LEAF", leq = "BRANCH_LEQ", lt = "BRANCH_LT", gte = "BRANCH_GTE", gt = "BRANCH_GT", eq = "BRANCH_EQ", neq = "BRANCH_NEQ"
    }

    /// Inputs the trees read: one past the largest feature id (at least the declared columns).
    let featureCount: Int
    /// Scores the leaves write: one past the largest target or class id.
    let outputCount: Int
    /// Target or class ids that some leaf writes.
    let usedOutputs: Set<Int>
    /// Whether no leaf weight is negative (ONNX Runtime's binary rule depends on it).
    let weightsAllNonNegative: Bool
    /// Plumb trees in tree-id order, with the ONNX node index behind each of their leaves.
    let shapes: [(tree: Tree, leafNodes: [Int])]
    /// Per ONNX node index: its weight per output (zeros for a branch).
    let leafWeights: [[Double]]

    var treeCount: Int { shapes.count }

    /// Whether every leaf writes output `b` as the negation of output `a` (a two-class score
    /// written for both classes, as Plumb's exporter does).
    func outputsNegate(_ a: Int, _ b: Int) -> Bool { leafWeights.allSatisfy { $0[a] == -$0[b] } }

    /// Whether output `a` is the complement of output `b` (their sums add to 1): the first
    /// tree's leaves add to 1, every other tree's to 0, within 1e-9 (a two-class forest written
    /// for both classes, as Plumb's exporter does).
    func outputsComplement(_ a: Int, _ b: Int) -> Bool {
        shapes.enumerated().allSatisfy { t, shape in
            shape.leafNodes.allSatisfy { abs(leafWeights[$0][a] + leafWeights[$0][b] - (t == 0 ? 1 : 0)) <= 1e-9 }
        }
    }

    /// Every tree with output `k`'s leaf weights.
    func trees(output k: Int) -> [Tree] {
        shapes.map { shape in
            var t = shape.tree
            t.leafValue = shape.leafNodes.map { leafWeights[$0][k] }
            return t
        }
    }

    /// Node budget of one emitted tree: BRANCH_EQ and BRANCH_NEQ copy the subtree both of their
    /// tests reach, which a chain of them could grow without bound.
    static let nodeBudget = 1 << 20
    /// Deepest tree read (the emission recurses).
    static let maximumDepth = 1024

    /// - Parameters:
    ///   - compareInDouble: the input is double (ONNX Runtime then compares in double); else
    ///     inputs and thresholds are compared as float32.
    ///   - minimumFeatures: columns the graph input declares (0 when unknown).
    /// - Throws: `ONNXModelError` naming the attribute, tree and node at fault.
    init(_ a: ONNXAttributes, compareInDouble: Bool, minimumFeatures: Int) throws {
        let treeIDs = try a.requiredInts("nodes_treeids"), nodeIDs = try a.requiredInts("nodes_nodeids")
        let featureIDs = try a.requiredInts("nodes_featureids")
        let trueIDs = try a.requiredInts("nodes_truenodeids"), falseIDs = try a.requiredInts("nodes_falsenodeids")
        guard let modeNames = try a.strings("nodes_modes") else { throw a.fail("nodes_modes", "is missing") }
        guard let values = try a.numbers("nodes_values")?.values else { throw a.fail("nodes_values", "is missing (nor nodes_values_as_tensor)") }
        let n = treeIDs.count
        let missing = try a.ints("nodes_missing_value_tracks_true") ?? []
        for (name, count) in [("nodes_nodeids", nodeIDs.count), ("nodes_featureids", featureIDs.count), ("nodes_truenodeids", trueIDs.count),
                              ("nodes_falsenodeids", falseIDs.count), ("nodes_modes", modeNames.count), ("nodes_values", values.count)]
        where count != n {
            throw a.fail(name, "\(count) values, but nodes_treeids has \(n) (one per node expected)")
        }
        guard missing.isEmpty || missing.count == n else {
            throw a.fail("nodes_missing_value_tracks_true", "\(missing.count) values for \(n) nodes")
        }
        guard n > 0 else { throw a.fail("nodes_treeids", "is empty: the ensemble has no nodes") }

        // Node index by (tree id, node id).
        var index: [Int64: [Int64: Int]] = [:]
        var modes: [Mode] = []
        modes.reserveCapacity(n)
        for i in 0..<n {
            guard let m = Mode(rawValue: modeNames[i]) else {
                throw a.fail("nodes_modes", "node \(nodeIDs[i]) of tree \(treeIDs[i]) has mode \"\(modeNames[i])\"; LEAF, BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ or BRANCH_NEQ expected")
            }
            modes.append(m)
            guard index[treeIDs[i], default: [:]].updateValue(i, forKey: nodeIDs[i]) == nil else {
                throw a.fail("nodes_nodeids", "node id \(nodeIDs[i]) appears twice in tree \(treeIDs[i])")
            }
            if m != .leaf {
                guard featureIDs[i] >= 0, featureIDs[i] < 1 << 24 else {
                    throw a.fail("nodes_featureids", "node \(nodeIDs[i]) of tree \(treeIDs[i]) reads feature \(featureIDs[i]); 0 ..< 16777216 expected")
                }
            }
        }
        func child(_ i: Int, _ id: Int64, _ field: String) throws -> Int {
            guard let c = index[treeIDs[i]]?[id] else {
                throw a.fail(field, "node \(nodeIDs[i]) of tree \(treeIDs[i]) names child \(id), which is not a node of that tree")
            }
            return c
        }
        var trueChild = [Int](repeating: -1, count: n), falseChild = [Int](repeating: -1, count: n)
        var isChild = [Bool](repeating: false, count: n)
        var features = 0
        for i in 0..<n where modes[i] != .leaf {
            trueChild[i] = try child(i, trueIDs[i], "nodes_truenodeids")
            falseChild[i] = try child(i, falseIDs[i], "nodes_falsenodeids")
            isChild[trueChild[i]] = true
            isChild[falseChild[i]] = true
            features = max(features, Int(featureIDs[i]) + 1)
        }
        featureCount = max(features, minimumFeatures, 1)

        // Leaf weights: `target_*` for a regressor, `class_*` for a classifier.
        let p = a.has("class_treeids") ? "class_" : "target_"
        let tTrees = try a.requiredInts(p + "treeids"), tNodes = try a.requiredInts(p + "nodeids"), tIDs = try a.requiredInts(p + "ids")
        guard let weights = try a.numbers(p + "weights")?.values else { throw a.fail(p + "weights", "is missing (nor \(p)weights_as_tensor)") }
        for (name, count) in [(p + "nodeids", tNodes.count), (p + "ids", tIDs.count), (p + "weights", weights.count)] where count != tTrees.count {
            throw a.fail(name, "\(count) values, but \(p)treeids has \(tTrees.count) (one per leaf weight expected)")
        }
        guard let maxID = tIDs.max(), let minID = tIDs.min() else { throw a.fail(p + "ids", "is empty: no leaf has a weight") }
        guard minID >= 0, maxID < 1 << 16 else { throw a.fail(p + "ids", "ids range over \(minID)...\(maxID); 0 ..< 65536 expected") }
        outputCount = Int(maxID) + 1
        usedOutputs = Set(tIDs.map { Int($0) })
        weightsAllNonNegative = weights.allSatisfy { $0 >= 0 }
        var leafWeights = [[Double]](repeating: [], count: n)
        for j in 0..<tTrees.count {
            guard let i = index[tTrees[j]]?[tNodes[j]] else {
                throw a.fail(p + "nodeids", "weight \(j) is for node \(tNodes[j]) of tree \(tTrees[j]), which does not exist")
            }
            guard modes[i] == .leaf else { throw a.fail(p + "nodeids", "weight \(j) is for node \(tNodes[j]) of tree \(tTrees[j]), which is a \(modes[i].rawValue) node, not a LEAF") }
            guard weights[j].isFinite else { throw a.fail(p + "weights", "weight \(j) is \(weights[j]), a finite number expected") }
            if leafWeights[i].isEmpty { leafWeights[i] = [Double](repeating: 0, count: outputCount) }
            leafWeights[i][Int(tIDs[j])] += weights[j]
        }
        for i in 0..<n where leafWeights[i].isEmpty { leafWeights[i] = [Double](repeating: 0, count: outputCount) }
        self.leafWeights = leafWeights

        // One root per tree (the node no other names as a child), every node reached once from it.
        var roots: [Int64: Int] = [:]
        for i in 0..<n where !isChild[i] {
            if let other = roots.updateValue(i, forKey: treeIDs[i]) {
                throw a.fail("nodes_nodeids", "tree \(treeIDs[i]) has two roots (nodes \(nodeIDs[other]) and \(nodeIDs[i]) are nobody's child)")
            }
        }
        var reached = [Bool](repeating: false, count: n)
        for (tree, root) in roots {
            var stack = [root]
            while let i = stack.popLast() {
                guard !reached[i] else { throw a.fail("nodes_truenodeids", "node \(nodeIDs[i]) of tree \(tree) is reached twice: the nodes do not form a tree") }
                reached[i] = true
                if modes[i] != .leaf { stack.append(falseChild[i]); stack.append(trueChild[i]) }
            }
        }
        if let i = reached.firstIndex(of: false) {
            throw a.fail("nodes_nodeids", "node \(nodeIDs[i]) of tree \(treeIDs[i]) is not reachable from its tree's root (a cycle?)")
        }

        // Emission in pre-order: a child always after its parent, as `TreePredictor` checks.
        let emitter = Emitter(mode: modes, feature: featureIDs.map { Int32(truncatingIfNeeded: $0) }, value: values,
                              trueChild: trueChild, falseChild: falseChild, missingTrue: missing.map { $0 != 0 },
                              compareInDouble: compareInDouble)
        shapes = try roots.keys.sorted().map { tree in
            guard let root = roots[tree] else { throw a.fail("nodes_treeids", "tree \(tree) has no root") }
            do { return try emitter.emit(root: root) } catch let e as EmitError {
                throw a.fail("nodes_modes", "tree \(tree): \(e.what)")
            }
        }
    }

    struct EmitError: Error { var what: String }

    /// Writes one ONNX tree as a Plumb tree (see `ONNXModelReader` for the comparison rules).
    struct Emitter {
        let mode: [Mode]
        let feature: [Int32]
        let value: [Double]
        let trueChild: [Int]
        let falseChild: [Int]
        let missingTrue: [Bool]
        let compareInDouble: Bool

        /// The Plumb threshold `d` with `x <= d ⟺ cast(x) <= t` for every Double `x`.
        func lessOrEqual(_ t: Double) -> Double {
            if compareInDouble { return t }
            let f = Float(t)
            if f.isNaN || f == .infinity { return f.isNaN ? .nan : .infinity }
            return XGBoostModelReader.threshold(float32: f.nextUp)
        }

        /// The Plumb threshold `d` with `x <= d ⟺ cast(x) < t` for every Double `x`.
        func less(_ t: Double) -> Double {
            if compareInDouble { return t == -.infinity ? .nan : t.nextDown }
            return XGBoostModelReader.threshold(float32: Float(t))
        }

        func emit(root: Int) throws -> (tree: Tree, leafNodes: [Int]) {
            var tree = Tree()
            var leafNodes: [Int] = []

            func split(_ feature: Int32, _ threshold: Double, defaultLeft: Bool) throws -> Int {
                guard tree.feature.count < TreeEnsembleForest.nodeBudget else {
                    throw EmitError(what: "BRANCH_EQ / BRANCH_NEQ copies grow the tree past \(TreeEnsembleForest.nodeBudget) nodes")
                }
                tree.feature.append(feature); tree.threshold.append(threshold); tree.defaultLeft.append(defaultLeft)
                tree.leftCategories.append([]); tree.gain.append(0); tree.left.append(0); tree.right.append(0)
                return tree.feature.count - 1
            }

            func node(_ i: Int, depth: Int) throws -> Int32 {
                guard depth <= TreeEnsembleForest.maximumDepth else {
                    throw EmitError(what: "deeper than \(TreeEnsembleForest.maximumDepth) levels")
                }
                if mode[i] == .leaf {
                    leafNodes.append(i)
                    return ~Int32(leafNodes.count - 1)
                }
                let t = value[i], f = feature[i], nanTrue = missingTrue.isEmpty ? false : missingTrue[i]
                let yes = trueChild[i], no = falseChild[i]
                // (threshold, left, right, NaN goes left) for a single test.
                let single: (Double, Int, Int, Bool)?
                switch mode[i] {
                case .leq: single = (lessOrEqual(t), yes, no, nanTrue)
                case .lt: single = (less(t), yes, no, nanTrue)
                case .gte: single = (less(t), no, yes, !nanTrue)
                case .gt: single = (lessOrEqual(t), no, yes, !nanTrue)
                case .eq, .neq, .leaf: single = nil
                }
                if let (d, l, r, nanLeft) = single {
                    let k = try split(f, d, defaultLeft: nanLeft)
                    let lc = try node(l, depth: depth + 1), rc = try node(r, depth: depth + 1)
                    tree.left[k] = lc; tree.right[k] = rc
                    return Int32(k)
                }
                // EQ: cast(x) <= t and not cast(x) < t. NEQ: the branches swapped, NaN always true.
                let eq = mode[i] == .eq
                let inside = eq ? yes : no, outside = eq ? no : yes
                let nanLeft = eq ? nanTrue : false
                let k = try split(f, lessOrEqual(t), defaultLeft: nanLeft)
                let inner = try split(f, less(t), defaultLeft: false)
                tree.left[k] = Int32(inner)
                tree.left[inner] = try node(outside, depth: depth + 2)
                tree.right[inner] = try node(inside, depth: depth + 2)
                tree.right[k] = try node(outside, depth: depth + 1)
                return Int32(k)
            }

            _ = try node(root, depth: 0)
            tree.leafValue = [Double](repeating: 0, count: leafNodes.count)
            return (tree, leafNodes)
        }
    }
}
