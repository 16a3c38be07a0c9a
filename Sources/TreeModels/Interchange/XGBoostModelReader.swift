import Foundation
import MLCore

/// A model file from XGBoost that cannot be imported: unreadable, malformed (the message names
/// the field and what was expected) or using a feature Plumb does not score.
public struct XGBoostModelError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unreadable, malformed, unsupported }
    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

/// An XGBoost model read from its `save_model` file, as a Plumb ensemble plus what the file says
/// about its inputs and outputs.
public struct ImportedXGBoostModel: Sendable {
    /// The trees as a Plumb ensemble: raw scores for regression, σ(score) for a binary
    /// classifier, softmax of the class scores for a multiclass one.
    public var model: GradientBoostedTrees
    public var task: ModelTask
    /// 0 for regression, 2 for binary, the class count for multiclass.
    public var classCount: Int
    /// XGBoost's objective name, e.g. "binary:logistic".
    public var objective: String
    /// "gbtree" or "dart".
    public var booster: String
    public var featureCount: Int
    /// `feature_names` from the file (training DataFrame columns), nil when it has none.
    public var featureNames: [String]?
    /// `feature_types` from the file ("float", "int", "i", "q", "c"), nil when it has none.
    public var featureTypes: [String]?
    /// Features of type "c": inputs are integer category codes.
    public var categoricalFeatures: [Int]
    /// The category labels XGBoost ≥ 3.1 stores for each categorical feature trained from a
    /// DataFrame: code k is `categories[feature]![k]` (numeric categories as their decimal text).
    public var categories: [Int: [String]]
    /// The constant each score starts from (the margin XGBoost derives from `base_score`).
    public var baseMargins: [Double]
    /// Trees in the file (before padding classes to equal counts).
    public var treeCount: Int
    /// XGBoost version that wrote the file, when recorded (e.g. [3, 2, 0]).
    public var version: [Int]?
}

/// Reads XGBoost models saved by `Booster.save_model` as JSON (`.json`) or UBJSON (`.ubj`),
/// following XGBoost's model schema (`doc/model.schema`, `learner.cc`, `gbtree_model.cc`,
/// `tree_model.cc`) and its scoring rules (`predict_fn.h`, `common/categorical.h`):
///
/// - Numeric node: XGBoost casts the input to float32 and goes left when `fvalue < cond`
///   (`cond` a float32). Each `cond` becomes the Double threshold `d` with `Float(x) < cond ⟺
///   x <= d` for every Double `x` (see `threshold(float32:)`), so Plumb's `x <= d` walk picks the
///   same leaves as XGBoost on every input, values exactly on a threshold included.
/// - Categorical node: XGBoost goes RIGHT when the code is in the node's category set, LEFT
///   otherwise (also for negative, too large or unseen codes). Plumb goes left when the code is in
///   `leftCategories`, so the children are swapped: Plumb's left child is XGBoost's right child,
///   `leftCategories` is the set, and the default direction is flipped. Codes must be integers:
///   XGBoost truncates a fractional code (2.5 → 2), Plumb treats it as no category.
/// - Missing (NaN) follows `default_left`. Leaves: `split_conditions` of a node whose
///   `left_children` is -1. DART trees are scaled by `weight_drop` (in float32, as XGBoost does).
/// - `base_score` (a string such as "5E-1" or "[5E-1]", one value per class for multiclass) is in
///   output space: for `binary:logistic` the margin is XGBoost's float32 `logit(base_score)`.
///
/// XGBoost sums a row's leaf values in float32 (from the base margin, tree by tree); Plumb sums
/// in Double. The leaves are the same: summed in float32 they give XGBoost's margin bit for bit
/// (1M rows of each test model, values on and around every threshold, missing values, unseen
/// codes); Plumb's Double sums differ by XGBoost's float32 rounding (at most 7.2e-7 of
/// max(|margin|, 1) over those rows for a 30-tree model).
public enum XGBoostModelReader {
    public enum Format: String, Sendable { case json, ubjson }

    /// Reads a model file (`.json` or `.ubj`; the format is told from the first bytes).
    /// - Throws: `XGBoostModelError` naming the file and, for a malformed model, the field.
    public static func read(path: String) throws -> ImportedXGBoostModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XGBoostModelError(code: .unreadable, message: "\(path): cannot read the file (missing or not readable)")
        }
        // The bytes tell the format for sure (JSON never starts "{L"), whatever the extension says.
        return try read(data: [UInt8](data), format: nil, source: path)
    }

    /// Reads a model from its bytes.
    /// - Parameters:
    ///   - format: nil to tell from the bytes (UBJSON starts `{` then a key-length marker).
    ///   - source: the name errors give the model (its path).
    public static func read(data: [UInt8], format: Format? = nil, source: String = "XGBoost model") throws -> ImportedXGBoostModel {
        let document = try decode(data, format: format ?? sniff(data), source: source)
        return try convert(document, source: source)
    }

    static func sniff(_ data: [UInt8]) -> Format {
        guard data.count >= 2, data[0] == UInt8(ascii: "{") else { return .json }
        return Set("LiUIl$#N".utf8).contains(data[1]) ? .ubjson : .json
    }

    static func decode(_ data: [UInt8], format: Format, source: String) throws -> InterchangeValue {
        if data.starts(with: Array("binf".utf8)) || (data.first.map { $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "[") && $0 > 0x20 } ?? true) {
            throw XGBoostModelError(code: .unsupported, message: "\(source): not an XGBoost JSON or UBJSON model (the legacy binary format is not read: load it in XGBoost and save_model to a .json or .ubj file)")
        }
        do {
            return format == .json ? try JSONTextDecoder.decode(data) : try UBJSONDecoder.decode(data)
        } catch let e as InterchangeDecodingError {
            throw XGBoostModelError(code: .malformed, message: "\(source): \(e.description)", underlying: e)
        }
    }

    // MARK: - From the document to the ensemble

    /// The output rules of the objectives Plumb scores.
    enum Output { case identity, sigmoid, logitRaw, softmax }

    static func output(ofObjective name: String) -> Output? {
        switch name {
        case "reg:squarederror", "reg:linear", "reg:absoluteerror", "reg:pseudohubererror", "reg:squaredlogerror", "reg:quantileerror":
            .identity
        case "binary:logistic": .sigmoid
        case "binary:logitraw": .logitRaw
        case "multi:softprob", "multi:softmax": .softmax
        default: nil
        }
    }

    static let supportedObjectives = "reg:squarederror (reg:linear), reg:absoluteerror, reg:pseudohubererror, reg:squaredlogerror, reg:quantileerror, binary:logistic, binary:logitraw, multi:softprob, multi:softmax"

    static func convert(_ document: InterchangeValue, source: String) throws -> ImportedXGBoostModel {
        let root = Field(value: document, path: "", source: source)
        if case .array = document {
            throw XGBoostModelError(code: .unsupported, message: "\(source): a JSON array, as `dump_model` writes; import the file `save_model` writes instead")
        }
        let learner = try root.member("learner")
        let version = try root.optionalMember("version")?.intArray().map { Int($0) }

        let objective = try learner.member("objective").member("name").string()
        guard let output = output(ofObjective: objective) else {
            throw XGBoostModelError(code: .unsupported, message: "\(source): objective \(objective) is not supported; supported: \(supportedObjectives)")
        }
        let param = try learner.member("learner_model_param")
        let featureCount = try param.member("num_feature").int()
        guard featureCount >= 1 && featureCount <= 1 << 24 else { throw try param.member("num_feature").malformed("must be between 1 and 16777216, found \(featureCount)") }
        let numClass = try param.optionalMember("num_class")?.int() ?? 0
        if let nt = try param.optionalMember("num_target")?.int(), nt > 1 {
            throw XGBoostModelError(code: .unsupported, message: "\(source): a model with \(nt) targets (num_target); only single-target models are supported")
        }
        let groups: Int
        let task: ModelTask
        switch output {
        case .identity: task = .regression; groups = 1
        case .sigmoid, .logitRaw: task = .binary; groups = 1
        case .softmax:
            guard numClass >= 2 && numClass <= 1 << 16 else { throw try param.member("num_class").malformed("must be at least 2 for \(objective), found \(numClass)") }
            task = .multiclass; groups = numClass
        }
        let margins = try baseMargins(param.member("base_score"), groups: groups, output: output)

        let (boosterName, model, weights) = try boosterModel(learner.member("gradient_booster"))
        let (types, names) = try featureInfo(learner, featureCount: featureCount)
        let (trees, treeCount) = try classTrees(model, weights: weights, featureCount: featureCount, groups: groups)

        let loss: GBMLoss = switch output {
        case .identity: objective == "reg:absoluteerror" ? .absolute : .squared
        case .sigmoid, .logitRaw: .logistic
        case .softmax: .softmax
        }
        let classCount = task == .regression ? 0 : (task == .binary ? 2 : numClass)
        let ensemble = GradientBoostedTrees(importedTrees: trees, initScores: margins, loss: loss,
                                            featureCount: featureCount, classCount: classCount)
        let categorical = (types ?? []).indices.filter { types?[$0] == "c" }
        let categories = try model.optionalMember("cats").map { try categoryLabels($0) } ?? [:]
        return ImportedXGBoostModel(model: ensemble, task: task, classCount: classCount, objective: objective,
                                    booster: boosterName, featureCount: featureCount,
                                    featureNames: (names?.isEmpty ?? true) ? nil : names,
                                    featureTypes: (types?.isEmpty ?? true) ? nil : types,
                                    categoricalFeatures: categorical, categories: categories, baseMargins: margins,
                                    treeCount: treeCount, version: version)
    }

    /// The booster's name, its `model` object, and for DART the tree weights (`weight_drop`).
    static func boosterModel(_ booster: Field) throws -> (name: String, model: Field, weights: [Float]?) {
        let name = try booster.member("name").string()
        switch name {
        case "gbtree": return (name, try booster.member("model"), nil)
        case "dart": return (name, try booster.member("gbtree").member("model"), try booster.member("weight_drop").floatArray())
        case "gblinear":
            throw XGBoostModelError(code: .unsupported, message: "\(booster.source): booster gblinear is a linear model, not trees; only gbtree and dart are supported")
        default:
            throw XGBoostModelError(code: .unsupported, message: "\(booster.source): booster \(name) is not supported; only gbtree and dart are")
        }
    }

    /// `feature_types` and `feature_names`, each empty or one per feature.
    static func featureInfo(_ learner: Field, featureCount: Int) throws -> (types: [String]?, names: [String]?) {
        let types = try learner.optionalMember("feature_types")?.items().map { try $0.string() }
        let names = try learner.optionalMember("feature_names")?.items().map { try $0.string() }
        for (field, list) in [("feature_names", names), ("feature_types", types)] {
            if let list, !list.isEmpty, list.count != featureCount {
                throw try learner.member(field).malformed("has \(list.count) entries, num_feature is \(featureCount)")
            }
        }
        return (types, names)
    }

    /// The trees of each output group, in the order XGBoost adds them, and the file's tree count.
    /// Trees go where their `id` says (XGBoost loads them so), then into their group by
    /// `tree_info`. Groups with fewer trees get single-leaf zero trees: the sums are unchanged and
    /// every group keeps the same tree count, as Plumb's model files require.
    static func classTrees(_ model: Field, weights: [Float]?, featureCount: Int, groups: Int) throws -> (trees: [[Tree]], count: Int) {
        let treesField = try model.member("trees")
        let treeFields = try treesField.items()
        let treeInfo = try model.member("tree_info").intArray()
        guard treeInfo.count == treeFields.count else {
            throw try model.member("tree_info").malformed("has \(treeInfo.count) entries for \(treeFields.count) trees")
        }
        if let declared = try model.optionalMember("gbtree_model_param")?.optionalMember("num_trees")?.int(), declared != treeFields.count {
            throw treesField.malformed("holds \(treeFields.count) trees, gbtree_model_param.num_trees says \(declared)")
        }
        if let w = weights, w.count != treeFields.count {
            throw XGBoostModelError(code: .malformed, message: "\(model.source): field learner.gradient_booster.weight_drop has \(w.count) weights for \(treeFields.count) trees")
        }
        var slots = [Tree?](repeating: nil, count: treeFields.count)
        for (i, tf) in treeFields.enumerated() {
            let id = try tf.optionalMember("id")?.int() ?? i
            guard id >= 0 && id < treeFields.count, slots[id] == nil else {
                throw try tf.member("id").malformed("is \(id): ids must number the \(treeFields.count) trees 0...\(treeFields.count - 1) once each")
            }
            slots[id] = try tree(tf, featureCount: featureCount, weight: weights?[id])
        }
        var trees = [[Tree]](repeating: [], count: groups)
        for (t, g) in treeInfo.enumerated() {
            guard g >= 0 && g < groups else {
                throw try model.member("tree_info").malformed("assigns tree \(t) to output group \(g), the model has \(groups)")
            }
            if let tree = slots[t] { trees[Int(g)].append(tree) }
        }
        let longest = trees.map(\.count).max() ?? 0
        for g in trees.indices where trees[g].count < longest {
            var zero = Tree()
            zero.leafValue = [0]
            zero.leafCover = [1]   // a lone leaf's cover weighs nothing
            trees[g].append(contentsOf: repeatElement(zero, count: longest - trees[g].count))
        }
        return (trees, treeFields.count)
    }

    /// The score margins from `base_score`: "0.5", "5E-1", "[5E-1]" or "[a,b,c]" (float32
    /// values in output space); one value for several classes applies to each (older files).
    static func baseMargins(_ field: Field, groups: Int, output: Output) throws -> [Double] {
        var values: [Float]
        switch field.value {
        case .string(let s):
            var text = Substring(s).trimmingCharacters(in: .whitespaces)[...]
            if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
            values = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let v = Float(part.trimmingCharacters(in: .whitespaces)) else {
                    throw field.malformed("\"\(s)\" is not a number or a list of numbers")
                }
                values.append(v)
            }
        default:
            values = try field.floatArrayOrScalar()
        }
        if values.count == 1 && groups > 1 { values = Array(repeating: values[0], count: groups) }
        guard values.count == groups else { throw field.malformed("has \(values.count) values for \(groups) output groups") }
        guard values.allSatisfy(\.isFinite) else { throw field.malformed("holds a value that is not finite") }
        if output == .sigmoid {
            guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw field.malformed("must be a probability in [0, 1] for binary:logistic") }
            // XGBoost's LogisticProbToMargin, in float32: clamp to [1e-6, 1 - 1e-6], -log(1/p - 1).
            values = values.map { p in
                let q = min(max(p, Float(1e-6)), 1 - Float(1e-6))
                return -Foundation.log(1 / q - 1)
            }
        }
        return values.map { Double($0) }
    }

    /// One XGBoost tree (`RegTree::SaveModel` arrays) as a Plumb `Tree`.
    static func tree(_ t: Field, featureCount: Int, weight: Float?) throws -> Tree {
        let tp = try t.member("tree_param")
        let n = try tp.member("num_nodes").int()
        guard n >= 1 else { throw try tp.member("num_nodes").malformed("must be at least 1, found \(n)") }
        if let leafSize = try tp.optionalMember("size_leaf_vector")?.int(), leafSize > 1 {
            throw XGBoostModelError(code: .unsupported, message: "\(t.source): \(t.path) is a multi-target tree (size_leaf_vector \(leafSize), vector leaves); only scalar-leaf trees are supported")
        }
        func array<T>(_ name: String, _ get: (Field) throws -> [T]) throws -> [T] {
            let f = try t.member(name)
            let a = try get(f)
            guard a.count == n else { throw f.malformed("has \(a.count) values, tree_param.num_nodes is \(n)") }
            return a
        }
        let left = try array("left_children") { try $0.intArray() }
        let right = try array("right_children") { try $0.intArray() }
        let splitIndex = try array("split_indices") { try $0.intArray() }
        let condition = try array("split_conditions") { try $0.floatArray() }
        let defaultLeft = try array("default_left") { try $0.intArray() }
        let gain: [Float] = t.has("loss_changes") ? try array("loss_changes", { try $0.floatArray() }) : [Float](repeating: 0, count: n)
        let splitType: [Int64] = t.has("split_type") ? try array("split_type", { try $0.intArray() }) : [Int64](repeating: 0, count: n)
        // Covers for TreeSHAP: the hessian sums XGBoost's own pred_contribs weighs paths by.
        let hessian: [Float]? = t.has("sum_hessian") ? try array("sum_hessian", { try $0.floatArray() }) : nil
        var categorySets: [Int: [Int32]] = [:]
        if splitType.contains(where: { $0 != 0 }) { categorySets = try categorySplits(t, splitType: splitType) }

        // Breadth first from the root: internal nodes and leaves numbered in visiting order.
        var index = [Int32](repeating: 0, count: n)
        var seen = [Bool](repeating: false, count: n)
        var order = [0]
        seen[0] = true
        var internalCount: Int32 = 0, leafCount: Int32 = 0
        var q = 0
        while q < order.count {
            let i = order[q]; q += 1
            if left[i] == -1 { index[i] = ~leafCount; leafCount += 1; continue }
            index[i] = internalCount; internalCount += 1
            for (name, c) in [("left_children", left[i]), ("right_children", right[i])] {
                guard c > 0 && c < n, !seen[Int(c)] else {
                    throw try t.member(name).malformed("node \(i) has child \(c): children must be other nodes of the \(n) (-1 for a leaf), each the child of one node")
                }
                seen[Int(c)] = true
                order.append(Int(c))
            }
            guard splitIndex[i] >= 0 && splitIndex[i] < featureCount else {
                throw try t.member("split_indices").malformed("node \(i) splits on feature \(splitIndex[i]), the model has \(featureCount) features")
            }
            guard splitType[i] == 0 || splitType[i] == 1 else {
                throw try t.member("split_type").malformed("node \(i) has split type \(splitType[i]), 0 (numerical) or 1 (categorical) expected")
            }
        }
        var tree = Tree()
        for i in order {
            if left[i] == -1 {
                // DART: XGBoost adds tree output × weight, a float32 product.
                let v = weight.map { condition[i] * $0 } ?? condition[i]
                tree.leafValue.append(Double(v))
                if let hessian { tree.leafCover.append(Double(hessian[i])) }
                continue
            }
            if let hessian { tree.nodeCover.append(Double(hessian[i])) }
            tree.feature.append(Int32(splitIndex[i]))
            tree.gain.append(Double(gain[i]))
            if splitType[i] == 1 {
                guard let set = categorySets[i] else {
                    throw try t.member("categories_nodes").malformed("does not list node \(i), whose split_type is categorical")
                }
                // XGBoost sends codes in the set right: swap children so Plumb's left is that side.
                tree.threshold.append(0)
                tree.leftCategories.append(set)
                tree.defaultLeft.append(defaultLeft[i] == 0)
                tree.left.append(index[Int(right[i])])
                tree.right.append(index[Int(left[i])])
            } else {
                tree.threshold.append(threshold(float32: condition[i]))
                tree.leftCategories.append([])
                tree.defaultLeft.append(defaultLeft[i] != 0)
                tree.left.append(index[Int(left[i])])
                tree.right.append(index[Int(right[i])])
            }
        }
        return tree
    }

    /// Category sets of a tree's categorical nodes (`RegTree::LoadCategoricalSplit`): node
    /// `categories_nodes[k]` holds `categories[categories_segments[k] ..< + categories_sizes[k]]`.
    static func categorySplits(_ t: Field, splitType: [Int64]) throws -> [Int: [Int32]] {
        let nodes = try t.member("categories_nodes").intArray()
        let segments = try t.member("categories_segments").intArray()
        let sizes = try t.member("categories_sizes").intArray()
        let categories = try t.member("categories").intArray()
        guard segments.count == nodes.count, sizes.count == nodes.count else {
            throw try t.member("categories_segments").malformed("categories_nodes, categories_segments and categories_sizes have \(nodes.count), \(segments.count) and \(sizes.count) entries; they must agree")
        }
        var sets: [Int: [Int32]] = [:]
        for k in nodes.indices {
            let node = nodes[k], begin = segments[k], size = sizes[k]
            guard node >= 0 && node < splitType.count, splitType[Int(node)] == 1 else {
                throw try t.member("categories_nodes").malformed("entry \(k) names node \(node), which is no categorical split of this tree")
            }
            guard begin >= 0, size >= 1, begin <= Int64(categories.count) - size else {
                throw try t.member("categories_segments").malformed("node \(node)'s categories [\(begin), +\(size)) lie outside the \(categories.count) categories")
            }
            var set: [Int32] = []
            for c in categories[Int(begin)..<Int(begin + size)] {
                // XGBoost scores codes below 2^24 - 1 (float32 holds them exactly); others go left.
                guard c >= 0 && c < 16_777_215 else {
                    throw try t.member("categories").malformed("node \(node) holds category \(c), codes 0...16777214 expected")
                }
                set.append(Int32(c))
            }
            sets[Int(node)] = Array(Set(set)).sorted()
        }
        return sets
    }

    /// Category labels per feature from the model's `cats` (XGBoost ≥ 3.1): strings are UTF-8
    /// bytes cut at `offsets`; numeric categories become their decimal text.
    static func categoryLabels(_ cats: Field) throws -> [Int: [String]] {
        guard let enc = cats.optionalMember("enc") else { return [:] }
        var out: [Int: [String]] = [:]
        for (f, column) in try enc.items().enumerated() {
            if column.has("offsets") {
                let offsets = try column.member("offsets").intArray()
                let bytes = try column.member("values").intArray().map { UInt8(truncatingIfNeeded: $0) }
                guard offsets.count >= 2 else { continue }
                var labels: [String] = []
                for k in 0..<(offsets.count - 1) {
                    let a = offsets[k], b = offsets[k + 1]
                    guard a >= 0, a <= b, b <= Int64(bytes.count) else {
                        throw try column.member("offsets").malformed("offsets \(a)...\(b) lie outside the \(bytes.count) bytes of names")
                    }
                    labels.append(String(decoding: bytes[Int(a)..<Int(b)], as: UTF8.self))
                }
                out[f] = labels
            } else if let values = column.optionalMember("values") {
                let labels: [String]
                switch values.value {
                case .integers(let v): labels = v.map { String($0) }
                default: labels = try values.floatArrayOrScalar().map { v in
                    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(Double(v))
                }
                }
                if !labels.isEmpty { out[f] = labels }
            }
        }
        return out
    }

    /// The Double threshold `d` such that, for every Double `x`, `Float(x) < t ⟺ x <= d`: XGBoost's
    /// float32 comparison `fvalue < t` (with `fvalue = Float(x)`, rounded to nearest, ties to even)
    /// as Plumb's `x <= d`.
    ///
    /// `Float(x) < t ⟺ Float(x) <= p` with `p` the float32 before `t`, which holds exactly when x
    /// is below the midpoint `m` of `p` and `t`, or equal to it and the tie rounds to `p`. `m` is a
    /// Double exactly (two adjacent float32s need 25 significant bits). So `d = m` when `Float(m)
    /// < t`, else the Double just below `m`. Ends: `t = +∞` uses 2^128 as the next float32 after the
    /// largest (x at or above its midpoint rounds to +∞); `t = -Float.greatestFiniteMagnitude`
    /// uses -2^128 as `p`; `t = -∞` or NaN sends every number right, which `x <= NaN` does.
    public static func threshold(float32 t: Float) -> Double {
        if t.isNaN || t == -.infinity { return .nan }
        let upper = t == .infinity ? 0x1p128 : Double(t)
        let p = t.nextDown
        let lower = p == -.infinity ? -0x1p128 : Double(p)
        let m = lower + (upper - lower) / 2
        return Float(m) < t ? m : m.nextDown
    }
}

/// A value of the document with its path ("learner.gradient_booster.model.trees[3].left_children"),
/// so every error names the field.
struct Field {
    let value: InterchangeValue
    let path: String
    let source: String

    func malformed(_ what: String) -> XGBoostModelError {
        XGBoostModelError(code: .malformed, message: "\(source): field \(path.isEmpty ? "(document)" : path) \(what)")
    }

    private func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func has(_ name: String) -> Bool {
        if case .object(let m) = value { return m[name] != nil }
        return false
    }

    func optionalMember(_ name: String) -> Field? {
        guard case .object(let m) = value, let v = m[name] else { return nil }
        return Field(value: v, path: child(name), source: source)
    }

    func member(_ name: String) throws -> Field {
        guard case .object(let m) = value else { throw malformed("is \(value.kindDescription), an object with \"\(name)\" expected") }
        guard let v = m[name] else {
            throw XGBoostModelError(code: .malformed, message: "\(source): field \(child(name)) is missing")
        }
        return Field(value: v, path: child(name), source: source)
    }

    func string() throws -> String {
        guard case .string(let s) = value else { throw malformed("is \(value.kindDescription), a string expected") }
        return s
    }

    /// An integer: a number without fraction, or a string holding one (XGBoost writes its
    /// parameters as strings: "num_feature": "4").
    func int() throws -> Int {
        switch value {
        case .integer(let i) where i >= Int64(Int32.min) && i <= Int64(Int32.max): return Int(i)
        case .number(let d, _) where d == d.rounded() && abs(d) <= Double(Int32.max): return Int(d)
        case .string(let s):
            if let i = Int32(s.trimmingCharacters(in: .whitespaces)) { return Int(i) }
            throw malformed("is \"\(s)\", an integer expected")
        default: throw malformed("is \(value.kindDescription), an integer expected")
        }
    }

    func items() throws -> [Field] {
        let values: [InterchangeValue]
        switch value {
        case .array(let a): values = a
        case .floats(let a): values = a.map { .number(Double($0), float: $0) }
        case .doubles(let a): values = a.map { .number($0, float: Float($0)) }
        case .integers(let a): values = a.map { .integer($0) }
        default: throw malformed("is \(value.kindDescription), an array expected")
        }
        return values.enumerated().map { Field(value: $1, path: "\(path)[\($0)]", source: source) }
    }

    /// Integers from a typed integer array or an array of integers (booleans count as 0 / 1).
    func intArray() throws -> [Int64] {
        switch value {
        case .integers(let a): return a
        case .array(let a):
            return try a.enumerated().map { k, v in
                switch v {
                case .integer(let i): return i
                case .bool(let b): return b ? 1 : 0
                case .number(let d, _) where d == d.rounded() && abs(d) < 0x1p62: return Int64(d)
                default: throw malformed("element \(k) is \(v.kindDescription), an integer expected")
                }
            }
        case .floats, .doubles:
            let d = try floatArray()
            guard let bad = d.firstIndex(where: { $0 != $0.rounded() || abs($0) >= 0x1p62 }) else { return d.map { Int64($0) } }
            throw malformed("element \(bad) is \(d[bad]), an integer expected")
        default: throw malformed("is \(value.kindDescription), an array of integers expected")
        }
    }

    /// float32 values from a typed array or an array of numbers (each rounded to float32 once).
    func floatArray() throws -> [Float] {
        switch value {
        case .floats(let a): return a
        case .doubles(let a): return a.map { Float($0) }
        case .integers(let a): return a.map { Float($0) }
        case .array(let a):
            return try a.enumerated().map { k, v in
                switch v {
                case .number(_, let f): return f
                case .integer(let i): return Float(i)
                default: throw malformed("element \(k) is \(v.kindDescription), a number expected")
                }
            }
        default: throw malformed("is \(value.kindDescription), an array of numbers expected")
        }
    }

    func floatArrayOrScalar() throws -> [Float] {
        switch value {
        case .number(_, let f): return [f]
        case .integer(let i): return [Float(i)]
        default: return try floatArray()
        }
    }
}

extension ImportedXGBoostModel {
    /// The model as `plumb models import` registers any imported ensemble.
    public var ensemble: ImportedEnsemble {
        var warnings: [String] = []
        for (f, labels) in categories.sorted(by: { $0.key < $1.key }) {
            let name = featureNames?[f] ?? "feature \(f)"
            let shown = labels.prefix(5).enumerated().map { "\($0.offset)=\($0.element)" }.joined(separator: ", ")
            warnings.append("\(name) is categorical: the model reads integer codes (\(shown)\(labels.count > 5 ? ", …" : "")), not the labels")
        }
        var parameters = ["booster": booster, "trees": String(treeCount),
                          "base_margin": baseMargins.map { String($0) }.joined(separator: ",")]
        if let version { parameters["xgboost_version"] = version.map(String.init).joined(separator: ".") }
        return ImportedEnsemble(model: model, task: task, featureNames: featureNames, sourceFormat: "xgboost",
                                objective: objective, parameters: parameters, categoricalFeatures: categoricalFeatures,
                                warnings: warnings)
    }
}
