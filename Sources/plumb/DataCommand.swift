import ArgumentParser

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch and inspect datasets.",
        subcommands: [DataFetchCommand.self, DataDescribeCommand.self]
    )
}
