import MLCore

/// How many features each random-forest split may consider.
public enum FeatureSampling: Sendable, Equatable, Hashable {
    /// scikit-learn's defaults: every feature for a regression forest, ⌊√p⌋ for a classifier.
    /// A fit resolves it (`resolved(classifier:)`), so a trained model records what it used.
    case automatic
    /// Every feature.
    case all
    /// ⌊√p⌋ features (at least 1).
    case sqrt
    /// ⌊p/3⌋ features (at least 1; Breiman's regression default).
    case third
    /// ⌊fraction·p⌋ features (at least 1), fraction in (0, 1].
    case fraction(Double)

    /// `.automatic` made concrete for the task; any other choice unchanged.
    public func resolved(classifier: Bool) -> FeatureSampling {
        self == .automatic ? (classifier ? .sqrt : .all) : self
    }

    /// Features per split out of `p`, or nil for all (`.automatic` taken as a regression's).
    func count(of p: Int) -> Int? {
        let k: Int
        switch self {
        case .all, .automatic: return nil
        case .sqrt: k = Int(Double(p).squareRoot())
        case .third: k = p / 3
        case .fraction(let f): k = Int(f * Double(p))
        }
        return min(p, max(1, k))
    }
}

/// Random forest hyperparameters; defaults follow scikit-learn's RandomForestRegressor and
/// RandomForestClassifier.
public struct ForestParameters: Sendable, Equatable {
    /// Number of trees, 1...100000.
    public var trees: Int = 100
    /// Optional depth cap, ≥ 1; nil = grow until leaves are pure or too small.
    public var maxDepth: Int? = nil
    /// Minimum rows in a leaf, ≥ 1.
    public var minSamplesLeaf: Int = 1
    /// Nodes with fewer rows are not split, ≥ 2. With `bootstrap`, rows drawn more than once
    /// count once, as scikit-learn counts a node's samples.
    public var minSamplesSplit: Int = 2
    public var featureSampling: FeatureSampling = .automatic
    /// Draw each tree's rows with replacement (and report out-of-bag R²).
    public var bootstrap: Bool = true
    /// Value bins per feature, 2...255.
    public var maxBins: Int = 255
    public var seed: UInt64 = 0
    /// Indices of features holding integer category codes.
    public var categoricalFeatures: [Int] = []
    /// Worker threads (trees are grown one per thread), 1...256. Results do not depend on it.
    public var threads: Int = 2

    public init() {}

    /// Checks every value is in range.
    /// - Throws: `TreeModelsError.invalidParameter` naming the parameter and the allowed range.
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ range: String) -> TreeModelsError {
            TreeModelsError(code: .invalidParameter, message: "forest parameter \(name) = \(value) is out of range: expected \(range)")
        }
        guard (1...100_000).contains(trees) else { throw fail("trees", trees, "1...100000") }
        if let d = maxDepth, d < 1 { throw fail("max_depth", d, ">= 1 or unset") }
        guard minSamplesLeaf >= 1 else { throw fail("min_samples_leaf", minSamplesLeaf, ">= 1") }
        guard minSamplesSplit >= 2 else { throw fail("min_samples_split", minSamplesSplit, ">= 2") }
        if case .fraction(let f) = featureSampling, !(f > 0 && f <= 1) { throw fail("max_features", f, "(0, 1]") }
        guard (2...255).contains(maxBins) else { throw fail("max_bins", maxBins, "2...255") }
        guard (1...256).contains(threads) else { throw fail("threads", threads, "1...256") }
        for c in categoricalFeatures where c < 0 { throw fail("categorical_features", c, "feature indices >= 0") }
    }
}

extension ForestParameters {
    func encode(to w: inout BinaryWriter) {
        w.write(Int64(trees)); w.write(Int64(maxDepth ?? -1)); w.write(Int64(minSamplesLeaf)); w.write(Int64(minSamplesSplit))
        switch featureSampling {
        case .all: w.write(UInt8(0)); w.write(0.0)
        case .sqrt: w.write(UInt8(1)); w.write(0.0)
        case .third: w.write(UInt8(2)); w.write(0.0)
        case .fraction(let f): w.write(UInt8(3)); w.write(f)
        case .automatic: w.write(UInt8(4)); w.write(0.0)   // fits resolve it; kept for parameters saved unfitted
        }
        w.write(bootstrap); w.write(Int64(maxBins)); w.write(seed)
        w.write(array: categoricalFeatures.map { Int64($0) }); w.write(Int64(threads))
    }

    static func decode(from r: inout BinaryReader) throws -> ForestParameters {
        var p = ForestParameters()
        p.trees = Int(try r.read(Int64.self))
        let md = Int(try r.read(Int64.self)); p.maxDepth = md < 0 ? nil : md
        p.minSamplesLeaf = Int(try r.read(Int64.self)); p.minSamplesSplit = Int(try r.read(Int64.self))
        let tag = try r.read(UInt8.self), f = try r.readDouble()
        switch tag {
        case 0: p.featureSampling = .all
        case 1: p.featureSampling = .sqrt
        case 2: p.featureSampling = .third
        case 3: p.featureSampling = .fraction(f)
        case 4: p.featureSampling = .automatic
        default: throw ModelFileError(code: .corrupt, message: "forest model: unknown feature sampling tag \(tag)")
        }
        p.bootstrap = try r.readBool(); p.maxBins = Int(try r.read(Int64.self)); p.seed = try r.read(UInt64.self)
        p.categoricalFeatures = try r.readArray(of: Int64.self).map { Int($0) }
        p.threads = Int(try r.read(Int64.self))
        return p
    }
}
