import Foundation

/// A parsed MLflow-style run filter: comparisons joined by AND.
///
/// Grammar (keywords case-insensitive):
/// ```
/// filter     := comparison (AND comparison)*
/// comparison := key op value
/// key        := (metrics|params|tags|attributes) "." (bare | `back quoted` | "quoted")
/// op         := = | != | <> | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
/// value      := 'string' | "string" | number | ( string, … )      -- lists only after IN
/// ```
/// Metrics compare numbers (`= != < <= > >=`); params, tags and the string attributes (status,
/// run_name, run_id, user) compare strings (`= != LIKE ILIKE IN NOT IN`); attributes start_time and
/// end_time (ms since 1970) compare numbers. LIKE is case-sensitive, ILIKE is not; `%` matches any
/// run of characters and `_` one character.
public struct RunFilter: Sendable, Equatable {
    public enum Entity: String, Sendable, Equatable { case metric = "metrics", param = "params", tag = "tags", attribute = "attributes" }

    public enum Operator: String, Sendable, Equatable {
        case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
        case like = "LIKE", ilike = "ILIKE", `in` = "IN", notIn = "NOT IN"
        var isNumeric: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
        var isString: Bool { [.eq, .ne, .like, .ilike, .in, .notIn].contains(self) }
    }

    public enum Value: Sendable, Equatable { case number(Double), string(String), list([String]) }

    public struct Comparison: Sendable, Equatable {
        public var entity: Entity
        public var key: String
        public var op: Operator
        public var value: Value
    }

    /// Attribute names accepted after `attributes.`, and whether they are numeric.
    static let attributes: [String: Bool] = ["status": false, "run_name": false, "run_id": false, "user": false,
                                             "start_time": true, "end_time": true]

    public var comparisons: [Comparison]

    /// Parses `text`; an empty or blank string is the filter that matches every run.
    /// - Throws: `TrackingError` `.invalidFilter` whose message names the position (0-based
    ///   character offset) and shows the filter with a caret under the offending character.
    public init(_ text: String) throws {
        var p = FilterParser(text, label: "filter")
        comparisons = try p.parseFilter()
    }

    /// One `ORDER BY` term, e.g. "metrics.r2 DESC" or "attributes.start_time".
    public struct Order: Sendable, Equatable {
        public var entity: Entity
        public var key: String
        public var descending: Bool

        /// Parses "KEY [ASC|DESC]"; same key syntax as filters.
        public init(_ text: String) throws {
            var p = FilterParser(text, label: "order_by")
            (entity, key, descending) = try p.parseOrder()
        }
    }
}

/// Hand-written recursive-descent parser over characters, so that errors carry positions.
struct FilterParser {
    let text: String
    let chars: [Character]
    let label: String
    var pos = 0

    init(_ text: String, label: String) {
        self.text = text
        self.chars = Array(text)
        self.label = label
    }

    func fail(_ message: String, at position: Int) -> TrackingError {
        let caret = String(repeating: " ", count: max(0, position)) + "^"
        return TrackingError(code: .invalidFilter, message: "\(label): \(message) at position \(position)\n  \(text)\n  \(caret)")
    }

    var atEnd: Bool { pos >= chars.count }
    var current: Character? { atEnd ? nil : chars[pos] }

    mutating func skipSpaces() { while let c = current, c.isWhitespace { pos += 1 } }

    static func isWordChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
    static func isKeyChar(_ c: Character) -> Bool { isWordChar(c) || c == "." || c == "-" || c == "/" || c == ":" }

    mutating func word() -> String {
        let start = pos
        while let c = current, Self.isWordChar(c) { pos += 1 }
        return String(chars[start..<pos])
    }

    /// Consumes keyword `kw` (case-insensitive) if it is next as a whole word.
    mutating func keyword(_ kw: String) -> Bool {
        let save = pos
        let w = word()
        if w.uppercased() == kw { return true }
        pos = save
        return false
    }

    mutating func quoted(_ q: Character, what: String) throws -> String {
        let start = pos
        pos += 1
        var out = ""
        while true {
            guard let c = current else { throw fail("unterminated \(what) starting", at: start) }
            pos += 1
            if c == q {
                if current == q { out.append(q); pos += 1; continue }  // doubled quote = literal quote
                return out
            }
            out.append(c)
        }
    }

    mutating func parseKey() throws -> (RunFilter.Entity, String, Int) {
        skipSpaces()
        let start = pos
        let prefix = word()
        if prefix.isEmpty {
            throw fail(atEnd ? "expected a key like metrics.rmse, params.alpha, tags.team or attributes.status"
                             : "expected a key like metrics.rmse, params.alpha, tags.team or attributes.status, found \"\(chars[pos])\"", at: start)
        }
        let entity: RunFilter.Entity
        switch prefix.lowercased() {
        case "metric", "metrics": entity = .metric
        case "param", "params", "parameter", "parameters": entity = .param
        case "tag", "tags": entity = .tag
        case "attribute", "attributes", "attr", "run": entity = .attribute
        default:
            throw fail("unknown key type \"\(prefix)\"; expected metrics., params., tags. or attributes.", at: start)
        }
        guard current == "." else { throw fail("expected \".\" after \"\(prefix)\"", at: pos) }
        pos += 1
        let keyStart = pos
        var key: String
        switch current {
        case "`": key = try quoted("`", what: "back-quoted key")
        case "\"": key = try quoted("\"", what: "quoted key")
        case "'": key = try quoted("'", what: "quoted key")
        default:
            while let c = current, Self.isKeyChar(c) { pos += 1 }
            key = String(chars[keyStart..<pos])
        }
        if key.isEmpty { throw fail("expected a key name after \"\(prefix).\"", at: keyStart) }
        if entity == .attribute {
            key = key.lowercased()
            if key == "name" { key = "run_name" }
            if key == "id" { key = "run_id" }
            guard RunFilter.attributes[key] != nil else {
                throw fail("unknown attribute \"\(key)\"; expected one of \(RunFilter.attributes.keys.sorted().joined(separator: ", "))", at: keyStart)
            }
        }
        return (entity, key, start)
    }

    mutating func parseOperator(after keyText: String) throws -> RunFilter.Operator {
        skipSpaces()
        let start = pos
        func take(_ s: String) -> Bool {
            let cs = Array(s)
            guard pos + cs.count <= chars.count, Array(chars[pos..<pos + cs.count]) == cs else { return false }
            pos += cs.count
            return true
        }
        if take("!=") || take("<>") { return .ne }
        if take("<=") { return .le }
        if take(">=") { return .ge }
        if take("==") || take("=") { return .eq }
        if take("<") { return .lt }
        if take(">") { return .gt }
        if keyword("LIKE") { return .like }
        if keyword("ILIKE") { return .ilike }
        if keyword("IN") { return .in }
        if keyword("NOT") {
            skipSpaces()
            if keyword("IN") { return .notIn }
            throw fail("expected IN after NOT", at: pos)
        }
        throw fail("expected an operator after \"\(keyText)\"", at: start)
    }

    mutating func parseValue(after prefixText: String) throws -> (RunFilter.Value, Int) {
        skipSpaces()
        let start = pos
        guard let c = current else { throw fail("expected a value after \"\(prefixText)\"", at: start) }
        if c == "'" || c == "\"" { return (.string(try quoted(c, what: "string")), start) }
        if c.isNumber || c == "-" || c == "+" || c == "." {
            pos += 1
            while let d = current, d.isASCII, d.isNumber || d == "." || d == "e" || d == "E" || ((d == "-" || d == "+") && (chars[pos - 1] == "e" || chars[pos - 1] == "E")) { pos += 1 }
            let s = String(chars[start..<pos])
            guard let v = Double(s) else { throw fail("\"\(s)\" is not a number", at: start) }
            return (.number(v), start)
        }
        if c == "(" {
            pos += 1
            var items: [String] = []
            while true {
                skipSpaces()
                guard let q = current, q == "'" || q == "\"" else {
                    throw fail("expected a quoted string in the IN list", at: pos)
                }
                items.append(try quoted(q, what: "string"))
                skipSpaces()
                if current == "," { pos += 1; continue }
                if current == ")" { pos += 1; break }
                throw fail("expected \",\" or \")\" in the IN list", at: pos)
            }
            return (.list(items), start)
        }
        throw fail("expected a value (a quoted string or a number) after \"\(prefixText)\"", at: start)
    }

    mutating func parseComparison() throws -> RunFilter.Comparison {
        let (entity, key, start) = try parseKey()
        let keyText = String(chars[start..<pos])
        skipSpaces()
        let opPos = pos
        let op = try parseOperator(after: keyText)
        let (value, valuePos) = try parseValue(after: String(chars[start..<pos]).trimmingCharacters(in: .whitespaces))
        let numeric = entity == .metric || (entity == .attribute && RunFilter.attributes[key] == true)
        if numeric {
            guard op.isNumeric else {
                throw fail("operator \(op.rawValue) does not apply to \(keyText), which is numeric; use = != < <= > >=", at: opPos)
            }
            guard case .number = value else { throw fail("\(keyText) is numeric: expected a number", at: valuePos) }
        } else {
            guard op.isString else {
                throw fail("operator \(op.rawValue) does not apply to \(keyText), which is a string; use = != LIKE ILIKE IN NOT IN", at: opPos)
            }
            switch (op, value) {
            case (.in, .list), (.notIn, .list): break
            case (.in, _), (.notIn, _): throw fail("expected a parenthesised list of strings after \(op.rawValue)", at: valuePos)
            case (_, .string): break
            default: throw fail("\(keyText) is a string: expected a quoted string", at: valuePos)
            }
        }
        return RunFilter.Comparison(entity: entity, key: key, op: op, value: value)
    }

    mutating func parseFilter() throws -> [RunFilter.Comparison] {
        skipSpaces()
        if atEnd { return [] }
        var out: [RunFilter.Comparison] = []
        while true {
            let start = pos
            out.append(try parseComparison())
            let compText = String(chars[start..<pos]).trimmingCharacters(in: .whitespaces)
            skipSpaces()
            if atEnd { return out }
            let andPos = pos
            guard keyword("AND") else { throw fail("expected AND or the end of the filter after \"\(compText)\"", at: andPos) }
            skipSpaces()
            if atEnd { throw fail("expected a comparison after AND", at: pos) }
        }
    }

    mutating func parseOrder() throws -> (RunFilter.Entity, String, Bool) {
        let (entity, key, _) = try parseKey()
        skipSpaces()
        var desc = false
        if !atEnd {
            let at = pos
            if keyword("DESC") { desc = true } else if keyword("ASC") { desc = false } else {
                throw fail("expected ASC, DESC or the end", at: at)
            }
        }
        skipSpaces()
        if !atEnd { throw fail("unexpected text after the order term", at: pos) }
        return (entity, key, desc)
    }
}
