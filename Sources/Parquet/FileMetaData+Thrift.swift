/// Decoding and encoding of the footer structures in the Thrift Compact Protocol. Field ids are
/// those of `parquet.thrift`; unknown fields (and known ids with an unexpected type) are skipped.

private func missing(_ structure: String, _ field: String, _ id: Int, _ r: ThriftCompactReader) -> ParquetError {
    ParquetError(.corrupt, "\(structure): required field '\(field)' (\(id)) missing", offset: r.cursor.fileOffset)
}

private func badEnum(_ structure: String, _ field: String, _ value: Int32, _ r: ThriftCompactReader) -> ParquetError {
    ParquetError(.corrupt, "\(structure).\(field): unknown value \(value)", offset: r.cursor.fileOffset)
}

extension FileMetaData {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> FileMetaData {
        var m = FileMetaData()
        var seen: Set<Int16> = []
        try r.readStruct("FileMetaData") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32): m.version = try r.readI32("FileMetaData.version")
            case (2, .list):
                m.schema = try r.readList("FileMetaData.schema", expecting: .struct) { (r) throws(ParquetError) in try SchemaElement.decode(&r) }
            case (3, .i64): m.numRows = try r.readI64("FileMetaData.num_rows")
            case (4, .list):
                m.rowGroups = try r.readList("FileMetaData.row_groups", expecting: .struct) { (r) throws(ParquetError) in try RowGroup.decode(&r) }
            case (5, .list):
                m.keyValueMetadata = try r.readList("FileMetaData.key_value_metadata", expecting: .struct) { (r) throws(ParquetError) in try KeyValue.decode(&r) }
            case (6, .binary): m.createdBy = try r.readString("FileMetaData.created_by")
            case (7, .list):
                let (count, element) = try r.readListHeader("FileMetaData.column_orders")
                for _ in 0 ..< count { try r.skip(element) }
                m.columnOrderCount = count
            case (8, .struct):
                m.hasEncryptionAlgorithm = true
                try r.skip(type)
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(2, "schema"), (3, "num_rows"), (4, "row_groups")] where !seen.contains(Int16(id)) {
            throw missing("FileMetaData", name, id, r)
        }
        return m
    }

    func encode(_ w: inout ThriftCompactWriter) {
        w.beginStruct()
        w.writeI32(1, version)
        w.listHeader(2, .struct, count: schema.count)
        for e in schema { e.encode(&w) }
        w.writeI64(3, numRows)
        w.listHeader(4, .struct, count: rowGroups.count)
        for g in rowGroups { g.encode(&w) }
        if !keyValueMetadata.isEmpty {
            w.listHeader(5, .struct, count: keyValueMetadata.count)
            for kv in keyValueMetadata {
                w.beginStruct()
                w.writeString(1, kv.key)
                if let v = kv.value { w.writeString(2, v) }
                w.endStruct()
            }
        }
        if let createdBy { w.writeString(6, createdBy) }
        if columnOrderCount > 0 {
            // ColumnOrder is a union; TYPE_ORDER (1) is an empty TypeDefinedOrder struct.
            w.listHeader(7, .struct, count: columnOrderCount)
            for _ in 0 ..< columnOrderCount {
                w.beginStruct()
                w.writeStruct(1) { _ in }
                w.endStruct()
            }
        }
        w.endStruct()
    }
}

extension KeyValue {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> KeyValue {
        var kv = KeyValue(key: "", value: nil)
        try r.readStruct("KeyValue") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .binary): kv.key = try r.readString("KeyValue.key")
            case (2, .binary): kv.value = try r.readString("KeyValue.value")
            default: try r.skip(type)
            }
        }
        return kv
    }
}

extension SchemaElement {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> SchemaElement {
        var e = SchemaElement()
        var hasName = false
        try r.readStruct("SchemaElement") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32):
                let v = try r.readI32("SchemaElement.type")
                guard let t = PhysicalType(rawValue: v) else { throw badEnum("SchemaElement", "type", v, r) }
                e.type = t
            case (2, .i32): e.typeLength = try r.readI32("SchemaElement.type_length")
            case (3, .i32):
                let v = try r.readI32("SchemaElement.repetition_type")
                guard let t = FieldRepetitionType(rawValue: v) else { throw badEnum("SchemaElement", "repetition_type", v, r) }
                e.repetitionType = t
            case (4, .binary):
                e.name = try r.readString("SchemaElement.name")
                hasName = true
            case (5, .i32): e.numChildren = try r.readI32("SchemaElement.num_children")
            case (6, .i32):
                // An unknown converted type is kept as nil: the logical type (or the physical
                // type alone) still says how to read the column.
                e.convertedType = ConvertedType(rawValue: try r.readI32("SchemaElement.converted_type"))
            case (7, .i32): e.scale = try r.readI32("SchemaElement.scale")
            case (8, .i32): e.precision = try r.readI32("SchemaElement.precision")
            case (10, .struct): e.logicalType = try LogicalType.decode(&r)
            default: try r.skip(type)
            }
        }
        guard hasName else { throw missing("SchemaElement", "name", 4, r) }
        return e
    }

    func encode(_ w: inout ThriftCompactWriter) {
        w.beginStruct()
        if let type { w.writeI32(1, type.rawValue) }
        if let typeLength { w.writeI32(2, typeLength) }
        if let repetitionType { w.writeI32(3, repetitionType.rawValue) }
        w.writeString(4, name)
        if let numChildren { w.writeI32(5, numChildren) }
        if let convertedType { w.writeI32(6, convertedType.rawValue) }
        if let scale { w.writeI32(7, scale) }
        if let precision { w.writeI32(8, precision) }
        if let logicalType { logicalType.encode(10, &w) }
        w.endStruct()
    }
}

extension TimeUnit {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> TimeUnit? {
        var unit: TimeUnit?
        try r.readStruct("TimeUnit") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .struct): unit = .millis
            case (2, .struct): unit = .micros
            case (3, .struct): unit = .nanos
            default: break
            }
            try r.skip(type)
        }
        return unit
    }
}

extension LogicalType {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> LogicalType? {
        var result: LogicalType?
        try r.readStruct("LogicalType") { (r, id, type) throws(ParquetError) in
            guard type == .struct else { return try r.skip(type) }
            switch id {
            case 1: result = .string
            case 2: result = .map
            case 3: result = .list
            case 4: result = .enumType
            case 5:
                var scale: Int32 = 0, precision: Int32 = 0
                try r.readStruct("DecimalType") { (r, id, type) throws(ParquetError) in
                    switch (id, type) {
                    case (1, .i32): scale = try r.readI32("DecimalType.scale")
                    case (2, .i32): precision = try r.readI32("DecimalType.precision")
                    default: try r.skip(type)
                    }
                }
                result = .decimal(scale: scale, precision: precision)
                return
            case 6: result = .date
            case 7, 8:
                var utc = false
                var unit: TimeUnit?
                try r.readStruct(id == 7 ? "TimeType" : "TimestampType") { (r, id, type) throws(ParquetError) in
                    switch (id, type) {
                    case (1, .boolTrue), (1, .boolFalse): utc = type == .boolTrue
                    case (2, .struct): unit = try TimeUnit.decode(&r)
                    default: try r.skip(type)
                    }
                }
                guard let unit else {
                    throw ParquetError(.unsupported, "\(id == 7 ? "TimeType" : "TimestampType"): unknown time unit", offset: r.cursor.fileOffset)
                }
                result = id == 7 ? .time(isAdjustedToUTC: utc, unit: unit) : .timestamp(isAdjustedToUTC: utc, unit: unit)
                return
            case 10:
                var width: Int8 = 0, signed = true
                try r.readStruct("IntType") { (r, id, type) throws(ParquetError) in
                    switch (id, type) {
                    case (1, .byte): width = try r.readI8("IntType.bitWidth")
                    case (2, .boolTrue), (2, .boolFalse): signed = type == .boolTrue
                    default: try r.skip(type)
                    }
                }
                result = .integer(bitWidth: width, isSigned: signed)
                return
            case 11: result = .unknown
            case 12: result = .json
            case 13: result = .bson
            case 14: result = .uuid
            case 15: result = .float16
            default: result = .other(id)
            }
            try r.skip(type)
        }
        return result
    }

    func encode(_ id: Int16, _ w: inout ThriftCompactWriter) {
        w.writeStruct(id) { w in
            switch self {
            case .string: w.writeStruct(1) { _ in }
            case .decimal(let scale, let precision):
                w.writeStruct(5) { w in
                    w.writeI32(1, scale)
                    w.writeI32(2, precision)
                }
            case .date: w.writeStruct(6) { _ in }
            default: preconditionFailure("LogicalType.encode: Plumb writes only STRING, DECIMAL and DATE")
            }
        }
    }
}

extension Statistics {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> Statistics {
        var s = Statistics()
        try r.readStruct("Statistics") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (3, .i64): s.nullCount = try r.readI64("Statistics.null_count")
            case (4, .i64): s.distinctCount = try r.readI64("Statistics.distinct_count")
            case (5, .binary): s.maxValue = try r.readBinary("Statistics.max_value")
            case (6, .binary): s.minValue = try r.readBinary("Statistics.min_value")
            default: try r.skip(type)
            }
        }
        return s
    }

    func encode(_ id: Int16, _ w: inout ThriftCompactWriter) {
        w.writeStruct(id) { w in
            if let nullCount { w.writeI64(3, nullCount) }
            if let distinctCount { w.writeI64(4, distinctCount) }
            if let maxValue { w.writeBinary(5, maxValue) }
            if let minValue { w.writeBinary(6, minValue) }
        }
    }
}

extension ColumnMetaData {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> ColumnMetaData {
        var m = ColumnMetaData()
        var seen: Set<Int16> = []
        try r.readStruct("ColumnMetaData") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32):
                let v = try r.readI32("ColumnMetaData.type")
                guard let t = PhysicalType(rawValue: v) else { throw badEnum("ColumnMetaData", "type", v, r) }
                m.type = t
            case (2, .list):
                m.encodings = try r.readList("ColumnMetaData.encodings", expecting: .i32) { (r) throws(ParquetError) in try r.readI32("ColumnMetaData.encodings") }
            case (3, .list):
                m.pathInSchema = try r.readList("ColumnMetaData.path_in_schema", expecting: .binary) { (r) throws(ParquetError) in try r.readString("ColumnMetaData.path_in_schema") }
            case (4, .i32):
                let v = try r.readI32("ColumnMetaData.codec")
                guard let c = CompressionCodec(rawValue: v) else {
                    throw ParquetError(.unsupported, "ColumnMetaData.codec: unknown compression codec \(v)", offset: r.cursor.fileOffset)
                }
                m.codec = c
            case (5, .i64): m.numValues = try r.readI64("ColumnMetaData.num_values")
            case (6, .i64): m.totalUncompressedSize = try r.readI64("ColumnMetaData.total_uncompressed_size")
            case (7, .i64): m.totalCompressedSize = try r.readI64("ColumnMetaData.total_compressed_size")
            case (9, .i64): m.dataPageOffset = try r.readI64("ColumnMetaData.data_page_offset")
            case (11, .i64): m.dictionaryPageOffset = try r.readI64("ColumnMetaData.dictionary_page_offset")
            case (12, .struct): m.statistics = try Statistics.decode(&r)
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "type"), (4, "codec"), (5, "num_values"), (7, "total_compressed_size"), (9, "data_page_offset")]
        where !seen.contains(Int16(id)) {
            throw missing("ColumnMetaData", name, id, r)
        }
        return m
    }

    func encode(_ id: Int16, _ w: inout ThriftCompactWriter) {
        w.writeStruct(id) { w in
            w.writeI32(1, type.rawValue)
            w.listHeader(2, .i32, count: encodings.count)
            for e in encodings { w.writeElementInt(Int64(e)) }
            w.listHeader(3, .binary, count: pathInSchema.count)
            for p in pathInSchema { w.writeElementString(p) }
            w.writeI32(4, codec.rawValue)
            w.writeI64(5, numValues)
            w.writeI64(6, totalUncompressedSize)
            w.writeI64(7, totalCompressedSize)
            w.writeI64(9, dataPageOffset)
            if let dictionaryPageOffset { w.writeI64(11, dictionaryPageOffset) }
            if let statistics { statistics.encode(12, &w) }
        }
    }
}

extension ColumnChunk {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> ColumnChunk {
        var c = ColumnChunk()
        try r.readStruct("ColumnChunk") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .binary): c.filePath = try r.readString("ColumnChunk.file_path")
            case (2, .i64): c.fileOffset = try r.readI64("ColumnChunk.file_offset")
            case (3, .struct): c.metaData = try ColumnMetaData.decode(&r)
            case (8, .struct), (9, .binary):
                c.hasCryptoMetadata = true
                try r.skip(type)
            default: try r.skip(type)
            }
        }
        return c
    }

    func encode(_ w: inout ThriftCompactWriter) {
        w.beginStruct()
        w.writeI64(2, fileOffset)
        metaData?.encode(3, &w)
        w.endStruct()
    }
}

extension RowGroup {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> RowGroup {
        var g = RowGroup()
        var seen: Set<Int16> = []
        try r.readStruct("RowGroup") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .list):
                g.columns = try r.readList("RowGroup.columns", expecting: .struct) { (r) throws(ParquetError) in try ColumnChunk.decode(&r) }
            case (2, .i64): g.totalByteSize = try r.readI64("RowGroup.total_byte_size")
            case (3, .i64): g.numRows = try r.readI64("RowGroup.num_rows")
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "columns"), (3, "num_rows")] where !seen.contains(Int16(id)) {
            throw missing("RowGroup", name, id, r)
        }
        return g
    }

    func encode(_ w: inout ThriftCompactWriter) {
        w.beginStruct()
        w.listHeader(1, .struct, count: columns.count)
        for c in columns { c.encode(&w) }
        w.writeI64(2, totalByteSize)
        w.writeI64(3, numRows)
        w.endStruct()
    }
}

extension PageHeader {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> PageHeader {
        var h = PageHeader()
        var seen: Set<Int16> = []
        try r.readStruct("PageHeader") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32):
                h.rawType = try r.readI32("PageHeader.type")
                h.type = PageType(rawValue: h.rawType)
            case (2, .i32): h.uncompressedPageSize = try r.readI32("PageHeader.uncompressed_page_size")
            case (3, .i32): h.compressedPageSize = try r.readI32("PageHeader.compressed_page_size")
            case (5, .struct): h.dataPageHeader = try DataPageHeader.decode(&r)
            case (7, .struct): h.dictionaryPageHeader = try DictionaryPageHeader.decode(&r)
            case (8, .struct): h.dataPageHeaderV2 = try DataPageHeaderV2.decode(&r)
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "type"), (2, "uncompressed_page_size"), (3, "compressed_page_size")] where !seen.contains(Int16(id)) {
            throw missing("PageHeader", name, id, r)
        }
        guard h.uncompressedPageSize >= 0, h.compressedPageSize >= 0 else {
            throw ParquetError(.corrupt, "PageHeader: negative page size (compressed \(h.compressedPageSize), uncompressed \(h.uncompressedPageSize))", offset: r.cursor.fileOffset)
        }
        return h
    }

    func encode(_ w: inout ThriftCompactWriter) {
        w.beginStruct()
        w.writeI32(1, rawType)
        w.writeI32(2, uncompressedPageSize)
        w.writeI32(3, compressedPageSize)
        if let d = dataPageHeader {
            w.writeStruct(5) { w in
                w.writeI32(1, d.numValues)
                w.writeI32(2, d.encoding)
                w.writeI32(3, d.definitionLevelEncoding)
                w.writeI32(4, d.repetitionLevelEncoding)
                if let s = d.statistics { s.encode(5, &w) }
            }
        }
        if let d = dictionaryPageHeader {
            w.writeStruct(7) { w in
                w.writeI32(1, d.numValues)
                w.writeI32(2, d.encoding)
            }
        }
        w.endStruct()
    }
}

extension DataPageHeader {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> DataPageHeader {
        var h = DataPageHeader()
        var seen: Set<Int16> = []
        try r.readStruct("DataPageHeader") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32): h.numValues = try r.readI32("DataPageHeader.num_values")
            case (2, .i32): h.encoding = try r.readI32("DataPageHeader.encoding")
            case (3, .i32): h.definitionLevelEncoding = try r.readI32("DataPageHeader.definition_level_encoding")
            case (4, .i32): h.repetitionLevelEncoding = try r.readI32("DataPageHeader.repetition_level_encoding")
            default: try r.skip(type)  // page statistics are not used when reading
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "num_values"), (2, "encoding")] where !seen.contains(Int16(id)) {
            throw missing("DataPageHeader", name, id, r)
        }
        return h
    }
}

extension DictionaryPageHeader {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> DictionaryPageHeader {
        var h = DictionaryPageHeader()
        var seen: Set<Int16> = []
        try r.readStruct("DictionaryPageHeader") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32): h.numValues = try r.readI32("DictionaryPageHeader.num_values")
            case (2, .i32): h.encoding = try r.readI32("DictionaryPageHeader.encoding")
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "num_values"), (2, "encoding")] where !seen.contains(Int16(id)) {
            throw missing("DictionaryPageHeader", name, id, r)
        }
        return h
    }
}

extension DataPageHeaderV2 {
    static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> DataPageHeaderV2 {
        var h = DataPageHeaderV2()
        var seen: Set<Int16> = []
        try r.readStruct("DataPageHeaderV2") { (r, id, type) throws(ParquetError) in
            switch (id, type) {
            case (1, .i32): h.numValues = try r.readI32("DataPageHeaderV2.num_values")
            case (2, .i32): h.numNulls = try r.readI32("DataPageHeaderV2.num_nulls")
            case (3, .i32): h.numRows = try r.readI32("DataPageHeaderV2.num_rows")
            case (4, .i32): h.encoding = try r.readI32("DataPageHeaderV2.encoding")
            case (5, .i32): h.definitionLevelsByteLength = try r.readI32("DataPageHeaderV2.definition_levels_byte_length")
            case (6, .i32): h.repetitionLevelsByteLength = try r.readI32("DataPageHeaderV2.repetition_levels_byte_length")
            case (7, .boolTrue), (7, .boolFalse): h.isCompressed = type == .boolTrue
            default: try r.skip(type)
            }
            seen.insert(id)
        }
        for (id, name) in [(1, "num_values"), (4, "encoding"), (5, "definition_levels_byte_length"), (6, "repetition_levels_byte_length")]
        where !seen.contains(Int16(id)) {
            throw missing("DataPageHeaderV2", name, id, r)
        }
        return h
    }
}
