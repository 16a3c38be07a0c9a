import Drift
import Foundation
import Logging
import MLCore
import Serving
import Tabular
import Tracking

/// Errors that stop a pipeline run; the run is marked FAILED and the champion is left as it was.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var step: String
    public var message: String
    public var description: String { "step \(step): \(message)" }
}

/// One line of the closing timeline.
public struct TimelineEvent: Sendable, Codable {
    public var seconds: Double
    public var step: String
    public var message: String
}

/// What `plumb pipeline run` did, for the summary and `--json`.
public struct PipelineSummary: Sendable, Codable {
    public var parentRunID: String
    public var specHash: String
    public var model: String
    public var championBefore: Int?
    public var championAfter: Int?
    public var challenger: Int?
    public var retrained: Bool
    public var promotedChallenger: Bool
    public var reportPath: String?
    public var timeline: [TimelineEvent]
}

/// Runs a pipeline spec end to end: ingest → validate → split → train candidates → register →
/// promote → serve → replay current traffic with feedback → monitor the log → retrain →
/// champion vs challenger on one holdout → promote or keep.
public struct PipelineRunner: Sendable {
    public var spec: PipelineSpec
    public var specDirectory: String
    public var storePath: String
    public var workDirectory: String
    public var force: Bool
    public var emit: @Sendable (TimelineEvent) -> Void

    public init(spec: PipelineSpec, specDirectory: String, storePath: String, workDirectory: String, force: Bool,
                emit: @escaping @Sendable (TimelineEvent) -> Void) {
        self.spec = spec
        self.specDirectory = specDirectory
        self.storePath = storePath
        self.workDirectory = workDirectory
        self.force = force
        self.emit = emit
    }

    /// The run's timeline: each event is kept for the summary and handed to `emit` as it happens.
    final class Timeline {
        let start = ContinuousClock.now
        private(set) var events: [TimelineEvent] = []
        private let emit: @Sendable (TimelineEvent) -> Void

        init(emit: @escaping @Sendable (TimelineEvent) -> Void) { self.emit = emit }

        func log(_ step: String, _ message: String) {
            let e = TimelineEvent(seconds: (ContinuousClock.now - start).seconds, step: step, message: message)
            events.append(e)
            emit(e)
        }
    }

    public func run() async throws -> PipelineSummary {
        let timeline = Timeline(emit: emit)
        let store = try TrackingStore(path: storePath)
        let recorder = TrainingRecorder(store: store, experiment: spec.registry.experiment)
        let specHash = spec.canonicalHash
        let parent = try recorder.startParent(name: "pipeline \(spec.name)", params: ["spec_hash": specHash, "seed": "\(spec.seed)",
                                                                                      "plumb_version": Trainer.plumbVersion])
        let run = RunContext(store: store, recorder: recorder, parent: parent, specHash: specHash, timeline: timeline)
        do {
            var summary = try await runSteps(run)
            try store.endRun(parent)
            summary.timeline = timeline.events
            return summary
        } catch is CancellationError {
            // Ctrl-C: steps stop at their next boundary; what was committed stays committed.
            try? store.endRun(parent, status: .killed, errorMessage: "interrupted")
            let champion = (try? store.resolve("models:/\(spec.registry.modelName)@champion")).map { "v\($0.version)" } ?? "none"
            timeline.log("stopped", "interrupted — run \(parent.prefix(8)) marked KILLED; champion \(champion)")
            throw CancellationError()
        } catch {
            recorder.fail(run: parent, error: error)
            timeline.log("failed", "\(error) — run \(parent.prefix(8)) marked FAILED; the champion is unchanged")
            throw error
        }
    }

    // MARK: - The loop

    /// The steps in order; each stops or decides, the work is in the step functions below. Steps
    /// check for cancellation at their boundaries.
    private func runSteps(_ run: RunContext) async throws -> PipelineSummary {
        let (table, digest) = try await ingest(run)
        try validate(table, run)
        let rows = try split(table, digest: digest, run)
        let championBefore = try? run.store.resolve("models:/\(spec.registry.modelName)@champion").version
        let best = try trainCandidates(rows, run)
        let championNow = try promote(best, over: championBefore, holdout: rows.holdout, run)
        var summary = PipelineSummary(parentRunID: run.parent, specHash: run.specHash, model: spec.registry.modelName,
                                      championBefore: championBefore, championAfter: championNow, challenger: nil,
                                      retrained: false, promotedChallenger: false, reportPath: nil, timeline: [])
        guard let champion = championNow else {
            run.log("stop", "no champion qualifies; nothing to serve (safe fallback)")
            return summary
        }
        guard rows.hasCurrent else {
            run.log("stop", "the spec has no slices: no current traffic to replay")
            return summary
        }
        let served = try await serve(champion, run)
        defer { served.task.cancel() }
        let replayStart = try await replay(rows.current, to: served, run)
        let health = try monitor(since: replayStart, run)
        summary.reportPath = health.reportPath
        guard health.retrain, spec.retraining.enabled else {
            run.log("stop", health.retrain ? "retraining is disabled in the spec" : "healthy: no retraining needed")
            return summary
        }
        let challenger = try retrain(champion, fallback: best.candidate, rows, run)
        summary.retrained = true
        summary.challenger = challenger.version
        guard challenger.version != champion else {
            run.log("retrain", challenger.description)
            run.log("keep", "the retrained model is the champion itself (same data, same spec); champion v\(champion) stays")
            return summary
        }
        try nameChallenger(challenger, run)
        let scores = try compare(challenger, with: champion, on: rows.holdout, run)
        guard scores.gain > spec.retraining.minImprovement else {
            run.log("keep", "challenger does not beat the champion by more than \(spec.retraining.minImprovement); champion v\(champion) stays")
            return summary
        }
        guard try passesProductionGates(challenger.version, holdout: rows.holdout, run) else {
            run.log("keep", "challenger v\(challenger.version) fails the spec's production gates; champion v\(champion) stays")
            return summary
        }
        if spec.rollout.strategy == .canary {
            guard try await canaryRecommendsPromotion(challenger.version, over: champion, holdout: rows.holdout, run) else {
                run.log("keep", "the canary did not show challenger v\(challenger.version) to be better; champion v\(champion) stays")
                return summary
            }
        }
        try promote(challenger, over: champion, scores, run)
        summary.promotedChallenger = true
        summary.championAfter = challenger.version
        try await followSwap(served, to: challenger, run)
        return summary
    }

    // MARK: - State passed between steps

    /// What every step works with: the store, the parent run and the timeline.
    struct RunContext {
        let store: TrackingStore
        let recorder: TrainingRecorder
        let parent: String
        let specHash: String
        let timeline: Timeline

        func log(_ step: String, _ message: String) { timeline.log(step, message) }
    }

    /// The data, split once for every later step.
    struct Rows {
        let table: Table
        let digest: DatasetDigest
        /// The spec's task, or the one the target implies.
        let task: ModelTask
        /// Reference rows: candidates train on `train` and are scored on `test`.
        let train: Table
        let test: Table
        /// Whether the spec slices out current rows (without, the loop ends after promotion).
        let hasCurrent: Bool
        /// Current rows replayed through the server.
        let current: Table
        /// Reference test rows plus held-out current rows: where a candidate meets the champion,
        /// and the retrained challenger too.
        let holdout: Table
    }

    /// This run's best candidate by the selection metric.
    struct BestCandidate {
        let version: ModelVersion
        let candidate: PipelineSpec.ModelCandidate
        let score: Double
    }

    /// The server of the champion alias, running in process until the loop ends.
    struct ServedChampion {
        let server: PlumbServer
        let task: Task<Void, any Error>
        let base: String
    }

    /// What monitoring the replayed traffic decided.
    struct Health {
        let retrain: Bool
        let reportPath: String
    }

    /// The champion's configuration retrained, registered as a new version.
    struct Challenger: CustomStringConvertible {
        let version: Int
        let metrics: Evaluation
        /// "<candidate> on N rows [cached] → vX", as the timeline shows it.
        let description: String
    }

    /// Champion and challenger scored on the same holdout.
    struct Scores {
        let champion: Evaluation
        let challenger: Evaluation
        /// Challenger minus champion, in the selection metric (higher is better).
        let gain: Double
    }

    // MARK: - Steps

    /// Reads the spec's data (fetching a known dataset first) and fingerprints it.
    private func ingest(_ run: RunContext) async throws -> (Table, DatasetDigest) {
        var csv = CSVOptions()
        csv.schema = spec.data.schema
        let path: String
        if let known = spec.data.knownDataset {
            path = ".plumb/data/\(known.fileName)"
            _ = try await DatasetCatalog.fetch(known, to: path)
        } else {
            path = spec.data.csvPath(relativeTo: specDirectory) ?? spec.data.source
        }
        let table = try TableFile.read(path, csv: csv)
        let digest = DatasetDigest(name: URL(fileURLWithPath: path).lastPathComponent, sha256: try TableFile.sha256(of: path),
                                   rows: table.rowCount, columns: table.columnNames)
        run.log("ingest", "\(digest.name): \(digest.rows) rows × \(digest.columns.count) columns, sha256 \(digest.sha256.prefix(12))…")
        try Task.checkCancellation()
        return (table, digest)
    }

    /// The spec's data-quality checks; any failure stops the run.
    private func validate(_ table: Table, _ run: RunContext) throws {
        let quality = DataQualityChecker.check(table: table, spec: spec.validation, target: spec.data.target)
        guard quality.passed else {
            throw PipelineError(step: "validate", message: "data-quality checks failed:\n" + quality.render())
        }
        run.log("validate", "\(quality.checks.count) data-quality checks passed\(quality.warnings.isEmpty ? "" : " (\(quality.warnings.count) warning(s))")")
        try Task.checkCancellation()
    }

    /// Slices reference and current rows, splits the reference into train and test.
    private func split(_ table: Table, digest: DatasetDigest, _ run: RunContext) throws -> Rows {
        let slices = try sliceRows(table)
        let reference = table.selecting(rows: slices.reference)
        let refSplit = try TrainTestSplit.split(rowCount: reference.rowCount, testFraction: spec.split.testFraction, seed: spec.splitSeed)
        let refTrain = reference.selecting(rows: refSplit.train), refTest = reference.selecting(rows: refSplit.test)
        run.log("split", "reference \(reference.rowCount) rows (\(refTrain.rowCount) train / \(refTest.rowCount) test)" +
            (slices.current.isEmpty ? "" : "; current \(slices.current.count) rows (\(slices.replay.count) replayed, \(slices.holdout.count) held out)"))
        return Rows(table: table, digest: digest, task: try task(of: table), train: refTrain, test: refTest, hasCurrent: !slices.current.isEmpty,
                    current: table.selecting(rows: slices.replay),
                    holdout: try Self.concatenate(refTest, table.selecting(rows: slices.holdout)))
    }

    /// Trains (or takes from the cache) and registers every candidate; returns the best.
    private func trainCandidates(_ rows: Rows, _ run: RunContext) throws -> BestCandidate {
        var best: BestCandidate?
        for candidate in spec.models {
            try Task.checkCancellation()
            guard candidate.kind.fits(rows.task) else {
                throw PipelineError(step: "train", message: "models: \(candidate.name) is a \(candidate.kind.rawValue) model, which does not fit a \(rows.task.rawValue) target \"\(spec.data.target)\"")
            }
            let (outcome, bytes, cached) = try trainCached(candidate, train: rows.train, test: rows.test, digest: rows.digest,
                                                           task: rows.task, specHash: run.specHash, tag: "reference")
            let version = try registerOnce(outcome, bytes: bytes, recorder: run.recorder, parent: run.parent, runName: candidate.name,
                                           specHash: run.specHash)
            let m = outcome.evaluation
            run.log("train", "\(candidate.name) (\(candidate.kind.rawValue))\(cached ? " [cached]" : ""): \(summary(m)) fit \(outcome.fitSeconds.fixed3) s → v\(version.version)")
            let score = selectionScore(m)
            if best == nil || score > best!.score { best = BestCandidate(version: version, candidate: candidate, score: score) }
        }
        guard let best else { throw PipelineError(step: "train", message: "the spec lists no candidate models") }
        try Task.checkCancellation()
        return best
    }

    /// Promotes the best candidate: with no champion yet the policy judges it; with one, the
    /// candidate must beat it on the shared holdout (the rows the retrain comparison uses too),
    /// so a rerun never undoes a decision that was made on newer data.
    /// - Returns: the champion afterwards (nil when none qualifies).
    private func promote(_ best: BestCandidate, over incumbent: Int?, holdout: Table, _ run: RunContext) throws -> Int? {
        let name = spec.registry.modelName
        let policy = spec.promotion.policy
        try recordGateEvaluations(best.version.version, holdout: holdout, run)
        guard let incumbent, incumbent != best.version.version else {
            let promotion = try run.store.promote(model: name, version: best.version.version, policy: policy,
                                                  reason: "pipeline \(spec.name) run \(run.parent.prefix(8))")
            run.log("promote", promotion.message)
            return promotion.champion
        }
        let champM = try metrics(of: incumbent, on: holdout, store: run.store)
        let candM = try metrics(of: best.version.version, on: holdout, store: run.store)
        let versus = "on the shared holdout (\(holdout.rowCount) rows): candidate v\(best.version.version) \(spec.selection.metric.rawValue) \(selectionValue(candM).fixed4) vs champion v\(incumbent) \(selectionValue(champM).fixed4)"
        guard selectionScore(candM) - selectionScore(champM) > spec.retraining.minImprovement else {
            run.log("keep", "champion v\(incumbent) stays; \(versus)")
            return incumbent
        }
        let promotion = try run.store.promote(model: name, version: best.version.version, policy: policy,
                                              reason: "pipeline \(spec.name) run \(run.parent.prefix(8)): beat champion v\(incumbent) \(versus)")
        run.log("promote", promotion.message + "; " + versus)
        return promotion.champion
    }

    /// Evaluates `version` on the holdout for the spec's segment and fairness gates and stores the
    /// result with the version, where promotion reads it (nothing without such gates).
    private func recordGateEvaluations(_ version: Int, holdout: Table, _ run: RunContext) throws {
        let gates = spec.promotion
        let columns = (gates.segments ?? []).map(\.column)
        let sensitive = (gates.fairness ?? []).map(\.sensitive)
        guard !columns.isEmpty || !sensitive.isEmpty else { return }
        let name = spec.registry.modelName
        let model = try ModelLocator.load("models:/\(name)/\(version)", store: run.store).model
        let predictions = try model.predict(holdout).predictions
        let source = "pipeline \(spec.name) holdout (\(holdout.rowCount) rows)"
        let (rows, scored) = try ModelEvaluation.scored(model: model, table: holdout, predictions: predictions, source: source)
        let options = SegmentEvaluation.Options(metric: gates.segments?.compactMap(\.metric).first, seed: spec.seed)
        var stored = VersionEvaluations()
        for (i, s) in (sensitive.isEmpty ? [nil] : sensitive.map { Optional($0) }).enumerated() {
            let e = try ModelEvaluation.evaluate(model: model, table: holdout, rows: rows, scored: scored,
                                                 request: SegmentRequest(columns: i == 0 ? columns : [], sensitive: s, options: options), source: source)
            stored.segments += e.byColumn
            stored.fairness += e.fairness.map { [$0] } ?? []
            if i == 0, !columns.isEmpty {
                run.log("evaluate", "v\(version) by \(columns.joined(separator: ", ")) on the holdout: \(e.flagged.count) of \(e.segments.count) segment(s) more than \(Int((options.tolerance * 100).rounded())) % worse on \(e.metric)")
            }
        }
        try run.store.recordEvaluations(model: name, version: version, stored, source: source)
    }

    /// Whether `version` passes the spec's segment, fairness and approval gates (evaluated on the
    /// holdout and stored first); logs why not.
    private func passesProductionGates(_ version: Int, holdout: Table, _ run: RunContext) throws -> Bool {
        let policy = spec.promotion.policy
        guard policy.hasProductionGates else { return true }
        try recordGateEvaluations(version, holdout: holdout, run)
        let name = spec.registry.modelName
        var refusals = policy.gateRefusals(model: name, version: version, evaluations: try run.store.evaluations(model: name, version: version))
        if policy.requireApproval, try run.store.approvals(model: name, version: version).isEmpty {
            refusals.append("v\(version) has no recorded approval, which the spec requires for Production (plumb models approve \(name)/\(version) --reason \"…\")")
        }
        for r in refusals { run.log("gate", r) }
        return refusals.isEmpty
    }

    /// Starts an in-process server that follows the champion alias (so it hot-swaps on promotion).
    private func serve(_ champion: Int, _ run: RunContext) async throws -> ServedChampion {
        try Task.checkCancellation()
        let name = spec.registry.modelName
        let provider = LocatorModelProvider(reference: "models:/\(name)@champion", storePath: storePath)
        let served = try await startServer(run) { config, sink, logger in
            PlumbServer(configuration: config, provider: provider, sink: sink, logger: logger)
        }
        run.log("serve", "serving models:/\(name)@champion (v\(champion)) at \(served.base)")
        return served
    }

    /// Starts an in-process server on the spec's address (its port, or a free one), logging to
    /// the run's store, and waits until it is ready.
    func startServer(_ run: RunContext,
                     _ make: (ServerConfiguration, StorePredictionLog, Logger) -> PlumbServer) async throws -> ServedChampion {
        let port = spec.serving.port == 0 ? try FreePort.find() : spec.serving.port
        var config = ServerConfiguration(host: spec.serving.host, port: port, pollInterval: .milliseconds(300))
        config.logFlushInterval = .milliseconds(50)
        // The in-process server is stopped by cancelling its task, which Hummingbird logs as
        // errors ("Waiting on child channel: CancellationError"); only critical events matter here.
        let logger = ServerLogHandler.logger(label: "plumb.pipeline.serve", level: .critical)
        let server = make(config, StorePredictionLog(store: run.store), logger)
        try await server.loadModels()
        let app = server.buildApplication()
        let task = Task { try await app.runService() }
        let base = "http://\(spec.serving.host):\(port)"
        do {
            try await HTTPReplay.waitUntilReady(base)
        } catch {
            task.cancel()
            throw error
        }
        return ServedChampion(server: server, task: task, base: base)
    }

    /// Sends the current rows to /predict, and their targets to /feedback, then drains the log.
    /// - Returns: when the replay began (the monitor reads the log from there).
    private func replay(_ current: Table, to served: ServedChampion, _ run: RunContext) async throws -> Date {
        let replayStart = Date()
        let sent = try await HTTPReplay.replay(current, target: spec.data.target, base: served.base, features: try servedFeatures(served.server))
        try await served.server.flushPredictionLog()
        run.log("replay", "\(sent.requests) /predict calls (\(current.rowCount) rows) and \(sent.feedback) /feedback calls in \(sent.seconds.fixed3) s")
        try Task.checkCancellation()
        return replayStart
    }

    /// Drift and production performance of the champion over the replayed traffic's log, with
    /// the HTML report in the work directory.
    private func monitor(since replayStart: Date, _ run: RunContext) throws -> Health {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let reportPath = workDirectory + "/drift-report.html"
        var options = DriftOptions(driftShareThreshold: spec.monitoring.driftShare)
        for (col, t) in spec.monitoring.columnTests { options.columnTests[col] = ColumnTest(t.test.driftMethod, threshold: t.threshold) }
        let retrainPolicy = RetrainPolicy(maxRMSE: spec.monitoring.rmse ?? 0.5, minR2: spec.monitoring.r2 ?? 0.6,
                                          triggers: spec.monitoring.triggers ?? [])
        let monitored = try Monitor.run(model: "models:/\(spec.registry.modelName)@champion", storePath: storePath,
                                        current: .log(since: replayStart.addingTimeInterval(-1)),
                                        options: options, policy: retrainPolicy, reportPath: reportPath)
        let r = monitored.result
        let drifted = r.columns.filter(\.drifted).map(\.name)
        run.log("monitor", "drift share \(r.driftShare.fixed3) (\(drifted.isEmpty ? "none" : drifted.prefix(8).joined(separator: ", ") + (drifted.count > 8 ? ", … \(drifted.count - 8) more" : "")))" +
            (r.performance.map { "; production RMSE \($0.rmse.fixed4), R² \($0.r2.fixed4)" } ?? "") +
            (r.classification.map { c in "; production " + ["accuracy", "f1", "roc_auc", "log_loss"].compactMap { k in c.metrics[k].map { "\(k) \($0.fixed4)" } }.joined(separator: ", ") } ?? "") + "; retrain: \(r.retrain ? "yes" : "no")")
        for reason in r.reasons { run.log("monitor", "  · \(reason)") }
        return Health(retrain: r.retrain, reportPath: reportPath)
    }

    /// Retrains the champion's configuration (`fallback` when its run names no candidate of the
    /// spec) on the spec's retraining data, scores it on the holdout and registers it.
    private func retrain(_ champion: Int, fallback: PipelineSpec.ModelCandidate, _ rows: Rows, _ run: RunContext) throws -> Challenger {
        try Task.checkCancellation()
        let name = spec.registry.modelName
        let retrainTable: Table
        switch spec.retraining.data {
        case .referencePlusCurrent: retrainTable = try Self.concatenate(rows.train, rows.current)
        case .current: retrainTable = rows.current
        }
        let championVersion = try run.store.version(model: name, version: champion)
        let championRunName = (try? run.store.run(championVersion.runID ?? "").run.name) ?? ""
        let candidate = spec.models.first { c in championRunName == c.name || championRunName == "\(c.name) (retrained)" } ?? fallback
        let (outcome, bytes, cached) = try trainCached(candidate, train: retrainTable, test: rows.holdout, digest: rows.digest,
                                                       task: rows.task, specHash: run.specHash, tag: "retrain")
        let version = try registerOnce(outcome, bytes: bytes, recorder: run.recorder, parent: run.parent,
                                       runName: "\(candidate.name) (retrained)", specHash: run.specHash)
        return Challenger(version: version.version, metrics: outcome.evaluation,
                          description: "\(candidate.name) on \(retrainTable.rowCount) rows\(cached ? " [cached]" : "") → v\(version.version)")
    }

    /// Points the challenger alias at the retrained version.
    private func nameChallenger(_ challenger: Challenger, _ run: RunContext) throws {
        try run.store.setAlias(model: spec.registry.modelName, alias: "challenger", version: challenger.version,
                               reason: "retrained on reference + current after drift")
        run.log("retrain", "\(challenger.description) (alias challenger)")
        try Task.checkCancellation()
    }

    /// Champion vs challenger on the same holdout (the challenger was scored there when trained).
    private func compare(_ challenger: Challenger, with champion: Int, on holdout: Table, _ run: RunContext) throws -> Scores {
        let champM = try metrics(of: champion, on: holdout, store: run.store)
        let challM = challenger.metrics
        run.log("compare", "same holdout (\(holdout.rowCount) rows): champion v\(champion) \(summary(champM)) vs challenger v\(challenger.version) \(summary(challM))")
        return Scores(champion: champM, challenger: challM, gain: selectionScore(challM) - selectionScore(champM))
    }

    /// Makes the challenger the production version and the champion alias.
    private func promote(_ challenger: Challenger, over champion: Int, _ scores: Scores, _ run: RunContext) throws {
        let name = spec.registry.modelName
        let reason = "challenger v\(challenger.version) beat champion v\(champion) on the shared holdout (\(spec.selection.metric.rawValue) \(selectionValue(scores.challenger).fixed4) vs \(selectionValue(scores.champion).fixed4))"
        try run.store.transitionStage(model: name, version: challenger.version, to: .production, archiveExisting: true, reason: reason)
        try run.store.setAlias(model: name, alias: "champion", version: challenger.version, reason: reason)
        run.log("promote", reason)
    }

    /// Waits (up to 10 s) for the server, which follows the champion alias, to serve the challenger.
    private func followSwap(_ served: ServedChampion, to challenger: Challenger, _ run: RunContext) async throws {
        let swapped = try await waitForSwap(served.server, to: String(challenger.version))
        run.log("swap", swapped ? "server now serves v\(challenger.version) (hot swap, no restart)" : "server did not pick up v\(challenger.version) within 10 s")
    }

    // MARK: - Helpers

    private struct SliceRows { var reference: [Int]; var current: [Int]; var replay: [Int]; var holdout: [Int] }

    private func sliceRows(_ table: Table) throws -> SliceRows {
        guard let s = spec.slices else { return SliceRows(reference: Array(0..<table.rowCount), current: [], replay: [], holdout: []) }
        guard let v = table.column(named: s.by)?.numericValues else {
            throw PipelineError(step: "split", message: "slices.by: \"\(s.by)\" is not a numeric column of the data")
        }
        let reference = v.indices.filter { s.reference.matches(v[$0]) }
        let current = v.indices.filter { s.current.matches(v[$0]) }
        guard reference.count >= 10, current.count >= 10 else {
            throw PipelineError(step: "split", message: "slices select \(reference.count) reference and \(current.count) current rows; need at least 10 each")
        }
        let parts = try TrainTestSplit.split(rowCount: current.count, testFraction: s.currentHoldoutFraction, seed: spec.splitSeed)
        return SliceRows(reference: reference, current: current, replay: parts.train.map { current[$0] }, holdout: parts.test.map { current[$0] })
    }

    private func request(_ c: PipelineSpec.ModelCandidate, train: Table, test: Table, digest: DatasetDigest, task: ModelTask) -> TrainingRequest {
        var r = TrainingRequest(train: train, target: spec.data.target, model: c.modelSpec(seed: spec.seed))
        r.test = test
        r.seed = spec.seed
        r.features = spec.data.features
        r.exclude = Set(spec.data.exclude)
        r.preprocessing = spec.preprocessing
        r.trainingData = digest
        r.source = digest.name
        r.task = task
        return r
    }

    /// Trains a candidate, or reuses the model file cached under the same inputs (data digest,
    /// rows used, spec hash, candidate, Plumb version); metrics are recomputed on `test`.
    private func trainCached(_ c: PipelineSpec.ModelCandidate, train: Table, test: Table, digest: DatasetDigest,
                             task: ModelTask, specHash: String, tag: String) throws -> (TrainingOutcome, [UInt8], Bool) {
        let cache = StepCache(directory: workDirectory + "/cache", plumbVersion: Trainer.plumbVersion)
        let key = cache.key(step: "train-\(c.name)", inputs: [
            "data": digest.sha256, "rows": SHA256.hex(CSVWriter.encode(train)), "spec": specHash, "tag": tag,
            "candidate": "\(c.name)/\(c.kind.rawValue)/\(c.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
        ])
        let req = request(c, train: train, test: test, digest: digest, task: task)
        if !force, let hit = cache.lookup(key), let bytes = try? hit.read("model") {
            let model = try ModelFile.decode(bytes, source: "cache \(key.prefix(12))", kinds: ModelSpec.kinds)
            let (evaluation, predictions, y) = try Trainer.evaluate(model, on: test, target: spec.data.target, source: "test")
            let outcome = TrainingOutcome(model: model, evaluation: evaluation, fitSeconds: 0, trainRows: train.rowCount, testRows: test.rowCount,
                                          warnings: model.header.warnings, extraMetrics: [:], testPredictions: predictions, testActuals: y,
                                          trainTable: train, testTable: test, featureNames: try Trainer.featureNames(req))
            return (outcome, bytes, true)
        }
        let outcome = try Trainer.train(req)
        let bytes = try ModelFile.encode(header: outcome.model.header, regressor: outcome.model.regressor)
        _ = try cache.store(key, step: "train-\(c.name)", outputs: ["model": bytes])
        return (outcome, bytes, false)
    }

    /// Registers the model unless a version with the same bytes exists already (a cached rerun).
    private func registerOnce(_ outcome: TrainingOutcome, bytes: [UInt8], recorder: TrainingRecorder, parent: String,
                              runName: String, specHash: String) throws -> ModelVersion {
        let name = spec.registry.modelName
        let sha = SHA256.hex(bytes)
        if let existing = (try? recorder.store.versions(model: name))?.first(where: { $0.artifactSHA256 == sha }) {
            return existing
        }
        let recorded = try recorder.record(outcome, modelBytes: bytes, runName: runName, parent: parent, register: name,
                                           extraParams: ["spec_hash": specHash, "pipeline": spec.name])
        guard let v = recorded.version else { throw PipelineError(step: "register", message: "registration returned no version") }
        return v
    }

    /// A registered version's metrics on `table`.
    private func metrics(of version: Int, on table: Table, store: TrackingStore) throws -> Evaluation {
        let model = try ModelLocator.load("models:/\(spec.registry.modelName)/\(version)", store: store).model
        return try Trainer.evaluate(model, on: table, target: spec.data.target, source: "holdout").evaluation
    }

    /// The spec's task, or the target's (as `plumb train` infers it); the selection metric must
    /// be one the task reports.
    private func task(of table: Table) throws -> ModelTask {
        guard let column = table.column(named: spec.data.target) else {
            throw PipelineError(step: "split", message: "data.target: no column \"\(spec.data.target)\" in the data")
        }
        let task = spec.task ?? TaskInference.infer(column, target: spec.data.target).task
        guard spec.selection.metric.applies(to: task) else {
            let fitting = PipelineSpec.Selection.Metric.allCases.filter { $0.applies(to: task) }.map(\.rawValue)
            throw PipelineError(step: "split", message: "selection.metric: \(spec.selection.metric.rawValue) is not reported for a \(task.rawValue) target; use one of \(fitting.joined(separator: ", "))")
        }
        return task
    }

    /// The selection metric's value (NaN when the evaluation does not report it).
    private func selectionValue(_ m: Evaluation) -> Double {
        m.dictionary[spec.selection.metric.rawValue] ?? .nan
    }

    /// The selection metric and the task's main second metric, as the timeline shows them.
    private func summary(_ m: Evaluation) -> String {
        let shown: [(String, String)]
        switch m {
        case .regression: shown = [("r2", "R²"), ("rmse", "RMSE")]
        case .classification: shown = [("accuracy", "accuracy"), ("roc_auc", "ROC AUC"), ("log_loss", "log loss")]
        }
        var parts = shown.compactMap { key, title in m.dictionary[key].map { "\(title) \($0.fixed4)" } }
        if !shown.contains(where: { $0.0 == spec.selection.metric.rawValue }) {
            parts.append("\(spec.selection.metric.rawValue) \(selectionValue(m).fixed4)")
        }
        return parts.joined(separator: " ")
    }

    /// Higher is better.
    private func selectionScore(_ m: Evaluation) -> Double {
        spec.selection.metric.higherIsBetter ? selectionValue(m) : -selectionValue(m)
    }

    private func servedFeatures(_ server: PlumbServer) throws -> [Serving.FeatureSpec] {
        guard let m = server.model else { throw PipelineError(step: "serve", message: "the server has no model loaded") }
        return m.features
    }

    private func waitForSwap(_ server: PlumbServer, to version: String) async throws -> Bool {
        for _ in 0..<100 {
            if server.model?.version == version { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func concatenate(_ a: Table, _ b: Table) throws -> Table {
        do { return try Table.concatenating([a, b], source: "retrain") } catch {
            throw PipelineError(step: "retrain", message: "\(error)")
        }
    }
}

extension PipelineSpec.ColumnTest.Test {
    var driftMethod: DriftMethod {
        switch self {
        case .ks: .ks
        case .chi2: .chisquare
        case .psi: .psi
        case .wasserstein: .wasserstein
        case .jensen_shannon: .jensenshannon
        }
    }
}

extension Double {
    var fixed3: String { String(format: "%.3f", self) }
    var fixed4: String { String(format: "%.4f", self) }
}
