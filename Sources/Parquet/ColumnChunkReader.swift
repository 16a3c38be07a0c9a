/// Where the rows of one column chunk go: the chunk's first row in the table's column.
enum ChunkDestination {
    case numeric(UnsafeMutablePointer<Double>)
    /// Codes into the chunk's own `ByteStringTable` (remapped to the table's levels afterwards).
    case codes(UnsafeMutablePointer<Int32>)
}

/// Decodes the pages of one column chunk (dictionary page, data pages v1 and v2) into its rows.
///
/// The chunk's bytes are read from the file's mapping; each page header is checked against the
/// bytes left in the chunk, each page decompressed (into a reused buffer, or for PLAIN doubles
/// without nulls straight into the rows), its definition levels decoded, its values decoded and
/// spread over the rows (null → NaN or code -1).
struct ColumnChunkReader {
    let file: ParquetFile
    let column: LeafColumn
    let meta: ColumnMetaData
    let rows: Int
    /// End of the column data in the file (the footer starts there).
    let dataEnd: Int

    /// The chunk's first byte and length, checked against the file.
    func byteRange() throws(ParquetError) -> (start: Int, count: Int) {
        var start = meta.dataPageOffset
        if let d = meta.dictionaryPageOffset, d > 0, d < start { start = d }
        let count = meta.totalCompressedSize
        guard start >= 4, count >= 0, start < Int64(dataEnd), count <= Int64(dataEnd) - start else {
            throw ParquetError(.corrupt, "column chunk of \(count) bytes at offset \(start) lies outside the data (bytes 4..<\(dataEnd))")
        }
        return (Int(start), Int(count))
    }

    /// Decodes every page into `destination`.
    /// - Returns: the chunk's distinct strings for a string column, else nil.
    func decode(into destination: ChunkDestination, scratch: Scratch) throws(ParquetError) -> ByteStringTable? {
        guard meta.type == column.physicalType else {
            throw ParquetError(.corrupt, "column chunk has physical type \(meta.type), the schema says \(column.physicalType)")
        }
        let (start, count) = try byteRange()
        // Uncompressed PLAIN doubles are copied from the file straight into the rows; the other
        // chunks are read through the mapping, whose pages are populated in one call.
        if meta.codec != .uncompressed { file.prefault(at: start, count: count) }
        var state = PageState(rows: rows)
        var cursor = ByteCursor(try file.bytes(at: start, count: count), baseOffset: start)
        while state.rowsDone < rows {
            guard !cursor.isAtEnd else {
                throw ParquetError(.truncated, "column chunk ends after \(state.rowsDone) of \(rows) values", offset: start + count)
            }
            let pageOffset = cursor.fileOffset ?? start
            do throws(ParquetError) {
                var r = ThriftCompactReader(cursor)
                let header = try PageHeader.decode(&r)
                cursor = r.cursor
                let bodyOffset = cursor.fileOffset ?? start
                let body = try cursor.readBytes(Int(header.compressedPageSize), "page body")
                try decodePage(header, body, at: bodyOffset, &state, destination, scratch)
            } catch {
                throw error.locating(offset: pageOffset)
            }
        }
        return column.output == .strings ? state.strings : nil
    }

    /// What persists from page to page within a chunk.
    struct PageState {
        let rows: Int
        var rowsDone = 0
        var numericDictionary: [Double]?
        /// Dictionary index → code in `strings`.
        var stringDictionary: [Int32]?
        var strings = ByteStringTable()
    }

    private func decodePage(_ header: PageHeader, _ body: UnsafeRawBufferPointer, at bodyOffset: Int, _ state: inout PageState,
                            _ destination: ChunkDestination, _ scratch: Scratch) throws(ParquetError) {
        switch header.type {
        case .dictionaryPage:
            guard let d = header.dictionaryPageHeader else { throw ParquetError(.corrupt, "dictionary page without a DictionaryPageHeader") }
            guard state.numericDictionary == nil && state.stringDictionary == nil else {
                throw ParquetError(.corrupt, "second dictionary page in one column chunk")
            }
            guard d.encoding == Encoding.plain.rawValue || d.encoding == Encoding.plainDictionary.rawValue else {
                throw ParquetError(.unsupported, "dictionary page encoding \(encodingName(d.encoding)) (PLAIN expected)")
            }
            let page = try decompress(body, uncompressedSize: Int(header.uncompressedPageSize), scratch)
            try readDictionary(page, count: Int(d.numValues), &state)
        case .dataPage:
            guard let d = header.dataPageHeader else { throw ParquetError(.corrupt, "data page without a DataPageHeader") }
            let n = try valueCount(d.numValues, state)
            if try copyPlainDoubles(body, at: bodyOffset, values: n, encoding: d.encoding, levelEncoding: d.definitionLevelEncoding,
                                    &state, destination) {
                return
            }
            if try decompressInPlace(body, uncompressedSize: Int(header.uncompressedPageSize), values: n,
                                     encoding: d.encoding, levelEncoding: d.definitionLevelEncoding, &state, destination) {
                return
            }
            let page = try decompress(body, uncompressedSize: Int(header.uncompressedPageSize), scratch)
            var c = ByteCursor(page)
            var defined: UnsafePointer<UInt8>?
            var nonNull = n
            if column.isOptional {
                guard d.definitionLevelEncoding == Encoding.rle.rawValue else {
                    throw ParquetError(.unsupported, "definition levels encoded \(encodingName(d.definitionLevelEncoding)) (RLE expected)")
                }
                let length = Int(try c.readLE(UInt32.self, "definition levels length"))
                let levels = try c.readBytes(length, "definition levels")
                (nonNull, defined) = try decodeLevels(levels, count: n, scratch)
            }
            let values = UnsafeRawBufferPointer(rebasing: page[c.position...])
            try decodeValues(d.encoding, values, nonNull: nonNull, rows: n, defined: defined, &state, destination, scratch)
        case .dataPageV2:
            guard let d = header.dataPageHeaderV2 else { throw ParquetError(.corrupt, "data page v2 without a DataPageHeaderV2") }
            let n = try valueCount(d.numValues, state)
            let repLength = Int(d.repetitionLevelsByteLength), defLength = Int(d.definitionLevelsByteLength)
            guard repLength >= 0, defLength >= 0, repLength + defLength <= body.count,
                  repLength + defLength <= Int(header.uncompressedPageSize) else {
                throw ParquetError(.corrupt, "data page v2 level lengths \(repLength) + \(defLength) exceed the page (\(body.count) bytes)")
            }
            var defined: UnsafePointer<UInt8>?
            var nonNull = n
            if column.isOptional {
                let levels = UnsafeRawBufferPointer(rebasing: body[repLength ..< repLength + defLength])
                (nonNull, defined) = try decodeLevels(levels, count: n, scratch)
            }
            let stored = UnsafeRawBufferPointer(rebasing: body[(repLength + defLength)...])
            let valuesSize = Int(header.uncompressedPageSize) - repLength - defLength
            if defined == nil, d.isCompressed, meta.codec != .uncompressed, d.encoding == Encoding.plain.rawValue,
               case .numeric(let out) = destination, column.output == .numeric(.double), valuesSize == n * 8 {
                // No nulls, PLAIN doubles: decompress straight into the rows.
                try Codec.decompress(meta.codec, stored, into: UnsafeMutableRawBufferPointer(start: out + state.rowsDone, count: valuesSize))
                state.rowsDone += n
                return
            }
            if defined == nil, !d.isCompressed || meta.codec == .uncompressed, d.encoding == Encoding.plain.rawValue,
               case .numeric(let out) = destination, column.output == .numeric(.double), valuesSize == n * 8, stored.count == valuesSize {
                // No nulls, PLAIN doubles stored as they are: copied from the file into the rows.
                try file.copy(at: bodyOffset + repLength + defLength, count: valuesSize, into: out + state.rowsDone)
                state.rowsDone += n
                return
            }
            let values = d.isCompressed ? try decompress(stored, uncompressedSize: valuesSize, scratch) : stored
            try decodeValues(d.encoding, values, nonNull: nonNull, rows: n, defined: defined, &state, destination, scratch)
        case .indexPage, nil:
            return  // index pages and page types newer than this reader carry no values
        }
    }

    /// Uncompressed data page v1 of PLAIN doubles without nulls: copies its values from the file
    /// into the rows (after reading the levels, when the column has them, from the mapping).
    /// - Returns: true when the page was decoded here.
    private func copyPlainDoubles(_ body: UnsafeRawBufferPointer, at bodyOffset: Int, values n: Int, encoding: Int32,
                                  levelEncoding: Int32, _ state: inout PageState, _ destination: ChunkDestination) throws(ParquetError) -> Bool {
        guard meta.codec == .uncompressed, encoding == Encoding.plain.rawValue, column.output == .numeric(.double),
              case .numeric(let out) = destination, n > 0 else { return false }
        var prefix = 0
        if column.isOptional {
            guard levelEncoding == Encoding.rle.rawValue else { return false }
            var c = ByteCursor(body)
            guard let length = try? c.readLE(UInt32.self, "definition levels length"), Int(length) <= c.remaining,
                  let header = try? c.readVarint("run header"), header & 1 == 0, header >> 1 >= UInt64(n),
                  let value = try? c.readByte("run value"), value == 1 else { return false }
            prefix = 4 + Int(length)
        }
        guard body.count - prefix == n * 8 else { return false }
        try file.copy(at: bodyOffset + prefix, count: n * 8, into: out + state.rowsDone)
        state.rowsDone += n
        return true
    }

    /// Data page v1 of PLAIN doubles without nulls: decompresses it straight into the rows, its
    /// level bytes landing on the previous page's last rows, which are saved first and restored
    /// after. Only within a chunk (the rows before its first page are another task's) and when
    /// the levels prove to be one run of "defined"; otherwise the page is moved to `.page` in
    /// the scratch space and decoded as usual.
    /// - Returns: true when the page was decoded here.
    private func decompressInPlace(_ body: UnsafeRawBufferPointer, uncompressedSize: Int, values n: Int, encoding: Int32,
                                   levelEncoding: Int32, _ state: inout PageState, _ destination: ChunkDestination) throws(ParquetError) -> Bool {
        guard meta.codec != .uncompressed, encoding == Encoding.plain.rawValue, column.output == .numeric(.double),
              case .numeric(let out) = destination, n > 0 else { return false }
        let prefix = uncompressedSize - n * 8
        guard prefix >= 0, prefix <= 32, prefix <= state.rowsDone * 8 else { return false }
        guard column.isOptional ? (prefix >= 5 && levelEncoding == Encoding.rle.rawValue) : prefix == 0 else { return false }
        let rows = UnsafeMutableRawPointer(out + state.rowsDone)
        let start = rows - prefix
        var saved: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &saved) { $0.baseAddress!.copyMemory(from: start, byteCount: prefix) }
        let restore = { withUnsafeBytes(of: &saved) { start.copyMemory(from: $0.baseAddress!, byteCount: prefix) } }
        do throws(ParquetError) {
            try Codec.decompress(meta.codec, body, into: UnsafeMutableRawBufferPointer(start: start, count: uncompressedSize))
        } catch {
            restore()
            throw error
        }
        if column.isOptional {
            var c = ByteCursor(UnsafeRawBufferPointer(start: start, count: prefix))
            let length = try? c.readLE(UInt32.self, "definition levels length")
            var allDefined = false
            if let length, Int(length) == prefix - 4, let header = try? c.readVarint("run header"), header & 1 == 0,
               header >> 1 >= UInt64(n), let value = try? c.readByte("run value"), value == 1 {
                allDefined = true
            }
            restore()
            guard allDefined else {
                // Unexpected layout: the page is in the rows; the caller decodes it again from
                // the compressed bytes.
                return false
            }
        }
        state.rowsDone += n
        return true
    }

    /// A page's value count, which must fit in the rows the chunk still lacks.
    private func valueCount(_ n: Int32, _ state: PageState) throws(ParquetError) -> Int {
        guard n >= 0, Int(n) <= state.rows - state.rowsDone else {
            throw ParquetError(.corrupt, "page of \(n) values, but only \(state.rows - state.rowsDone) of the chunk's \(state.rows) remain")
        }
        return Int(n)
    }

    private func decompress(_ body: UnsafeRawBufferPointer, uncompressedSize: Int, _ scratch: Scratch) throws(ParquetError) -> UnsafeRawBufferPointer {
        if meta.codec == .uncompressed {
            guard body.count == uncompressedSize else {
                throw ParquetError(.corrupt, "uncompressed page holds \(body.count) bytes, its header says \(uncompressedSize)")
            }
            return body
        }
        guard uncompressedSize >= 0 && uncompressedSize <= 1 << 30 else {
            throw ParquetError(.corrupt, "page claims \(uncompressedSize) uncompressed bytes (at most 1 GiB is accepted)")
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: scratch.raw(.page, uncompressedSize)[0 ..< uncompressedSize])
        try Codec.decompress(meta.codec, body, into: out)
        return UnsafeRawBufferPointer(out)
    }

    /// Definition levels (max level 1) → the non-null count and, when some are null, one byte
    /// per row (1 = defined).
    private func decodeLevels(_ bytes: UnsafeRawBufferPointer, count: Int, _ scratch: Scratch) throws(ParquetError) -> (Int, UnsafePointer<UInt8>?) {
        // The common case, no nulls: one RLE run of 1s covering the page.
        var peek = ByteCursor(bytes)
        if let header = try? peek.readVarint("run header"), header & 1 == 0, header >> 1 >= UInt64(count),
           let value = try? peek.readByte("run value"), value == 1 {
            return (count, nil)
        }
        let levels = scratch.uint8s(.levels, count)
        _ = try BitPacking.decodeHybrid(bytes, bitWidth: 1, count: count, into: levels, "definition levels")
        var defined = 0
        for i in 0 ..< count { defined &+= Int(levels[i]) }
        return (defined, defined == count ? nil : UnsafePointer(levels))
    }

    private func readDictionary(_ page: UnsafeRawBufferPointer, count: Int, _ state: inout PageState) throws(ParquetError) {
        guard count >= 0 else { throw ParquetError(.corrupt, "dictionary page of \(count) values") }
        switch column.output {
        case .numeric(let conversion):
            // The page bounds the count (checked before the dictionary is allocated).
            let bytesPerValue = column.physicalType == .boolean ? 1.0 / 8 : Double(column.plainWidth ?? 4)
            guard Double(count) * bytesPerValue <= Double(page.count) else {
                throw ParquetError(.truncated, "dictionary page of \(page.count) bytes cannot hold \(count) values")
            }
            var result: Result<Void, ParquetError> = .success(())
            state.numericDictionary = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                do throws(ParquetError) {
                    if count > 0 { _ = try conversion.decodePlain(page, count: count, column: column, into: buffer.baseAddress!) }
                    initialized = count
                } catch {
                    result = .failure(error)
                    initialized = 0
                }
            }
            try result.get()
        case .strings:
            guard count <= page.count / 4 else {
                throw ParquetError(.truncated, "dictionary page of \(page.count) bytes cannot hold \(count) strings")
            }
            var c = ByteCursor(page)
            var codes: [Int32] = []
            codes.reserveCapacity(count)
            for i in 0 ..< count {
                let n = Int(try c.readLE(UInt32.self, "dictionary value \(i) length"))
                codes.append(state.strings.intern(try c.readBytes(n, "dictionary value \(i)")))
            }
            state.stringDictionary = codes
        }
    }

    private func decodeValues(_ encoding: Int32, _ bytes: UnsafeRawBufferPointer, nonNull: Int, rows n: Int, defined: UnsafePointer<UInt8>?,
                              _ state: inout PageState, _ destination: ChunkDestination, _ scratch: Scratch) throws(ParquetError) {
        defer { state.rowsDone += n }
        switch destination {
        case .numeric(let out):
            guard case .numeric(let conversion) = column.output else { preconditionFailure("numeric destination for a string column") }
            let rowsOut = out + state.rowsDone
            guard let defined else {
                return try decodeNumbers(encoding, bytes, count: nonNull, conversion, &state, into: rowsOut, scratch)
            }
            // Some nulls: the non-null values are decoded apart (one spare slot, so the spreading
            // loop may read one past the last value), then spread over the rows.
            let values = scratch.doubles(.values, nonNull + 1)
            if conversion == .double, Encoding(rawValue: encoding) == .plain {
                guard bytes.count >= nonNull * 8 else {
                    throw ParquetError(.truncated, "PLAIN DOUBLE page holds \(bytes.count) bytes, \(nonNull) values need \(nonNull * 8)")
                }
                if nonNull > 0 { UnsafeMutableRawPointer(values).copyMemory(from: bytes.baseAddress!, byteCount: nonNull * 8) }
            } else {
                try decodeNumbers(encoding, bytes, count: nonNull, conversion, &state, into: values, scratch)
            }
            values[nonNull] = .nan
            spread(values, defined, n, into: rowsOut, null: .nan)
        case .codes(let out):
            let rowsOut = out + state.rowsDone
            guard let defined else {
                return try decodeStrings(encoding, bytes, count: nonNull, &state, into: rowsOut, scratch)
            }
            let values = scratch.int32s(.values, nonNull + 1)
            try decodeStrings(encoding, bytes, count: nonNull, &state, into: values, scratch)
            values[nonNull] = -1
            spread(values, defined, n, into: rowsOut, null: -1)
        }
    }

    /// `out[i]` = the next of `values` where `defined[i]` is 1, else `null`. Branch-free: a
    /// random mix of nulls would mispredict a branch per row. `values` holds one spare slot.
    @inline(__always)  // generic over Double and Int32; inlined so each copy is specialised
    private func spread<T>(_ values: UnsafePointer<T>, _ defined: UnsafePointer<UInt8>, _ n: Int,
                           into out: UnsafeMutablePointer<T>, null: T) {
        var j = 0
        for i in 0 ..< n {
            let d = Int(defined[i])
            let v = values[j]
            out[i] = d != 0 ? v : null
            j &+= d
        }
    }

    private func decodeNumbers(_ encoding: Int32, _ bytes: UnsafeRawBufferPointer, count: Int, _ conversion: NumericConversion,
                               _ state: inout PageState, into target: UnsafeMutablePointer<Double>, _ scratch: Scratch) throws(ParquetError) {
        switch Encoding(rawValue: encoding) {
        case .plain:
            _ = try conversion.decodePlain(bytes, count: count, column: column, into: target)
        case .plainDictionary, .rleDictionary:
            guard let dictionary = state.numericDictionary else {
                throw ParquetError(.corrupt, "dictionary-encoded page, but the chunk has no dictionary page")
            }
            let indices = scratch.uint32s(.indices, count)
            try decodeDictionaryIndices(bytes, count: count, into: indices)
            try withBuffer(dictionary) { (d) throws(ParquetError) in try gather(d, indices, count: count, into: target) }
        case .deltaBinaryPacked:
            guard column.physicalType == .int32 || column.physicalType == .int64 else {
                throw ParquetError(.corrupt, "DELTA_BINARY_PACKED for a \(column.typeDescription) column")
            }
            let integers = scratch.int64s(.indices, count)
            _ = try DeltaEncodings.decodeBinaryPacked(bytes, count: count, into: integers, "values")
            conversion.convertIntegers(integers, count: count, physical: column.physicalType, into: target)
        case .byteStreamSplit:
            guard let width = column.plainWidth, column.physicalType != .int96 else {
                throw ParquetError(.corrupt, "BYTE_STREAM_SPLIT for a \(column.typeDescription) column")
            }
            let joined = scratch.raw(.unsplit, width * count)
            try DeltaEncodings.unsplit(bytes, width: width, count: count, into: joined.baseAddress!, "values")
            conversion.convertFixed(joined.baseAddress!, count: count, width: width, into: target)
        case .rle:
            guard column.physicalType == .boolean else {
                throw ParquetError(.corrupt, "RLE values for a \(column.typeDescription) column")
            }
            var c = ByteCursor(bytes)
            let length = Int(try c.readLE(UInt32.self, "RLE boolean length"))
            let stream = try c.readBytes(length, "RLE booleans")
            let bits = scratch.uint8s(.indices, count)
            _ = try BitPacking.decodeHybrid(stream, bitWidth: 1, count: count, into: bits, "RLE booleans")
            for i in 0 ..< count { target[i] = Double(bits[i]) }
        default:
            throw ParquetError(.unsupported, "encoding \(encodingName(encoding)) for a \(column.typeDescription) column")
        }
    }

    private func decodeStrings(_ encoding: Int32, _ bytes: UnsafeRawBufferPointer, count: Int, _ state: inout PageState,
                               into target: UnsafeMutablePointer<Int32>, _ scratch: Scratch) throws(ParquetError) {
        switch Encoding(rawValue: encoding) {
        case .plain:
            var c = ByteCursor(bytes)
            for i in 0 ..< count {
                let n = Int(try c.readLE(UInt32.self, "string \(i) length"))
                target[i] = state.strings.intern(try c.readBytes(n, "string \(i)"))
            }
        case .plainDictionary, .rleDictionary:
            guard let dictionary = state.stringDictionary else {
                throw ParquetError(.corrupt, "dictionary-encoded page, but the chunk has no dictionary page")
            }
            let indices = scratch.uint32s(.indices, count)
            try decodeDictionaryIndices(bytes, count: count, into: indices)
            try withBuffer(dictionary) { (d) throws(ParquetError) in try gather(d, indices, count: count, into: target) }
        case .deltaLengthByteArray:
            var i = 0
            _ = try DeltaEncodings.decodeLengthByteArray(bytes, count: count, scratch: scratch, "values") { (v) throws(ParquetError) in
                target[i] = state.strings.intern(v)
                i += 1
            }
        case .deltaByteArray:
            var i = 0
            _ = try DeltaEncodings.decodeByteArray(bytes, count: count, scratch: scratch, "values") { (v) throws(ParquetError) in
                target[i] = state.strings.intern(v)
                i += 1
            }
        default:
            throw ParquetError(.unsupported, "encoding \(encodingName(encoding)) for a string column")
        }
    }
}

/// The spec's name of an encoding, or its number when unknown.
func encodingName(_ raw: Int32) -> String {
    switch Encoding(rawValue: raw) {
    case .plain: "PLAIN"
    case .plainDictionary: "PLAIN_DICTIONARY"
    case .rle: "RLE"
    case .bitPacked: "BIT_PACKED"
    case .deltaBinaryPacked: "DELTA_BINARY_PACKED"
    case .deltaLengthByteArray: "DELTA_LENGTH_BYTE_ARRAY"
    case .deltaByteArray: "DELTA_BYTE_ARRAY"
    case .rleDictionary: "RLE_DICTIONARY"
    case .byteStreamSplit: "BYTE_STREAM_SPLIT"
    case nil: "unknown encoding \(raw)"
    }
}

/// `Array.withUnsafeBufferPointer` with the closure's typed error kept.
func withBuffer<T, R>(_ array: [T], _ body: (UnsafeBufferPointer<T>) throws(ParquetError) -> R) throws(ParquetError) -> R {
    let result: Result<R, ParquetError> = array.withUnsafeBufferPointer { buffer in
        do throws(ParquetError) { return .success(try body(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}
