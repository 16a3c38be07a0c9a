import Foundation

extension CSVReader {
    /// Reads a CSV file a block of whole records at a time, so that a file larger than memory
    /// can be processed: each block is mapped on its own (never the whole file, so a process
    /// whose address space is capped reads a file larger than the cap), parsed in parallel like
    /// a whole file, and unmapped.
    ///
    /// Every block's table has the header's columns. Kinds not fixed by `options.schema` are
    /// inferred from the first block and kept for the rest (a later block's text in a column the
    /// first block read as numbers is an error naming its line); categorical levels are each
    /// block's own. Error messages name the file and the line in the file, as a whole-file read
    /// would.
    public final class BlockReader {
        public let path: String
        private var options: CSVOptions
        private let blockBytes: Int
        private let fd: Int32
        private let size: Int
        private let header: Header
        private var plan: ColumnPlan
        /// Where the next block starts (a record start) and the file line it starts on.
        private var next: Int
        private var nextLine: Int
        /// Data rows handed out so far.
        public private(set) var rowsRead = 0

        /// Opens `path` and reads its header.
        /// - Throws: `TabularError` when the file cannot be opened or mapped, or its header is bad.
        public init(path: String, options: CSVOptions = .init(), blockBytes: Int = 64 << 20) throws {
            let (fd, st) = try CSVReader.openForReading(path)
            size = Int(st.st_size)
            guard size > 0 else {
                close(fd)
                throw TabularError(code: .emptyFile, message: "\(path): empty file (expected a header row)")
            }
            self.fd = fd
            self.path = path
            self.options = options
            self.blockBytes = max(1, blockBytes)
            do {
                header = try Self.readHeader(fd: fd, size: size, path: path, delimiter: options.delimiter)
                plan = try planColumns(header, options: options, source: path)
            } catch {
                close(fd)
                throw error
            }
            next = header.bodyStart
            nextLine = header.bodyLine
        }

        deinit { close(fd) }

        /// The header from a mapped window at the file's start, widened until it holds the
        /// whole header record.
        private static func readHeader(fd: Int32, size: Int, path: String, delimiter: UInt8) throws -> Header {
            var length = min(size, 1 << 20)
            while true {
                let window = try Window(fd: fd, from: 0, length: length, path: path)
                defer { window.unmap() }
                let header = try CSVReader.readHeader(try Input(window.bytes, source: path, delimiter: delimiter, releasePages: false))
                if header.bodyStart < length || length == size { return header }
                length = min(size, 2 * length)
            }
        }

        /// The next block of rows, nil after the last. The first block of a file with no data
        /// rows throws `.headerOnly`, as a whole-file read does.
        /// - Throws: `TabularError` naming the file and line of a malformed record.
        public func nextBlock() throws -> Table? {
            while next < size {
                var length = min(size - next, blockBytes + (1 << 20))
                while true {
                    let window = try Window(fd: fd, from: next, length: length, path: path)
                    defer { window.unmap() }
                    let base = window.bytes.baseAddress!, count = window.bytes.count
                    let end = CSVTokenizer.nextRecordStart(base, from: 0, atLeast: min(blockBytes, count), to: count, delimiter: options.delimiter)
                    if end == count && next + count < size {
                        length = min(size - next, 2 * length)   // the last record runs past the window
                        continue
                    }
                    let input = Input(base: base, start: 0, end: end, delimiter: options.delimiter, source: path, releasePages: false)
                    let blockHeader = Header(names: header.names, line: header.line, bodyStart: 0, bodyLine: nextLine)
                    next += end
                    do {
                        let (table, lines) = try CSVReader.parseBody(input, header: blockHeader, plan: plan, options: options,
                                                                     maxChunkBytes: CSVReader.defaultMaxChunkBytes)
                        nextLine += lines
                        if rowsRead == 0 { try keepKinds(of: table) }
                        rowsRead += table.rowCount
                        return table
                    } catch let error as TabularError where error.code == .headerOnly && rowsRead > 0 {
                        // A block of blank lines after the data: nothing to hand out.
                        nextLine += (0..<end).count { base[$0] == CSVTokenizer.lf }
                    }
                    break
                }
            }
            if rowsRead == 0 { throw TabularError(code: .headerOnly, message: "\(path): header row but no data rows") }
            return nil
        }

        /// The records from where the next block would start to the end of the file, counted
        /// without parsing them (as `nextBlock` would hand them out: empty lines are not records).
        /// The reader is at the end of the file afterwards.
        /// - Throws: `TabularError` when the file cannot be mapped or holds an unterminated quote.
        public func countRemainingRecords() throws -> Int {
            var records = 0
            while next < size {
                var length = min(size - next, blockBytes + (1 << 20))
                while true {
                    let window = try Window(fd: fd, from: next, length: length, path: path)
                    defer { window.unmap() }
                    let base = window.bytes.baseAddress!, count = window.bytes.count
                    let end = CSVTokenizer.nextRecordStart(base, from: 0, atLeast: min(blockBytes, count), to: count, delimiter: options.delimiter)
                    if end == count && next + count < size {
                        length = min(size - next, 2 * length)
                        continue
                    }
                    records += try Self.records(in: base, count: end, delimiter: options.delimiter, path: path, line: nextLine)
                    nextLine += (0..<end).count { base[$0] == CSVTokenizer.lf }
                    next += end
                    break
                }
            }
            return records
        }

        /// The records in `b[0..<n]` (whole records): non-empty lines when there is no quote and
        /// every line ends in LF alone, else what the tokenizer finds.
        private static func records(in b: UnsafePointer<UInt8>, count n: Int, delimiter: UInt8, path: String, line: Int) throws -> Int {
            if memchr(b, Int32(CSVTokenizer.quote), n) == nil && memchr(b, Int32(CSVTokenizer.cr), n) == nil {
                var records = 0, lineStart = 0
                while lineStart < n {
                    let lf = memchr(b + lineStart, Int32(CSVTokenizer.lf), n - lineStart).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - b } ?? n
                    if lf > lineStart { records += 1 }
                    lineStart = lf + 1
                }
                return records
            }
            struct Counting: FieldSink {
                mutating func beginRecord(line: Int) {}
                mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {}
                mutating func endRecord() {}
            }
            var sink = Counting(), scratch: [UInt8] = []
            let r = CSVTokenizer.tokenize(b, from: 0, to: n, delimiter: delimiter, fields: .max, oneRecord: false, sink: &sink, scratch: &scratch)
            if case .unterminated(let l)? = r.failure {
                throw TabularError(code: .unterminatedQuote, message: "\(path):\(line + l): unterminated quoted field (quote opened here)", line: line + l)
            }
            return r.records
        }

        /// `length` bytes of the file from `offset`, mapped read-only (from the page below it).
        private struct Window {
            let mapping: UnsafeMutableRawPointer
            let mappedLength: Int
            let bytes: UnsafeBufferPointer<UInt8>

            init(fd: Int32, from offset: Int, length: Int, path: String) throws {
                let page = Int(sysconf(Int32(_SC_PAGESIZE)))
                let start = offset - offset % page
                mappedLength = offset - start + length
                guard let m = mmap(nil, mappedLength, PROT_READ, MAP_PRIVATE, fd, off_t(start)), m != MAP_FAILED else {
                    throw TabularError(code: .io, message: "\(path): cannot map \(length) bytes at \(offset) for reading (\(String(cString: strerror(errno))))")
                }
                mapping = m
                bytes = UnsafeBufferPointer(start: (m + (offset - start)).assumingMemoryBound(to: UInt8.self), count: length)
            }

            func unmap() { munmap(mapping, mappedLength) }
        }

        /// Fixes every column's kind to the one it has in `table` (the first block).
        private func keepKinds(of table: Table) throws {
            for c in table.columns { options.schema[c.name] = c.kind }
            plan = try planColumns(header, options: options, source: path)
        }
    }
}
