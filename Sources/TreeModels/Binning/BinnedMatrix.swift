import Dispatch
import Foundation
import Synchronization
import MLCore
import Tabular

/// Binned training data: rows × features, UInt8 bin indices, held twice (column-major for
/// partitioning and small nodes, row-major for histograms), plus the mappers.
public struct BinnedMatrix: Sendable {
    public let rows: Int
    public let features: Int
    public var mappers: [BinMapper]
    /// Offset of each feature's first bin in a flat histogram; last element = total bins.
    public let binOffsets: [Int]
    private let columnStorage: ByteStorage
    private let rowStorage: ByteStorage

    public var totalBins: Int { binOffsets[features] }

    /// rows × features, column-major: bin of (i, f) at `f * rows + i`. Valid while the matrix lives.
    public var columnBins: UnsafePointer<UInt8> { UnsafePointer(columnStorage.pointer) }
    /// The same bins, row-major: bin of (i, f) at `i * features + f`. A pass over a node's rows
    /// reads each row's bins from one place instead of one column per feature.
    public var rowBins: UnsafePointer<UInt8> { UnsafePointer(rowStorage.pointer) }

    /// Feature `f`'s bins, one per row.
    public func column(_ f: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: columnBins + f * rows, count: rows)
    }

    /// The bin of row `i`, feature `f`.
    public func bin(row i: Int, feature f: Int) -> UInt8 { columnStorage.pointer[f * rows + i] }

    /// Fits bin mappers on a seeded subsample of at most `sampleSize` rows and bins all rows.
    /// - Parameters:
    ///   - x: rows × features, NaN = missing.
    ///   - maxBins: value bins per feature (2...255); one more bin holds NaN.
    ///   - categorical: indices of features holding integer category codes.
    ///   - threads: worker count for binning columns.
    /// - Throws: `TreeModelsError.invalidFeature` for bad categorical columns.
    public init(_ x: FeatureMatrix, maxBins: Int, categorical: Set<Int> = [], seed: UInt64 = 0,
                sampleSize: Int = 200_000, threads: Int = 1) throws {
        try self.init(FeatureColumns(x), maxBins: maxBins, categorical: categorical, seed: seed, sampleSize: sampleSize, threads: threads)
    }

    /// The same from columns handed over one at a time: each is fitted (on the sample) and
    /// binned, then let go, so at most `threads` Float64 columns exist at once.
    public init(_ x: FeatureColumns, maxBins: Int, categorical: Set<Int> = [], seed: UInt64 = 0,
                sampleSize: Int = 200_000, threads: Int = 1) throws {
        let n = x.rows, p = x.count
        let sampleRows = Self.sampleRows(rows: n, sampleSize: sampleSize, seed: seed)
        let storage = Self.storage(rows: n, features: p)
        // Features in parallel; each mapper depends on its own column only.
        var fitted = [Result<BinMapper, TreeModelsError>?](repeating: nil, count: p)
        fitted.withUnsafeMutableBufferPointer { out in
            let o = out
            parallelFor(p, threads: threads) { f in
                let col = x.column(f)
                do {
                    let mapper = try Self.fitMapper(col, feature: f, categorical: categorical.contains(f), maxBins: maxBins,
                                                    sampleRows: sampleRows)
                    col.withUnsafeBufferPointer { mapper.bin($0.baseAddress!, count: n, into: storage.columns.pointer + f * n) }
                    o[f] = .success(mapper)
                } catch let e as TreeModelsError {
                    o[f] = .failure(e)
                } catch {
                    o[f] = .failure(TreeModelsError(code: .invalidFeature, message: "feature \(f): \(error)"))
                }
            }
        }
        var mappers = [BinMapper]()
        mappers.reserveCapacity(p)
        for case let r? in fitted { mappers.append(try r.get()) }
        self.init(rows: n, mappers: mappers, storage: storage, threads: threads)
    }

    /// The rows numeric mappers are fitted on: nil (every row) when there are at most
    /// `sampleSize`, else a seeded uniform sample of that many, ascending. Whoever bins rows in
    /// pieces (`BinnedMatrix.Builder`) fits on the same rows with this.
    public static func sampleRows(rows n: Int, sampleSize: Int = 200_000, seed: UInt64) -> [Int]? {
        guard n > sampleSize else { return nil }
        var rng = SeededGenerator.stream(seed: seed, 0xB1_4E)
        var all = Array(0..<n)
        // Partial Fisher-Yates: the first `sampleSize` positions are a uniform sample.
        for i in 0..<sampleSize { all.swapAt(i, i + rng.below(n - i)) }
        return Array(all[0..<sampleSize]).sorted()
    }

    /// One feature's mapper: categorical from every row's code, numeric from the sample.
    private static func fitMapper(_ col: [Double], feature f: Int, categorical: Bool, maxBins: Int,
                                  sampleRows: [Int]?) throws -> BinMapper {
        // Every row's code must be valid, not just the sample's.
        if categorical { return try BinMapper.categorical(values: col, feature: f) }
        return BinMapper.numeric(values: sampleRows.map { rows in rows.map { col[$0] } } ?? col, maxBins: maxBins)
    }

    /// Bins `x` with already fitted mappers.
    public init(_ x: FeatureMatrix, mappers: [BinMapper], threads: Int = 1) {
        self.init(FeatureColumns(x), mappers: mappers, threads: threads)
    }

    /// Bins columns with already fitted mappers (at most `threads` columns in flight).
    public init(_ x: FeatureColumns, mappers: [BinMapper], threads: Int = 1) {
        precondition(mappers.count == x.count)
        let n = x.rows
        let storage = Self.storage(rows: n, features: x.count)
        parallelFor(x.count, threads: threads) { f in
            x.column(f).withUnsafeBufferPointer { col in
                if n > 0 { mappers[f].bin(col.baseAddress!, count: n, into: storage.columns.pointer + f * n) }
            }
        }
        self.init(rows: n, mappers: mappers, storage: storage, threads: threads)
    }

    /// Fresh column-major and row-major bin storage.
    static func storage(rows n: Int, features p: Int) -> (columns: ByteStorage, rows: ByteStorage) {
        (ByteStorage(count: n * p), ByteStorage(count: n * p))
    }

    /// Finishes a matrix whose column-major bins are filled: offsets and the row-major copy.
    init(rows n: Int, mappers: [BinMapper], storage: (columns: ByteStorage, rows: ByteStorage), threads: Int) {
        let p = mappers.count
        rows = n
        features = p
        self.mappers = mappers
        var offs = [0]
        for m in mappers { offs.append(offs[offs.count - 1] + m.binCount) }
        binOffsets = offs
        let columns = storage.columns.pointer, rowMajor = storage.rows.pointer
        // Transposed in blocks of rows: each block's columns stay in cache.
        parallelChunks(n, chunks: threads) { _, range in
            var lo = range.lowerBound
            while lo < range.upperBound {
                let hi = min(lo + 4096, range.upperBound)
                for f in 0..<p {
                    let col = columns + f * n
                    for i in lo..<hi { rowMajor[i * p + f] = col[i] }
                }
                lo = hi
            }
        }
        columnStorage = storage.columns
        rowStorage = storage.rows
    }
}

/// Bytes a `BinnedMatrix` owns: written while the matrix is built, read-only once it is shared.
final class ByteStorage: @unchecked Sendable {   // owns raw memory; no writes after the owner is built
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int

    /// Bytes readable past the end: kernels load 4-byte words at a byte's position.
    static let padding = 16

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count + Self.padding)
        pointer.initialize(repeating: 0, count: count + Self.padding)
    }

    deinit { pointer.deallocate() }
}

/// Runs `body(i)` for i in 0..<count on up to `threads` workers (inline when threads ≤ 1).
@usableFromInline func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    let workers = min(threads, count, WorkerPool.shared.size + 1)
    withoutActuallyEscaping(body) { b in
        // One task per worker, items strided across them: exactly `workers` threads busy.
        let ran = WorkerPool.shared.run(workers) { w in
            for i in stride(from: w, to: count, by: workers) { b(i) }
        }
        // The pool is serving another caller (concurrent requests, or a nested call): do it here.
        if !ran { for i in 0..<count { b(i) } }
    }
}

/// Worker threads kept for the life of the process, so a short job gets a second core at once.
/// (Dispatch's global pool on Linux adds a thread only after ~50 ms when its workers look busy:
/// scoring 20,000 rows with `concurrentPerform` ran on one core.) One job at a time; a caller
/// that finds the pool busy gets `false` back and runs its work itself.
///
/// Hand-offs spin briefly before sleeping: a tree's growth issues a parallel pass every few
/// hundred microseconds, and a semaphore's wake-up costs tens of microseconds each way.
///
/// A caller never waits for a worker that has not started its part: on a busy machine a worker
/// may not get a core for milliseconds. After its own part the caller closes the job; parts no
/// worker has claimed by then it runs itself, and it waits only for the parts under way.
///
/// Protocol: a job is published by bumping `generation` (a counter above 8 bits that say how many
/// workers the job needs, read together so that a late worker cannot mix two jobs up). A worker
/// takes its part by setting its bit in `claims` (the job's counter in the high 32 bits, a closed
/// flag, one bit per worker), which fails once the counter moved on or the job is closed; it sets
/// its bit in `finished` when done. A worker about to sleep sets its bit in `sleepers`, then looks
/// at `generation` once more; the caller, after bumping, clears the bits of the workers it needs
/// and signals those whose bit it cleared. Whoever clears a bit owns the wake-up, so no signal is
/// lost or left over. The caller sleeps on `finished` the same way (`callerSleeps`).
// @unchecked: hands a non-Sendable closure (`job`) to its threads, published by `generation`, taken through `claims`, retired once every claimed part is `finished`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(size: max(0, min(31, ProcessInfo.processInfo.activeProcessorCount - 1)))

    /// Threads besides the caller.
    let size: Int
    /// Polls of a spin before sleeping (each yields the CPU once: about 50 µs in all).
    static let spins = 100
    private static let closed: UInt64 = 1 << 31
    /// Whether a caller holds the pool, and whether the threads were started.
    private let state = Mutex((busy: false, started: false))
    private var job: ((Int) -> Void)?
    private let go: [DispatchSemaphore]
    private let wake = DispatchSemaphore(value: 0)
    private let generation = Atomic<UInt64>(0)
    private let claims = Atomic<UInt64>(0)
    private let finished = Atomic<UInt64>(0)
    private let sleepers = Atomic<UInt64>(0)
    private let callerSleeps = Atomic<Bool>(false)
    /// Tests: a worker waits on this before claiming its part (a worker that gets no core).
    var holdBeforeClaim: DispatchSemaphore?

    init(size: Int) {
        precondition(size <= 31)
        self.size = size
        go = (0..<size).map { _ in DispatchSemaphore(value: 0) }
    }

    /// Runs `body(w)` exactly once for each `w` in `0..<workers` (`w = 0`, and any part no worker
    /// took in time, on the calling thread) and returns when all are done; returns `false`
    /// without running anything when another job holds the pool.
    func run(_ workers: Int, _ body: @escaping (Int) -> Void) -> Bool {
        let extra = min(workers - 1, size)
        if extra <= 0 { for w in 0..<workers { body(w) }; return true }
        let start: Bool? = state.withLock { s in
            if s.busy { return nil }
            s.busy = true
            defer { s.started = true }
            return !s.started
        }
        guard let start else { return false }
        if start {
            for i in 0..<size {
                let t = Thread { [self] in work(i) }
                t.name = "plumb.worker.\(i + 1)"
                t.start()
            }
        }
        job = body
        let counter = (generation.load(ordering: .relaxed) >> 8) &+ 1   // only callers holding `busy` write it
        claims.store(counter << 32, ordering: .sequentiallyConsistent)
        finished.store(0, ordering: .sequentiallyConsistent)
        generation.store(counter << 8 | UInt64(extra), ordering: .sequentiallyConsistent)
        let needed: UInt64 = (1 << UInt64(extra)) - 1
        let asleep = sleepers.bitwiseAnd(~needed, ordering: .sequentiallyConsistent).oldValue & needed
        for i in 0..<extra where asleep & (1 << UInt64(i)) != 0 { go[i].signal() }
        body(0)
        for w in (extra + 1)..<max(extra + 1, workers) { body(w) }   // more parts than threads
        let claimed = claims.bitwiseOr(Self.closed, ordering: .sequentiallyConsistent).oldValue & needed
        for i in 0..<extra where claimed & (1 << UInt64(i)) == 0 { body(i + 1) }
        waitForWorkers(claimed)
        job = nil
        state.withLock { $0.busy = false }
        return true
    }

    /// Returns once every worker in `claimed` has set its `finished` bit.
    private func waitForWorkers(_ claimed: UInt64) {
        func done() -> Bool { finished.load(ordering: .sequentiallyConsistent) & claimed == claimed }
        for _ in 0..<Self.spins {
            if done() { return }
            sched_yield()
        }
        while !done() {
            callerSleeps.store(true, ordering: .sequentiallyConsistent)
            if done() {
                // A finishing worker may have taken the flag (and so signals) in between.
                if !callerSleeps.exchange(false, ordering: .sequentiallyConsistent) { wake.wait() }
                return
            }
            wake.wait()
        }
    }

    /// Takes worker `i`'s part of job `counter`, unless the job moved on or was closed.
    private func claim(_ i: Int, counter: UInt64) -> Bool {
        let bit: UInt64 = 1 << UInt64(i)
        var current = claims.load(ordering: .acquiring)
        while current >> 32 == counter && current & Self.closed == 0 {
            let (exchanged, original) = claims.compareExchange(expected: current, desired: current | bit,
                                                               ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Worker `i`'s loop (it runs `job(i + 1)` of every job that needs it, if it claims it in time).
    private func work(_ i: Int) {
        let bit: UInt64 = 1 << UInt64(i)
        var seen: UInt64 = 0
        while true {
            var spun = 0
            while generation.load(ordering: .acquiring) == seen {
                if spun < Self.spins { spun += 1; sched_yield(); continue }
                sleepers.bitwiseOr(bit, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) != seen {
                    // A job came meanwhile. If the caller already cleared the bit, it signalled.
                    if sleepers.bitwiseAnd(~bit, ordering: .sequentiallyConsistent).oldValue & bit == 0 { go[i].wait() }
                } else {
                    go[i].wait()   // the caller clears the bit before signalling
                }
                break
            }
            seen = generation.load(ordering: .acquiring)
            guard i < Int(seen & 0xFF) else { continue }   // a job that does not need this worker
            holdBeforeClaim?.wait()
            guard claim(i, counter: seen >> 8) else { continue }   // the caller took this part
            job!(i + 1)
            finished.bitwiseOr(bit, ordering: .sequentiallyConsistent)
            if callerSleeps.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        }
    }
}

/// Runs `body(chunk, range)` over `count` items split in `chunks` contiguous ranges, in parallel.
@usableFromInline func parallelChunks(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
    let k = max(1, min(chunks, count))
    if k == 1 { body(0, 0..<count); return }
    parallelFor(k, threads: k) { c in
        let lo = count * c / k, hi = count * (c + 1) / k
        body(c, lo..<hi)
    }
}
