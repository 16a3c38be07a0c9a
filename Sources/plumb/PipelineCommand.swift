import ArgumentParser
import Foundation
import Pipeline

struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run the whole model lifecycle from one spec.",
        subcommands: [PipelineRunCommand.self, PipelineValidateCommand.self]
    )
}

struct PipelineRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "ingest → validate → split → train → register → promote → serve → replay → monitor → retrain → promote or keep.",
        discussion: """
            Without SPEC, runs the embedded California Housing spec (data/pipelines/california-housing.yaml). \
            Each trained model is cached under the hash of its inputs (data digest, rows, spec, Plumb version):
            a rerun skips unchanged training and says so; --force retrains. A failing step marks the run FAILED \
            and leaves the champion untouched.

            Example:
              plumb pipeline run data/pipelines/california-housing.yaml
            """
    )

    @Argument(help: "Pipeline spec (YAML).")
    var spec: String?

    @Flag(help: "Ignore cached steps and re-run everything.")
    var force = false

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Option(help: "Folder for the cache and the report (default .plumb/pipeline/<name>).")
    var work: String?

    @Flag(help: "Print the summary as JSON at the end.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let loaded = try spec.map { try PipelineSpec.load(path: $0) } ?? PipelineSpec.default
            let dir = spec.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? FileManager.default.currentDirectoryPath
            let workDir = work ?? ".plumb/pipeline/\(loaded.name)"
            let quiet = json
            let runner = PipelineRunner(spec: loaded, specDirectory: dir, storePath: store ?? defaultStorePath(), workDirectory: workDir,
                                        force: force) { e in
                if !quiet { print(String(format: "%6.2fs  %-9@ %@", e.seconds, e.step as NSString, e.message as NSString)) }
            }
            let summary = try await interruptible { try await runner.run() }
            if json {
                try printJSON(summary)
                return
            }
            print("")
            print("pipeline \(loaded.name): run \(summary.parentRunID) (spec \(summary.specHash.prefix(12))…)")
            let before = summary.championBefore.map { "v\($0)" } ?? "none"
            let after = summary.championAfter.map { "v\($0)" } ?? "none"
            let challenger = summary.challenger.map { c -> String in
                if summary.promotedChallenger { return "; challenger v\(c) promoted" }
                return c == summary.championAfter ? "; the retrained model is the champion itself" : "; challenger v\(c) not promoted"
            } ?? ""
            print((before == after ? "champion: \(after) (unchanged)" : "champion: \(before) → \(after)") + challenger)
            if let r = summary.reportPath { print("drift report: \(r)") }
            print("inspect: plumb runs list --experiment \(loaded.registry.experiment) · plumb models history \(loaded.registry.modelName) · plumb lineage models:/\(loaded.registry.modelName)@champion")
        }
    }
}

struct PipelineValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline spec and print its canonical hash.",
        discussion: "Example:\n  plumb pipeline validate data/pipelines/california-housing.yaml"
    )

    @Argument(help: "Pipeline spec (YAML).")
    var spec: String

    func run() async throws {
        try await runReportingErrors {
            let s = try PipelineSpec.load(path: spec)
            print("\(spec): ok — \(s.models.count) candidate model(s), spec hash \(s.canonicalHash)")
        }
    }
}
