import Dispatch
import Foundation

/// Reads a CSV file (header row, RFC 4180 quoting) into a `Table`, parsing chunks in parallel.
///
/// - Column kinds: numeric when every non-missing field is a number (`inf`/`-inf`/`infinity`
///   count as numbers), else categorical; `CSVOptions.schema` forces a kind.
/// - Categorical levels are sorted (Swift `String <`), so the result does not depend on row
///   order or chunking; category text is kept exactly as written (not trimmed).
/// - Numbers and missing tokens are compared after trimming spaces/tabs; a quoted field is
///   treated like the same text unquoted (`"12"` is the number 12, `""` is missing).
/// - Errors are `TabularError`s naming `source:line` (1-based physical line of the record).
public enum CSVReader {
    /// Reads the file at `path`; messages name `path` as given.
    /// - Throws: `TabularError` (`.io` when the file cannot be read, or any parse error).
    public static func read(path: String, options: CSVOptions = .init()) throws -> Table {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TabularError(code: .io, message: "\(path): cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TabularError(code: .io, message: "\(path): cannot stat (\(String(cString: strerror(errno))))")
        }
        let size = Int(st.st_size)
        // Map the file (pre-faulted) instead of copying it: no 2nd copy of a large file in memory.
        // The mapping lives only inside this function; the table copies what it keeps.
        if size > 0, (st.st_mode & S_IFMT) == S_IFREG,
           let map = mmap(nil, size, PROT_READ, MAP_PRIVATE | mapPopulate, fd, 0), map != MAP_FAILED {
            defer { munmap(map, size) }
            let buf = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size)
            return try parse(buf, source: path, options: options)
        }
        let bytes = try readFile(path)
        return try read(data: bytes, source: path, options: options)
    }

    #if os(Linux)
    private static let mapPopulate = MAP_POPULATE
    #else
    private static let mapPopulate: Int32 = 0
    #endif

    /// Parses CSV bytes; `source` is the name used in error messages.
    /// - Returns: a table with one column per header field, rows in file order.
    public static func read(data: [UInt8], source: String, options: CSVOptions = .init()) throws -> Table {
        try data.withUnsafeBufferPointer { try parse($0, source: source, options: options) }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TabularError(code: .io, message: "\(path): cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TabularError(code: .io, message: "\(path): cannot stat (\(String(cString: strerror(errno))))")
        }
        let size = Int(st.st_size)
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buf, count in
            var got = 0
            while got < size, let base = buf.baseAddress {
                let r = Foundation.read(fd, base + got, size - got)
                if r < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); break
                }
                if r == 0 { break }
                got += r
            }
            count = got
        }
        if let failure { throw TabularError(code: .io, message: "\(path): read failed (\(failure))") }
        return bytes
    }

    // MARK: - Parsing

    private struct HeaderSink: FieldSink {
        var names: [String] = []
        var line = 0
        mutating func beginRecord(line: Int) { self.line = line }
        mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
            names.append(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        }
        mutating func endRecord() {}
    }

    /// Column-major Double storage for one chunk, grown by doubling.
    private final class ColumnBuffers {
        let ncols: Int
        var capacity: Int
        var rows = 0
        var pointers: UnsafeMutablePointer<UnsafeMutablePointer<Double>>

        init(ncols: Int, capacity: Int) {
            self.ncols = ncols
            self.capacity = max(capacity, 16)
            pointers = .allocate(capacity: ncols)
            for j in 0..<ncols { pointers[j] = .allocate(capacity: self.capacity) }
        }

        func grow() {
            let newCapacity = capacity * 2
            for j in 0..<ncols {
                let p = UnsafeMutablePointer<Double>.allocate(capacity: newCapacity)
                p.moveInitialize(from: pointers[j], count: rows)
                pointers[j].deallocate()
                pointers[j] = p
            }
            capacity = newCapacity
        }

        deinit {
            for j in 0..<ncols { pointers[j].deallocate() }
            pointers.deallocate()
        }
    }

    private struct NumericSink: FieldSink {
        let buffers: ColumnBuffers
        let parseNumeric: [Bool]
        let missing: MissingMatcher
        var cols: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
        var row = 0
        var line = 0
        /// First non-number text per column: (relative line, text).
        var firstText: [(line: Int, text: String)?]

        init(buffers: ColumnBuffers, parseNumeric: [Bool], missing: MissingMatcher) {
            self.buffers = buffers
            self.parseNumeric = parseNumeric
            self.missing = missing
            cols = buffers.pointers
            firstText = Array(repeating: nil, count: buffers.ncols)
        }

        mutating func beginRecord(line: Int) {
            self.line = line
            if row == buffers.capacity { buffers.grow(); cols = buffers.pointers }
        }

        mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
            var v = Double.nan
            if parseNumeric[j] && !missing.matches(p, n) {
                if let x = NumberParser.parse(p, n) {
                    v = x
                } else if firstText[j] == nil {
                    firstText[j] = (line, String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
                }
            }
            cols[j][row] = v
        }

        static var wantsNumbers: Bool { true }

        mutating func number(_ j: Int, _ value: Double, _ p: UnsafePointer<UInt8>, _ n: Int) {
            var v = Double.nan
            if parseNumeric[j] && !(missing.hasNumericToken && missing.matches(p, n)) { v = value }
            cols[j][row] = v
        }

        mutating func endRecord() {
            row += 1
            buffers.rows = row
        }
    }

    private struct CategorySink: FieldSink {
        /// Column → index into `dicts`/`codes`, or -1 when the column is numeric.
        let slot: [Int]
        let missing: MissingMatcher
        var dicts: [[String: Int32]]
        var codes: [[Int32]]

        mutating func beginRecord(line: Int) {}
        mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
            let k = slot[j]
            if k < 0 { return }
            if missing.matches(p, n) { codes[k].append(-1); return }
            let s = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            if let c = dicts[k][s] {
                codes[k].append(c)
            } else {
                let c = Int32(dicts[k].count)
                dicts[k][s] = c
                codes[k].append(c)
            }
        }
        mutating func endRecord() {}
    }

    private struct ChunkResult {
        var buffers: ColumnBuffers
        var rows: Int
        var newlines: Int
        var failure: CSVTokenizer.Failure?
        var firstText: [(line: Int, text: String)?]
    }

    static func parse(_ buf: UnsafeBufferPointer<UInt8>, source: String, options: CSVOptions) throws -> Table {
        let delimiter = options.delimiter
        guard delimiter != CSVTokenizer.quote, delimiter != CSVTokenizer.lf, delimiter != CSVTokenizer.cr, delimiter < 128 else {
            throw TabularError(code: .badArgument, message: "CSV delimiter must be an ASCII byte other than quote, CR or LF (got \(delimiter))")
        }
        guard let base = buf.baseAddress, buf.count > 0 else {
            throw TabularError(code: .emptyFile, message: "\(source): empty file (expected a header row)")
        }
        let end = buf.count
        var start = 0
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { start = 3 }

        // Header.
        var header = HeaderSink()
        var scratch: [UInt8] = []
        let hr = CSVTokenizer.tokenize(base, from: start, to: end, delimiter: delimiter, fields: Int.max,
                                       oneRecord: true, sink: &header, scratch: &scratch)
        if case .unterminated(let l)? = hr.failure {
            throw TabularError(code: .unterminatedQuote, message: "\(source):\(l + 1): unterminated quoted field in the header (quote opened here)", line: l + 1)
        }
        if hr.records == 0 {
            throw TabularError(code: .emptyFile, message: "\(source): empty file (expected a header row)")
        }
        let names = header.names
        let headerLine = header.line + 1
        var seen: [String: Int] = [:]
        for (k, name) in names.enumerated() {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw TabularError(code: .emptyColumn, message: "\(source):\(headerLine): column \(k + 1) of the header has an empty name", line: headerLine)
            }
            if let first = seen[name] {
                throw TabularError(code: .duplicateColumn, message: "\(source):\(headerLine): duplicate column name \"\(name)\" (columns \(first + 1) and \(k + 1))", line: headerLine)
            }
            seen[name] = k
        }
        for key in options.schema.keys.sorted() where seen[key] == nil {
            throw TabularError(code: .unknownColumn, message: "\(source): schema names column \"\(key)\", which is not in the header (\(names.joined(separator: ", ")))")
        }
        let ncols = names.count
        let forced: [ColumnKind?] = names.map { options.schema[$0] }
        let parseNumeric = forced.map { $0 != .categorical }
        let missing = MissingMatcher(options.missingTokens)

        // Chunks.
        let bodyStart = hr.end
        let bodyLine = hr.newlines + 1
        let bodyLen = end - bodyStart
        let chunkCount = max(1, min(options.parallelism, bodyLen / options.minChunkBytes))
        let hasQuote = bodyLen > 0 && memchr(base + bodyStart, Int32(CSVTokenizer.quote), bodyLen) != nil
        let bounds = CSVTokenizer.chunkBounds(base, from: bodyStart, to: end, count: chunkCount,
                                              delimiter: delimiter, hasQuote: hasQuote)
        let rowEstimates = (0..<chunkCount).map { estimateRows(base, from: bounds[$0], to: bounds[$0 + 1]) }

        var results = [ChunkResult?](repeating: nil, count: chunkCount)
        results.withUnsafeMutableBufferPointer { out in
            concurrentPerform(iterations: chunkCount) { c in
                let buffers = ColumnBuffers(ncols: ncols, capacity: rowEstimates[c])
                var sink = NumericSink(buffers: buffers, parseNumeric: parseNumeric, missing: missing)
                var scratch: [UInt8] = []
                let r = CSVTokenizer.tokenize(base, from: bounds[c], to: bounds[c + 1], delimiter: delimiter,
                                              fields: ncols, oneRecord: false, sink: &sink, scratch: &scratch)
                out[c] = ChunkResult(buffers: buffers, rows: sink.row, newlines: r.newlines,
                                     failure: r.failure, firstText: sink.firstText)
            }
        }
        let chunks = results.compactMap { $0 }
        precondition(chunks.count == chunkCount)
        var lineBase = [Int](repeating: bodyLine, count: chunkCount)
        for c in 1..<max(chunkCount, 1) { lineBase[c] = lineBase[c - 1] + chunks[c - 1].newlines }

        for (c, chunk) in chunks.enumerated() {
            switch chunk.failure {
            case .ragged(let l, let found)?:
                let line = lineBase[c] + l
                throw TabularError(code: .raggedRow, message: "\(source):\(line): expected \(ncols) fields, found \(found)", line: line)
            case .unterminated(let l)?:
                let line = lineBase[c] + l
                throw TabularError(code: .unterminatedQuote, message: "\(source):\(line): unterminated quoted field (quote opened on this line, file ends inside it)", line: line)
            case nil:
                break
            }
        }
        let rowCount = chunks.reduce(0) { $0 + $1.rows }
        if rowCount == 0 {
            throw TabularError(code: .headerOnly, message: "\(source): header row but no data rows")
        }

        // Kinds.
        var kinds = [ColumnKind](repeating: .numeric, count: ncols)
        var forcedError: (line: Int, column: Int, text: String)?
        for j in 0..<ncols {
            let firstText = chunks.indices.lazy.compactMap { c in chunks[c].firstText[j].map { (lineBase[c] + $0.line, $0.text) } }.first
            if let f = forced[j] {
                kinds[j] = f
                if f == .numeric, let ft = firstText, ft.0 < (forcedError?.line ?? Int.max) {
                    forcedError = (ft.0, j, ft.1)
                }
            } else {
                kinds[j] = firstText == nil ? .numeric : .categorical
            }
        }
        if let e = forcedError {
            throw TabularError(code: .notNumeric, message: "\(source):\(e.line): column \"\(names[e.column])\": expected a number, found \"\(e.text)\"", line: e.line)
        }

        // Categorical pass.
        let catColumns = (0..<ncols).filter { kinds[$0] == .categorical }
        var slot = [Int](repeating: -1, count: ncols)
        for (k, j) in catColumns.enumerated() { slot[j] = k }
        var catResults = [CategorySink?](repeating: nil, count: chunkCount)
        if !catColumns.isEmpty {
            let slotCopy = slot
            catResults.withUnsafeMutableBufferPointer { out in
                concurrentPerform(iterations: chunkCount) { c in
                    var sink = CategorySink(slot: slotCopy, missing: missing,
                                            dicts: Array(repeating: [:], count: catColumns.count),
                                            codes: Array(repeating: [], count: catColumns.count))
                    for k in 0..<catColumns.count { sink.codes[k].reserveCapacity(chunks[c].rows) }
                    var scratch: [UInt8] = []
                    _ = CSVTokenizer.tokenize(base, from: bounds[c], to: bounds[c + 1], delimiter: delimiter,
                                              fields: ncols, oneRecord: false, sink: &sink, scratch: &scratch)
                    out[c] = sink
                }
            }
        }

        // Assemble columns.
        let numericColumns = (0..<ncols).filter { kinds[$0] == .numeric }
        var numericData = [[Double]?](repeating: nil, count: numericColumns.count)
        numericData.withUnsafeMutableBufferPointer { out in
            concurrentPerform(iterations: numericColumns.count) { k in
                let j = numericColumns[k]
                out[k] = [Double](unsafeUninitializedCapacity: rowCount) { dst, count in
                    var off = 0
                    for chunk in chunks where chunk.rows > 0 {
                        if let d = dst.baseAddress { (d + off).initialize(from: chunk.buffers.pointers[j], count: chunk.rows) }
                        off += chunk.rows
                    }
                    count = off
                }
            }
        }
        var columns: [Column] = []
        columns.reserveCapacity(ncols)
        for j in 0..<ncols {
            if kinds[j] == .numeric {
                guard let k = numericColumns.firstIndex(of: j), let values = numericData[k] else { continue }
                columns.append(Column(name: names[j], data: .numeric(values)))
            } else {
                let k = slot[j]
                let sinks = catResults.compactMap { $0 }
                var levelSet = Set<String>()
                for s in sinks { levelSet.formUnion(s.dicts[k].keys) }
                let levels = levelSet.sorted()
                var global: [String: Int32] = [:]
                for (i, l) in levels.enumerated() { global[l] = Int32(i) }
                var codes: [Int32] = []
                codes.reserveCapacity(rowCount)
                for s in sinks {
                    var map = [Int32](repeating: -1, count: s.dicts[k].count)
                    for (l, c) in s.dicts[k] { map[Int(c)] = global[l] ?? -1 }
                    for c in s.codes[k] { codes.append(c < 0 ? -1 : map[Int(c)]) }
                }
                columns.append(Column(name: names[j], data: .categorical(codes: codes, levels: levels)))
            }
        }
        return Table(columns: columns, rowCount: rowCount)
    }

    /// Rows in `b[s..<e]`, estimated from the LF density of its first 64 KiB (a little high).
    private static func estimateRows(_ b: UnsafePointer<UInt8>, from s: Int, to e: Int) -> Int {
        let sample = min(e - s, 1 << 16)
        guard sample > 0 else { return 16 }
        var lines = 0
        for i in s..<(s + sample) where b[i] == CSVTokenizer.lf { lines += 1 }
        let perByte = Double(lines + 1) / Double(sample)
        return Int(perByte * Double(e - s) * 1.05) + 16
    }
}
