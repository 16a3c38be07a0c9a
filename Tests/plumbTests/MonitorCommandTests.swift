import ArgumentParser
import Drift
import Foundation
import Testing
@testable import plumb

/// `plumb monitor --trigger`: parsed at the edge, a malformed one is a usage error.
@Suite struct MonitorCommandTests {
    static let head = ["--model", "m.plumb", "--current", "c.csv"]

    @Test func triggersParseWithTheirDirection() throws {
        let c = try MonitorCommand.parse(Self.head + ["--trigger", "roc_auc < 0.8", "--trigger", "log_loss>0.4", "--retrain-on-prediction-drift"])
        #expect(try c.metricTriggers() == [MetricTrigger("roc_auc", .less, 0.8), MetricTrigger("log_loss", .greater, 0.4)])
        #expect(c.retrainOnPredictionDrift)
        #expect(try MonitorCommand.parse(Self.head).metricTriggers().isEmpty)
    }

    @Test(arguments: ["roc_auc 0.8", "roc_auc < high", "< 0.8"])
    func malformedTriggerIsAUsageError(_ text: String) {
        do {
            _ = try MonitorCommand.parse(Self.head + ["--trigger", text])
            Issue.record("--trigger \(text) was accepted")
        } catch {
            #expect(MonitorCommand.exitCode(for: error) == ExitCode(64))
            #expect(MonitorCommand.message(for: error).contains("METRIC OP NUMBER"))
        }
    }

    @Test func helpNamesTheTriggerForm() {
        let help = Plumb.helpMessage(for: MonitorCommand.self, columns: 400)
        #expect(help.contains("--trigger <METRIC<|<=|>|>=NUMBER>") && help.contains("roc_auc < 0.8"))
    }
}
