import ArgumentParser
import Foundation
import Testing
@testable import plumb

/// Fixed choices are known to the parser: `--help` lists them, a bad value is a usage error
/// (exit 64) naming the good ones, and every value the CLI took before still parses.
@Suite struct ArgumentChoicesTests {
    static let trainHead = ["data.csv", "--target", "y"]

    static func trainHelp() -> String { Plumb.helpMessage(for: TrainCommand.self, columns: 400) }

    @Test func trainHelpListsTheChoices() {
        let help = Self.trainHelp()
        #expect(help.contains("(values: linear, ridge, logistic, gbm, forest, all)"))
        #expect(help.contains("(values: regression, binary, multiclass)"))
        #expect(help.contains("(values: none, balanced; default: none)"))
        #expect(help.contains("(values: squared, absolute, huber, quantile; default: squared)"))
        #expect(help.contains("(values: mean, median, none; default: median)"))
        #expect(help.contains("--feature-fraction <fraction|sqrt|third>"))
    }

    @Test func badModelIsAUsageErrorNamingTheGoodOnes() {
        do {
            _ = try Plumb.parseAsRoot(["train"] + Self.trainHead + ["--model", "xgboost"])
            Issue.record("--model xgboost was accepted")
        } catch {
            #expect(Plumb.exitCode(for: error) == ExitCode(64))
            let message = Plumb.message(for: error)
            #expect(message.contains("'xgboost'"))
            for choice in ModelChoice.allCases { #expect(message.contains("- \(choice.rawValue)")) }
        }
    }

    @Test(arguments: [["--loss", "hinge"], ["--impute", "zero"], ["--feature-fraction", "half"]])
    func otherBadChoicesAreUsageErrors(_ option: [String]) {
        #expect(throws: (any Error).self) { try TrainCommand.parse(Self.trainHead + option) }
        do { _ = try TrainCommand.parse(Self.trainHead + option) } catch {
            #expect(TrainCommand.exitCode(for: error) == ExitCode(64))
        }
    }

    @Test(arguments: ModelChoice.allCases)
    func everyModelParses(_ model: ModelChoice) throws {
        let c = try TrainCommand.parse(Self.trainHead + ["--model", model.rawValue])
        #expect(c.model == model)
    }

    @Test func featureFractionTakesNumbersAndKeywords() throws {
        #expect(try TrainCommand.parse(Self.trainHead + ["--feature-fraction", "0.5"]).hp.featureFraction == .fraction(0.5))
        #expect(try TrainCommand.parse(Self.trainHead + ["--feature-fraction", "1"]).hp.featureFraction == .fraction(1))
        let forest = try TrainCommand.parse(Self.trainHead + ["--model", "forest", "--feature-fraction", "sqrt"])
        #expect(forest.hp.featureFraction == .keyword(.sqrt))
        #expect(try forest.specs().count == 1)
        #expect(try TrainCommand.parse(Self.trainHead + ["--model", "forest", "--feature-fraction", "third"]).hp.featureFraction == .keyword(.third))
    }

    /// `--model all` compares every kind that fits the task: the forest classifies any number
    /// of classes.
    @Test func allComparesTheForestForEveryTask() throws {
        let all = try TrainCommand.parse(Self.trainHead + ["--model", "all"])
        #expect(try all.specs(for: .multiclass).map(\.kind) == ["logistic", "forest", "gbm"])
        #expect(try all.specs(for: .binary).map(\.kind) == ["logistic", "forest", "gbm"])
        #expect(try all.specs(for: .regression).map(\.kind) == ["linear", "forest", "gbm"])
    }

    /// A keyword is only for the forest: a rule spanning --model and --feature-fraction, so
    /// `validate()` keeps it.
    @Test func keywordFeatureFractionIsRejectedForGBM() {
        do {
            _ = try TrainCommand.parse(Self.trainHead + ["--model", "gbm", "--feature-fraction", "sqrt"])
            Issue.record("gbm took --feature-fraction sqrt")
        } catch {
            #expect(TrainCommand.exitCode(for: error) == ExitCode(64))
            #expect(TrainCommand.message(for: error).contains("--feature-fraction for gbm must be a number in (0, 1], got \"sqrt\""))
        }
    }

    @Test func lossAndImputeKeepTheirSpellings() throws {
        let c = try TrainCommand.parse(Self.trainHead + ["--loss", "quantile", "--loss-parameter", "0.9", "--impute", "mean"])
        #expect(c.hp.loss == .quantile && c.impute == .mean)
        #expect(try TrainCommand.parse(Self.trainHead + ["--impute", "none"]).impute == .none)
    }

    @Test func datasetNamesAreChoices() throws {
        #expect(try DataFetchCommand.parse(["california-housing"]).name.dataset.name == "california-housing")
        do {
            _ = try DataFetchCommand.parse(["no-such-data"])
            Issue.record("an unknown dataset was accepted")
        } catch {
            #expect(DataFetchCommand.exitCode(for: error) == ExitCode(64))
            #expect(DataFetchCommand.message(for: error).contains("'california-housing'"))
        }
        #expect(Plumb.helpMessage(for: DataFetchCommand.self, columns: 400).contains("(values: california-housing"))
    }

    /// The real binary (built with the tests): exit status 64 and the choices on stderr.
    @Test func theBinaryExits64OnABadModel() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let plumb = root.appendingPathComponent(".build/debug/plumb")
        try #require(FileManager.default.isExecutableFile(atPath: plumb.path), "build the plumb executable first: \(plumb.path)")
        let p = Process()
        p.executableURL = plumb
        p.arguments = ["train", "data.csv", "--target", "y", "--model", "xgboost"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 64)
        for choice in ModelChoice.allCases { #expect(text.contains("- \(choice.rawValue)")) }
    }
}
