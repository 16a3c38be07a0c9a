import ArgumentParser
import Foundation
import Tabular

struct SplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Seeded train/test split of a data file (CSV, Parquet, Arrow) into DIR/train.csv and DIR/test.csv.",
        discussion: """
            The same file, fraction and seed always give byte-identical outputs.

            Example:
              plumb split .plumb/data/california_housing.csv --target MedHouseVal --test-fraction 0.2 --seed 42 --out out/split
            """
    )

    @Argument(help: "Data file: CSV with a header row, Parquet file or folder, or Arrow IPC file.")
    var file: String

    @Option(help: "Target column (checked to exist; numeric or class labels).")
    var target: String?

    @Option(help: "Fraction of rows in the test part, in (0, 1).")
    var testFraction: Double = 0.2

    @Option(help: "Random seed.")
    var seed: UInt64 = 42

    @Option(help: "Output folder.")
    var out: String

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func validate() throws {
        guard testFraction > 0, testFraction < 1 else {
            throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let table = try csv.read(file)
            if let target {
                guard table.column(named: target) != nil else {
                    throw TabularError(code: .unknownColumn, message: "\(file): no target column \"\(target)\" (columns: \(table.columnNames.joined(separator: ", ")))")
                }
            }
            let parts = try TrainTestSplit.split(rowCount: table.rowCount, testFraction: testFraction, seed: seed)
            let trainPath = out + "/train.csv", testPath = out + "/test.csv"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try CSVWriter.write(table.selecting(rows: parts.train), to: trainPath, delimiter: try csv.csvOptions().delimiter)
            try CSVWriter.write(table.selecting(rows: parts.test), to: testPath, delimiter: try csv.csvOptions().delimiter)
            if json {
                struct Out: Encodable { let train, test: String; let train_rows, test_rows: Int; let seed: UInt64; let test_fraction: Double }
                try printJSON(Out(train: trainPath, test: testPath, train_rows: parts.train.count, test_rows: parts.test.count, seed: seed, test_fraction: testFraction))
            } else {
                print("train: \(trainPath) (\(grouped(parts.train.count)) rows)")
                print("test:  \(testPath) (\(grouped(parts.test.count)) rows)")
            }
        }
    }
}
