import Foundation
import Yams

/// A YAML node together with the key path that reached it (`models[1].params.rounds`).
struct SpecField {
    let node: Node
    let path: String

    func child(_ key: String) -> String {
        let safe = key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
        let part = safe ? key : "\"\(key.replacingOccurrences(of: "\"", with: "\\\""))\""
        return path.isEmpty ? part : "\(path).\(part)"
    }

    func element(_ index: Int) -> String { "\(path)[\(index)]" }
}

/// An allowed numeric range, printed as "a number > 0" or "an integer in [0, 65535]".
struct NumberRule {
    var lower: Double? = nil
    var lowerInclusive = true
    var upper: Double? = nil
    var upperInclusive = true

    static let any = NumberRule()
    static let positive = NumberRule(lower: 0, lowerInclusive: false)
    static let nonNegative = NumberRule(lower: 0)
    /// (0, 1]
    static let fraction = NumberRule(lower: 0, lowerInclusive: false, upper: 1)
    /// [0, 1]
    static let rate = NumberRule(lower: 0, upper: 1)
    /// (0, 1)
    static let openFraction = NumberRule(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)
    static func atLeast(_ x: Double) -> NumberRule { NumberRule(lower: x) }
    static func between(_ a: Double, _ b: Double) -> NumberRule { NumberRule(lower: a, upper: b) }
    /// (a, b)
    static func openInterval(_ a: Double, _ b: Double) -> NumberRule {
        NumberRule(lower: a, lowerInclusive: false, upper: b, upperInclusive: false)
    }

    func contains(_ x: Double) -> Bool {
        if let l = lower, lowerInclusive ? x < l : x <= l { return false }
        if let u = upper, upperInclusive ? x > u : x >= u { return false }
        return true
    }

    func describe(integer: Bool) -> String {
        let noun = integer ? "an integer" : "a number"
        switch (lower, upper) {
        case (nil, nil): return noun
        case let (l?, nil): return "\(noun) \(lowerInclusive ? ">=" : ">") \(format(l))"
        case let (nil, u?): return "\(noun) \(upperInclusive ? "<=" : "<") \(format(u))"
        case let (l?, u?): return "\(noun) in \(lowerInclusive ? "[" : "(")\(format(l)), \(format(u))\(upperInclusive ? "]" : ")")"
        }
    }
}

/// Formats a double the way a person writes it in YAML: `500`, `0.05`.
func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}

/// One mapping node with its keys checked against an allowed list.
struct SpecMapping {
    let field: SpecField
    /// Entries in document order: key text, key node, value node.
    let entries: [(key: String, keyNode: Node, value: Node)]
    let reader: SpecReader

    /// The value at `key`, or nil when absent or explicitly null.
    func optional(_ key: String) -> SpecField? {
        guard let e = entries.first(where: { $0.key == key }), !reader.isNull(e.value) else { return nil }
        return SpecField(node: e.value, path: field.child(key))
    }

    /// True when the key is present (even as null).
    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The value at `key`; absent or null is an error located at this mapping.
    func required(_ key: String, expected: String) throws -> SpecField {
        if let f = optional(key) { return f }
        if let e = entries.first(where: { $0.key == key }) {
            throw reader.error(.wrongType, at: e.value, field.child(key), "expected \(expected), found null")
        }
        throw reader.error(.missingKey, at: field.node, field.child(key),
                           "required key is missing (expected \(expected)) in the mapping \(field.path.isEmpty ? "at the top level" : "\"\(field.path)\"") starting here")
    }

    /// Every entry as a field, for mappings whose keys are user data (column names).
    var fields: [(key: String, keyNode: Node, field: SpecField)] {
        entries.map { ($0.key, $0.keyNode, SpecField(node: $0.value, path: field.child($0.key))) }
    }
}

/// Typed reads from a composed YAML tree; every failure names source, line, column and key path.
struct SpecReader {
    let source: String

    func error(_ code: PipelineSpecError.Code, at node: Node?, _ path: String, _ detail: String) -> PipelineSpecError {
        PipelineSpecError(code: code, source: source, line: node?.mark?.line, column: node?.mark?.column, keyPath: path, detail: detail)
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// "found ..." text for a node of the wrong kind.
    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if isNull(node) { return "null" }
            if s.style == .plain { return s.string }
            return "\"\(s.string)\""
        }
    }

    /// "found ..." text that shows a plain word such as fast quoted, so it reads as a string.
    func describeValue(_ node: Node) -> String {
        if case .scalar(let s) = node, s.style == .plain, !isNull(node), plainNumber(s) == nil, Bool.construct(from: s) == nil {
            return "\"\(s.string)\""
        }
        return describe(node)
    }

    func plainNumber(_ s: Node.Scalar) -> Double? {
        guard s.style == .plain else { return nil }
        if let i = Int.construct(from: s) { return Double(i) }
        return Double.construct(from: s)
    }

    func mapping(_ f: SpecField, keys allowed: [String]?) throws -> SpecMapping {
        guard case .mapping(let m) = f.node else {
            throw error(.wrongType, at: f.node, f.path, "expected a mapping, found \(describeValue(f.node))")
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                throw error(.wrongType, at: k, f.path, "mapping keys must be plain strings, found \(describe(k))")
            }
            if let allowed, !allowed.contains(ks.string) {
                let path = SpecField(node: k, path: f.path).child(ks.string)
                if let hint = closestMatch(to: ks.string, among: allowed) {
                    throw error(.unknownKey, at: k, path, "unknown key; did you mean \"\(hint)\"?")
                }
                throw error(.unknownKey, at: k, path, "unknown key; expected one of \(allowed.joined(separator: ", "))")
            }
            entries.append((ks.string, k, v))
        }
        return SpecMapping(field: f, entries: entries, reader: self)
    }

    func list(_ f: SpecField) throws -> [SpecField] {
        guard case .sequence(let s) = f.node else {
            throw error(.wrongType, at: f.node, f.path, "expected a list, found \(describeValue(f.node))")
        }
        return s.enumerated().map { SpecField(node: $0.element, path: f.element($0.offset)) }
    }

    func string(_ f: SpecField, nonEmpty: Bool = true) throws -> String {
        guard case .scalar(let s) = f.node, !isNull(f.node) else {
            throw error(.wrongType, at: f.node, f.path, "expected a string, found \(describeValue(f.node))")
        }
        if nonEmpty, s.string.trimmingCharacters(in: .whitespaces).isEmpty {
            throw error(.invalidValue, at: f.node, f.path, "expected a non-empty string")
        }
        return s.string
    }

    /// A string from a fixed set; a near miss gets a "did you mean".
    func choice(_ f: SpecField, _ options: [String]) throws -> String {
        let text: String
        do { text = try string(f, nonEmpty: false) } catch {
            throw self.error(.wrongType, at: f.node, f.path, "expected one of \(options.joined(separator: " | ")), found \(describeValue(f.node))")
        }
        guard options.contains(text) else {
            let hint = closestMatch(to: text, among: options).map { "; did you mean \"\($0)\"?" } ?? ""
            throw error(.invalidValue, at: f.node, f.path, "expected one of \(options.joined(separator: " | ")), found \"\(text)\"\(hint)")
        }
        return text
    }

    func number(_ f: SpecField, _ rule: NumberRule = .any) throws -> Double {
        guard case .scalar(let s) = f.node, let x = plainNumber(s) else {
            throw error(.wrongType, at: f.node, f.path, "expected \(rule.describe(integer: false)), found \(describeValue(f.node))")
        }
        guard x.isFinite, rule.contains(x) else {
            throw error(.invalidValue, at: f.node, f.path, "expected \(x.isFinite ? rule.describe(integer: false) : "a finite number"), found \(s.string)")
        }
        return x
    }

    func integer(_ f: SpecField, _ rule: NumberRule = .any) throws -> Int {
        guard case .scalar(let s) = f.node, let x = plainNumber(s) else {
            throw error(.wrongType, at: f.node, f.path, "expected \(rule.describe(integer: true)), found \(describeValue(f.node))")
        }
        guard x.isFinite, x == x.rounded(), abs(x) < 9e15 else {
            throw error(.wrongType, at: f.node, f.path, "expected \(rule.describe(integer: true)), found \(s.string)")
        }
        guard rule.contains(x) else {
            throw error(.invalidValue, at: f.node, f.path, "expected \(rule.describe(integer: true)), found \(s.string)")
        }
        return Int(x)
    }

    func bool(_ f: SpecField) throws -> Bool {
        guard case .scalar(let s) = f.node, s.style == .plain, let b = Bool.construct(from: s) else {
            throw error(.wrongType, at: f.node, f.path, "expected true or false, found \(describeValue(f.node))")
        }
        return b
    }

    func stringList(_ f: SpecField) throws -> [String] {
        try list(f).map { try string($0) }
    }
}
