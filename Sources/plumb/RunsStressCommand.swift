import ArgumentParser
import Foundation
import Tracking

/// TEST AID (hidden from help): hammers the store the way concurrent training jobs would, so the
/// TrackingTests concurrency tests can run several real `plumb` processes against one store.
/// Each iteration starts a run, logs params and a metric batch, stores a unique artifact,
/// registers it as a new version of `--register`, and finishes the run.
struct RunsStressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Test aid: create runs and register versions in a loop.",
        discussion: """
            Example:
              plumb runs stress --store /tmp/s/plumb.db --runs 20 --register m
            """,
        shouldDisplay: false
    )

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Number of runs (and registered versions).") var runs: Int = 10
    @Option(help: "Model name to register each run's artifact under.") var register: String = "stress"
    @Option(help: "Experiment name.") var experiment: String = "stress"

    func validate() throws {
        if runs < 0 { throw ValidationError("--runs must be ≥ 0, got \(runs)") }
    }

    func run() throws {
        try TrackingCLI.run {
            let store = try storeOptions.open()
            let pid = ProcessInfo.processInfo.processIdentifier
            for i in 0..<runs {
                let id = try store.startRun(experiment: experiment, name: "stress-\(pid)-\(i)")
                try store.logParams(run: id, ["pid": String(pid), "i": String(i)])
                let points = (0..<10).map { MetricPoint(key: "loss", value: 1 / Double($0 + 1), step: Int64($0)) }
                    + [MetricPoint(key: "r2", value: 0.5 + Double(i % 50) / 100), MetricPoint(key: "rmse", value: 1 - Double(i % 50) / 100)]
                try store.logMetrics(run: id, points)
                let sha = try store.putArtifact(Data("model \(pid) \(i) \(id)".utf8))
                try store.logArtifact(run: id, name: "model.plumb", sha256: sha)
                try store.registerVersion(model: register, runID: id, artifactSHA256: sha, reason: "stress \(pid)")
                try store.endRun(id)
            }
            print("registered \(runs) versions of \(register)")
        }
    }
}
