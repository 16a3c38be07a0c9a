import ArgumentParser
import LinearAlgebra

@main
struct Plumb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plumb",
        abstract: "Train, track, serve and monitor tabular models — one binary, no Python.",
        discussion: """
            Exit codes: 0 success, 1 runtime failure (bad data, missing file, …), 64 usage error; \
            `plumb monitor` exits 10 when it recommends retraining. \
            Start with `plumb data fetch california-housing` then `plumb train FILE --target COL`.
            """,
        version: "0.1.0",
        subcommands: [DataCommand.self, SplitCommand.self, TrainCommand.self, PredictCommand.self, ExplainCommand.self,
                      RunsCommand.self, ModelsCommand.self, ServeCommand.self, MonitorCommand.self,
                      PipelineCommand.self, LineageCommand.self, EvaluateCommand.self, BenchCommand.self]
    )

    static func main() async {
        // OpenBLAS's workers started (and spin) at load time; most commands never need them.
        BLASThreads.releaseIdleWorkers()
        await main(nil)
    }
}
