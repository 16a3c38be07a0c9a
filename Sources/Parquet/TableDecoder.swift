import Dispatch
import Foundation
import Synchronization
import Tabular

/// Decodes row groups (of one file or of several part files) into one table: one task per column
/// chunk, run on all cores, each writing its rows straight into the table's column arrays; then
/// the string columns' per-chunk values are merged into sorted levels.
enum TableDecoder {
    /// One row group of one file.
    struct Part: Sendable {
        let reader: ParquetReader
        let rowGroup: Int
    }

    /// One column chunk to decode.
    struct Task {
        let part: Int
        let column: Int
        let rowStart: Int
        let rows: Int
        let bytes: Int64
    }

    enum Outcome {
        case pending
        case done(ByteStringTable?)
        case failed(ParquetError)
    }

    /// The table made of `parts` in order, with the columns `leaves` (the parts share them).
    static func decode(parts: [Part], leaves: [LeafColumn]) throws(ParquetError) -> Table {
        var rowStarts: [Int] = []
        var total = 0
        for p in parts {
            rowStarts.append(total)
            total += Int(p.reader.rowGroups[p.rowGroup].numRows)
        }
        let bytesPerRow = leaves.reduce(0) { $0 + ($1.kind == .numeric ? 8 : 4) }
        let (needed, overflow) = total.multipliedReportingOverflow(by: bytesPerRow)
        guard !overflow, needed <= physicalMemory() else {
            throw ParquetError(.tooLarge, "\(total) rows × \(leaves.count) columns need more memory than this machine has",
                               file: parts.first?.reader.path)
        }
        // Columns in batches of 64: the column arrays are made by nested closures, one per column.
        var columns: [Column] = []
        for start in stride(from: 0, to: leaves.count, by: 64) {
            let batch = start ..< min(leaves.count, start + 64)
            columns += try decode(parts: parts, leaves: leaves, columns: batch, rowStarts: rowStarts, total: total)
        }
        return Table(columns: columns, rowCount: total)
    }

    private static func decode(parts: [Part], leaves: [LeafColumn], columns batch: Range<Int>, rowStarts: [Int],
                               total: Int) throws(ParquetError) -> [Column] {
        var tasks: [Task] = []
        for (p, part) in parts.enumerated() {
            let group = part.reader.rowGroups[part.rowGroup]
            for j in batch where group.numRows > 0 {
                tasks.append(Task(part: p, column: j, rowStart: rowStarts[p], rows: Int(group.numRows),
                                  bytes: group.columns[j].metaData?.totalCompressedSize ?? 0))
            }
        }
        // Largest first, so the last tasks to finish are small ones and the cores end together.
        tasks.sort { ($0.bytes, $1.part, $1.column) > ($1.bytes, $0.part, $0.column) }

        var levels: [Int: [String]] = [:]
        let storage = try withColumnStorage(batch.map { leaves[$0].kind }, rows: total) { (pointers) throws(ParquetError) in
            let outcomes = run(tasks, parts, leaves, pointers, firstColumn: batch.lowerBound)
            // Of several failures, report the first in file order (tasks ran largest first).
            let failures = zip(tasks, outcomes).compactMap { t, o -> (Task, ParquetError)? in
                if case .failed(let e) = o { (t, e) } else { nil }
            }
            if let first = failures.min(by: { ($0.0.part, $0.0.column) < ($1.0.part, $1.0.column) }) { throw first.1 }
            // String columns: merge each one's chunk values into sorted levels, columns in parallel.
            let stringColumns = batch.filter { leaves[$0].output == .strings }
            var merged = [[String]](repeating: [], count: stringColumns.count)
            let finished = tasks
            merged.withUnsafeMutableBufferPointer { buffer in
                let shared = DisjointWrites((buffer, pointers, outcomes))
                DispatchQueue.concurrentPerform(iterations: stringColumns.count) { k in
                    let (results, pointers, outcomes) = shared.value
                    let j = stringColumns[k]
                    var chunks: [(table: ByteStringTable, rowStart: Int, rows: Int)] = []
                    for (t, o) in zip(finished, outcomes) where t.column == j {
                        if case .done(let table?) = o { chunks.append((table, t.rowStart, t.rows)) }
                    }
                    chunks.sort { $0.rowStart < $1.rowStart }
                    results[k] = mergeLevels(chunks, codes: pointers[j - batch.lowerBound].assumingMemoryBound(to: Int32.self))
                }
            }
            for (k, j) in stringColumns.enumerated() { levels[j] = merged[k] }
        }
        return batch.map { j in
            switch storage[j - batch.lowerBound] {
            case .doubles(let v): Column(name: leaves[j].name, data: .numeric(v))
            case .codes(let c): Column(name: leaves[j].name, data: .categorical(codes: c, levels: levels[j] ?? []))
            }
        }
    }

    /// Runs the tasks on all cores; each worker has its own scratch buffers and takes the next
    /// task until none is left or one has failed.
    private static func run(_ tasks: [Task], _ parts: [Part], _ leaves: [LeafColumn],
                            _ pointers: [UnsafeMutableRawPointer], firstColumn: Int) -> [Outcome] {
        var outcomes = [Outcome](repeating: .pending, count: tasks.count)
        let next = Atomic<Int>(0)
        let failed = Atomic<Bool>(false)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, tasks.count))
        outcomes.withUnsafeMutableBufferPointer { outcomeBuffer in
            let shared = DisjointWrites((outcomeBuffer, pointers))
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                let (results, pointers) = shared.value
                let scratch = Scratch()
                while !failed.load(ordering: .relaxed) {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= tasks.count { break }
                    let t = tasks[i]
                    let part = parts[t.part]
                    let leaf = leaves[t.column]
                    guard let meta = part.reader.rowGroups[part.rowGroup].columns[t.column].metaData else {
                        results[i] = .failed(ParquetError(.corrupt, "ColumnChunk without ColumnMetaData"))
                        failed.store(true, ordering: .relaxed)
                        break
                    }
                    let reader = ColumnChunkReader(file: part.reader.file, column: leaf, meta: meta, rows: t.rows,
                                                   dataEnd: part.reader.dataEnd)
                    let base = pointers[t.column - firstColumn]
                    let destination: ChunkDestination = leaf.output == .strings
                        ? .codes(base.assumingMemoryBound(to: Int32.self) + t.rowStart)
                        : .numeric(base.assumingMemoryBound(to: Double.self) + t.rowStart)
                    do throws(ParquetError) {
                        results[i] = .done(try reader.decode(into: destination, scratch: scratch))
                    } catch {
                        results[i] = .failed(error.locating(file: part.reader.path, column: leaf.name, rowGroup: part.rowGroup))
                        failed.store(true, ordering: .relaxed)
                    }
                }
            }
        }
        return outcomes
    }

    /// The sorted distinct strings used by a column's chunks; rewrites each chunk's local codes
    /// (in place, in `codes`) to indices into them. Levels sort as `String`s do (the CSV reader's
    /// order); when every value is ASCII that is byte order, and the merge runs on bytes.
    static func mergeLevels(_ chunks: [(table: ByteStringTable, rowStart: Int, rows: Int)], codes: UnsafeMutablePointer<Int32>) -> [String] {
        var usedPerChunk: [[Bool]] = []
        for chunk in chunks {
            var used = [Bool](repeating: false, count: chunk.table.count)
            let c = codes + chunk.rowStart
            for i in 0 ..< chunk.rows where c[i] >= 0 { used[Int(c[i])] = true }
            usedPerChunk.append(used)
        }
        var levels: [String] = []
        var maps: [[Int32]] = []  // per chunk: local code → level index
        if chunks.allSatisfy({ $0.table.isASCII }) {
            // One chunk's table is already its distinct values; several are merged into one.
            var global = chunks.count == 1 ? chunks[0].table : ByteStringTable()
            var toGlobal: [[Int32]] = []
            for (chunk, used) in zip(chunks, usedPerChunk) {
                var map = [Int32](repeating: -1, count: chunk.table.count)
                for code in 0 ..< chunk.table.count where used[code] {
                    map[code] = chunks.count == 1 ? Int32(code) : chunk.table.withEntry(code) { global.intern($0) }
                }
                toGlobal.append(map)
            }
            var present = [Bool](repeating: chunks.count > 1, count: global.count)
            if chunks.count == 1 { present = usedPerChunk[0] }
            let order = global.sortedCodes(where: present)
            var rank = [Int32](repeating: -1, count: global.count)
            for (r, g) in order.enumerated() { rank[g] = Int32(r) }
            levels = order.map { global.string($0) }
            maps = toGlobal.map { $0.map { $0 < 0 ? -1 : rank[Int($0)] } }
        } else {
            var distinct = Set<String>()
            for (chunk, used) in zip(chunks, usedPerChunk) {
                for code in 0 ..< chunk.table.count where used[code] { distinct.insert(chunk.table.string(code)) }
            }
            levels = distinct.sorted()
            var index: [String: Int32] = [:]
            index.reserveCapacity(levels.count)
            for (i, l) in levels.enumerated() { index[l] = Int32(i) }
            for (chunk, used) in zip(chunks, usedPerChunk) {
                var map = [Int32](repeating: -1, count: chunk.table.count)
                for code in 0 ..< chunk.table.count where used[code] { map[code] = index[chunk.table.string(code)] ?? -1 }
                maps.append(map)
            }
        }
        for (chunk, map) in zip(chunks, maps) {
            let c = codes + chunk.rowStart
            map.withUnsafeBufferPointer { m in
                for i in 0 ..< chunk.rows where c[i] >= 0 { c[i] = m[Int(c[i])] }
            }
        }
        return levels
    }

    enum Storage {
        case doubles([Double])
        case codes([Int32])
    }

    /// Makes one uninitialized array per column (Double for numeric, Int32 codes for
    /// categorical), lets `fill` initialize every element through the arrays' base addresses,
    /// and returns the arrays. Arrays are nested one `unsafeUninitializedCapacity` closure per
    /// column, so no pointer outlives its array's initializer; on a throw they come back empty.
    static func withColumnStorage(_ kinds: [ColumnKind], rows: Int,
                                  _ fill: ([UnsafeMutableRawPointer]) throws(ParquetError) -> Void) throws(ParquetError) -> [Storage] {
        var pointers: [UnsafeMutableRawPointer] = []
        var storage: [Storage] = []
        var failure: ParquetError?
        // Arrays of 0 elements may have no storage; a dangling, never-dereferenced pointer
        // stands in (no task writes to an empty column).
        let placeholder = UnsafeMutableRawPointer(bitPattern: 64)!
        func level(_ j: Int) {
            if j == kinds.count {
                do throws(ParquetError) { try fill(pointers) } catch { failure = error }
                return
            }
            switch kinds[j] {
            case .numeric:
                let a = [Double](unsafeUninitializedCapacity: rows) { buffer, initialized in
                    pointers.append(buffer.baseAddress.map { UnsafeMutableRawPointer($0) } ?? placeholder)
                    level(j + 1)
                    initialized = failure == nil ? rows : 0
                }
                storage.append(.doubles(a))
            case .categorical:
                let a = [Int32](unsafeUninitializedCapacity: rows) { buffer, initialized in
                    pointers.append(buffer.baseAddress.map { UnsafeMutableRawPointer($0) } ?? placeholder)
                    level(j + 1)
                    initialized = failure == nil ? rows : 0
                }
                storage.append(.codes(a))
            }
        }
        level(0)
        if let failure { throw failure }
        return storage.reversed()  // the innermost column's array is finished first
    }
}

/// Hands buffers to the worker threads of one `concurrentPerform`: each task writes only its own
/// slot and its own row range, and the buffers outlive the call. Unchecked because it carries
/// raw pointers, whose disjoint use the compiler cannot see.
struct DisjointWrites<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
