import ArgumentParser
import Foundation
import Pipeline
import Serving

/// `plumb bench --protocol`.
extension HTTPLoadGenerator.WireProtocol: ExpressibleByArgument {}

/// A comma-separated list of positive integers (`--batch 1,8,64`).
struct PositiveIntList: ExpressibleByArgument, Equatable {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap { Int($0) }
        guard !parts.isEmpty, numbers.count == parts.count, numbers.allSatisfy({ $0 > 0 }) else { return nil }
        values = numbers
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure scoring latency and throughput: in-process for a model, or over HTTP against plumb serve.",
        discussion: """
            In-process (MODEL): each call scores one batch of raw feature values as plumb serve does after \
            decoding a request: the stored preprocessing, then the model, on the calling thread (an all-numeric \
            model's call writes into buffers each worker allocated before timing; a categorical model's builds a \
            table, as the server's does). With --threads N, N workers call in a loop side by side and their \
            latencies are merged. The first single-row call after loading is reported apart as "cold". Rows \
            come from --rows, else are drawn from the model's reference profile, else from its schema.

            HTTP (--url): N keep-alive connections. Without --rate each sends its next request when the last \
            is answered (closed loop); with --rate R requests are meant to start R times a second whatever \
            came before (open loop) and latency counts from that intended start, so a stall is not hidden \
            (no coordinated omission). Latency percentiles are over 2xx answers; non-2xx answers and \
            connection errors are counted apart. Without --rows, bodies are drawn from GET /model's features.

            Percentiles come from an HdrHistogram (3 significant digits).

            Examples:
              plumb bench models:/california@champion --batch 1,64 --threads 1,2 --seconds 3
              plumb bench --url http://127.0.0.1:8080 --concurrency 1,16 --seconds 10
              plumb bench --url http://127.0.0.1:8080 --protocol v2 --rate 2000 --concurrency 16
            """
    )

    @Argument(help: "Model file, or registry URI models:/NAME/VERSION or models:/NAME@ALIAS (in-process bench).")
    var model: String?

    @Option(help: "Tracking store for registry URIs (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Option(help: "Rows to send: CSV, Parquet or Arrow with the model's feature columns.")
    var rows: String?

    @Option(help: "Rows per call (in-process).")
    var batch = PositiveIntList([1, 8, 64, 1000])

    @Option(help: "Worker threads calling side by side (in-process).")
    var threads = PositiveIntList([1, 2])

    @Option(help: "Seconds per case.")
    var seconds: Double = 2

    @Option(help: "Server to load: http://HOST:PORT (HTTP bench).")
    var url: String?

    @Option(name: .customLong("protocol"), help: "Request protocol (HTTP bench).")
    var wire: HTTPLoadGenerator.WireProtocol = .plumb

    @Option(help: "Connections (HTTP bench).")
    var concurrency = PositiveIntList([1, 16])

    @Option(help: "Requests per second for an open loop (HTTP bench; default: closed loop).")
    var rate: Double?

    @Flag(help: "Print a JSON object with every figure instead of a table.")
    var json = false

    func validate() throws {
        guard (model == nil) != (url == nil) else { throw ValidationError("give either a MODEL (in-process) or --url (HTTP), not both or neither") }
        guard seconds > 0, seconds <= 86_400 else { throw ValidationError("--seconds must be in (0, 86400], got \(seconds)") }
        if let rate { guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be > 0, got \(rate)") } }
        guard threads.values.allSatisfy({ $0 <= 256 }) else { throw ValidationError("--threads: at most 256") }
        guard concurrency.values.allSatisfy({ $0 <= 1024 }) else { throw ValidationError("--concurrency: at most 1024") }
        guard batch.values.allSatisfy({ $0 <= 10_000_000 }) else { throw ValidationError("--batch: at most 10000000 rows a call") }
    }

    func run() async throws {
        try await runReportingErrors {
            if let url { try await runHTTP(url) } else if let model { try runInProcess(model) }
        }
    }

    func runInProcess(_ reference: String) throws {
        let storePath = store ?? defaultStorePath()
        let t0 = monotonicNanoseconds()
        let located = try ModelLocator.load(reference, storePath: storePath)
        let loadSeconds = Double(monotonicNanoseconds() - t0) / 1e9
        let features = ServableLoadedModel(located).features
        let steps = located.model.header.preprocessor.steps
        let benchRows: BenchRows
        if let rows {
            benchRows = try BenchRows.read(rows, features: features)
        } else if let profile = try? ModelLocator.profile(for: located, storePath: storePath) {
            benchRows = BenchRows.synthesised(from: profile, features: features, steps: steps, count: 10_000)
        } else {
            benchRows = BenchRows.synthesised(features: features, steps: steps, count: 10_000)
        }
        let report = try LatencyBench.run(located, loadSeconds: loadSeconds, rows: benchRows,
                                          options: .init(batches: batch.values, threads: threads.values, seconds: seconds))
        if json { try printJSON(report); return }
        print("\(report.model) v\(report.version) (\(report.kind), \(report.features) features); rows: \(report.rows_source) (\(grouped(report.distinct_rows)) distinct)")
        print("call: \(report.call)")
        print("cold: load \(report.cold.load_ms.fixed(2)) ms, first single-row call \(report.cold.first_call_us.fixed(1)) µs")
        print(BenchTable.render(header: ["batch", "threads", "calls", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "rows/s"],
                                rows: report.cases.map { c in
                                    [String(c.batch), String(c.threads), grouped(c.calls)] + BenchTable.figures(c.latency) + [grouped(Int(c.rows_per_second))]
                                }))
    }

    func runHTTP(_ url: String) async throws {
        let target = try HTTPLoadGenerator.Target(url: url)
        let served = try await HTTPLoadGenerator.servedModel(target)
        let benchRows = try rows.map { try BenchRows.read($0, features: served.features) }
            ?? BenchRows.synthesised(features: served.features, steps: nil, count: 1_000)
        let requests = HTTPLoadGenerator.requests(benchRows, wire: wire, model: served.name, target: target)
        var cases: [HTTPLoadGenerator.Case] = []
        for c in concurrency.values {
            cases.append(await HTTPLoadGenerator.run(target, requests: requests, options: .init(concurrency: c, rate: rate, seconds: seconds)))
        }
        if json {
            struct Out: Encodable {
                let url, model, version, rows_source: String; let `protocol`: HTTPLoadGenerator.WireProtocol; let cases: [HTTPLoadGenerator.Case]
            }
            try printJSON(Out(url: target.base, model: served.name, version: served.version, rows_source: benchRows.source,
                              protocol: wire, cases: cases))
            return
        }
        let mode = rate.map { "open loop at \($0.fixed(0)) requests/s, latency from the intended start" } ?? "closed loop"
        print("\(target.base): \(served.name) v\(served.version), \(wire.rawValue) protocol, \(mode); rows: \(benchRows.source)")
        print(BenchTable.render(header: ["conns", "requests", "2xx", "non-2xx", "conn errors", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "req/s"],
                                rows: cases.map { c in
                                    [String(c.concurrency), grouped(c.requests), grouped(c.ok), grouped(c.non_2xx), grouped(c.connection_errors)]
                                        + BenchTable.figures(c.latency) + [grouped(Int(c.requests_per_second))]
                                }))
        if cases.contains(where: { $0.ok == 0 }) { throw ExitCode(Exit.runtimeFailure) }
    }
}

/// Right-aligned text columns.
enum BenchTable {
    static func figures(_ s: LatencySummary) -> [String] {
        [s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us].map { $0.fixed($0 < 100 ? 1 : 0) }
    }

    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { j in ([header[j]] + rows.map { $0[j] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { j, c in String(repeating: " ", count: widths[j] - c.count) + c }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
