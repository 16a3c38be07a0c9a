import Foundation
import Testing
@testable import Parquet

/// A deterministic generator for tests (SplitMix64).
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The obviously-correct twin of `BitPacking.unpack`: one bit at a time.
func naiveUnpack(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt64] {
    (0 ..< count).map { i in
        var v: UInt64 = 0
        for b in 0 ..< bitWidth {
            let bit = i * bitWidth + b
            if bytes[bit / 8] >> (bit % 8) & 1 == 1 { v |= 1 << UInt64(b) }
        }
        return v
    }
}

@Suite struct EncodingTests {
    @Test(arguments: [0, 1, 2, 3, 5, 7, 8, 13, 17, 24, 31, 32, 33, 47, 56, 57, 63, 64])
    func unpackMatchesNaive(_ width: Int) {
        var rng = TestRNG(seed: UInt64(width) + 1)
        for count in [0, 1, 7, 8, 9, 31, 64, 100] {
            let bytes = (0 ..< (count * width + 7) / 8).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            var out = [UInt64](repeating: 99, count: count)
            bytes.withUnsafeBytes { b in
                out.withUnsafeMutableBufferPointer { BitPacking.unpack(b, bitWidth: width, count: count, into: $0.baseAddress!) }
            }
            #expect(out == naiveUnpack(bytes, bitWidth: width, count: count), "width \(width) count \(count)")
        }
    }

    /// Bits into bytes (the table path for definition levels) against the naive twin.
    @Test func unpackBitsIntoBytes() {
        var rng = TestRNG(seed: 77)
        for count in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let bytes = (0 ..< (count + 7) / 8).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            var out = [UInt8](repeating: 9, count: count)
            bytes.withUnsafeBytes { b in
                out.withUnsafeMutableBufferPointer { BitPacking.unpack(b, bitWidth: 1, count: count, into: $0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!) }
            }
            #expect(out.map(UInt64.init) == naiveUnpack(bytes, bitWidth: 1, count: count), "count \(count)")
        }
    }

    @Test(arguments: [1, 2, 3, 8, 12, 20, 32])
    func hybridRoundTrip(_ width: Int) throws {
        var rng = TestRNG(seed: UInt64(width))
        let maxValue = width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) - 1
        for _ in 0 ..< 30 {
            // Mixed runs and noise, so both RLE and bit-packed runs appear.
            var values: [UInt32] = []
            let n = Int.random(in: 0 ... 500, using: &rng)
            while values.count < n {
                let v = UInt32.random(in: 0 ... maxValue, using: &rng)
                let repeats = Bool.random(using: &rng) ? Int.random(in: 1 ... 40, using: &rng) : 1
                values += Array(repeating: v, count: min(repeats, n - values.count))
            }
            var encoder = HybridEncoder(bitWidth: width)
            values.withUnsafeBufferPointer { encoder.encode($0) }
            var decoded = [UInt32](repeating: 0, count: n)
            let consumed = try encoder.bytes.withUnsafeBytes { (b) throws(ParquetError) in
                try decoded.withUnsafeMutableBufferPointer { (d) throws(ParquetError) in
                    try BitPacking.decodeHybrid(b, bitWidth: width, count: n, into: d.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, "test")
                }
            }
            #expect(decoded == values)
            #expect(consumed <= encoder.bytes.count)
        }
    }

    @Test func hybridRejectsOverrunsAndWideValues() {
        func decode(_ bytes: [UInt8], width: Int, count: Int) -> ParquetError? {
            var out = [UInt32](repeating: 0, count: max(count, 1))
            do {
                _ = try bytes.withUnsafeBytes { (b) throws(ParquetError) in
                    try out.withUnsafeMutableBufferPointer { (o) throws(ParquetError) in
                        try BitPacking.decodeHybrid(b, bitWidth: width, count: count, into: o.baseAddress!, "test")
                    }
                }
                return nil
            } catch let e as ParquetError { return e } catch { return nil }
        }
        #expect(decode([0x03], width: 8, count: 8)?.code == .truncated)  // one group of 8 bytes, none present
        #expect(decode([0x02, 0x05], width: 2, count: 1)?.code == .corrupt)  // RLE value 5 in 2 bits
        #expect(decode([], width: 1, count: 1)?.code == .truncated)
        #expect(decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], width: 1, count: 1)?.code == .corrupt)
        #expect(decode([0x02, 0x01], width: 33, count: 1)?.code == .corrupt)
        #expect(decode([0x10, 0x01], width: 1, count: 8) == nil)
    }

    @Test func deltaBinaryPackedKnownBytes() throws {
        // From the spec's example: 1 2 3 4 5 → header (block 128, 4 miniblocks, 5 values, first 1),
        // min delta 1, bit widths 0.
        let bytes: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00]
        var out = [Int64](repeating: 0, count: 5)
        let used = try bytes.withUnsafeBytes { (b) throws(ParquetError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(ParquetError) in
                try DeltaEncodings.decodeBinaryPacked(b, count: 5, into: o.baseAddress!, "test")
            }
        }
        #expect(out == [1, 2, 3, 4, 5])
        #expect(used == bytes.count)
    }

    @Test func thriftRoundTripAndSkipsUnknownFields() throws {
        var meta = FileMetaData()
        meta.version = 2
        meta.schema = [SchemaElement(name: "schema", numChildren: 1),
                       SchemaElement(type: .double, repetitionType: .optional, name: "x")]
        meta.numRows = 7
        var chunk = ColumnMetaData()
        chunk.type = .double
        chunk.pathInSchema = ["x"]
        chunk.numValues = 7
        chunk.totalCompressedSize = 100
        chunk.dataPageOffset = 4
        chunk.statistics = Statistics(nullCount: 1, distinctCount: nil, maxValue: [1, 2], minValue: [3])
        meta.rowGroups = [RowGroup(columns: [ColumnChunk(fileOffset: 4, metaData: chunk)], totalByteSize: 100, numRows: 7)]
        meta.createdBy = "plumb"
        var w = ThriftCompactWriter()
        meta.encode(&w)
        // Append an unknown field (id 200, a struct holding a list and a map) before the stop byte.
        var bytes = w.bytes
        bytes.removeLast()
        var extra = ThriftCompactWriter()
        extra.fieldHeader(200, .struct)
        extra.beginStruct()
        extra.listHeader(1, .i64, count: 20)
        for i in 0 ..< 20 { extra.writeElementInt(Int64(i) << 40) }
        extra.fieldHeader(2, .map)
        extra.bytes += [0x02, 0x86, 0x01, 0x61, 0x0A, 0x01, 0x62, 0x0B]  // 2 entries, binary → i64
        extra.writeBool(3, true)
        extra.writeString(4, "future")
        extra.endStruct()
        bytes += extra.bytes + [0]
        let decoded = try bytes.withUnsafeBytes { (b) throws(ParquetError) in
            var r = ThriftCompactReader(ByteCursor(b))
            return try FileMetaData.decode(&r)
        }
        #expect(decoded.numRows == 7)
        #expect(decoded.createdBy == "plumb")
        #expect(decoded.schema.map(\.name) == ["schema", "x"])
        #expect(decoded.rowGroups.first?.columns.first?.metaData?.statistics == chunk.statistics)
    }

    @Test func thriftRefusesDeepNesting() {
        // 100 nested struct fields: the depth limit stops it with an error, not a stack overflow.
        let bytes = [UInt8](repeating: 0x1C, count: 100) + [UInt8](repeating: 0, count: 101)
        do {
            _ = try bytes.withUnsafeBytes { (b) throws(ParquetError) in
                var r = ThriftCompactReader(ByteCursor(b))
                return try FileMetaData.decode(&r)
            }
            Issue.record("decoded")
        } catch let error as ParquetError {
            #expect(error.code == .corrupt)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func decimalBytesAndHalfFloats() throws {
        func dec(_ bytes: [UInt8]) throws -> Double {
            try bytes.withUnsafeBytes { (b) throws(ParquetError) in try NumericConversion.bigEndianDecimal(b) }
        }
        #expect(try dec([0xFF]) == -1)
        #expect(try dec([0x01, 0x00]) == 256)
        #expect(try dec([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == -0x1p127)
        #expect(NumericConversion.halfToFloat(0x3C00) == 1)
        #expect(NumericConversion.halfToFloat(0xC000) == -2)
        #expect(NumericConversion.halfToFloat(0x0001) == 0x1p-24)
        #expect(NumericConversion.halfToFloat(0x7C00) == .infinity)
        #expect(NumericConversion.halfToFloat(0x7E00).isNaN)
    }
}

@Suite struct MergeLevelsTests {
    /// The byte-order merge (ASCII values) and the String merge give what a naive
    /// Set-then-sort of the used values gives.
    @Test(arguments: [true, false])
    func matchesNaiveMerge(_ ascii: Bool) {
        var rng = TestRNG(seed: ascii ? 5 : 6)
        let alphabet = ascii ? ["a", "b", "B", "0", " ", "~", "\u{01}"] : ["a", "é", "e\u{301}", "日", "Z", "\u{FFFD}"]
        for _ in 0 ..< 40 {
            var chunks: [(table: ByteStringTable, rowStart: Int, rows: Int)] = []
            var codes: [Int32] = []
            var expected: [String?] = []
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                var table = ByteStringTable()
                let values = (0 ..< Int.random(in: 1 ... 30, using: &rng)).map { _ in
                    (0 ..< Int.random(in: 0 ... 20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
                }
                let local = values.map { v in Array(v.utf8).withUnsafeBytes { table.intern($0) } }
                let rows = Int.random(in: 0 ... 50, using: &rng)
                chunks.append((table, codes.count, rows))
                for _ in 0 ..< rows {
                    if Int.random(in: 0 ..< 6, using: &rng) == 0 {
                        codes.append(-1)
                        expected.append(nil)
                    } else {
                        let k = Int.random(in: 0 ..< values.count, using: &rng)
                        codes.append(local[k])
                        expected.append(values[k])
                    }
                }
            }
            let levels = codes.withUnsafeMutableBufferPointer { c in
                TableDecoder.mergeLevels(chunks, codes: c.baseAddress ?? UnsafeMutablePointer(bitPattern: 64)!)
            }
            #expect(levels == Set(expected.compactMap { $0 }).sorted())
            #expect(codes.map { $0 < 0 ? nil : levels[Int($0)] } == expected)
        }
    }
}
