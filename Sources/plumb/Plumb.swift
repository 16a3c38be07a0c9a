import ArgumentParser

@main
struct Plumb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plumb",
        abstract: "Train, track, serve and monitor tabular models — one binary.",
        subcommands: [RunsCommand.self, ModelsCommand.self]
    )
}
