import Foundation
import Synchronization

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
        try read(path: path, options: options, maxChunkBytes: defaultMaxChunkBytes)
    }

    /// Chunks are cut to at most about this many bytes (or `options.minChunkBytes` if larger),
    /// so that a large file's pages and buffers are released a chunk at a time.
    static let defaultMaxChunkBytes = 8 << 20

    /// `read(path:options:)` with the chunk size as a knob (tests pass a small one).
    static func read(path: String, options: CSVOptions, maxChunkBytes: Int) throws -> Table {
        let (fd, st) = try openForReading(path)
        defer { close(fd) }
        let size = Int(st.st_size)
        // Map the file instead of copying it, without pre-faulting: pages are faulted as chunks
        // are parsed and released after the last pass over them, so the file never has to fit
        // in memory. The mapping lives only inside this function; the table copies what it keeps.
        if size > 0, (st.st_mode & S_IFMT) == S_IFREG,
           let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED {
            defer { munmap(map, size) }
            let buf = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size)
            return try parse(buf, source: path, options: options, maxChunkBytes: maxChunkBytes, releasePages: true)
        }
        let bytes = try readFile(path)
        return try bytes.withUnsafeBufferPointer {
            try parse($0, source: path, options: options, maxChunkBytes: maxChunkBytes, releasePages: false)
        }
    }

    /// Parses CSV bytes; `source` is the name used in error messages.
    /// - Returns: a table with one column per header field, rows in file order.
    public static func read(data: [UInt8], source: String, options: CSVOptions = .init()) throws -> Table {
        try data.withUnsafeBufferPointer {
            try parse($0, source: source, options: options, maxChunkBytes: defaultMaxChunkBytes, releasePages: false)
        }
    }

    /// Opens `path` read-only: the descriptor (the caller closes it) and the file's status.
    /// - Throws: `TabularError` `.io` naming the path.
    static func openForReading(_ path: String) throws -> (fd: Int32, status: stat) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TabularError(code: .io, message: "\(path): cannot open for reading (\(String(cString: strerror(errno))))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TabularError(code: .io, message: "\(path): cannot stat (\(reason))")
        }
        return (fd, st)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let (fd, st) = try openForReading(path)
        defer { close(fd) }
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

    /// Column-major Double storage for one chunk, grown by doubling: one anonymous mapping of
    /// `ncols × capacity` values, column `j` at `j × capacity`. Mapped rather than allocated so
    /// that pages past the rows written cost no memory and released columns go back to the
    /// system at once (a freed malloc block may stay in the allocator's arenas).
    /// `@unchecked Sendable`: it owns raw memory that only the task tokenizing its chunk writes,
    /// and that is read (and released) only after that task has finished.
    private final class ColumnBuffers: @unchecked Sendable {
        let ncols: Int
        private(set) var capacity: Int
        var rows = 0
        /// `pointers[j]`: column `j`, inside `region`.
        let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
        private var region: UnsafeMutableRawPointer
        private var regionBytes: Int

        init(ncols: Int, capacity: Int) {
            self.ncols = ncols
            self.capacity = max(capacity, 16)
            regionBytes = ncols * self.capacity * MemoryLayout<Double>.stride
            region = ColumnBuffers.map(regionBytes)
            pointers = .allocate(capacity: ncols)
            setPointers()
        }

        /// Doubles the capacity, copying the columns `j` where `keeping[j]` (the others were
        /// not written).
        func grow(keeping: [Bool]) {
            let newCapacity = capacity * 2
            let newBytes = ncols * newCapacity * MemoryLayout<Double>.stride
            let newRegion = ColumnBuffers.map(newBytes)
            let dst = newRegion.bindMemory(to: Double.self, capacity: ncols * newCapacity)
            for j in 0..<ncols where keeping[j] { (dst + j * newCapacity).initialize(from: pointers[j], count: rows) }
            munmap(region, regionBytes)
            region = newRegion
            regionBytes = newBytes
            capacity = newCapacity
            setPointers()
        }

        /// Returns the whole pages of columns `columns` to the system; their values are gone.
        func release(columns: Range<Int>) {
            guard !columns.isEmpty else { return }
            let stride = capacity * MemoryLayout<Double>.stride
            discardPages(UnsafeRawPointer(region) + columns.lowerBound * stride, count: columns.count * stride)
        }

        private func setPointers() {
            let base = region.bindMemory(to: Double.self, capacity: ncols * capacity)
            for j in 0..<ncols { pointers[j] = base + j * capacity }
        }

        private static func map(_ bytes: Int) -> UnsafeMutableRawPointer {
            guard let p = mmap(nil, max(bytes, 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  p != MAP_FAILED else {
                fatalError("CSVReader: cannot map \(bytes) bytes for column buffers (\(String(cString: strerror(errno))))")
            }
            return p
        }

        deinit {
            munmap(region, regionBytes)
            pointers.deallocate()
        }
    }

    /// The system page size.
    private static let pageSize = Int(getpagesize())

    /// Drops the whole pages inside `p[0..<count]` from memory: a file mapping's pages are read
    /// again from the file if touched later, anonymous pages come back as zeros.
    private static func discardPages(_ p: UnsafeRawPointer, count: Int) {
        let mask = pageSize - 1
        let lo = (Int(bitPattern: p) + mask) & ~mask
        let hi = (Int(bitPattern: p) + count) & ~mask
        if hi > lo, let start = UnsafeMutableRawPointer(bitPattern: lo) {
            _ = madvise(start, hi - lo, MADV_DONTNEED)
        }
    }

    /// Parses fields as numbers into a chunk's `ColumnBuffers`; columns whose `parseNumeric` is
    /// false (known to be categorical) are neither parsed nor stored.
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
            if row == buffers.capacity { buffers.grow(keeping: parseNumeric); cols = buffers.pointers }
        }

        mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
            guard parseNumeric[j] else { return }
            var v = Double.nan
            if !missing.matches(p, n) {
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
            guard parseNumeric[j] else { return }
            cols[j][row] = missing.hasNumericToken && missing.matches(p, n) ? .nan : value
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
    ///
    /// Memory: chunks of at most about `maxChunkBytes` are cut and parsed in file order, and
    /// with `releasePages` (`buf` maps a file) each chunk's pages are dropped after each pass
    /// over them. The final columns are filled chunk by chunk, each chunk's buffers released
    /// once copied, so the peak is about the table plus a few chunks.
    static func parse(_ buf: UnsafeBufferPointer<UInt8>, source: String, options: CSVOptions,
                      maxChunkBytes: Int, releasePages: Bool) throws -> Table {
        let input = try Input(buf, source: source, delimiter: options.delimiter, releasePages: releasePages)
        let header = try readHeader(input)
        let plan = try planColumns(header, options: options, source: source)
        return try parseBody(input, header: header, plan: plan, options: options, maxChunkBytes: maxChunkBytes).table
    }

    /// Parses the records from `header.bodyStart` to `input.end` (the header itself is not read
    /// again): the table and the lines the body spans.
    /// - Throws: as `parse`, with lines counted from `header.bodyLine`.
    static func parseBody(_ input: Input, header: Header, plan: ColumnPlan, options: CSVOptions,
                          maxChunkBytes: Int) throws -> (table: Table, lines: Int) {
        let chunking = Chunking(from: header.bodyStart, to: input.end, options: options, maxChunkBytes: maxChunkBytes)
        let numbers = tokenizeNumbers(input, chunking, plan)
        let body = try checkChunks(numbers, header: header, columns: plan.count, source: input.source)
        let kinds = try inferKinds(body, plan: plan, source: input.source)
        let categories = tokenizeCategories(input, body: body, kinds: kinds, plan: plan)
        let lines = numbers.reduce(0) { $0 + $1.newlines }
        return (buildTable(plan: plan, kinds: kinds, body: body, categories: consume categories), lines)
    }

    /// The bytes to parse: `base[start..<end]`, `start` past a UTF-8 byte-order mark.
    /// `@unchecked Sendable`: a read-only view of memory that `parse`'s caller keeps alive until
    /// `parse` returns, which is after every parallel loop reading it has joined.
    struct Input: @unchecked Sendable {
        let base: UnsafePointer<UInt8>
        let start: Int
        let end: Int
        let delimiter: UInt8
        let source: String
        /// The bytes map a file: `release` may drop pages (a later read faults them in again).
        let releasePages: Bool

        /// - Throws: `.badArgument` for an unusable delimiter, `.emptyFile` for no bytes.
        init(_ buf: UnsafeBufferPointer<UInt8>, source: String, delimiter: UInt8, releasePages: Bool) throws {
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
            self.releasePages = releasePages
        }

        /// The same bytes read only up to `end` (a record start).
        func ending(at end: Int) -> Input {
            Input(base: base, start: start, end: end, delimiter: delimiter, source: source, releasePages: releasePages)
        }

        init(base: UnsafePointer<UInt8>, start: Int, end: Int, delimiter: UInt8, source: String, releasePages: Bool) {
            self.base = base
            self.start = start
            self.end = end
            self.delimiter = delimiter
            self.source = source
            self.releasePages = releasePages
        }

        /// Drops the whole pages inside `range` from memory when the bytes map a file (pages
        /// shared with a neighbouring range stay until the mapping goes).
        func release(_ range: Range<Int>) {
            if releasePages { discardPages(base + range.lowerBound, count: range.count) }
        }

        /// Tokenizes `range` into `sink`; stops after one record when `oneRecord`.
        func tokenize<S: FieldSink>(_ range: Range<Int>, fields: Int, oneRecord: Bool = false, into sink: inout S) -> CSVTokenizer.Result {
            var scratch: [UInt8] = []
            return CSVTokenizer.tokenize(base, from: range.lowerBound, to: range.upperBound, delimiter: delimiter,
                                         fields: fields, oneRecord: oneRecord, sink: &sink, scratch: &scratch)
        }
    }

    /// The header record: column names, its 1-based line, and where the data rows start.
    struct Header {
        let names: [String]
        let line: Int
        let bodyStart: Int
        /// 1-based line number of the first byte after the header.
        let bodyLine: Int
    }

    /// What the header and the options fix per column before any data row is read.
    struct ColumnPlan: Sendable {
        let names: [String]
        /// Kinds forced by `CSVOptions.schema`, nil where inferred.
        let forced: [ColumnKind?]
        /// False for columns forced categorical: the numeric pass neither parses nor stores them.
        let parseNumeric: [Bool]
        let missing: MissingMatcher
        var count: Int { names.count }
    }

    /// How the body is cut: `count` targets evenly spaced from `bodyStart` to `bodyEnd` (a
    /// multiple of `workers`, so that workers finish together), each chunk ending at the first
    /// record start at or after its target.
    private struct Chunking: Sendable {
        let bodyStart: Int
        let bodyEnd: Int
        let count: Int
        /// Chunks parsed at the same time: `options.parallelism`, fewer for a small body.
        let workers: Int

        /// Up to `options.parallelism` workers with chunks of at least `options.minChunkBytes`,
        /// and chunks of at most about `max(maxChunkBytes, options.minChunkBytes)`.
        init(from bodyStart: Int, to bodyEnd: Int, options: CSVOptions, maxChunkBytes: Int) {
            let length = bodyEnd - bodyStart
            let workers = max(1, min(options.parallelism, length / options.minChunkBytes))
            let perRound = workers * max(1, maxChunkBytes, options.minChunkBytes)
            self.bodyStart = bodyStart
            self.bodyEnd = bodyEnd
            self.workers = workers
            count = workers * max(1, (length + perRound - 1) / perRound)
        }

        /// Target `k` of `0...count`: `bodyStart` for 0, `bodyEnd` for `count`.
        func target(_ k: Int) -> Int { bodyStart + (bodyEnd - bodyStart) * k / count }
    }

    /// Hands out chunks in file order, cutting each when it is taken, so that a worker can
    /// release its chunk's bytes and memory is used from the start of the file onwards.
    /// Finding a chunk's end reads its bytes once (memchr for a quote; see
    /// `CSVTokenizer.nextRecordStart`), which also faults them in for the worker.
    private final class ChunkQueue: Sendable {
        private struct State {
            /// Where the next chunk starts (a record start).
            var start: Int
            var taken = 0
            var target = 0
            var stopped = false
            /// Columns to parse as numbers: the plan's, less inferred columns in which a
            /// finished chunk found text (they are categorical whatever later chunks hold).
            var parseNumeric: [Bool]
        }
        private let input: Input
        private let chunking: Chunking
        private let inferred: [Bool]
        private let state: Mutex<State>

        init(_ input: Input, _ chunking: Chunking, _ plan: ColumnPlan) {
            self.input = input
            self.chunking = chunking
            inferred = plan.forced.map { $0 == nil }
            state = Mutex(State(start: chunking.bodyStart, parseNumeric: plan.parseNumeric))
        }

        /// The next chunk's index, byte range and columns to parse as numbers, or nil once the
        /// body is used up or a chunk has failed.
        func next() -> (index: Int, range: Range<Int>, parseNumeric: [Bool])? {
            state.withLock { s -> (index: Int, range: Range<Int>, parseNumeric: [Bool])? in
                guard !s.stopped, s.start < chunking.bodyEnd else { return nil }
                var target = s.start
                while target <= s.start && s.target < chunking.count {
                    s.target += 1
                    target = chunking.target(s.target)
                }
                let end = CSVTokenizer.nextRecordStart(input.base, from: s.start, atLeast: max(target, s.start + 1),
                                                       to: chunking.bodyEnd, delimiter: input.delimiter)
                defer { s.start = end; s.taken += 1 }
                return (s.taken, s.start..<end, s.parseNumeric)
            }
        }

        /// Records what a finished chunk found: no more chunks after a malformed record, and
        /// no more numbers from inferred columns with text.
        func finished(_ chunk: NumericChunk) {
            state.withLock { s in
                if chunk.failure != nil { s.stopped = true }
                for j in s.parseNumeric.indices where inferred[j] && chunk.firstText[j] != nil { s.parseNumeric[j] = false }
            }
        }
    }

    /// One chunk after the numeric pass.
    private struct NumericChunk: Sendable {
        var range: Range<Int>
        /// The columns parsed as Doubles (NaN where missing or not a number); the others are
        /// categorical and their values unspecified.
        var buffers: ColumnBuffers
        var rows: Int
        var newlines: Int
        var failure: CSVTokenizer.Failure?
        /// First non-number text per column: (line relative to the chunk, text).
        var firstText: [(line: Int, text: String)?]
    }

    /// The checked numeric pass: chunks in file order, the 1-based line of each chunk's first
    /// byte, the index of each chunk's first row, total rows.
    private struct Body: Sendable {
        let chunks: [NumericChunk]
        let firstLine: [Int]
        let firstRow: [Int]
        let rows: Int
    }

    /// Reads and validates the header record.
    /// - Throws: an unterminated quote or no record at all in the header; empty or duplicate names.
    static func readHeader(_ input: Input) throws -> Header {
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
    static func planColumns(_ header: Header, options: CSVOptions, source: String) throws -> ColumnPlan {
        let names = header.names
        for key in options.schema.keys.sorted() where !names.contains(key) {
            throw TabularError(code: .unknownColumn, message: "\(source): schema names column \"\(key)\", which is not in the header (\(names.joined(separator: ", ")))")
        }
        let forced = names.map { options.schema[$0] }
        return ColumnPlan(names: names, forced: forced, parseNumeric: forced.map { $0 != .categorical },
                          missing: MissingMatcher(options.missingTokens))
    }

    /// The numeric pass: `chunking.workers` workers take chunks in file order, parse fields as
    /// numbers (or NaN), remember the first text that is not a number per column, and release
    /// the chunk's bytes. Stops taking chunks after a malformed record; columns already known
    /// to be categorical are skipped in later chunks.
    /// - Returns: the chunks taken, in file order.
    private static func tokenizeNumbers(_ input: Input, _ chunking: Chunking, _ plan: ColumnPlan) -> [NumericChunk] {
        let queue = ChunkQueue(input, chunking, plan)
        let perWorker = Parallel.map(chunking.workers) { _ in
            var done: [(index: Int, chunk: NumericChunk)] = []
            while let (c, range, parseNumeric) = queue.next() {
                let buffers = ColumnBuffers(ncols: plan.count, capacity: estimateRows(input.base, from: range.lowerBound, to: range.upperBound))
                var sink = NumericSink(buffers: buffers, parseNumeric: parseNumeric, missing: plan.missing)
                let r = input.tokenize(range, fields: plan.count, into: &sink)
                input.release(range)
                let chunk = NumericChunk(range: range, buffers: buffers, rows: sink.row, newlines: r.newlines,
                                         failure: r.failure, firstText: sink.firstText)
                queue.finished(chunk)
                done.append((c, chunk))
            }
            return done
        }
        return perWorker.joined().sorted { $0.index < $1.index }.map(\.chunk)
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
        var firstRow = [Int](repeating: 0, count: chunks.count)
        for c in chunks.indices.dropFirst() { firstRow[c] = firstRow[c - 1] + chunks[c - 1].rows }
        let rows = chunks.reduce(0) { $0 + $1.rows }
        if rows == 0 {
            throw TabularError(code: .headerOnly, message: "\(source): header row but no data rows")
        }
        return Body(chunks: chunks, firstLine: firstLine, firstRow: firstRow, rows: rows)
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
    /// chunk codes its fields against its own dictionary per column, then releases its bytes.
    /// The chunks' Double buffers of categorical columns are released first.
    private static func tokenizeCategories(_ input: Input, body: Body, kinds: [ColumnKind], plan: ColumnPlan) -> [CategorySink] {
        let categorical = (0..<plan.count).filter { kinds[$0] == .categorical }
        guard !categorical.isEmpty else { return [] }
        for chunk in body.chunks {
            for j in categorical { chunk.buffers.release(columns: j..<(j + 1)) }
        }
        var slot = [Int](repeating: -1, count: plan.count)
        for (k, j) in categorical.enumerated() { slot[j] = k }
        let slots = slot
        return Parallel.map(body.chunks.count) { c in
            let range = body.chunks[c].range
            var sink = CategorySink(slot: slots, missing: plan.missing,
                                    dicts: Array(repeating: [:], count: categorical.count),
                                    codes: Array(repeating: [], count: categorical.count))
            for k in 0..<categorical.count { sink.codes[k].reserveCapacity(body.chunks[c].rows) }
            _ = input.tokenize(range, fields: plan.count, into: &sink)
            input.release(range)
            return sink
        }
    }

    /// The columns in header order: numeric ones filled from the chunk buffers, categorical
    /// ones recoded against their sorted levels (taking `categories` lets each chunk's codes go
    /// once merged).
    private static func buildTable(plan: ColumnPlan, kinds: [ColumnKind], body: Body,
                                   categories: consuming [CategorySink]) -> Table {
        let numericData = gatherNumeric((0..<plan.count).filter { kinds[$0] == .numeric }, of: body)
        var numericIndex = 0, categoricalIndex = 0
        var columns: [Column] = []
        columns.reserveCapacity(plan.count)
        for j in 0..<plan.count {
            if kinds[j] == .numeric {
                columns.append(Column(name: plan.names[j], data: .numeric(numericData[numericIndex])))
                numericIndex += 1
            } else {
                columns.append(Column(name: plan.names[j], data: mergeCategories(categoricalIndex, of: &categories, rows: body.rows)))
                categoricalIndex += 1
            }
        }
        return Table(columns: columns, rowCount: body.rows)
    }

    /// Numeric columns gathered at a time: their arrays are filled chunk by chunk.
    private static let columnGroup = 64

    /// Columns `columns` of every chunk, end to end. Groups of `columnGroup` columns are filled
    /// chunk by chunk (chunks in parallel), each chunk's buffers for the group released once
    /// copied: the chunks' buffers and the final arrays together stay about one table's size.
    private static func gatherNumeric(_ columns: [Int], of body: Body) -> [[Double]] {
        var result: [[Double]] = []
        result.reserveCapacity(columns.count)
        for g in stride(from: 0, to: columns.count, by: columnGroup) {
            let group = Array(columns[g..<min(g + columnGroup, columns.count)])
            result += makeColumns(group.count, rows: body.rows) { dst in
                concurrentPerform(iterations: body.chunks.count) { c in
                    let chunk = body.chunks[c]
                    guard chunk.rows > 0 else { return }
                    for (k, j) in group.enumerated() {
                        (dst[k] + body.firstRow[c]).initialize(from: chunk.buffers.pointers[j], count: chunk.rows)
                    }
                    chunk.buffers.release(columns: group[0]..<(group[group.count - 1] + 1))
                }
            }
        }
        return result
    }

    /// `count` arrays of `rows` Doubles whose elements `fill` initializes all of, given their
    /// storage. The arrays are made in nested `unsafeUninitializedCapacity` closures, so each
    /// pointer is used only while its array's closure runs, and no page is touched before
    /// `fill` writes it.
    private static func makeColumns(_ count: Int, rows: Int, fill: ([UnsafeMutablePointer<Double>]) -> Void) -> [[Double]] {
        guard count > 0, rows > 0 else { return Array(repeating: [], count: count) }
        var storage: [UnsafeMutablePointer<Double>] = []
        storage.reserveCapacity(count)
        func nest(_ k: Int) -> [[Double]] {
            var inner: [[Double]] = []
            let column = [Double](unsafeUninitializedCapacity: rows) { buffer, initialized in
                if let p = buffer.baseAddress { storage.append(p) }
                if k + 1 < count {
                    inner = nest(k + 1)
                } else {
                    precondition(storage.count == count, "makeColumns: an array without storage")
                    fill(storage)
                }
                initialized = rows
            }
            return [column] + inner
        }
        return nest(0)
    }

    /// Categorical column `k` (its index among categorical columns): the union of the chunks'
    /// levels, sorted, and each chunk's codes mapped onto it; the chunks' codes for `k` are
    /// released as they are copied.
    private static func mergeCategories(_ k: Int, of sinks: inout [CategorySink], rows: Int) -> ColumnData {
        var levelSet = Set<String>()
        for s in sinks { levelSet.formUnion(s.dicts[k].keys) }
        let levels = levelSet.sorted()
        var global: [String: Int32] = [:]
        for (i, l) in levels.enumerated() { global[l] = Int32(i) }
        var codes: [Int32] = []
        codes.reserveCapacity(rows)
        for c in sinks.indices {
            var map = [Int32](repeating: -1, count: sinks[c].dicts[k].count)
            for (l, code) in sinks[c].dicts[k] { map[Int(code)] = global[l] ?? -1 }
            for code in sinks[c].codes[k] { codes.append(code < 0 ? -1 : map[Int(code)]) }
            sinks[c].codes[k] = []
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
