import ArgumentParser

/// `plumb runs …`: search and inspect tracked runs.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show and compare tracked runs.",
        discussion: """
            Example:
              plumb runs list --filter "metrics.r2 > 0.7 AND params.model = 'gbm'" --order-by "metrics.r2 DESC"
            """,
        subcommands: [RunsListCommand.self, RunsShowCommand.self, RunsCompareCommand.self, RunsStressCommand.self]
    )
}
