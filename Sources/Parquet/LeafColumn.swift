import Tabular

/// How a column's physical values become Doubles.
enum NumericConversion: Sendable, Equatable {
    /// BOOLEAN → 0 / 1.
    case boolean
    /// INT32 / INT64 read as signed (or unsigned) integers, then divided by `divisor` (1 for plain
    /// integers and DATE, 10^scale for DECIMAL, ticks per second for TIMESTAMP and TIME).
    case integer(unsigned: Bool, divisor: Double)
    case float
    case double
    /// INT96 legacy timestamps (nanoseconds of the day, then the Julian day) → seconds.
    case int96
    /// FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY DECIMAL: big-endian two's complement unscaled value.
    case decimalBytes(divisor: Double)
    /// FIXED_LEN_BYTE_ARRAY(2) FLOAT16, little-endian IEEE half.
    case float16
}

/// One leaf column of a flat schema: where it is, what its bytes are, and what Plumb makes of it.
struct LeafColumn: Sendable {
    enum Output: Sendable, Equatable {
        case numeric(NumericConversion)
        /// UTF-8 strings (or unannotated byte arrays) → a categorical column.
        case strings
    }

    var name: String
    var physicalType: PhysicalType
    /// Bytes per value for FIXED_LEN_BYTE_ARRAY, else 0.
    var typeLength: Int
    /// OPTIONAL (max definition level 1) or REQUIRED (no definition levels).
    var isOptional: Bool
    var output: Output

    var kind: ColumnKind { output == .strings ? .categorical : .numeric }

    /// Bytes per PLAIN value for fixed-width types; nil for BOOLEAN (bits) and BYTE_ARRAY.
    var plainWidth: Int? {
        switch physicalType {
        case .boolean, .byteArray: nil
        case .int32, .float: 4
        case .int64, .double: 8
        case .int96: 12
        case .fixedLenByteArray: typeLength
        }
    }

    /// A human name of the Parquet type, for errors and `ParquetReader.columns`.
    var typeDescription: String {
        let physical = switch physicalType {
        case .boolean: "BOOLEAN"
        case .int32: "INT32"
        case .int64: "INT64"
        case .int96: "INT96"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .byteArray: "BYTE_ARRAY"
        case .fixedLenByteArray: "FIXED_LEN_BYTE_ARRAY(\(typeLength))"
        }
        return physical
    }

    /// The leaves of a flat schema (the root's children, all primitive and not repeated).
    /// - Throws: `.unsupported` naming the first nested or unreadable column, `.corrupt` for a
    ///   malformed schema tree.
    static func leaves(of schema: [SchemaElement]) throws(ParquetError) -> [LeafColumn] {
        guard let root = schema.first else { throw ParquetError(.corrupt, "FileMetaData.schema is empty") }
        let children = Int(root.numChildren ?? 0)
        guard children >= 0 else { throw ParquetError(.corrupt, "schema root has \(children) children") }
        var leaves: [LeafColumn] = []
        var i = 1
        for _ in 0 ..< children {
            guard i < schema.count else {
                throw ParquetError(.corrupt, "schema root claims \(children) children, the schema lists \(schema.count - 1) elements")
            }
            let e = schema[i]
            if (e.numChildren ?? 0) > 0 || e.type == nil {
                let shape = switch e.logicalType ?? .other(0) {
                case .list: "a list"
                case .map: "a map"
                default: e.convertedType == .list ? "a list" : e.convertedType == .map ? "a map" : "a struct (group)"
                }
                throw ParquetError(.unsupported, "nested column: '\(e.name)' is \(shape); Plumb reads flat schemas only", column: e.name)
            }
            if e.repetitionType == .repeated {
                throw ParquetError(.unsupported, "nested column: '\(e.name)' is repeated (a list); Plumb reads flat schemas only", column: e.name)
            }
            leaves.append(try leaf(e))
            i += 1
        }
        guard i == schema.count else {
            throw ParquetError(.corrupt, "schema lists \(schema.count - 1) elements, the root claims \(children) children")
        }
        var names = Set<String>()
        for l in leaves where !names.insert(l.name).inserted {
            throw ParquetError(.unsupported, "duplicate column name '\(l.name)'", column: l.name)
        }
        return leaves
    }

    private static func leaf(_ e: SchemaElement) throws(ParquetError) -> LeafColumn {
        guard let type = e.type else { throw ParquetError(.corrupt, "column has no physical type", column: e.name) }
        func unsupported(_ what: String) -> ParquetError {
            ParquetError(.unsupported, "\(what) is not supported", column: e.name)
        }
        var typeLength = 0
        if type == .fixedLenByteArray {
            guard let l = e.typeLength, l > 0 else {
                throw ParquetError(.corrupt, "FIXED_LEN_BYTE_ARRAY without a positive type_length", column: e.name)
            }
            typeLength = Int(l)
        }
        // The logical type wins; the converted type stands in for files that only have it.
        var logical = e.logicalType
        if logical == nil, let c = e.convertedType {
            logical = switch c {
            case .utf8: .string
            case .enumType: .enumType
            case .json: .json
            case .bson: .bson
            case .decimal: .decimal(scale: e.scale ?? 0, precision: e.precision ?? 0)
            case .date: .date
            case .timeMillis: .time(isAdjustedToUTC: true, unit: .millis)
            case .timeMicros: .time(isAdjustedToUTC: true, unit: .micros)
            case .timestampMillis: .timestamp(isAdjustedToUTC: true, unit: .millis)
            case .timestampMicros: .timestamp(isAdjustedToUTC: true, unit: .micros)
            case .uint8: .integer(bitWidth: 8, isSigned: false)
            case .uint16: .integer(bitWidth: 16, isSigned: false)
            case .uint32: .integer(bitWidth: 32, isSigned: false)
            case .uint64: .integer(bitWidth: 64, isSigned: false)
            case .int8: .integer(bitWidth: 8, isSigned: true)
            case .int16: .integer(bitWidth: 16, isSigned: true)
            case .int32: .integer(bitWidth: 32, isSigned: true)
            case .int64: .integer(bitWidth: 64, isSigned: true)
            case .interval: .other(-21)
            case .map, .mapKeyValue, .list: .other(-1)
            }
        }
        let output: Output
        switch (type, logical) {
        case (.boolean, _): output = .numeric(.boolean)
        case (.int32, .decimal(let scale, _)), (.int64, .decimal(let scale, _)):
            output = .numeric(.integer(unsigned: false, divisor: try decimalDivisor(scale, e.name)))
        case (.int32, .integer(_, let signed)), (.int64, .integer(_, let signed)):
            output = .numeric(.integer(unsigned: !signed, divisor: 1))
        case (.int32, .time(_, let unit)), (.int64, .time(_, let unit)), (.int64, .timestamp(_, let unit)):
            output = .numeric(.integer(unsigned: false, divisor: unit.perSecond))
        case (.int32, _), (.int64, _):
            // DATE (days since the epoch), UNKNOWN (all null) and unannotated integers.
            output = .numeric(.integer(unsigned: false, divisor: 1))
        case (.int96, _): output = .numeric(.int96)
        case (.float, _): output = .numeric(.float)
        case (.double, _): output = .numeric(.double)
        case (.byteArray, .decimal(let scale, _)):
            output = .numeric(.decimalBytes(divisor: try decimalDivisor(scale, e.name)))
        case (.byteArray, _): output = .strings
        case (.fixedLenByteArray, .decimal(let scale, _)):
            guard typeLength <= 16 else { throw unsupported("DECIMAL in FIXED_LEN_BYTE_ARRAY(\(typeLength)) wider than 16 bytes") }
            output = .numeric(.decimalBytes(divisor: try decimalDivisor(scale, e.name)))
        case (.fixedLenByteArray, .float16):
            guard typeLength == 2 else { throw ParquetError(.corrupt, "FLOAT16 needs FIXED_LEN_BYTE_ARRAY(2), not (\(typeLength))", column: e.name) }
            output = .numeric(.float16)
        case (.fixedLenByteArray, let l):
            throw unsupported("FIXED_LEN_BYTE_ARRAY(\(typeLength)) \(l.map { "with logical type \($0)" } ?? "without a DECIMAL annotation")")
        }
        return LeafColumn(name: e.name, physicalType: type, typeLength: typeLength,
                          isOptional: e.repetitionType != .required, output: output)
    }

    private static func decimalDivisor(_ scale: Int32, _ name: String) throws(ParquetError) -> Double {
        guard scale >= 0 && scale <= 76 else {
            throw ParquetError(.corrupt, "DECIMAL scale \(scale) out of range 0…76", column: name)
        }
        // Powers of ten up to 1e22 are exact Doubles, so value / 10^scale is correctly rounded.
        var d = 1.0
        for _ in 0 ..< scale { d *= 10 }
        return d
    }
}
