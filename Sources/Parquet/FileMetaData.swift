/// Parquet's footer structures, one type per structure of `parquet.thrift` (Apache Parquet format
/// 2.x), with the spec's names in camel case and the spec's field ids in the decoders. Only the
/// fields Plumb uses are kept; every other field is skipped, so files from newer writers read.

/// `Type`: the physical type of a column.
enum PhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// `FieldRepetitionType`.
enum FieldRepetitionType: Int32, Sendable {
    case required = 0, optional = 1, repeated = 2
}

/// `ConvertedType` (the legacy annotation, still written next to `LogicalType`).
enum ConvertedType: Int32, Sendable {
    case utf8 = 0, map = 1, mapKeyValue = 2, list = 3, enumType = 4, decimal = 5, date = 6,
         timeMillis = 7, timeMicros = 8, timestampMillis = 9, timestampMicros = 10,
         uint8 = 11, uint16 = 12, uint32 = 13, uint64 = 14, int8 = 15, int16 = 16, int32 = 17, int64 = 18,
         json = 19, bson = 20, interval = 21
}

/// `Encoding`.
enum Encoding: Int32, Sendable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5,
         deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

/// `CompressionCodec`.
enum CompressionCodec: Int32, Sendable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7
}

/// `PageType`.
enum PageType: Int32, Sendable {
    case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

/// `TimeUnit` (a union of empty structs).
enum TimeUnit: Sendable, Equatable {
    case millis, micros, nanos

    /// Ticks per second.
    var perSecond: Double {
        switch self {
        case .millis: 1e3
        case .micros: 1e6
        case .nanos: 1e9
        }
    }
}

/// `LogicalType` (a union); annotations Plumb does not interpret are `.other` with their field id.
enum LogicalType: Sendable, Equatable {
    case string, map, list, enumType, decimal(scale: Int32, precision: Int32), date
    case time(isAdjustedToUTC: Bool, unit: TimeUnit)
    case timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
    case integer(bitWidth: Int8, isSigned: Bool)
    case unknown, json, bson, uuid, float16
    case other(Int16)
}

/// `SchemaElement`: one node of the schema tree, stored depth first.
struct SchemaElement: Sendable {
    var type: PhysicalType?
    var typeLength: Int32?
    var repetitionType: FieldRepetitionType?
    var name: String = ""
    var numChildren: Int32?
    var convertedType: ConvertedType?
    var scale: Int32?
    var precision: Int32?
    var logicalType: LogicalType?
}

/// `Statistics` of a column chunk or page (min/max as plain-encoded bytes). The deprecated
/// `min`/`max` fields (1, 2), whose order is undefined for strings, are skipped.
struct Statistics: Sendable, Equatable {
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?
}

/// `ColumnMetaData`.
struct ColumnMetaData: Sendable {
    var type: PhysicalType = .boolean
    var encodings: [Int32] = []
    var pathInSchema: [String] = []
    var codec: CompressionCodec = .uncompressed
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var statistics: Statistics?
}

/// `ColumnChunk`.
struct ColumnChunk: Sendable {
    var filePath: String?
    var fileOffset: Int64 = 0
    var metaData: ColumnMetaData?
    var hasCryptoMetadata = false
}

/// `RowGroup`.
struct RowGroup: Sendable {
    var columns: [ColumnChunk] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
}

/// `KeyValue`.
struct KeyValue: Sendable {
    var key: String
    var value: String?
}

/// `FileMetaData`: the footer.
struct FileMetaData: Sendable {
    var version: Int32 = 0
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroup] = []
    var keyValueMetadata: [KeyValue] = []
    var createdBy: String?
    /// One `ColumnOrder` per leaf; Plumb writes TYPE_ORDER for each.
    var columnOrderCount: Int = 0
    var hasEncryptionAlgorithm = false
}

/// `PageHeader` with its three page-kind headers.
struct PageHeader: Sendable {
    var type: PageType?
    var rawType: Int32 = 0
    var uncompressedPageSize: Int32 = 0
    var compressedPageSize: Int32 = 0
    var dataPageHeader: DataPageHeader?
    var dictionaryPageHeader: DictionaryPageHeader?
    var dataPageHeaderV2: DataPageHeaderV2?
}

/// `DataPageHeader` (data page v1).
struct DataPageHeader: Sendable {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelEncoding: Int32 = 0
    var repetitionLevelEncoding: Int32 = 0
    var statistics: Statistics?
}

/// `DictionaryPageHeader`.
struct DictionaryPageHeader: Sendable {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
}

/// `DataPageHeaderV2`.
struct DataPageHeaderV2: Sendable {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelsByteLength: Int32 = 0
    var repetitionLevelsByteLength: Int32 = 0
    var isCompressed = true
    var statistics: Statistics?
}
