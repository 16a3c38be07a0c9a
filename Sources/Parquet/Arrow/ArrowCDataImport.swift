import CArrowData
import Tabular

/// Reads a record batch handed over in memory through the Arrow C Data Interface (a struct
/// array whose children are the columns, as pyarrow's `RecordBatch._export_to_c` and Spark's
/// `mapInArrow` batches give it) into a `Table`, with the value rules of `ArrowFileReader`:
/// integers, floats, booleans, decimals → Doubles; date32/date64 in days; times, timestamps and
/// durations in seconds; utf8 / large_utf8 / binary and dictionary-encoded strings → categorical
/// columns with sorted levels; nulls → NaN / -1.
///
/// Nothing is released or kept: the caller owns both structures before and after the call.
/// The interface carries no buffer lengths, so buffers are trusted to be as long as the
/// specification says; what can be checked is (released structures, child counts, buffer counts,
/// negative lengths and offsets, string offsets out of order, dictionary indices out of range).
///
/// Format: https://arrow.apache.org/docs/format/CDataInterface.html (format strings, buffer
/// layout per type, `offset` in elements — in bits for bitmaps — applying to every buffer).
public enum ArrowCDataImport {
    /// The columns of the batch whose names are in `wanted` (all columns when nil), in batch order.
    /// Columns not wanted are skipped unread, whatever their type.
    /// - Throws: `ParquetError` naming the column (`.unsupported` for a nested or unknown type,
    ///   `.corrupt` for an inconsistent structure, `.badArgument` for a released one).
    public static func table(schema: UnsafePointer<ArrowSchema>, array: UnsafePointer<ArrowArray>,
                             wanted: Set<String>? = nil) throws(ParquetError) -> Table {
        let s = schema.pointee, a = array.pointee
        guard s.release != nil else { throw ParquetError(.badArgument, "the ArrowSchema was already released") }
        guard a.release != nil else { throw ParquetError(.badArgument, "the ArrowArray was already released") }
        let format = s.format.map { String(cString: $0) } ?? ""
        guard format == "+s" else {
            throw ParquetError(.badArgument, "expected a record batch (a struct array, format '+s'), got format '\(format)'")
        }
        guard a.length >= 0, a.offset >= 0, a.n_children == s.n_children, s.n_children >= 0 else {
            throw ParquetError(.corrupt, "record batch of \(a.length) rows at offset \(a.offset) with \(a.n_children) arrays for \(s.n_children) schema fields")
        }
        guard s.n_children == 0 || (s.children != nil && a.children != nil) else {
            throw ParquetError(.corrupt, "record batch claims \(s.n_children) columns but has no children pointers")
        }
        let rows = Int(a.length)
        let parent = Validity(array: a, logicalOffset: Int(a.offset))
        var columns: [Column] = []
        var names = Set<String>()
        for j in 0 ..< Int(s.n_children) {
            guard let childSchema = s.children?[j], let childArray = a.children?[j] else {
                throw ParquetError(.corrupt, "column \(j) has a null schema or array pointer")
            }
            let name = childSchema.pointee.name.map { String(cString: $0) } ?? ""
            if let wanted, !wanted.contains(name) { continue }
            let column = try locating(column: name.isEmpty ? "#\(j)" : name) { () throws(ParquetError) -> Column in
                guard names.insert(name).inserted else { throw ParquetError(.unsupported, "duplicate column name") }
                return try readColumn(name: name, schema: childSchema.pointee, array: childArray.pointee,
                                      rows: rows, parentOffset: Int(a.offset), parent: parent)
            }
            columns.append(column)
        }
        return Table(columns: columns, rowCount: rows)
    }

    /// The names of a record batch schema's columns (empty for a schema that is not one).
    public static func columnNames(schema: UnsafePointer<ArrowSchema>) -> [String] {
        let s = schema.pointee
        guard s.release != nil, s.n_children > 0, let children = s.children else { return [] }
        return (0 ..< Int(s.n_children)).map { j in children[j]?.pointee.name.map { String(cString: $0) } ?? "" }
    }

    /// One column: `rows` values starting at `parentOffset` (the struct's offset) plus its own.
    static func readColumn(name: String, schema: ArrowSchema, array: ArrowArray, rows n: Int,
                           parentOffset: Int, parent: Validity) throws(ParquetError) -> Column {
        guard array.release != nil else { throw ParquetError(.badArgument, "the column's ArrowArray was released") }
        let kind = try Self.kind(schema)
        guard array.offset >= 0, array.length >= 0, Int(array.length) >= parentOffset + n || n == 0 else {
            throw ParquetError(.corrupt, "array of \(array.length) values at offset \(array.offset) for \(n) rows from row \(parentOffset)")
        }
        let start = parentOffset + Int(array.offset)  // index of the first value in every buffer
        let expected: Int
        switch kind {
        case .null: expected = 0
        case .boolean, .numeric, .dictionary: expected = 2
        case .strings: expected = 3
        }
        // The spec lets a producer omit a null type's buffers; older ones pass one null bitmap.
        guard array.n_buffers == expected || (expected == 0 && array.n_buffers <= 1) else {
            throw ParquetError(.corrupt, "format '\(String(cString: schema.format))' has \(expected) buffers, the array has \(array.n_buffers)")
        }
        guard expected == 0 || array.buffers != nil else { throw ParquetError(.corrupt, "the array has no buffers pointer") }
        let own = Validity(array: array, logicalOffset: start)
        let valid: (Int) -> Bool = { i in parent.isValid(i) && own.isValid(i) }
        let anyNulls = parent.mayHaveNulls || own.mayHaveNulls
        var column = ColumnBuilder(field: ArrowField(name: name, kind: kind))
        column.reserve(n)
        func buffer(_ k: Int) throws(ParquetError) -> UnsafeRawPointer {
            guard let p = array.buffers?[k] else {
                if n == 0 { return UnsafeRawPointer(bitPattern: 8)! }  // an empty array may omit its buffers
                throw ParquetError(.corrupt, "buffer \(k) is null")
            }
            return p
        }
        switch kind {
        case .null:
            column.appendNulls(n)
        case .boolean:
            let bits = try buffer(1).assumingMemoryBound(to: UInt8.self)
            column.appendNumbers(n) { out in
                for i in 0 ..< n {
                    let k = start + i
                    out[i] = Double(bits[k >> 3] >> UInt8(k & 7) & 1)
                }
                if anyNulls { for i in 0 ..< n where !valid(i) { out[i] = .nan } }
            }
        case .numeric(let conversion, let width):
            let data = UnsafeRawBufferPointer(start: try buffer(1) + start * width, count: n * width)
            column.appendNumbers(n) { out in
                RecordBatchReader.convert(data, n, width, conversion, into: out)
                if anyNulls { for i in 0 ..< n where !valid(i) { out[i] = .nan } }
            }
        case .strings(let large):
            let strings = Strings(offsets: try buffer(1), data: try buffer(2), large: large)
            for i in 0 ..< n {
                guard valid(i) else {
                    column.codes.append(-1)
                    continue
                }
                column.codes.append(column.strings.intern(try strings.value(start + i)))
            }
        case .dictionary(_, let width, let signed, _):
            let indices = UnsafeRawBufferPointer(start: try buffer(1) + start * width, count: n * width)
            let map = try dictionaryCodes(schema, array, into: &column)
            for i in 0 ..< n {
                guard valid(i) else {
                    column.codes.append(-1)
                    continue
                }
                let raw = RecordBatchReader.integer(indices, i, width, signed)
                guard raw >= 0, raw < Int64(map.count) else {
                    throw ParquetError(.corrupt, "row \(i): dictionary index \(raw) out of range (the dictionary has \(map.count) entries)")
                }
                column.codes.append(map[Int(raw)])
            }
        }
        return column.finish()
    }

    /// The column's code of each dictionary entry (-1 for a null entry), interning the entries.
    private static func dictionaryCodes(_ schema: ArrowSchema, _ array: ArrowArray, into column: inout ColumnBuilder) throws(ParquetError) -> [Int32] {
        guard let dictSchema = schema.dictionary, let dictArray = array.dictionary else {
            throw ParquetError(.corrupt, "dictionary-encoded column without its dictionary array")
        }
        let d = dictArray.pointee
        guard d.release != nil, d.length >= 0, d.offset >= 0, d.n_buffers == 3, let buffers = d.buffers else {
            throw ParquetError(.corrupt, "dictionary array of \(d.length) values, \(d.n_buffers) buffers (3 expected for strings)")
        }
        guard case .strings(let large) = try kind(dictSchema.pointee) else {
            throw ParquetError(.unsupported, "dictionary of values other than strings (format '\(String(cString: dictSchema.pointee.format))')")
        }
        let count = Int(d.length), start = Int(d.offset)
        if count == 0 { return [] }
        guard let offsets = buffers[1], let data = buffers[2] else { throw ParquetError(.corrupt, "dictionary without offsets or data buffer") }
        let strings = Strings(offsets: offsets, data: data, large: large)
        let validity = Validity(array: d, logicalOffset: start)
        var map: [Int32] = []
        map.reserveCapacity(count)
        for k in 0 ..< count {
            map.append(validity.isValid(k) ? column.strings.intern(try strings.value(start + k)) : -1)
        }
        return map
    }

    /// How a column of this schema is read; dictionary-encoded strings from the index format.
    static func kind(_ schema: ArrowSchema) throws(ParquetError) -> ArrowField.Kind {
        guard let raw = schema.format else { throw ParquetError(.corrupt, "schema without a format string") }
        let format = String(cString: raw)
        if let dictionary = schema.dictionary {
            let (width, signed): (Int, Bool)
            switch format {
            case "c": (width, signed) = (1, true)
            case "C": (width, signed) = (1, false)
            case "s": (width, signed) = (2, true)
            case "S": (width, signed) = (2, false)
            case "i": (width, signed) = (4, true)
            case "I": (width, signed) = (4, false)
            case "l": (width, signed) = (8, true)
            case "L": (width, signed) = (8, false)
            default: throw ParquetError(.corrupt, "dictionary index format '\(format)' is not an integer type")
            }
            guard case .strings(let large) = try kind(dictionary.pointee) else {
                throw ParquetError(.unsupported, "dictionary-encoded values other than strings (value format '\(dictionary.pointee.format.map { String(cString: $0) } ?? "")')")
            }
            return .dictionary(id: 0, indexWidth: width, indexSigned: signed, largeOffsets: large)
        }
        func unit(_ c: Character) -> Double? {
            switch c {
            case "s": 1
            case "m": 1e3
            case "u": 1e6
            case "n": 1e9
            default: nil
            }
        }
        switch format {
        case "n": return .null
        case "b": return .boolean
        case "c": return .numeric(.signed(divisor: 1), width: 1)
        case "C": return .numeric(.unsigned(divisor: 1), width: 1)
        case "s": return .numeric(.signed(divisor: 1), width: 2)
        case "S": return .numeric(.unsigned(divisor: 1), width: 2)
        case "i": return .numeric(.signed(divisor: 1), width: 4)
        case "I": return .numeric(.unsigned(divisor: 1), width: 4)
        case "l": return .numeric(.signed(divisor: 1), width: 8)
        case "L": return .numeric(.unsigned(divisor: 1), width: 8)
        case "e": return .numeric(.float16, width: 2)
        case "f": return .numeric(.float32, width: 4)
        case "g": return .numeric(.float64, width: 8)
        case "u", "z": return .strings(largeOffsets: false)
        case "U", "Z": return .strings(largeOffsets: true)
        case "tdD": return .numeric(.signed(divisor: 1), width: 4)            // date32: days
        case "tdm": return .numeric(.signed(divisor: 86_400_000), width: 8)   // date64: ms → days
        case "tts", "ttm": return .numeric(.signed(divisor: unit(format.last ?? " ") ?? 1), width: 4)
        case "ttu", "ttn": return .numeric(.signed(divisor: unit(format.last ?? " ") ?? 1), width: 8)
        default: break
        }
        let chars = Array(format)
        if format.hasPrefix("ts"), chars.count >= 4, chars[3] == ":", let u = unit(chars[2]) {
            return .numeric(.signed(divisor: u), width: 8)  // timestamp (any time zone): seconds since the epoch
        }
        if format.hasPrefix("tD"), chars.count == 3, let u = unit(chars[2]) {
            return .numeric(.signed(divisor: u), width: 8)  // duration: seconds
        }
        if format.hasPrefix("d:") {
            let parts = format.dropFirst(2).split(separator: ",").map { Int($0) }
            guard parts.count == 2 || parts.count == 3, let scale = parts[1], parts.allSatisfy({ $0 != nil }), (0 ... 76).contains(scale) else {
                throw ParquetError(.corrupt, "decimal format '\(format)'")
            }
            guard parts.count == 2 || parts[2] == 128 else { throw ParquetError(.unsupported, "Decimal\(parts[2] ?? 0) (Decimal128 is supported)") }
            var divisor = 1.0
            for _ in 0 ..< scale { divisor *= 10 }
            return .numeric(.decimal128(divisor: divisor), width: 16)
        }
        let names: [String: String] = ["+l": "list", "+L": "large list", "+s": "struct", "+m": "map", "vu": "string view",
                                       "vz": "binary view", "+vl": "list view", "+vL": "large list view", "+r": "run-end encoded"]
        let named = names[format] ?? (format.hasPrefix("+w") ? "fixed-size list" : format.hasPrefix("w:") ? "fixed-size binary"
            : format.hasPrefix("+u") ? "union" : format.hasPrefix("ti") ? "interval" : "unknown")
        throw ParquetError(.unsupported, "Arrow type with format '\(format)' (\(named)) is not supported: Plumb reads numbers, booleans, dates and times, strings and dictionary-encoded strings")
    }
}

/// A validity bitmap seen from one logical offset; no bitmap (or a null count of 0) = all valid.
struct Validity {
    let bits: UnsafePointer<UInt8>?
    let offset: Int

    init(array: ArrowArray, logicalOffset: Int) {
        offset = logicalOffset
        if array.null_count != 0, array.n_buffers > 0, let b = array.buffers?[0] {
            bits = b.assumingMemoryBound(to: UInt8.self)
        } else {
            bits = nil
        }
    }

    var mayHaveNulls: Bool { bits != nil }

    @inline(__always)  // called per value in the column loops
    func isValid(_ i: Int) -> Bool {
        guard let bits else { return true }
        let k = offset + i
        return bits[k >> 3] >> UInt8(k & 7) & 1 == 1
    }
}

/// A utf8/binary array's offsets and data (32- or 64-bit offsets).
struct Strings {
    let offsets: UnsafeRawPointer
    let data: UnsafeRawPointer
    let large: Bool

    init(offsets: UnsafeRawPointer, data: UnsafeRawPointer, large: Bool) {
        self.offsets = offsets
        self.data = data
        self.large = large
    }

    private func offset(_ i: Int) -> Int64 {
        large ? offsets.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
            : Int64(offsets.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
    }

    /// The bytes of value `i` (an index into the buffers, offset already applied).
    func value(_ i: Int) throws(ParquetError) -> UnsafeRawBufferPointer {
        let start = offset(i), end = offset(i + 1)
        guard start >= 0, start <= end, end - start < 1 << 31 else {
            throw ParquetError(.corrupt, "string \(i) spans offsets \(start)..<\(end)")
        }
        return UnsafeRawBufferPointer(start: data + Int(start), count: Int(end - start))
    }
}
