import ArgumentParser
import Foundation
import Tabular

struct DataDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Summary statistics, category counts and correlations of a CSV file.",
        discussion: """
            Per numeric column: count, missing, mean, std, min, 25/50/75 %, max (as pandas' describe); \
            per categorical column: level counts; then the Pearson correlation matrix.

            Example:
              plumb data describe .plumb/data/housing.csv --json
            """
    )

    @Argument(help: "CSV file with a header row.")
    var file: String

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let table = try csv.read(file)
            let summary = Describe.summarize(table)
            if json {
                try printJSON(summary)
            } else {
                print("\(file): \(grouped(table.rowCount)) rows × \(table.columns.count) columns")
                print(summary.render())
            }
        }
    }
}
