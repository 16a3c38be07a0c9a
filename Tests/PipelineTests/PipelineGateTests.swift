import Foundation
import MLCore
import Tabular
import Testing
import Tracking
@testable import Pipeline

/// The pipeline's promotion step under segment and approval gates: the candidate is evaluated on
/// the holdout by the gated column, the evaluation is stored with its version, and Production
/// waits for an approval when the spec asks for one.
@Suite(.serialized) struct PipelineGateTests {
    static func run(_ promotion: PipelineSpec.Promotion) async throws -> (summary: PipelineSummary, store: TrackingStore, events: [String], dir: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-gate-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let csv = dir + "/data.csv"
        try CSVWriter.write(PipelineRunnerTests.makeData(rows: 800, seed: 3), to: csv)
        var spec = PipelineSpec(name: "gated", data: .init(source: csv, target: "y"), models: [.init(name: "linear", kind: .linear)])
        spec.promotion = promotion
        let events = EventLog()
        let runner = PipelineRunner(spec: spec, specDirectory: dir, storePath: dir + "/plumb.db", workDirectory: dir + "/work", force: false) { events.append($0) }
        let summary = try await runner.run()
        return (summary, try TrackingStore(path: dir + "/plumb.db"), events.all.map { "\($0.step): \($0.message)" }, dir)
    }

    @Test func holdoutSegmentsAreStoredAndApprovalIsAwaited() async throws {
        var promotion = PipelineSpec.Promotion(stagingR2: 0.5, productionR2: 0.6)
        promotion.segments = [.init(column: "kind", maxRelativeDegradation: 10)]
        promotion.requireApproval = true
        let r = try await Self.run(promotion)
        defer { try? FileManager.default.removeItem(atPath: r.dir) }
        #expect(r.summary.championAfter == nil)
        let v = try r.store.versions(model: "gated")
        #expect(v.count == 1 && v[0].stage == .staging)
        let stored = try r.store.evaluations(model: "gated", version: 1)
        #expect(stored.segments.map(\.column) == ["kind"])
        #expect(stored.segments.first?.segments.map(\.segment) == ["a", "b"])
        #expect(stored.segments.first?.metric == "rmse")
        #expect(r.events.contains { $0.hasPrefix("evaluate: v1 by kind on the holdout") })
        #expect(r.events.contains { $0.hasPrefix("promote: v1 qualifies for Production but awaits approval") })
    }

    @Test func aSegmentOverTheLimitKeepsTheCandidateOutOfProduction() async throws {
        var promotion = PipelineSpec.Promotion(stagingR2: 0.5, productionR2: 0.6)
        // No segment may be worse than all rows at all: one of the two kinds always is.
        promotion.segments = [.init(column: "kind", maxRelativeDegradation: 0)]
        let r = try await Self.run(promotion)
        defer { try? FileManager.default.removeItem(atPath: r.dir) }
        #expect(r.summary.championAfter == nil)
        #expect(r.events.contains { $0.contains("no version qualifies for Production: v1: segment kind=") })
    }
}
