// Canary, A/B and blue-green serving: several loaded model versions ("variants"), each request
// answered by one of them, chosen by a stable hash of its routing key. Absent (nil on the
// server) when no variants are configured, so a single-model server does no routing work.
import Foundation
import Synchronization

/// One model version served beside others.
public struct ServedVariant: Sendable {
    /// `[A-Za-z0-9_-]+`: appears in headers, JSON and Prometheus labels.
    public var name: String
    /// Share of traffic: `weight / Σ weights` (0: loaded but idle, a blue-green standby).
    public var weight: Double
    public var provider: any ModelProvider

    public init(name: String, weight: Double, provider: any ModelProvider) {
        self.name = name
        self.weight = weight
        self.provider = provider
    }
}

/// The variants of a server and how requests are routed among them.
public struct VariantConfiguration: Sendable {
    /// The first is the served model: its feature schema is the one every variant must share,
    /// and /model, /ready and /openapi.json describe it.
    public var variants: [ServedVariant]
    /// A feature whose value (of a request's first row) is the routing key when the request has
    /// no `X-Plumb-Key` header; nil: the request id is.
    public var routeBy: String?

    /// - Throws: `ServingError` ("variant_config") naming the variant: fewer than two, a bad or
    ///   repeated name, a negative or non-finite weight, or no weight above 0.
    public init(variants: [ServedVariant], routeBy: String? = nil) throws {
        guard variants.count >= 2 else {
            throw ServingError(code: "variant_config", message: "variants: at least two are needed, got \(variants.count)")
        }
        var seen = Set<String>()
        for v in variants {
            guard Self.isValidName(v.name) else {
                throw ServingError(code: "variant_config", message: "variant name '\(v.name)' must match [A-Za-z0-9_-]+")
            }
            guard seen.insert(v.name).inserted else {
                throw ServingError(code: "variant_config", message: "variant name '\(v.name)' is given twice")
            }
            guard v.weight.isFinite, v.weight >= 0 else {
                throw ServingError(code: "variant_config", message: "variant '\(v.name)': weight must be a finite number ≥ 0, got \(v.weight)")
            }
        }
        guard variants.contains(where: { $0.weight > 0 }) else {
            throw ServingError(code: "variant_config", message: "variants: at least one weight must be above 0")
        }
        if let routeBy, routeBy.isEmpty {
            throw ServingError(code: "variant_config", message: "route-by: the feature name is empty")
        }
        self.variants = variants
        self.routeBy = routeBy
    }

    /// True for `[A-Za-z0-9_-]+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d
        }
    }

    /// Checks that a variant's features are the served model's: same names, same order, same
    /// kinds (levels may differ).
    /// - Throws: `ServingError` ("variant_schema") naming the variant and the first mismatching feature.
    public static func checkSchema(variant: String, source: String, _ features: [FeatureSpec], servedFeatures reference: [FeatureSpec]) throws {
        func fail(_ what: String) -> ServingError {
            ServingError(code: "variant_schema", message: "variant '\(variant)' (\(source)) does not share the served model's feature schema: \(what)")
        }
        for (i, (f, r)) in zip(features, reference).enumerated() {
            if f.name != r.name {
                throw fail("feature \(i + 1) is '\(f.name)', the served model's is '\(r.name)'")
            }
            if f.kind != r.kind {
                throw fail("feature '\(f.name)' is \(f.kind.rawValue), the served model's is \(r.kind.rawValue)")
            }
        }
        if features.count > reference.count {
            throw fail("feature '\(features[reference.count].name)' is not one of the served model's \(reference.count) features")
        }
        if features.count < reference.count {
            throw fail("feature '\(reference[features.count].name)' of the served model is missing")
        }
    }
}

extension VariantConfiguration {
    /// Checks that a variant answers what the served model answers: a regression's number, or
    /// a classifier's probabilities of the same classes in the same order (its threshold may
    /// differ), so that answers, feedback and the log compare across variants.
    /// - Throws: `ServingError` ("variant_schema") naming the variant and both outputs.
    public static func checkOutputs(variant: String, source: String, _ classifier: ClassifierSpec?, served: ClassifierSpec?) throws {
        guard classifier?.classes != served?.classes else { return }
        func describe(_ c: ClassifierSpec?) -> String {
            c.map { "a classifier of classes \($0.classes.joined(separator: ", "))" } ?? "a regression"
        }
        throw ServingError(code: "variant_schema", message: "variant '\(variant)' (\(source)) is \(describe(classifier)), the served model is \(describe(served))")
    }
}

/// Stable assignment of routing keys to variants.
///
/// A key's bytes (UTF-8) are hashed with 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime
/// 0x100000001b3), then mixed by MurmurHash3's 64-bit finalizer `fmix64` (FNV-1a alone barely
/// moves its top bits on the last bytes of a key: "user-0" … "user-9999" split 57/43 instead of
/// 50/50); the top 53 bits of the result make a point `p = 100 · (m >> 11) / 2^53` in [0, 100). With
/// weights w₀…wₙ₋₁ in the configured order, the key goes to the first variant i for which
/// `p < 100 · (w₀ + … + wᵢ) / Σw`. So a key always gets the same variant while the weights
/// stay, and a canary at P % takes the keys whose point is at or above 100 − P.
public enum VariantHash {
    /// 64-bit FNV-1a of `bytes`.
    public static func fnv1a<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// MurmurHash3's 64-bit finalizer: every input bit moves every output bit.
    public static func fmix64(_ x: UInt64) -> UInt64 {
        var k = x
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    /// The key's point in [0, 100).
    public static func point(_ key: String) -> Double {
        var k = key
        let h = k.withUTF8 { fmix64(fnv1a($0)) }
        return Double(h >> 11) * 0x1p-53 * 100
    }

    /// The index of the variant a point falls to; nil when no weight is above 0.
    public static func pick(point: Double, weights: [Double]) -> Int? {
        let total = weights.reduce(0, +)
        guard total > 0 else { return nil }
        var cumulative = 0.0
        var last: Int?
        for (i, w) in weights.enumerated() where w > 0 {
            cumulative += w
            last = i
            if point < 100 * cumulative / total { return i }
        }
        return last  // rounding left the point at the very top: the last weighted variant
    }
}

/// The server's variants: each one's provider and current model, and the weights in force.
/// Requests read the weights once (one lock) and then the chosen variant's model once, so a
/// request finishes on the version it started with while a switch or a reload goes on.
final class VariantRouter: Sendable {
    struct Variant: Sendable {
        let name: String
        let provider: any ModelProvider
        let box: ModelBox
        /// The weight it was started with.
        let configuredWeight: Double
    }

    let variants: [Variant]
    let routeBy: String?
    private let weights: Mutex<[Double]>

    /// - Parameter primary: the box of the first variant (the server's primary model).
    init(_ configuration: VariantConfiguration, primary: ModelBox) {
        variants = configuration.variants.enumerated().map { i, v in
            Variant(name: v.name, provider: v.provider, box: i == 0 ? primary : ModelBox(), configuredWeight: v.weight)
        }
        routeBy = configuration.routeBy
        weights = Mutex(configuration.variants.map(\.weight))
    }

    var names: [String] { variants.map(\.name) }

    /// The weights in force, in variant order.
    var currentWeights: [Double] { weights.withLock { $0 } }

    /// The variant a routing key goes to.
    func pick(key: String) -> Int {
        let p = VariantHash.point(key)
        return weights.withLock { VariantHash.pick(point: p, weights: $0) } ?? 0
    }

    /// The index of the variant called `name`.
    func index(of name: String) -> Int? { variants.firstIndex { $0.name == name } }

    /// Sends all traffic to variant `index`, atomically; returns the weights it replaced.
    func switchAll(to index: Int) -> [Double] {
        weights.withLock { w in
            let old = w
            w = w.indices.map { $0 == index ? 100 : 0 }
            return old
        }
    }

    /// The variant taking all traffic, nil while it is split.
    func active(_ weights: [Double]) -> Int? {
        let on = weights.indices.filter { weights[$0] > 0 }
        return on.count == 1 ? on[0] : nil
    }

    /// A request's routing key: the `X-Plumb-Key` header, else the `routeBy` feature's value in
    /// its first row (a number as written by `keyText`), else nil (the request id routes it).
    func routingKey(header: String?, rows: FeatureRows, layout: FeatureLayout) -> String? {
        if let header { return header }
        guard let routeBy, rows.count > 0, let f = layout.names.firstIndex(of: routeBy) else { return nil }
        switch rows[0, f] {
        case .number(let x)?: return Self.keyText(x)
        case .string(let s)?: return s
        case nil: return nil
        }
    }

    /// A numeric routing key's text: an integral value without a fraction ("42"), any other its
    /// shortest round-trip decimal ("0.5").
    static func keyText(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
