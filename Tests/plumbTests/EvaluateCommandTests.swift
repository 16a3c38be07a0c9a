import ArgumentParser
import Foundation
import Testing
@testable import plumb

/// `plumb evaluate`, `plumb monitor --segment-by` and `plumb models approve`: options parsed and
/// checked at the edge.
@Suite struct EvaluateCommandTests {
    @Test func segmentOptionsParseWithDefaults() throws {
        let c = try EvaluateCommand.parse(["--model", "models:/house/2", "data.csv", "--segment-by", "ocean_proximity", "--segment-by", "median_income",
                                           "--bins", "5", "--record"])
        let r = c.segments.request
        #expect(r.columns == ["ocean_proximity", "median_income"] && r.sensitive == nil)
        #expect(r.options.bins == 5 && r.options.tolerance == 0.25 && r.options.replicates == 1000 && r.options.metric == nil)
        #expect(c.record && c.file == "data.csv")
        let m = try MonitorCommand.parse(["--model", "m.plumb", "--current", "c.csv", "--sensitive", "sex", "--segment-tolerance", "0.1"])
        #expect(m.segments.request.sensitive == "sex" && m.segments.request.options.tolerance == 0.1)
    }

    @Test(arguments: [["--bins", "1"], ["--segment-tolerance", "-0.5"], ["--bootstrap", "3"], ["--record"]])
    func badOptionsAreUsageErrors(_ extra: [String]) {
        do {
            _ = try EvaluateCommand.parse(["--model", "model.plumb", "data.csv"] + extra)
            Issue.record("\(extra) was accepted")
        } catch {
            #expect(EvaluateCommand.exitCode(for: error) == ExitCode(64))
        }
    }

    @Test func approveTakesNameSlashVersionAndAReason() throws {
        #expect(ModelsApproveCommand.nameAndVersion("housing/4")! == ("housing", 4))
        #expect(ModelsApproveCommand.nameAndVersion("models:/housing/12")! == ("housing", 12))
        #expect(ModelsApproveCommand.nameAndVersion("housing") == nil && ModelsApproveCommand.nameAndVersion("housing/0") == nil && ModelsApproveCommand.nameAndVersion("/3") == nil)
        let c = try ModelsApproveCommand.parse(["housing/4", "--reason", "reviewed", "--by", "A. Chen"])
        #expect(c.by == "A. Chen" && c.reason == "reviewed")
        #expect(throws: (any Error).self) { try ModelsApproveCommand.parse(["housing/4"]) }
        #expect(throws: (any Error).self) { try ModelsApproveCommand.parse(["housing", "--reason", "x"]) }
    }
}
