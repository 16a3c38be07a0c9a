import Foundation
import MLCore

/// A LightGBM model file Plumb cannot read: the message names the file, line, tree, node or
/// field at fault and what was expected.
public struct LightGBMModelError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The file cannot be read.
        case io
        /// Not a LightGBM text model (e.g. a JSON dump or a binary file).
        case notLightGBM
        /// A field the format requires is absent.
        case missingField
        /// A field's value does not parse or is out of range.
        case badValue
        /// Arrays of a tree disagree, or its nodes do not form one tree.
        case badStructure
        /// A valid LightGBM model using something Plumb does not score (linear trees, an
        /// objective's output transform, missing type Zero where a tree cannot express it).
        case unsupported
    }
    public var code: Code
    public var message: String
    public var description: String { message }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}

/// Reads LightGBM's text model format (`Booster.save_model`, `model.txt`) into a Plumb ensemble
/// that scores exactly as LightGBM's own `predict` does.
///
/// The format: a header of `key=value` lines (the first line is `tree`), then one block per tree
/// (`Tree=i`, then space-separated arrays as `key=value` lines), `end of trees`, feature
/// importances and the training parameters (`[key: value]` lines). Internal node k of a tree
/// (0 ..< num_leaves − 1, root 0) splits on `split_feature[k]`. A numeric node goes left when
/// `x <= threshold[k]`; `decision_type[k]` bit 1 is the default direction and bits 2–3 the
/// missing type: None (NaN is compared as 0.0), Zero (NaN and |x| ≤ 1e-35 take the default
/// direction) or NaN (NaN takes the default direction). A categorical node (bit 0) goes left when
/// the value's integer code is in the bitset `cat_threshold[cat_boundaries[c] ..<
/// cat_boundaries[c+1]]`, `c = threshold[k]`; NaN and negative values go right. Children ≥ 0 are
/// nodes, < 0 leaves `~child`. Leaf values already include the shrinkage (learning rate), and
/// the average of the training target (`boost_from_average`) is folded into the first trees, so
/// a score is the plain sum of its trees in file order.
///
/// Both compare float64 values with float64 thresholds and add leaf values in file order, so
/// scores are bit-identical to LightGBM's. One difference is left: LightGBM casts a categorical
/// value to int (2.7 reads as category 2, −0.5 as 0), where Plumb sends a value that is not a
/// whole number right; category columns hold integer codes, on which the two agree.
public enum LightGBMModelReader {
    /// LightGBM's `kZeroThreshold` (`1e-35f`, a float widened to double).
    static let zeroThreshold = Double(Float(1e-35))

    /// Reads and converts the model file at `path`.
    /// - Throws: `LightGBMModelError` naming the file, line and field at fault.
    public static func read(path: String) throws -> ImportedEnsemble {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw LightGBMModelError(code: .io, message: exists ? "\(path): cannot read the LightGBM model file" : "\(path): no such LightGBM model file")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Converts the text of a LightGBM model; `source` names it in error messages.
    public static func parse(_ text: String, source: String) throws -> ImportedEnsemble {
        let file = try ModelText(text, source: source)
        let header = try Header(file.header, source: source)
        guard !file.trees.isEmpty else {
            throw LightGBMModelError(code: .missingField, message: "\(source): the model holds no trees (no Tree= block before \"end of trees\")")
        }
        let perIteration = header.treesPerIteration
        guard file.trees.count % perIteration == 0 else {
            throw LightGBMModelError(code: .badStructure, message: "\(source): \(file.trees.count) trees is not a whole number of iterations of num_tree_per_iteration=\(perIteration)")
        }
        var trees = [[Tree]](repeating: [], count: perIteration)
        var categorical = Set<Int>()
        for (i, block) in file.trees.enumerated() {
            guard block.index == i else {
                throw LightGBMModelError(code: .badStructure, message: "\(source) line \(block.line): Tree=\(block.index) where Tree=\(i) was expected (trees are numbered from 0 in order)")
            }
            let tree = try convertTree(block, featureCount: header.featureCount, source: source)
            for k in 0..<tree.nodeCount where !tree.leftCategories[k].isEmpty { categorical.insert(Int(tree.feature[k])) }
            trees[i % perIteration].append(tree)
        }
        let iterations = file.trees.count / perIteration
        var warnings: [String] = []
        var scale = header.sigmoid
        if header.averageOutput {
            // Random forest mode: LightGBM divides each score by the iterations after summing;
            // scaling the sum by 1/iterations can differ from that division by one rounding.
            scale *= 1 / Double(iterations)
            warnings.append("average_output (boosting=rf): each score is scaled by 1/\(iterations) where LightGBM divides by \(iterations): equal within one rounding (about 1e-16 relative)")
        }
        if let levels = file.pandasCategorical {
            warnings.append("the model was trained on pandas category columns (pandas_categorical=\(levels.prefix(200))); Plumb reads those features as their integer codes (0 = the first level listed)")
        }
        categorical.formUnion(header.categoricalFeatures)
        let model = GradientBoostedTrees(importedTrees: trees, initScores: [Double](repeating: 0, count: perIteration),
                                         loss: header.loss, featureCount: header.featureCount, classCount: header.classCount,
                                         scoreScale: scale)
        var parameters = file.parameters.filter { Self.keptParameters.contains($0.key) }
        parameters["objective"] = header.objective
        parameters["iterations"] = "\(iterations)"
        if let v = header.version { parameters["format_version"] = v }
        return ImportedEnsemble(model: model, task: header.task, featureNames: header.featureNames, sourceFormat: "lightgbm",
                                objective: header.objective, parameters: parameters, categoricalFeatures: categorical.sorted(),
                                warnings: warnings)
    }

    /// Training parameters recorded with an imported model (from the file's `parameters:` section).
    static let keptParameters: Set<String> = [
        "boosting", "num_iterations", "learning_rate", "num_leaves", "max_depth", "min_data_in_leaf", "lambda_l1", "lambda_l2",
        "feature_fraction", "bagging_fraction", "max_bin", "categorical_feature", "use_missing", "zero_as_missing",
    ]

    /// One tree block in Plumb's form: nodes renumbered in pre-order (so a child always follows
    /// its parent, which `TreePredictor` checks), leaves keeping LightGBM's numbers.
    static func convertTree(_ b: Block, featureCount: Int, source: String) throws -> Tree {
        if let linear = b.fields["is_linear"], linear.value != "0" {
            throw LightGBMModelError(code: .unsupported, message: "\(source) line \(linear.line) (\(b.name)): is_linear=\(linear.value): linear trees (linear_tree=true) are not supported; retrain without linear_tree")
        }
        let leaves = try b.int("num_leaves")
        guard leaves >= 1 else { throw b.fail(.badValue, "num_leaves", "num_leaves=\(leaves), at least 1 expected") }
        var tree = Tree()
        tree.leafValue = try b.numbers("leaf_value", count: leaves) { Double($0) }
        if let bad = tree.leafValue.firstIndex(where: { !$0.isFinite }) {
            throw b.fail(.badValue, "leaf_value", "leaf \(bad) has value \(tree.leafValue[bad]), a finite number expected")
        }
        // Covers for TreeSHAP: the training rows LightGBM counted at each node and leaf, which its
        // own `pred_contrib` weighs paths by.
        let leafCount = b.fields["leaf_count"] == nil ? nil : try b.numbers("leaf_count", count: leaves) { Double($0) }
        guard leaves > 1 else {
            tree.leafCover = [max(leafCount?[0] ?? 1, 1)]   // a lone leaf's cover weighs nothing
            return tree
        }
        let n = leaves - 1
        let internalCount = b.fields["internal_count"] == nil ? nil : try b.numbers("internal_count", count: n) { Double($0) }
        var coversHold = internalCount != nil && leafCount != nil
        let splitFeature = try b.numbers("split_feature", count: n) { Int($0) }
        let gain = b.fields["split_gain"] == nil ? [Double](repeating: 0, count: n) : try b.numbers("split_gain", count: n) { Double($0) }
        let threshold = try b.numbers("threshold", count: n) { Double($0) }
        let decision = try b.numbers("decision_type", count: n) { Int($0) }
        let left = try b.numbers("left_child", count: n) { Int($0) }
        let right = try b.numbers("right_child", count: n) { Int($0) }
        let numCat = b.fields["num_cat"] == nil ? 0 : try b.int("num_cat")
        guard numCat >= 0 else { throw b.fail(.badValue, "num_cat", "num_cat=\(numCat), at least 0 expected") }
        var boundaries = [0], words: [UInt32] = []
        if numCat > 0 {
            boundaries = try b.numbers("cat_boundaries", count: numCat + 1) { Int($0) }
            guard boundaries[0] == 0, zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw b.fail(.badValue, "cat_boundaries", "offsets must start at 0 and never decrease")
            }
            words = try b.numbers("cat_threshold", count: boundaries[numCat]) { UInt32($0) }
        }

        // A walk from the root: every node and leaf must be reached exactly once (a tree, so the
        // recursive emission below ends).
        var nodeSeen = [Bool](repeating: false, count: n), leafSeen = [Bool](repeating: false, count: leaves)
        var stack = [0]
        while let k = stack.popLast() {
            guard !nodeSeen[k] else { throw b.fail(.badStructure, "left_child", "node \(k) is reached twice: the nodes do not form a tree") }
            nodeSeen[k] = true
            for (field, c) in [("right_child", right[k]), ("left_child", left[k])] {
                if c >= 0 {
                    guard c < n else { throw b.fail(.badStructure, field, "node \(k) has child \(c), but the tree has nodes 0...\(n - 1)") }
                    stack.append(c)
                } else {
                    guard ~c < leaves else { throw b.fail(.badStructure, field, "node \(k) has leaf child \(c) (leaf \(~c)), but the tree has leaves 0...\(leaves - 1)") }
                    guard !leafSeen[~c] else { throw b.fail(.badStructure, field, "leaf \(~c) is reached twice: the nodes do not form a tree") }
                    leafSeen[~c] = true
                }
            }
        }
        if let k = nodeSeen.firstIndex(of: false) { throw b.fail(.badStructure, "left_child", "node \(k) is not reachable from the root") }
        if let l = leafSeen.firstIndex(of: false) { throw b.fail(.badStructure, "left_child", "leaf \(l) is not reachable from the root") }

        // Every node's split in Plumb's terms, checked before any is emitted.
        var splits: [NodeSplit] = []
        splits.reserveCapacity(n)
        for k in 0..<n {
            let f = splitFeature[k]
            guard f >= 0, f < featureCount else {
                throw b.fail(.badValue, "split_feature", "node \(k) splits on feature \(f), but max_feature_idx=\(featureCount - 1)")
            }
            let d = decision[k]
            guard (0...15).contains(d) else { throw b.fail(.badValue, "decision_type", "node \(k) has decision_type \(d), 0...15 expected") }
            if d & 1 != 0 {
                splits.append(.categorical(try categories(node: k, threshold: threshold[k], boundaries: boundaries, words: words, block: b)))
            } else {
                splits.append(try numericSplit(node: k, threshold: threshold[k], decision: d, block: b))
            }
        }
        // Nodes emitted in pre-order (a child always after its parent, which `TreePredictor`
        // checks); a zero-as-missing chain copies the subtrees it reaches twice.
        let leafValue = tree.leafValue
        tree.leafValue = []
        let nodeBudget = max(4096, 16 * n)
        func node(_ k: Int, _ threshold: Double, _ defaultLeft: Bool, _ categories: [Int32] = [], gain g: Double) throws -> Int {
            guard tree.feature.count < nodeBudget else {
                throw b.fail(.unsupported, "decision_type", "the zero_as_missing splits of this tree would copy subtrees past \(nodeBudget) nodes; retrain with zero_as_missing=false")
            }
            tree.feature.append(Int32(splitFeature[k])); tree.threshold.append(threshold); tree.defaultLeft.append(defaultLeft)
            tree.leftCategories.append(categories); tree.gain.append(g); tree.left.append(0); tree.right.append(0)
            if let internalCount { tree.nodeCover.append(internalCount[k]) }
            return tree.feature.count - 1
        }
        func emit(_ c: Int) throws -> Int32 {
            if c < 0 {
                tree.leafValue.append(leafValue[~c])
                if let leafCount { tree.leafCover.append(leafCount[~c]) }
                return ~Int32(tree.leafValue.count - 1)
            }
            let k = c
            switch splits[k] {
            case .categorical(let codes):
                let a = try node(k, 0, false, codes, gain: gain[k])   // NaN and negative values go right
                let l = try emit(left[k]), r = try emit(right[k])
                tree.left[a] = l; tree.right[a] = r
                return Int32(a)
            case .numeric(let t, let defaultLeft):
                let a = try node(k, t, defaultLeft, gain: gain[k])
                let l = try emit(left[k]), r = try emit(right[k])
                tree.left[a] = l; tree.right[a] = r
                return Int32(a)
            case .zeroChain(let chain):
                // The copied subtrees' counts are not the rows that reach the copies: no covers.
                coversHold = false
                // Three comparisons: [first] ? x : ([second] ? y : ([third] ? left : right)).
                let a = try node(k, chain[0].threshold, chain[0].defaultLeft, gain: gain[k])
                let aLeft = try emit(chain[0].goesLeft ? left[k] : right[k])
                tree.left[a] = aLeft
                let bNode = try node(k, chain[1].threshold, chain[1].defaultLeft, gain: 0)
                tree.right[a] = Int32(bNode)
                let bLeft = try emit(chain[1].goesLeft ? left[k] : right[k])
                tree.left[bNode] = bLeft
                let cNode = try node(k, chain[2].threshold, false, gain: 0)
                tree.right[bNode] = Int32(cNode)
                let l = try emit(left[k]), r = try emit(right[k])
                tree.left[cNode] = l; tree.right[cNode] = r
                return Int32(a)
            }
        }
        _ = try emit(0)
        if !coversHold { tree.nodeCover = []; tree.leafCover = [] }
        return tree
    }

    /// How one LightGBM node becomes Plumb nodes.
    enum NodeSplit {
        /// Left when the integer code is in the set; NaN and negative values right.
        case categorical([Int32])
        /// Left when `x <= threshold`; NaN per `defaultLeft`.
        case numeric(threshold: Double, defaultLeft: Bool)
        /// A zero-as-missing node one comparison cannot express, as three: the first two send
        /// values below (or at) their threshold to the node's left (`goesLeft`) or right subtree,
        /// the third is the node's own comparison.
        case zeroChain([(threshold: Double, defaultLeft: Bool, goesLeft: Bool)])
    }

    /// A numeric node in Plumb's terms (`x <= threshold`, NaN to the default side).
    ///
    /// LightGBM's `predict` reads every |x| ≤ kZeroThreshold as 0.0 before any tree sees it (its
    /// dense-row reader keeps only values above that, the rest are zeros), so a threshold inside
    /// [−kZeroThreshold, kZeroThreshold) — LightGBM puts bin bounds there — moves to the edge of
    /// that interval on the side where 0.0 goes: the same for every value outside it, and the
    /// whole interval now goes where 0.0 does.
    static func numericSplit(node k: Int, threshold t: Double, decision d: Int, block b: Block) throws -> NodeSplit {
        guard !t.isNaN else { throw b.fail(.badValue, "threshold", "node \(k) has threshold NaN") }
        let z = zeroThreshold
        func moved(zeroGoesLeft: Bool) -> Double {
            guard t >= -z && t < z else { return t }
            return zeroGoesLeft ? z : (-z).nextDown
        }
        let defaultLeft = d & 2 != 0
        switch (d >> 2) & 3 {
        case 0:
            // None: NaN is compared as 0.0.
            let zeroLeft = 0 <= t
            return .numeric(threshold: moved(zeroGoesLeft: zeroLeft), defaultLeft: zeroLeft)
        case 2:
            // NaN: NaN takes the default side, 0.0 is compared.
            return .numeric(threshold: moved(zeroGoesLeft: 0 <= t), defaultLeft: defaultLeft)
        case 1:
            // Zero: NaN and every |x| ≤ kZeroThreshold (read as 0.0) take the default side. One
            // comparison expresses that unless the threshold sends the values just outside that
            // interval the other way; then three do (`zeroChain`).
            let below = (-z).nextDown
            if t >= z && !defaultLeft {
                // x < −z left; zeros and NaN right; z < x ≤ t left; x > t right.
                return .zeroChain([(below, false, true), (z, true, false), (t, false, true)])
            }
            if t < -z && defaultLeft {
                // x ≤ t and NaN left; t < x < −z right; zeros left; x > z right.
                return .zeroChain([(t, true, true), (below, false, false), (z, false, true)])
            }
            return .numeric(threshold: moved(zeroGoesLeft: defaultLeft), defaultLeft: defaultLeft)
        default:
            throw b.fail(.badValue, "decision_type", "node \(k) has missing type 3 (bits 2-3 of decision_type \(d)); 0 None, 1 Zero or 2 NaN expected")
        }
    }

    /// The category codes a categorical node sends left: the set bits of its bitset.
    static func categories(node k: Int, threshold: Double, boundaries: [Int], words: [UInt32], block b: Block) throws -> [Int32] {
        guard threshold >= 0, threshold < Double(boundaries.count - 1), threshold == threshold.rounded() else {
            throw b.fail(.badValue, "threshold", "categorical node \(k) names category set \(threshold), but num_cat=\(boundaries.count - 1) sets exist")
        }
        let c = Int(threshold)
        var codes: [Int32] = []
        for w in boundaries[c]..<boundaries[c + 1] {
            for bit in 0..<32 where words[w] & (1 << UInt32(bit)) != 0 {
                let code = (w - boundaries[c]) * 32 + bit
                guard code <= Int(Int32.max) else { throw b.fail(.badValue, "cat_threshold", "categorical node \(k) lists category \(code), above \(Int32.max)") }
                codes.append(Int32(code))
            }
        }
        guard !codes.isEmpty else { throw b.fail(.badValue, "cat_threshold", "categorical node \(k) sends no category left (empty bitset)") }
        return codes
    }
}

extension LightGBMModelReader {
    /// A block of `key=value` lines (the header, or one tree), with each line's number.
    struct Block {
        var name: String
        var line: Int
        /// For a tree block, the i of `Tree=i`.
        var index: Int = -1
        var fields: [Substring: (value: Substring, line: Int)] = [:]
        /// Lines without `=` (e.g. `average_output`).
        var flags: Set<Substring> = []
        var source: String

        func fail(_ code: LightGBMModelError.Code, _ key: String, _ what: String) -> LightGBMModelError {
            let line = fields[Substring(key)]?.line ?? self.line
            return LightGBMModelError(code: code, message: "\(source) line \(line) (\(name), \(key)): \(what)")
        }

        func value(_ key: String) throws -> Substring {
            guard let f = fields[Substring(key)] else {
                throw LightGBMModelError(code: .missingField, message: "\(source) line \(line) (\(name)): no \(key)= line")
            }
            return f.value
        }

        func int(_ key: String) throws -> Int {
            let v = try value(key)
            guard let i = Int(v) else { throw fail(.badValue, key, "\"\(v.prefix(40))\" is not an integer") }
            return i
        }

        /// A space-separated array of exactly `count` values.
        func numbers<T>(_ key: String, count: Int, _ parse: (Substring) -> T?) throws -> [T] {
            let items = try value(key).split(separator: " ")
            guard items.count == count else {
                throw fail(.badStructure, key, "\(items.count) values, \(count) expected (num_leaves and num_cat fix the lengths)")
            }
            var out: [T] = []
            out.reserveCapacity(count)
            for (i, s) in items.enumerated() {
                guard let x = parse(s) else { throw fail(.badValue, key, "value \(i + 1), \"\(s.prefix(40))\", does not parse") }
                out.append(x)
            }
            return out
        }

        /// Records one `key=value` line (or a flag line without `=`).
        mutating func add(_ line: Substring, _ number: Int) {
            if let eq = line.firstIndex(of: "=") {
                fields[line[..<eq]] = (line[line.index(after: eq)...], number)
            } else {
                flags.insert(line)
            }
        }

        /// The split feature of node k as written, for messages.
        func featureOfNode(_ k: Int) -> String? {
            guard let v = fields["split_feature"]?.value.split(separator: " "), k < v.count else { return nil }
            return String(v[k])
        }
    }

    /// The file cut into its sections.
    struct ModelText {
        var header: Block
        var trees: [Block] = []
        /// `[key: value]` lines of the `parameters:` section.
        var parameters: [String: String] = [:]
        /// The `pandas_categorical:` list, when not null.
        var pandasCategorical: String?

        init(_ text: String, source: String) throws {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.last == "\r" ? $0.dropLast() : $0 }
            guard let first = lines.firstIndex(where: { !$0.isEmpty }), lines[first] == "tree" else {
                let start = lines.first { !$0.isEmpty }.map { "\"\($0.prefix(40))\"" } ?? "nothing"
                throw LightGBMModelError(code: .notLightGBM, message: "\(source): not a LightGBM text model: it starts with \(start), where Booster.save_model writes \"tree\" (a JSON dump_model file is not read)")
            }
            header = Block(name: "header", line: first + 1, source: source)
            enum Section { case header, trees, tail, parameters }
            var section = Section.header
            var current: Block?
            var sawEnd = false
            for i in (first + 1)..<lines.count {
                let line = lines[i], number = i + 1
                switch section {
                case .header, .trees:
                    if line.hasPrefix("Tree=") {
                        if let c = current { trees.append(c) }
                        guard let index = Int(line.dropFirst(5)) else {
                            throw LightGBMModelError(code: .badValue, message: "\(source) line \(number): \"\(line.prefix(40))\": Tree= takes the tree's number")
                        }
                        current = Block(name: "Tree=\(index)", line: number, index: index, source: source)
                        section = .trees
                    } else if line == "end of trees" {
                        if let c = current { trees.append(c) }
                        current = nil
                        section = .tail
                        sawEnd = true
                    } else if !line.isEmpty {
                        if section == .header { header.add(line, number) } else { current?.add(line, number) }
                    }
                case .tail, .parameters:
                    if line == "parameters:" { section = .parameters } else if line == "end of parameters" { section = .tail } else if section == .parameters {
                        if line.hasPrefix("["), line.hasSuffix("]"), let colon = line.firstIndex(of: ":") {
                            let key = line[line.index(after: line.startIndex)..<colon]
                            parameters[String(key)] = line[line.index(after: colon)..<line.index(before: line.endIndex)].trimmingCharacters(in: .whitespaces)
                        }
                    } else if line.hasPrefix("pandas_categorical:") {
                        let v = line.dropFirst("pandas_categorical:".count)
                        if v != "null" && v != "[]" && !v.isEmpty { pandasCategorical = String(v) }
                    }
                }
            }
            guard sawEnd else {
                throw LightGBMModelError(code: .badStructure, message: "\(source): no \"end of trees\" line: the file is truncated or not a complete LightGBM model")
            }
        }

    }

    /// What the header says about the ensemble's inputs and outputs.
    struct Header {
        var version: String?
        var featureCount: Int
        var featureNames: [String]?
        var treesPerIteration: Int
        var objective: String
        var task: ModelTask
        var loss: GBMLoss
        /// Classes of a classifier, 0 for regression.
        var classCount: Int
        /// Binary: the sigmoid's slope, σ(sigmoid × score); 1 otherwise.
        var sigmoid: Double = 1
        var averageOutput: Bool
        /// Features `feature_infos` lists as categorical (a list of codes rather than [min:max]).
        var categoricalFeatures: [Int] = []

        init(_ b: Block, source: String) throws {
            version = b.fields["version"].map { String($0.value) }
            let maxFeature = try b.int("max_feature_idx")
            guard maxFeature >= 0 else { throw b.fail(.badValue, "max_feature_idx", "max_feature_idx=\(maxFeature), at least 0 expected") }
            featureCount = maxFeature + 1
            if b.fields["feature_names"] != nil {
                let names = try b.value("feature_names").split(separator: " ").map(String.init)
                guard names.count == featureCount else {
                    throw b.fail(.badStructure, "feature_names", "\(names.count) names for max_feature_idx=\(maxFeature) (\(featureCount) features)")
                }
                featureNames = names
            }
            if b.fields["feature_infos"] != nil {
                let infos = try b.value("feature_infos").split(separator: " ")
                if infos.count == featureCount {
                    categoricalFeatures = infos.indices.filter { !infos[$0].hasPrefix("[") && infos[$0] != "none" }
                }
            }
            let numClass = b.fields["num_class"] == nil ? 1 : try b.int("num_class")
            let perIteration = b.fields["num_tree_per_iteration"] == nil ? numClass : try b.int("num_tree_per_iteration")
            guard numClass >= 1, perIteration >= 1 else {
                throw b.fail(.badValue, "num_class", "num_class=\(numClass) and num_tree_per_iteration=\(perIteration), both at least 1 expected")
            }
            treesPerIteration = perIteration
            averageOutput = b.flags.contains("average_output")
            guard b.fields["objective"] != nil else {
                throw LightGBMModelError(code: .unsupported, message: "\(source) line \(b.line) (header): no objective= line (a custom objective?): Plumb needs the objective to know the output transform")
            }
            let text = String(try b.value("objective"))
            objective = text
            let tokens = text.split(separator: " ")
            let name = tokens.first.map(String.init) ?? ""
            var options: [String: Substring] = [:]
            for t in tokens.dropFirst() {
                if let colon = t.firstIndex(of: ":") { options[String(t[..<colon])] = t[t.index(after: colon)...] } else { options[String(t)] = "" }
            }
            func option(_ key: String, default value: Double) throws -> Double {
                guard let s = options[key] else { return value }
                guard let x = Double(s), x.isFinite else { throw b.fail(.badValue, "objective", "\(key):\(s) is not a finite number") }
                return x
            }
            func single() throws {
                guard numClass == 1, perIteration == 1 else {
                    throw b.fail(.badStructure, "num_class", "objective \(name) with num_class=\(numClass) and num_tree_per_iteration=\(perIteration), 1 and 1 expected")
                }
            }
            let regressions = ["regression", "regression_l2", "regression_l1", "huber", "fair", "quantile", "mape"]
            switch name {
            case _ where regressions.contains(name):
                if options["sqrt"] != nil {
                    throw b.fail(.unsupported, "objective", "objective \"\(text)\" (reg_sqrt=true) squares the raw score on output, which Plumb does not; retrain without reg_sqrt")
                }
                try single()
                task = .regression
                classCount = 0
                switch name {
                case "regression_l1": loss = .absolute
                case "huber": loss = .huber(delta: try option("alpha", default: 0.9))
                case "quantile": loss = .quantile(alpha: try option("alpha", default: 0.9))
                default: loss = .squared
                }
            case "binary":
                try single()
                sigmoid = try option("sigmoid", default: 1)
                guard sigmoid > 0 else { throw b.fail(.badValue, "objective", "sigmoid:\(sigmoid), a positive number expected") }
                task = .binary
                classCount = 2
                loss = .logistic
            case "multiclass", "softmax":
                let k = options["num_class"].flatMap { Int($0) } ?? numClass
                guard k >= 2, k == numClass, perIteration == numClass else {
                    throw b.fail(.badStructure, "num_class", "objective \"\(text)\" with num_class=\(numClass) and num_tree_per_iteration=\(perIteration): one tree per class per iteration, at least 2 classes expected")
                }
                task = .multiclass
                classCount = k
                loss = .softmax
            default:
                throw b.fail(.unsupported, "objective", "objective \"\(text)\" is not supported (its output transform or task): Plumb imports regression, regression_l1, huber, fair, quantile, mape (raw scores), binary (sigmoid) and multiclass (softmax)")
            }
        }
    }
}
