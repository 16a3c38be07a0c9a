import Foundation
import MLCore
import Serving
import Synchronization
import Tabular

/// `plumb bench MODEL`: in-process scoring latency and throughput, per batch size × thread count.
///
/// A call scores one batch of raw feature values exactly as `plumb serve` does after decoding a
/// request (`ServableLoadedModel.predict`): for an all-numeric model the stored preprocessing
/// (clip, impute, scale) from the row-major request layout, then the regressor on the calling
/// thread; for a model with a categorical feature, the table path (labels → codes, one-hot
/// encoding, then the regressor). Not included: HTTP, JSON decoding, the prediction log.
///
/// The all-numeric path allocates nothing of its own per call: each worker owns its
/// preprocessed-rows matrix and its output buffer, sized for its batch before the timed loop, and a
/// call reads its input as a window of a row pool built before the loop (`RowMajorScorer.score`).
/// What the model's kernel allocates is its own (counted under gdb by
/// Benchmarks/allocations/count_bench_allocs.py: a GBM's rank-table scorer mallocs two scratch
/// blocks a call). The table path allocates (a table per call), as the server's does.
public enum LatencyBench {
    /// The timed cases: every batch size with every thread count.
    public struct Options: Sendable {
        public var batches: [Int]
        public var threads: [Int]
        /// Wall-clock budget of each case.
        public var seconds: Double
        /// Stop a worker after this many calls even if time remains (tests).
        public var maxCallsPerWorker: Int

        public init(batches: [Int] = [1, 8, 64, 1000], threads: [Int] = [1, 2], seconds: Double = 2, maxCallsPerWorker: Int = .max) {
            self.batches = batches
            self.threads = threads
            self.seconds = seconds
            self.maxCallsPerWorker = maxCallsPerWorker
        }
    }

    /// How a call scores its batch.
    public enum ScoringPath: String, Codable, Sendable {
        /// All-numeric model: preprocessing and scoring into per-worker preallocated buffers.
        case rowMajorPreallocated = "row_major_preallocated"
        /// A categorical feature: the server's table path (allocates per call).
        case table
    }

    public struct Case: Codable, Sendable {
        public var batch: Int
        public var threads: Int
        public var calls: Int
        public var rows: Int
        /// From the first call's start to the last call's end, over all workers.
        public var seconds: Double
        public var rows_per_second: Double
        public var calls_per_second: Double
        /// Per call, every worker's calls merged.
        public var latency: LatencySummary
    }

    public struct Cold: Codable, Sendable {
        /// Reading and decoding the model file (or registry artifact), building its predictors.
        public var load_ms: Double
        /// The first single-row call after the load (with anything done lazily on first use).
        public var first_call_us: Double
    }

    public struct Report: Codable, Sendable {
        public var model: String
        public var version: String
        public var kind: String
        public var features: Int
        public var path: ScoringPath
        /// What one timed call does.
        public var call: String
        public var rows_source: String
        public var distinct_rows: Int
        public var cold: Cold
        public var cases: [Case]
    }

    /// Runs the cold call, then every case in order (batches outer, threads inner).
    /// - Parameter loadSeconds: how long loading `located` took (reported in `cold`).
    /// - Throws: a batch the model refuses (the table path's errors).
    public static func run(_ located: LocatedModel, loadSeconds: Double, rows: BenchRows, options: Options) throws -> Report {
        let servable = ServableLoadedModel(located)
        let numeric = located.model.header.preprocessor.isAllNumeric
        let firstCall = try coldCall(servable, rows: rows, numeric: numeric)
        var cases: [Case] = []
        for batch in options.batches {
            let pool = FeatureRows(kinds: rows.kinds, rows: rows.pool(atLeast: batch))
            for threads in options.threads {
                cases.append(try runCase(servable, pool: pool, batch: batch, threads: threads, numeric: numeric, options: options))
            }
        }
        return Report(model: located.name, version: located.version, kind: located.model.header.kind, features: rows.features.count,
                      path: numeric ? .rowMajorPreallocated : .table,
                      call: numeric ? "preprocessing (clip, impute, scale) of row-major raw values + scoring, into preallocated buffers, on the calling thread"
                                    : "table of raw values (category labels → codes) + preprocessing (one-hot, impute, scale) + scoring, on the calling thread",
                      rows_source: rows.source, distinct_rows: rows.rows.count,
                      cold: Cold(load_ms: loadSeconds * 1000, first_call_us: firstCall * 1e6), cases: cases)
    }

    /// Seconds taken by the first single-row call on a model just loaded.
    static func coldCall(_ servable: ServableLoadedModel, rows: BenchRows, numeric: Bool) throws -> Double {
        let one = FeatureRows(kinds: rows.kinds, rows: [rows.rows[0]])
        if numeric {
            let scorer = RowMajorScorer(servable.located.model, batch: 1)
            return one.values.withUnsafeBufferPointer { pool in
                let t0 = monotonicNanoseconds()
                scorer.score(pool, start: 0)
                return Double(monotonicNanoseconds() - t0) / 1e9
            }
        }
        let t0 = monotonicNanoseconds()
        _ = try servable.predict(one)
        return Double(monotonicNanoseconds() - t0) / 1e9
    }

    /// One worker's figures.
    struct WorkerResult: Sendable {
        var recorder = LatencyRecorder()
        var calls = 0, rows = 0
        var first: UInt64 = .max, last: UInt64 = 0
        var error: String?
    }

    static func runCase(_ servable: ServableLoadedModel, pool: FeatureRows, batch: Int, threads: Int, numeric: Bool, options: Options) throws -> Case {
        let budget = UInt64(max(0, options.seconds) * 1e9)
        let results = BenchThreads.run(threads) { _ in
            numeric ? rowMajorWorker(servable.located.model, pool: pool, batch: batch, budget: budget, maxCalls: options.maxCallsPerWorker)
                    : tableWorker(servable, pool: pool, batch: batch, budget: budget, maxCalls: options.maxCallsPerWorker)
        }
        if let e = results.compactMap(\.error).first { throw PipelineError(step: "bench", message: "batch \(batch): \(e)") }
        var recorder = LatencyRecorder()
        for r in results { recorder.merge(r.recorder) }
        let calls = results.map(\.calls).reduce(0, +), rows = results.map(\.rows).reduce(0, +)
        let first = results.map(\.first).min() ?? 0, last = results.map(\.last).max() ?? 0
        let seconds = last > first ? Double(last - first) / 1e9 : 0
        return Case(batch: batch, threads: threads, calls: calls, rows: rows, seconds: seconds,
                    rows_per_second: seconds > 0 ? Double(rows) / seconds : 0,
                    calls_per_second: seconds > 0 ? Double(calls) / seconds : 0, latency: recorder.summary)
    }

    /// The timed loop of the all-numeric path: nothing in it allocates (the scorer's buffers and
    /// the row pool exist before it; a batch is a window of the pool; the histogram is fixed-size).
    static func rowMajorWorker(_ model: LoadedModel, pool: FeatureRows, batch: Int, budget: UInt64, maxCalls: Int) -> WorkerResult {
        let scorer = RowMajorScorer(model, batch: batch)
        var result = WorkerResult()
        let poolRows = pool.count
        pool.values.withUnsafeBufferPointer { values in
            var start = 0
            let began = monotonicNanoseconds()
            result.first = began
            var t1 = began
            while result.calls < maxCalls, t1 - began < budget || result.calls == 0 {
                let t0 = monotonicNanoseconds()
                scorer.score(values, start: start)
                t1 = monotonicNanoseconds()
                result.recorder.record(nanoseconds: t1 - t0)
                result.calls += 1
                start += batch
                if start + batch > poolRows { start = 0 }
            }
            result.last = t1
        }
        result.rows = result.calls * batch
        return result
    }

    /// The timed loop of the table path: the batches (windows of the pool) are built before it;
    /// each call builds its table as the server does.
    static func tableWorker(_ servable: ServableLoadedModel, pool: FeatureRows, batch: Int, budget: UInt64, maxCalls: Int) -> WorkerResult {
        let all = pool.rows
        let batches = stride(from: 0, through: all.count - batch, by: batch).map { FeatureRows(kinds: pool.kinds, rows: Array(all[$0..<($0 + batch)])) }
        var result = WorkerResult()
        let began = monotonicNanoseconds()
        result.first = began
        var t1 = began, i = 0
        while result.calls < maxCalls, t1 - began < budget || result.calls == 0 {
            let t0 = monotonicNanoseconds()
            do { _ = try servable.predict(batches[i]) } catch {
                result.error = "\(error)"
                break
            }
            t1 = monotonicNanoseconds()
            result.recorder.record(nanoseconds: t1 - t0)
            result.calls += 1
            i = i + 1 == batches.count ? 0 : i + 1
        }
        result.last = t1
        result.rows = result.calls * batch
        return result
    }
}

/// One worker's preallocated state for scoring `batch` rows of an all-numeric model: the
/// preprocessed matrix (rows × model inputs) and the output (rows × outputs), both allocated
/// once here and overwritten by every `score`. A class owning its output buffer, used by one
/// thread: `score` then needs no copy-on-write dance to write both buffers.
final class RowMajorScorer {
    let model: LoadedModel
    let batch: Int
    let width: Int
    private var matrix: FeatureMatrix
    private let output: UnsafeMutableBufferPointer<Double>

    /// - Precondition: every input feature of `model` is numeric (checked here, once).
    init(_ model: LoadedModel, batch: Int) {
        precondition(model.header.preprocessor.isAllNumeric, "RowMajorScorer: a categorical feature needs the table path")
        self.model = model
        self.batch = batch
        width = model.header.preprocessor.inputFeatures.count
        let columns = model.header.preprocessor.outputNames.count
        matrix = FeatureMatrix(rows: batch, columns: columns, values: [Double](repeating: 0, count: batch * columns))
        output = .allocate(capacity: batch * model.outputCount)
        output.initialize(repeating: 0)
    }

    deinit { output.deallocate() }

    /// The last call's predictions (rows × outputs, row-major).
    var predictions: [Double] { Array(output) }

    /// Scores rows `start ..< start + batch` of `pool` (row-major raw values, `width` a row) into
    /// the output buffer. Allocates nothing itself: the input is a window of the pool, `matrix`
    /// is uniquely owned (written in place) and the output buffer is this scorer's.
    func score(_ pool: UnsafeBufferPointer<Double>, start: Int) {
        let input = UnsafeBufferPointer(rebasing: pool[(start * width)..<((start + batch) * width)])
        model.predict(rowMajor: input, into: &matrix, output: output, threads: 1)
    }
}

/// Runs `body(i)` for i in 0..<count, each on a thread of its own (not the concurrency pool, whose
/// width is the core count: a bench may want more workers than cores), and waits for all.
enum BenchThreads {
    static func run<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let (group, results) = start(count, body)
        group.wait()
        return results.ordered(count)
    }

    /// `run` for an async caller: it waits without holding a concurrency-pool thread (which an
    /// in-process server under test may need).
    static func runAsync<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        let (group, results) = start(count, body)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { c.resume() } }
        return results.ordered(count)
    }

    /// The workers' results by index.
    final class Results<T: Sendable>: Sendable {
        private let byIndex = Mutex<[Int: T]>([:])
        func set(_ i: Int, _ r: T) { byIndex.withLock { $0[i] = r } }
        func ordered(_ count: Int) -> [T] { byIndex.withLock { all in (0..<count).compactMap { all[$0] } } }
    }

    private static func start<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> (DispatchGroup, Results<T>) {
        let results = Results<T>()
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                results.set(i, body(i))
                group.leave()
            }
            thread.stackSize = 1 << 23
            thread.start()
        }
        return (group, results)
    }
}
