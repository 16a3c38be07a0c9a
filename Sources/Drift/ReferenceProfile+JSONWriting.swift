import Foundation
import Tabular

extension ReferenceProfile {
    /// The profile as JSON, byte for byte what `JSONEncoder` writes with `.sortedKeys` and
    /// non-finite numbers as the strings "nan", "inf", "-inf" (a test compares the two).
    ///
    /// A profile holds up to 10,000 sample values per column; Foundation's encoder boxes every
    /// one of them, which made storing the profile a fifth of a whole `plumb train`. This writes
    /// the numbers straight into one byte buffer. Keys are listed in sorted order by hand: a new
    /// stored property needs a line here (the byte-comparison test fails until it has one).
    public func encodeJSON() -> Data {
        var w = ProfileJSONWriter()
        w.object { w in
            if let classifier { w.key("classifier"); w.classifier(classifier) }
            w.key("features"); w.array(features) { $0.feature($1) }
            w.key("formatVersion"); w.integer(formatVersion)
            if let prediction { w.key("prediction"); w.numeric(prediction) }
            w.key("psiBins"); w.integer(psiBins)
            w.key("rowCount"); w.integer(rowCount)
            w.key("seed"); w.unsigned(seed)
            if let target { w.key("target"); w.numeric(target) }
            if let targetName { w.key("targetName"); w.string(targetName) }
        }
        return Data(w.bytes)
    }
}

/// Appends JSON in `JSONEncoder`'s compact form: numbers in Swift's shortest round-trip text
/// without a trailing ".0", strings escaped as Foundation escapes them.
struct ProfileJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next key or element in the innermost open container needs a comma first.
    private var needsComma = false

    init() { bytes.reserveCapacity(1 << 16) }

    /// `{`, the members `body` writes, `}`.
    mutating func object(_ body: (inout ProfileJSONWriter) -> Void) {
        open(UInt8(ascii: "{"))
        body(&self)
        close(UInt8(ascii: "}"))
    }

    /// `[`, each element as `element` writes it, `]`.
    mutating func array<T>(_ elements: [T], _ element: (inout ProfileJSONWriter, T) -> Void) {
        open(UInt8(ascii: "["))
        for e in elements { element(&self, e) }
        close(UInt8(ascii: "]"))
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func integer(_ n: Int) { separate(); bytes.append(contentsOf: String(n).utf8) }
    mutating func unsigned(_ n: UInt64) { separate(); bytes.append(contentsOf: String(n).utf8) }
    mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: (b ? "true" : "false").utf8) }

    mutating func number(_ x: Double) {
        separate()
        if x.isNaN { bytes.append(contentsOf: #""nan""#.utf8); return }
        if x.isInfinite { bytes.append(contentsOf: (x < 0 ? #""-inf""# : #""inf""#).utf8); return }
        CSVWriter.appendNumber(x, to: &bytes)
    }

    mutating func numbers(_ xs: [Double]) { array(xs) { $0.number($1) } }
    mutating func integers(_ ns: [Int]) { array(ns) { $0.integer($1) } }

    mutating func string(_ s: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/"): bytes.append(contentsOf: #"\/"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    // MARK: The profile's parts, keys in sorted order

    mutating func feature(_ f: FeatureProfile) {
        object { w in
            if let c = f.categorical { w.key("categorical"); w.categorical(c) }
            w.key("kind"); w.string(f.kind.rawValue)
            w.key("name"); w.string(f.name)
            if let n = f.numeric { w.key("numeric"); w.numeric(n) }
        }
    }

    mutating func categorical(_ c: CategoricalProfile) {
        object { w in
            w.key("count"); w.integer(c.count)
            w.key("frequencies"); w.integers(c.frequencies)
            w.key("levels"); w.array(c.levels) { $0.string($1) }
            w.key("missing"); w.integer(c.missing)
        }
    }

    mutating func numeric(_ p: NumericProfile) {
        object { w in
            w.key("count"); w.integer(p.count)
            w.key("histogram"); w.object { h in
                h.key("counts"); h.integers(p.histogram.counts)
                h.key("edges"); h.numbers(p.histogram.edges)
            }
            w.key("max"); w.number(p.max)
            w.key("mean"); w.number(p.mean)
            w.key("min"); w.number(p.min)
            w.key("missing"); w.integer(p.missing)
            w.key("psiEdges"); w.numbers(p.psiEdges)
            w.key("psiProportions"); w.numbers(p.psiProportions)
            w.key("sample"); w.numbers(p.sample)
            w.key("sampleIsExact"); w.bool(p.sampleIsExact)
            w.key("std"); w.number(p.std)
        }
    }

    mutating func classifier(_ c: ClassifierProfile) {
        object { w in
            if let scores = c.classScores { w.key("classScores"); w.array(scores) { $0.numeric($1) } }
            w.key("classes"); w.array(c.classes) { $0.string($1) }
            w.key("predictedCounts"); w.integers(c.predictedCounts)
            w.key("score"); w.numeric(c.score)
            w.key("trueCounts"); w.integers(c.trueCounts)
        }
    }
}
