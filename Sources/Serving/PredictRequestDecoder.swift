// Decodes a /predict body straight from bytes into model-ordered rows, listing every problem in a
// FastAPI-like shape. Accepted bodies:
//   single: {"MedInc": 8.3, "Ocean": "NEAR BAY", ...}           (one object of named features)
//   batch:  {"instances": [{...}, {...}, ...]}                  (no other top-level key)
// Typing: numeric features take JSON numbers only, categorical features JSON strings only; `null`
// means missing and is passed to the model as nil (imputed by its preprocessing). Unknown and
// duplicate fields, non-finite numbers (literals overflowing a Double), empty or oversized batches
// are errors.

/// One element of an error location: an object key or an array index.
public enum LocElement: Equatable, Sendable {
    case key(String)
    case index(Int)
}

/// One validation problem, serialised as `{"loc": [...], "msg": "...", "type": "..."}`.
public struct ValidationIssue: Equatable, Sendable {
    public var loc: [LocElement]
    public var msg: String
    public var type: String

    public init(loc: [LocElement], msg: String, type: String) {
        self.loc = loc
        self.msg = msg
        self.type = type
    }
}

/// Feature names and kinds of a model, with the names laid out as bytes for fast key matching.
struct FeatureLayout: Sendable {
    let names: [String]
    let kinds: [FeatureKind]
    let blob: [UInt8]
    let starts: [Int]
    let lengths: [Int]
    let byName: [String: Int]

    init(_ specs: [FeatureSpec]) {
        names = specs.map(\.name)
        kinds = specs.map(\.kind)
        var blob = [UInt8](), starts = [Int](), lengths = [Int]()
        var byName = [String: Int]()
        for (i, n) in names.enumerated() {
            starts.append(blob.count)
            lengths.append(n.utf8.count)
            blob.append(contentsOf: n.utf8)
            byName[n] = i
        }
        self.blob = blob
        self.starts = starts
        self.lengths = lengths
        self.byName = byName
    }
}

/// The outcome of decoding a /predict body.
enum PredictDecodeOutcome {
    case rows(FeatureRows, batch: Bool)
    case invalid([ValidationIssue])
}

/// Decodes /predict bodies for one feature layout.
struct PredictRequestDecoder {
    /// At most this many issues are listed (bounded response size); one more entry says so.
    static let maxIssues = 1000

    let layout: FeatureLayout
    let maxRows: Int
    /// Batch rows of a repeated shape take a `RowTemplate` (off only to test it against the general path).
    var rowTemplates = true

    func decode(_ bytes: UnsafeRawBufferPointer) -> PredictDecodeOutcome {
        layout.blob.withUnsafeBufferPointer { blob in
            var state = State(layout: layout, blob: blob.baseAddress, maxRows: maxRows)
            state.learning = rowTemplates ? 2 : 0
            do {
                return try JSONReader.with(bytes) { r in try state.run(&r) }
            } catch let e as JSONParseError {
                return .invalid([ValidationIssue(loc: [.key("body"), .index(e.offset)],
                                                 msg: "JSON decode error: \(e)", type: "json_invalid")])
            } catch {
                return .invalid([ValidationIssue(loc: [.key("body")], msg: "\(error)", type: "json_invalid")])
            }
        }
    }

    /// Mutable decoding state; `blob` is valid only during `decode`.
    private struct State {
        let layout: FeatureLayout
        let blob: UnsafePointer<UInt8>?
        let maxRows: Int
        var issues: [ValidationIssue] = []
        var truncatedIssues = false
        var seen: [Bool]
        /// The batch's row shape, once a row has taught it; `learning` counts the rows that may
        /// still try (a first row of an unusual shape does not turn templates off for the batch).
        var template: RowTemplate? = nil
        var learning = 2
        /// Rows that missed the template and may teach a new one (a batch of several shapes).
        var relearning = 4

        init(layout: FeatureLayout, blob: UnsafePointer<UInt8>?, maxRows: Int) {
            self.layout = layout
            self.blob = blob
            self.maxRows = maxRows
            self.seen = [Bool](repeating: false, count: layout.names.count)
        }

        mutating func add(_ loc: [LocElement], _ msg: String, _ type: String) {
            if issues.count < PredictRequestDecoder.maxIssues { issues.append(.init(loc: loc, msg: msg, type: type)) }
            else { truncatedIssues = true }
        }

        mutating func run(_ r: inout JSONReader) throws -> PredictDecodeOutcome {
            guard let first = r.peek() else { throw r.error("empty body, expected a JSON object") }
            guard first == UInt8(ascii: "{") else {
                try r.skipValue(depth: 0)
                try r.expectEnd()
                return .invalid([.init(loc: [.key("body")], msg: "Input should be a valid object", type: "model_attributes_type")])
            }
            r.pos += 1
            let featureCount = layout.names.count
            var single = FeatureRows(kinds: layout.kinds, capacity: 1)
            _ = single.appendMissingRow()
            var singleIssues = [ValidationIssue]()
            var otherKeys = [String]()
            var batchRows: FeatureRows? = nil
            for i in 0..<featureCount { seen[i] = false }
            var memberIndex = 0
            if r.peek() == UInt8(ascii: "}") { r.pos += 1 } else {
                repeat {
                    let raw = try r.readRawString()
                    try r.expect(UInt8(ascii: ":"), "':' after an object key")
                    if batchRows == nil, isInstancesKey(raw, r) {
                        batchRows = try parseInstances(&r)
                    } else {
                        let key = try r.decode(raw)
                        otherKeys.append(key)
                        let saved = issues
                        issues = singleIssues
                        try member(raw, key: key, &r, rows: &single, row: 0, hint: memberIndex, prefix: [.key("body")])
                        singleIssues = issues
                        issues = saved
                    }
                    memberIndex += 1
                } while try r.commaOrClose(UInt8(ascii: "}"))
            }
            try r.expectEnd()
            if let rows = batchRows {
                for k in otherKeys { add([.key("body"), .key(k)], "Extra inputs are not permitted", "extra_forbidden") }
                if !issues.isEmpty { return .invalid(finalIssues()) }
                return .rows(rows, batch: true)
            }
            issues = singleIssues
            finishRow(prefix: [.key("body")])
            if !issues.isEmpty { return .invalid(finalIssues()) }
            return .rows(single, batch: false)
        }

        func finalIssues() -> [ValidationIssue] {
            guard truncatedIssues else { return issues }
            return issues + [.init(loc: [.key("body")], msg: "more than \(PredictRequestDecoder.maxIssues) problems; the rest are not listed", type: "too_many_errors")]
        }

        func isInstancesKey(_ raw: JSONReader.RawString, _ r: JSONReader) -> Bool {
            if raw.escaped { return (try? r.decode(raw)) == "instances" }
            let word: StaticString = "instances"
            return r.rawEquals(raw, word.utf8Start, word.utf8CodeUnitCount)
        }

        mutating func parseInstances(_ r: inout JSONReader) throws -> FeatureRows {
            let loc: [LocElement] = [.key("body"), .key("instances")]
            // Rows of ~100 bytes of JSON: reserve for what the body can hold.
            var rows = FeatureRows(kinds: layout.kinds, capacity: min(maxRows, r.count / 64 + 1))
            guard let c = r.peek() else { throw r.error("unexpected end of input, expected a value") }
            guard c == UInt8(ascii: "[") else {
                try r.skipValue(depth: 1)
                add(loc, "Input should be a valid list", "list_type")
                return rows
            }
            r.pos += 1
            if r.peek() == UInt8(ascii: "]") {
                r.pos += 1
                add(loc, "List should have at least 1 item after validation, not 0", "too_short")
                return rows
            }
            let featureCount = layout.names.count
            var index = 0
            repeat {
                if index < maxRows, let t = template {
                    if t.read(&r, into: &rows) {
                        index += 1
                        continue
                    }
                    if relearning > 0 { relearning -= 1; learning = 1 }
                }
                if index >= maxRows {
                    if index == maxRows {
                        add(loc, "List should have at most \(maxRows) items after validation", "too_long")
                    }
                    try r.skipValue(depth: 2)
                } else if r.peek() != UInt8(ascii: "{") {
                    try r.skipValue(depth: 2)
                    add(loc + [.index(index)], "Input should be a valid object", "model_attributes_type")
                } else {
                    let rowStart = r.pos, issuesBefore = issues.count
                    r.pos += 1
                    let row = rows.appendMissingRow()
                    for i in 0..<featureCount { seen[i] = false }
                    var memberIndex = 0
                    if r.peek() == UInt8(ascii: "}") { r.pos += 1 } else {
                        repeat {
                            // Keys usually arrive in the model's order: try the expected one byte for
                            // byte first (one comparison instead of a scan and a lookup).
                            if memberIndex < featureCount, let blob,
                               r.consumeKey(blob + layout.starts[memberIndex], layout.lengths[memberIndex]) {
                                try r.expect(UInt8(ascii: ":"), "':' after an object key")
                                try value(of: memberIndex, &r, rows: &rows, row: row, prefix: loc + [.index(index)])
                            } else {
                                let raw = try r.readRawString()
                                try r.expect(UInt8(ascii: ":"), "':' after an object key")
                                try member(raw, key: nil, &r, rows: &rows, row: row, hint: memberIndex,
                                           prefix: loc + [.index(index)])
                            }
                            memberIndex += 1
                        } while try r.commaOrClose(UInt8(ascii: "}"))
                    }
                    finishRow(prefix: loc + [.index(index)])
                    if learning > 0, issues.count == issuesBefore, let blob {
                        learning -= 1
                        if let t = RowTemplate(base: r.base, start: rowStart, end: r.pos, layout: layout, names: blob) {
                            template = t
                            learning = 0
                        }
                    }
                }
                index += 1
            } while try r.commaOrClose(UInt8(ascii: "]"))
            return rows
        }

        /// Index of the feature named by `raw`, trying position `hint` first (keys usually arrive in order).
        func featureIndex(_ raw: JSONReader.RawString, _ r: JSONReader, hint: Int) throws -> Int? {
            if raw.escaped { return layout.byName[try r.decode(raw)] }
            guard let blob else { return nil }
            let n = layout.names.count
            if hint < n, r.rawEquals(raw, blob + layout.starts[hint], layout.lengths[hint]) { return hint }
            for i in 0..<n where i != hint {
                if r.rawEquals(raw, blob + layout.starts[i], layout.lengths[i]) { return i }
            }
            return nil
        }

        /// Handles one `key: value` member of a row object.
        mutating func member(_ raw: JSONReader.RawString, key: String?, _ r: inout JSONReader,
                             rows: inout FeatureRows, row: Int, hint: Int, prefix: @autoclosure () -> [LocElement]) throws {
            guard let f = try featureIndex(raw, r, hint: hint) else {
                let name = try key ?? r.decode(raw)
                try r.skipValue(depth: 3)
                add(prefix() + [.key(name)], "Extra inputs are not permitted", "extra_forbidden")
                return
            }
            try value(of: f, &r, rows: &rows, row: row, prefix: prefix())
        }

        /// Reads the value of feature `f` into the row (or records why it is not valid). The
        /// common case, a first number for a numeric feature, is inlined into the row loop;
        /// everything else (and every error) goes through `anyValue`.
        @inline(__always)
        mutating func value(of f: Int, _ r: inout JSONReader, rows: inout FeatureRows, row: Int,
                            prefix: @autoclosure () -> [LocElement]) throws {
            if !seen[f], layout.kinds[f] == .numeric, let c = r.peek(),
               c == UInt8(ascii: "-") || c &- UInt8(ascii: "0") < 10 {
                seen[f] = true
                let v = try r.readNumber()
                if v.isFinite { rows.setNumber(row: row, feature: f, v) } else { notFinite(f, prefix: prefix()) }
                return
            }
            try anyValue(of: f, &r, rows: &rows, row: row, prefix: prefix())
        }

        @inline(never)
        mutating func notFinite(_ f: Int, prefix: [LocElement]) {
            add(prefix + [.key(layout.names[f])], "Input should be a finite number", "finite_number")
        }

        @inline(never)
        mutating func anyValue(of f: Int, _ r: inout JSONReader, rows: inout FeatureRows, row: Int,
                               prefix: @autoclosure () -> [LocElement]) throws {
            if seen[f] {
                try r.skipValue(depth: 3)
                add(prefix() + [.key(layout.names[f])], "Duplicate field", "duplicate_field")
                return
            }
            seen[f] = true
            guard let c = r.peek() else { throw r.error("unexpected end of input, expected a value") }
            let numeric = layout.kinds[f] == .numeric
            switch c {
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let v = try r.readNumber()
                if !numeric {
                    add(prefix() + [.key(layout.names[f])], "Input should be a valid string", "string_type")
                } else if !v.isFinite {
                    notFinite(f, prefix: prefix())
                } else {
                    rows.setNumber(row: row, feature: f, v)
                }
            case UInt8(ascii: "\""):
                let s = try r.readRawString()
                if numeric {
                    add(prefix() + [.key(layout.names[f])], "Input should be a valid number", "float_type")
                } else {
                    rows.setText(row: row, feature: f, try r.decode(s))
                }
            case UInt8(ascii: "n"):
                try r.readLiteral("null")
            default:
                try r.skipValue(depth: 3)
                add(prefix() + [.key(layout.names[f])],
                    numeric ? "Input should be a valid number" : "Input should be a valid string",
                    numeric ? "float_type" : "string_type")
            }
        }

        /// Reports the row's missing fields; `prefix` is built only when one is missing.
        mutating func finishRow(prefix: @autoclosure () -> [LocElement]) {
            for i in 0..<layout.names.count where !seen[i] {
                add(prefix() + [.key(layout.names[i])], "Field required", "missing")
            }
        }
    }
}
