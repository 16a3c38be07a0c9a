import Foundation

extension CSVReader {
    /// Reads a CSV file a block of whole records at a time, so that a file larger than memory
    /// can be processed: the file is mapped, not copied; each block is parsed in parallel like a
    /// whole file, and its pages are dropped once parsed.
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
        private let map: UnsafeMutableRawPointer?
        private let size: Int
        private let input: Input
        private let header: Header
        private var plan: ColumnPlan
        /// Where the next block starts (a record start) and the file line it starts on.
        private var next: Int
        private var nextLine: Int
        /// Data rows handed out so far.
        public private(set) var rowsRead = 0

        /// Maps `path` and reads its header.
        /// - Throws: `TabularError` when the file cannot be opened or mapped, or its header is bad.
        public init(path: String, options: CSVOptions = .init(), blockBytes: Int = 64 << 20) throws {
            let (fd, st) = try CSVReader.openForReading(path)
            defer { close(fd) }
            size = Int(st.st_size)
            guard size > 0 else { throw TabularError(code: .emptyFile, message: "\(path): empty file (expected a header row)") }
            guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
                throw TabularError(code: .io, message: "\(path): cannot map for reading (\(String(cString: strerror(errno))))")
            }
            map = m
            do {
                let bytes = UnsafeBufferPointer(start: m.assumingMemoryBound(to: UInt8.self), count: size)
                input = try Input(bytes, source: path, delimiter: options.delimiter, releasePages: true)
                header = try readHeader(input)
                plan = try planColumns(header, options: options, source: path)
            } catch {
                munmap(m, size)
                throw error
            }
            self.path = path
            self.options = options
            self.blockBytes = max(1, blockBytes)
            next = header.bodyStart
            nextLine = header.bodyLine
        }

        deinit { if let map { munmap(map, size) } }

        /// The next block of rows, nil after the last. The first block of a file with no data
        /// rows throws `.headerOnly`, as a whole-file read does.
        /// - Throws: `TabularError` naming the file and line of a malformed record.
        public func nextBlock() throws -> Table? {
            while next < input.end {
                let end = CSVTokenizer.nextRecordStart(input.base, from: next, atLeast: next + blockBytes, to: input.end,
                                                       delimiter: input.delimiter)
                let blockHeader = Header(names: header.names, line: header.line, bodyStart: next, bodyLine: nextLine)
                let block = input.ending(at: end)
                next = end
                do {
                    let (table, lines) = try CSVReader.parseBody(block, header: blockHeader, plan: plan, options: options,
                                                                 maxChunkBytes: CSVReader.defaultMaxChunkBytes)
                    nextLine += lines
                    if rowsRead == 0 { try keepKinds(of: table) }
                    rowsRead += table.rowCount
                    return table
                } catch let error as TabularError where error.code == .headerOnly && rowsRead > 0 {
                    // A block of blank lines after the data: nothing to hand out.
                    nextLine += (blockHeader.bodyStart..<end).count { input.base[$0] == CSVTokenizer.lf }
                }
            }
            if rowsRead == 0 { throw TabularError(code: .headerOnly, message: "\(path): header row but no data rows") }
            return nil
        }

        /// Fixes every column's kind to the one it has in `table` (the first block).
        private func keepKinds(of table: Table) throws {
            for c in table.columns { options.schema[c.name] = c.kind }
            plan = try planColumns(header, options: options, source: path)
        }
    }
}
