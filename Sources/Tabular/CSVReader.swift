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

    /// Column-major Double storage for one chunk, grown by doubling. `@unchecked Sendable`: it
    /// owns raw memory that only the task tokenizing its chunk writes, and that is read only
    /// after the parallel loop has joined.
    private final class ColumnBuffers: @unchecked Sendable {
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

    // MARK: - The parse, phase by phase

    /// Parses `buf` into a table. Each phase is a function below; state passes between them in
    /// the small structs that follow.
    static func parse(_ buf: UnsafeBufferPointer<UInt8>, source: String, options: CSVOptions) throws -> Table {
        let input = try Input(buf, source: source, delimiter: options.delimiter)
        let header = try readHeader(input)
        let plan = try planColumns(header, options: options, source: source)
        let chunks = planChunks(input, from: header.bodyStart, options: options)
        let numbers = tokenizeNumbers(input, chunks, plan)
        let body = try checkChunks(numbers, header: header, columns: plan.count, source: source)
        let kinds = try inferKinds(body, plan: plan, source: source)
        let categories = tokenizeCategories(input, chunks, body: body, kinds: kinds, plan: plan)
        return buildTable(plan: plan, kinds: kinds, body: body, categories: categories)
    }

    /// The bytes to parse: `base[start..<end]`, `start` past a UTF-8 byte-order mark.
    /// `@unchecked Sendable`: a read-only view of memory that `parse`'s caller keeps alive until
    /// `parse` returns, which is after every parallel loop reading it has joined.
    private struct Input: @unchecked Sendable {
        let base: UnsafePointer<UInt8>
        let start: Int
        let end: Int
        let delimiter: UInt8
        let source: String

        /// - Throws: `.badArgument` for an unusable delimiter, `.emptyFile` for no bytes.
        init(_ buf: UnsafeBufferPointer<UInt8>, source: String, delimiter: UInt8) throws {
            guard delimiter != CSVTokenizer.quote, delimiter != CSVTokenizer.lf, delimiter != CSVTokenizer.cr, delimiter < 128 else {
                throw TabularError(code: .badArgument, message: "CSV delimiter must be an ASCII byte other than quote, CR or LF (got \(delimiter))")
            }
            guard let base = buf.baseAddress, buf.count > 0 else {
                throw TabularError(code: .emptyFile, message: "\(source): empty file (expected a header row)")
            }
            let bom = buf.count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF
            self.base = base
            start = bom ? 3 : 0
            end = buf.count
            self.delimiter = delimiter
            self.source = source
        }

        /// Tokenizes `range` into `sink`; stops after one record when `oneRecord`.
        func tokenize<S: FieldSink>(_ range: Range<Int>, fields: Int, oneRecord: Bool = false, into sink: inout S) -> CSVTokenizer.Result {
            var scratch: [UInt8] = []
            return CSVTokenizer.tokenize(base, from: range.lowerBound, to: range.upperBound, delimiter: delimiter,
                                         fields: fields, oneRecord: oneRecord, sink: &sink, scratch: &scratch)
        }
    }

    /// The header record: column names, its 1-based line, and where the data rows start.
    private struct Header {
        let names: [String]
        let line: Int
        let bodyStart: Int
        /// 1-based line number of the first byte after the header.
        let bodyLine: Int
    }

    /// What the header and the options fix per column before any data row is read.
    private struct ColumnPlan: Sendable {
        let names: [String]
        /// Kinds forced by `CSVOptions.schema`, nil where inferred.
        let forced: [ColumnKind?]
        /// False for columns forced categorical: the numeric pass stores NaN without parsing.
        let parseNumeric: [Bool]
        let missing: MissingMatcher
        var count: Int { names.count }
    }

    /// The body cut at record starts into chunks that tokenize independently.
    private struct Chunks: Sendable {
        /// `count + 1` offsets; chunk `c` is `bounds[c]..<bounds[c + 1]`.
        let bounds: [Int]
        /// Rows per chunk, estimated (a little high) to size its buffers.
        let rowEstimates: [Int]
        var count: Int { bounds.count - 1 }
        func range(_ c: Int) -> Range<Int> { bounds[c]..<bounds[c + 1] }
    }

    /// One chunk after the numeric pass.
    private struct NumericChunk: Sendable {
        /// Every column as Doubles (NaN where missing, non-numeric, or not parsed).
        var buffers: ColumnBuffers
        var rows: Int
        var newlines: Int
        var failure: CSVTokenizer.Failure?
        /// First non-number text per column: (line relative to the chunk, text).
        var firstText: [(line: Int, text: String)?]
    }

    /// The checked numeric pass: chunks, the 1-based line of each chunk's first byte, total rows.
    private struct Body: Sendable {
        let chunks: [NumericChunk]
        let firstLine: [Int]
        let rows: Int
    }

    /// Reads and validates the header record.
    /// - Throws: an unterminated quote or no record at all in the header; empty or duplicate names.
    private static func readHeader(_ input: Input) throws -> Header {
        let source = input.source
        var sink = HeaderSink()
        let r = input.tokenize(input.start..<input.end, fields: Int.max, oneRecord: true, into: &sink)
        if case .unterminated(let l)? = r.failure {
            throw TabularError(code: .unterminatedQuote, message: "\(source):\(l + 1): unterminated quoted field in the header (quote opened here)", line: l + 1)
        }
        if r.records == 0 {
            throw TabularError(code: .emptyFile, message: "\(source): empty file (expected a header row)")
        }
        let line = sink.line + 1
        var seen: [String: Int] = [:]
        for (k, name) in sink.names.enumerated() {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw TabularError(code: .emptyColumn, message: "\(source):\(line): column \(k + 1) of the header has an empty name", line: line)
            }
            if let first = seen[name] {
                throw TabularError(code: .duplicateColumn, message: "\(source):\(line): duplicate column name \"\(name)\" (columns \(first + 1) and \(k + 1))", line: line)
            }
            seen[name] = k
        }
        return Header(names: sink.names, line: line, bodyStart: r.end, bodyLine: r.newlines + 1)
    }

    /// Applies the schema and missing tokens of `options` to the header's columns.
    /// - Throws: `.unknownColumn` when the schema names a column the header lacks.
    private static func planColumns(_ header: Header, options: CSVOptions, source: String) throws -> ColumnPlan {
        let names = header.names
        for key in options.schema.keys.sorted() where !names.contains(key) {
            throw TabularError(code: .unknownColumn, message: "\(source): schema names column \"\(key)\", which is not in the header (\(names.joined(separator: ", ")))")
        }
        let forced = names.map { options.schema[$0] }
        return ColumnPlan(names: names, forced: forced, parseNumeric: forced.map { $0 != .categorical },
                          missing: MissingMatcher(options.missingTokens))
    }

    /// Cuts `input[bodyStart...]` into up to `options.parallelism` chunks of at least
    /// `options.minChunkBytes`, at record starts (tracking quotes when the body has any).
    private static func planChunks(_ input: Input, from bodyStart: Int, options: CSVOptions) -> Chunks {
        let bodyLen = input.end - bodyStart
        let count = max(1, min(options.parallelism, bodyLen / options.minChunkBytes))
        let hasQuote = bodyLen > 0 && memchr(input.base + bodyStart, Int32(CSVTokenizer.quote), bodyLen) != nil
        let bounds = CSVTokenizer.chunkBounds(input.base, from: bodyStart, to: input.end, count: count,
                                              delimiter: input.delimiter, hasQuote: hasQuote)
        let rowEstimates = (0..<count).map { estimateRows(input.base, from: bounds[$0], to: bounds[$0 + 1]) }
        return Chunks(bounds: bounds, rowEstimates: rowEstimates)
    }

    /// The numeric pass, chunks in parallel: every field parsed as a number (or NaN), and the
    /// first text that is not a number remembered per column.
    private static func tokenizeNumbers(_ input: Input, _ chunks: Chunks, _ plan: ColumnPlan) -> [NumericChunk] {
        Parallel.map(chunks.count) { c in
            let buffers = ColumnBuffers(ncols: plan.count, capacity: chunks.rowEstimates[c])
            var sink = NumericSink(buffers: buffers, parseNumeric: plan.parseNumeric, missing: plan.missing)
            let r = input.tokenize(chunks.range(c), fields: plan.count, into: &sink)
            return NumericChunk(buffers: buffers, rows: sink.row, newlines: r.newlines, failure: r.failure, firstText: sink.firstText)
        }
    }

    /// Numbers each chunk's lines from the header on and reports the first malformed record.
    /// - Throws: a ragged row or an unterminated quote (the earliest chunk's), or no data rows.
    private static func checkChunks(_ chunks: [NumericChunk], header: Header, columns: Int, source: String) throws -> Body {
        var firstLine = [Int](repeating: header.bodyLine, count: chunks.count)
        for c in chunks.indices.dropFirst() { firstLine[c] = firstLine[c - 1] + chunks[c - 1].newlines }
        for (c, chunk) in chunks.enumerated() {
            switch chunk.failure {
            case .ragged(let l, let found)?:
                let line = firstLine[c] + l
                throw TabularError(code: .raggedRow, message: "\(source):\(line): expected \(columns) fields, found \(found)", line: line)
            case .unterminated(let l)?:
                let line = firstLine[c] + l
                throw TabularError(code: .unterminatedQuote, message: "\(source):\(line): unterminated quoted field (quote opened on this line, file ends inside it)", line: line)
            case nil:
                break
            }
        }
        let rows = chunks.reduce(0) { $0 + $1.rows }
        if rows == 0 {
            throw TabularError(code: .headerOnly, message: "\(source): header row but no data rows")
        }
        return Body(chunks: chunks, firstLine: firstLine, rows: rows)
    }

    /// Numeric when no field of the column was text, else categorical; forced kinds win.
    /// - Throws: `.notNumeric` for the earliest text in a column forced numeric.
    private static func inferKinds(_ body: Body, plan: ColumnPlan, source: String) throws -> [ColumnKind] {
        var kinds = [ColumnKind](repeating: .numeric, count: plan.count)
        var forcedError: (line: Int, column: Int, text: String)?
        for j in 0..<plan.count {
            let firstText = body.chunks.indices.lazy.compactMap { c in
                body.chunks[c].firstText[j].map { (body.firstLine[c] + $0.line, $0.text) }
            }.first
            if let f = plan.forced[j] {
                kinds[j] = f
                if f == .numeric, let ft = firstText, ft.0 < (forcedError?.line ?? Int.max) {
                    forcedError = (ft.0, j, ft.1)
                }
            } else {
                kinds[j] = firstText == nil ? .numeric : .categorical
            }
        }
        if let e = forcedError {
            throw TabularError(code: .notNumeric, message: "\(source):\(e.line): column \"\(plan.names[e.column])\": expected a number, found \"\(e.text)\"", line: e.line)
        }
        return kinds
    }

    /// The categorical pass, chunks in parallel (only when some column is categorical): each
    /// chunk codes its fields against its own dictionary per column.
    private static func tokenizeCategories(_ input: Input, _ chunks: Chunks, body: Body, kinds: [ColumnKind],
                                           plan: ColumnPlan) -> [CategorySink] {
        let categorical = (0..<plan.count).filter { kinds[$0] == .categorical }
        guard !categorical.isEmpty else { return [] }
        var slot = [Int](repeating: -1, count: plan.count)
        for (k, j) in categorical.enumerated() { slot[j] = k }
        let slots = slot
        return Parallel.map(chunks.count) { c in
            var sink = CategorySink(slot: slots, missing: plan.missing,
                                    dicts: Array(repeating: [:], count: categorical.count),
                                    codes: Array(repeating: [], count: categorical.count))
            for k in 0..<categorical.count { sink.codes[k].reserveCapacity(body.chunks[c].rows) }
            _ = input.tokenize(chunks.range(c), fields: plan.count, into: &sink)
            return sink
        }
    }

    /// The columns in header order: numeric ones concatenated from the chunk buffers (in
    /// parallel), categorical ones recoded against their sorted levels.
    private static func buildTable(plan: ColumnPlan, kinds: [ColumnKind], body: Body, categories: [CategorySink]) -> Table {
        let numericColumns = (0..<plan.count).filter { kinds[$0] == .numeric }
        let numericData = Parallel.map(numericColumns.count) { k in concatenate(column: numericColumns[k], of: body) }
        var numericIndex = 0, categoricalIndex = 0
        var columns: [Column] = []
        columns.reserveCapacity(plan.count)
        for j in 0..<plan.count {
            if kinds[j] == .numeric {
                columns.append(Column(name: plan.names[j], data: .numeric(numericData[numericIndex])))
                numericIndex += 1
            } else {
                columns.append(Column(name: plan.names[j], data: mergeCategories(categoricalIndex, of: categories, rows: body.rows)))
                categoricalIndex += 1
            }
        }
        return Table(columns: columns, rowCount: body.rows)
    }

    /// Column `j` of every chunk, end to end.
    private static func concatenate(column j: Int, of body: Body) -> [Double] {
        [Double](unsafeUninitializedCapacity: body.rows) { dst, count in
            var off = 0
            for chunk in body.chunks where chunk.rows > 0 {
                if let d = dst.baseAddress { (d + off).initialize(from: chunk.buffers.pointers[j], count: chunk.rows) }
                off += chunk.rows
            }
            count = off
        }
    }

    /// Categorical column `k` (its index among categorical columns): the union of the chunks'
    /// levels, sorted, and each chunk's codes mapped onto it.
    private static func mergeCategories(_ k: Int, of sinks: [CategorySink], rows: Int) -> ColumnData {
        var levelSet = Set<String>()
        for s in sinks { levelSet.formUnion(s.dicts[k].keys) }
        let levels = levelSet.sorted()
        var global: [String: Int32] = [:]
        for (i, l) in levels.enumerated() { global[l] = Int32(i) }
        var codes: [Int32] = []
        codes.reserveCapacity(rows)
        for s in sinks {
            var map = [Int32](repeating: -1, count: s.dicts[k].count)
            for (l, c) in s.dicts[k] { map[Int(c)] = global[l] ?? -1 }
            for c in s.codes[k] { codes.append(c < 0 ? -1 : map[Int(c)]) }
        }
        return .categorical(codes: codes, levels: levels)
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
