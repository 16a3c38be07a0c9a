import Foundation
@testable import Tabular

/// The obviously-correct twin of `CSVReader`: a single-threaded byte-at-a-time state machine
/// producing records of strings, then a plain type-inference pass. Same semantics, no tricks.
enum NaiveCSV {
    struct Failure: Error, Equatable {
        var code: TabularError.Code
        var line: Int?
    }

    struct Record {
        var line: Int
        var fields: [[UInt8]]
    }

    /// Records up to the first failure, and that failure (an unterminated quote).
    static func records(_ input: [UInt8], delimiter: UInt8) -> ([Record], Failure?) {
        var b = input
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { b.removeFirst(3) }
        enum State { case fieldStart, unquoted, quoted, afterQuote }
        var state = State.fieldStart
        var records: [Record] = []
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var inRecord = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var i = 0
        func endRecord() {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
            fields = []
            field = []
            inRecord = false
            state = .fieldStart
        }
        while i < b.count {
            let c = b[i]
            let isNewline = c == 10 || c == 13
            switch state {
            case .fieldStart, .unquoted, .afterQuote:
                if state == .fieldStart && !inRecord && isNewline {
                    // blank line
                } else if state == .fieldStart && c == 34 {
                    if !inRecord { inRecord = true; recordLine = line }
                    state = .quoted
                    quoteLine = line
                } else if c == delimiter {
                    if !inRecord { inRecord = true; recordLine = line }
                    fields.append(field)
                    field = []
                    state = .fieldStart
                } else if isNewline {
                    endRecord()
                } else {
                    if !inRecord { inRecord = true; recordLine = line }
                    field.append(c)
                    if state == .fieldStart { state = .unquoted }
                }
                if isNewline && state == .fieldStart {
                    if c == 13 && i + 1 < b.count && b[i + 1] == 10 { i += 1; line += 1 } else if c == 10 { line += 1 }
                }
            case .quoted:
                if c == 34 {
                    if i + 1 < b.count && b[i + 1] == 34 {
                        field.append(34)
                        i += 1
                    } else {
                        state = .afterQuote
                    }
                } else {
                    if c == 10 { line += 1 }
                    field.append(c)
                }
            }
            i += 1
        }
        if state == .quoted { return (records, Failure(code: .unterminatedQuote, line: quoteLine)) }
        if inRecord { endRecord() }
        return (records, nil)
    }

    static func trimmed(_ s: [UInt8]) -> [UInt8] {
        var a = s[...]
        while let f = a.first, f == 32 || f == 9 { a = a.dropFirst() }
        while let l = a.last, l == 32 || l == 9 { a = a.dropLast() }
        return Array(a)
    }

    /// Plain grammar check, then Foundation's `Double(String)` for the value.
    static func number(_ raw: [UInt8]) -> Double? {
        let t = trimmed(raw)
        guard let s = String(bytes: t, encoding: .utf8), !s.isEmpty else { return nil }
        var body = Substring(s)
        var sign = 1.0
        if body.first == "-" { sign = -1; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        if body.lowercased() == "inf" || body.lowercased() == "infinity" { return sign * .infinity }
        var mantissaDigits = 0
        var sawDot = false
        var idx = body.startIndex
        while idx < body.endIndex {
            let ch = body[idx]
            if ch.isASCII && ch.isNumber { mantissaDigits += 1 } else if ch == "." && !sawDot { sawDot = true } else { break }
            idx = body.index(after: idx)
        }
        guard mantissaDigits > 0 else { return nil }
        if idx < body.endIndex {
            guard body[idx] == "e" || body[idx] == "E" else { return nil }
            idx = body.index(after: idx)
            if idx < body.endIndex && (body[idx] == "+" || body[idx] == "-") { idx = body.index(after: idx) }
            var expDigits = 0
            while idx < body.endIndex && body[idx].isASCII && body[idx].isNumber { expDigits += 1; idx = body.index(after: idx) }
            guard expDigits > 0, idx == body.endIndex else { return nil }
        }
        return Double(s.trimmingCharacters(in: CharacterSet(charactersIn: " \t")))
    }

    static func table(_ input: [UInt8], options: CSVOptions = .init()) -> Result<Table, Failure> {
        let (recs, quoteFailure) = records(input, delimiter: options.delimiter)
        guard let header = recs.first else { return .failure(quoteFailure ?? Failure(code: .emptyFile, line: nil)) }
        let names = header.fields.map { String(decoding: $0, as: UTF8.self) }
        for name in names where name.trimmingCharacters(in: .whitespaces).isEmpty {
            return .failure(Failure(code: .emptyColumn, line: header.line))
        }
        if Set(names).count != names.count { return .failure(Failure(code: .duplicateColumn, line: header.line)) }
        let body = Array(recs.dropFirst())
        for r in body where r.fields.count != names.count {
            return .failure(Failure(code: .raggedRow, line: r.line))
        }
        if let quoteFailure { return .failure(quoteFailure) }
        if body.isEmpty { return .failure(Failure(code: .headerOnly, line: nil)) }
        let missing = Set(options.missingTokens.map { trimmed(Array($0.utf8)) })
        var columns: [Column] = []
        var forcedFailure: Failure?
        for (j, name) in names.enumerated() {
            let cells = body.map { $0.fields[j] }
            let isMissing = cells.map { missing.contains(trimmed($0)) }
            let numbers = cells.map(number)
            var kind: ColumnKind = .numeric
            for r in cells.indices where !isMissing[r] && numbers[r] == nil {
                if options.schema[name] == .numeric {
                    if forcedFailure == nil || body[r].line < (forcedFailure?.line ?? 0) {
                        forcedFailure = Failure(code: .notNumeric, line: body[r].line)
                    }
                }
                kind = .categorical
                break
            }
            kind = options.schema[name] ?? kind
            if kind == .numeric {
                columns.append(Column(name: name, data: .numeric(cells.indices.map { isMissing[$0] ? .nan : (numbers[$0] ?? .nan) })))
            } else {
                let texts = cells.map { String(decoding: $0, as: UTF8.self) }
                let levels = Set(texts.indices.filter { !isMissing[$0] }.map { texts[$0] }).sorted()
                let codes = texts.indices.map { isMissing[$0] ? Int32(-1) : Int32(levels.firstIndex(of: texts[$0]) ?? -1) }
                columns.append(Column(name: name, data: .categorical(codes: codes, levels: levels)))
            }
        }
        if let forcedFailure { return .failure(forcedFailure) }
        return .success(Table(columns: columns, rowCount: body.count))
    }
}

/// Table equality where NaN equals NaN (bit-for-bit on numbers, so -0 ≠ +0).
func sameTable(_ a: Table, _ b: Table) -> Bool {
    guard a.rowCount == b.rowCount, a.columnNames == b.columnNames else { return false }
    for (x, y) in zip(a.columns, b.columns) {
        switch (x.data, y.data) {
        case (.numeric(let u), .numeric(let v)):
            for (p, q) in zip(u, v) where !(p.isNaN && q.isNaN) && p.bitPattern != q.bitPattern { return false }
        case (.categorical, .categorical):
            if x.data != y.data { return false }
        default:
            return false
        }
    }
    return true
}
