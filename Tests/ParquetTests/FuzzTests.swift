import Foundation
import Testing
import Tabular
@testable import Parquet

/// Mutates valid files (bit flips, truncations, random bytes in the footer and in page headers,
/// extreme integers) and reads them: every case must either read or throw a `ParquetError` —
/// a crash (trap, precondition, out-of-bounds access) fails the whole test process.
///
/// `PLUMB_PARQUET_FUZZ_CASES` sets the number of cases (default 2,000: 2–16 s in a debug
/// build); `PLUMB_PARQUET_FUZZ_SEED` the seed. `scripts/parquet-fuzz.sh` runs 100,000.
@Suite struct FuzzTests {
    static let seedFiles = [
        "pyarrow_types_v1_snappy.parquet", "pyarrow_types_v2_zstd.parquet", "pyarrow_types_v1_gzip.parquet",
        "pyarrow_types_v2_none.parquet", "pyarrow_encodings_v1.parquet", "pyarrow_encodings_v2.parquet",
        "pyarrow_many_pages_v1.parquet", "pyarrow_many_pages_v2.parquet", "pyarrow_required_flba.parquet",
        "polars_zstd.parquet", "duckdb_v2_row_groups.parquet", "duckdb_snappy.parquet", "pyarrow_all_null.parquet",
        "pyarrow_int96.parquet", "pyarrow_page_index.parquet", "arrow_uncompressed.arrow", "arrow_zstd.arrow",
        "arrow_lz4.arrow", "pyarrow_types_v2_lz4.parquet", "pyarrow_plain_doubles_v1.parquet", "pyarrow_plain_doubles_v2.parquet",
    ]

    struct Seed {
        let name: String
        let bytes: [UInt8]
        /// Offsets of the footer and of every page header.
        let footer: Range<Int>
        let pageHeaders: [Int]
    }

    static func loadSeed(_ name: String, path: String) throws -> Seed {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        if name.hasSuffix(".arrow") {
            // Footer: the flatbuffer before its length and the closing magic.
            let n = bytes.count
            let length = Int(UInt32(bytes[n - 10]) | UInt32(bytes[n - 9]) << 8 | UInt32(bytes[n - 8]) << 16 | UInt32(bytes[n - 7]) << 24)
            return Seed(name: name, bytes: bytes, footer: n - 10 - length ..< n - 10, pageHeaders: [])
        }
        let reader = try ParquetReader(path: path)
        var headers: [Int] = []
        for group in reader.rowGroups {
            for chunk in group.columns {
                guard let meta = chunk.metaData else { continue }
                var position = Int(min(meta.dataPageOffset, meta.dictionaryPageOffset.flatMap { $0 > 0 ? $0 : nil } ?? .max))
                let end = position + Int(meta.totalCompressedSize)
                while position < end {
                    headers.append(position)
                    let start = position
                    let length = try withBytes(bytes) { (b) throws(ParquetError) -> Int in
                        var r = ThriftCompactReader(ByteCursor(UnsafeRawBufferPointer(rebasing: b[start ..< end])))
                        let h = try PageHeader.decode(&r)
                        return r.cursor.position + Int(h.compressedPageSize)
                    }
                    position += length
                }
            }
        }
        return Seed(name: name, bytes: bytes, footer: reader.dataEnd ..< bytes.count - 8, pageHeaders: headers)
    }

    static func mutate(_ seed: Seed, _ rng: inout TestRNG) -> (String, [UInt8]) {
        var b = seed.bytes
        func randomPosition(in range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
        switch Int.random(in: 0 ..< 8, using: &rng) {
        case 0:
            let flips = Int.random(in: 1 ... 8, using: &rng)
            for _ in 0 ..< flips { b[randomPosition(in: 0 ..< b.count)] ^= UInt8(1) << UInt8.random(in: 0 ... 7, using: &rng) }
            return ("bit flips", b)
        case 1:
            return ("truncation", Array(b.prefix(randomPosition(in: 0 ..< b.count))))
        case 2:
            // Cut out the middle but keep the tail, so the footer length points at the wrong bytes.
            let cut = randomPosition(in: 4 ..< b.count - 8)
            let keep = randomPosition(in: cut ..< b.count - 8)
            return ("splice", Array(b[0 ..< cut] + b[keep...]))
        case 3:
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) { b[randomPosition(in: seed.footer)] = UInt8.random(in: 0 ... 255, using: &rng) }
            return ("footer bytes", b)
        case 4:
            guard let h = seed.pageHeaders.randomElement(using: &rng) else { return ("none", b) }
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                let p = min(b.count - 1, h + Int.random(in: 0 ..< 24, using: &rng))
                b[p] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            return ("page header bytes", b)
        case 5:
            // An extreme varint (or run of continuation bytes) in the footer or a page header.
            let extremes: [[UInt8]] = [[0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0xFE, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
                                       [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x00], [0x7F], [0x01]]
            let p = Bool.random(using: &rng) || seed.pageHeaders.isEmpty
                ? randomPosition(in: seed.footer)
                : min(b.count - 1, seed.pageHeaders.randomElement(using: &rng)! + Int.random(in: 0 ..< 16, using: &rng))
            for (k, v) in extremes.randomElement(using: &rng)!.enumerated() where p + k < b.count { b[p + k] = v }
            return ("extreme integer", b)
        case 6:
            let start = randomPosition(in: 4 ..< max(5, seed.footer.lowerBound))
            for k in start ..< min(b.count, start + Int.random(in: 1 ... 64, using: &rng)) { b[k] = UInt8.random(in: 0 ... 255, using: &rng) }
            return ("random block in data", b)
        default:
            // The footer length itself.
            let p = b.count - (seed.name.hasSuffix(".arrow") ? 10 : 8) + Int.random(in: 0 ..< 4, using: &rng)
            b[p] = UInt8.random(in: 0 ... 255, using: &rng)
            return ("footer length", b)
        }
    }

    @Test func mutatedFilesReadOrThrow() throws {
        let environment = ProcessInfo.processInfo.environment
        let cases = Int(environment["PLUMB_PARQUET_FUZZ_CASES"] ?? "") ?? 2_000
        var rng = TestRNG(seed: UInt64(environment["PLUMB_PARQUET_FUZZ_SEED"] ?? "") ?? 20_261_206)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var seeds = try Self.seedFiles.map { try Self.loadSeed($0, path: fixture($0)) }
        // And a file Plumb wrote itself.
        var trng = TestRNG(seed: 11)
        let own = folder + "/plumb.parquet"
        try ParquetWriter.write(randomTable(&trng, rows: 300, columns: 5), to: own,
                                options: .init(compression: .snappy, rowGroupRows: 100, dataPageBytes: 256))
        seeds.append(try Self.loadSeed("plumb.parquet", path: own))

        var outcomes: [String: Int] = [:]
        let path = folder + "/case.parquet"
        let started = Date()
        for i in 0 ..< cases {
            let seed = seeds[i % seeds.count]
            let (kind, bytes) = Self.mutate(seed, &rng)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let table = try seed.name.hasSuffix(".arrow") ? ArrowFileReader.read(path: path) : ParquetReader.read(path: path)
                #expect(table.columns.allSatisfy { $0.data.count == table.rowCount })
                outcomes["read", default: 0] += 1
            } catch {
                #expect(!error.message.isEmpty && error.file == path, "\(seed.name) \(kind): \(error.message)")
                outcomes[error.code.rawValue, default: 0] += 1
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let summary = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("parquet fuzz: \(cases) cases in \(String(format: "%.1f", seconds)) s: \(summary)")
        #expect(outcomes.values.reduce(0, +) == cases)
    }
}
