import Foundation
import Testing
@testable import Tracking
import GRDB

@Suite struct RunFilterTests {
    typealias C = RunFilter.Comparison

    @Test func parsesComparisons() throws {
        let f = try RunFilter("metrics.rmse < 0.5 and params.model = 'gbm' AND tags.`my team` != \"core\" AnD attributes.status LIKE 'FIN%'")
        #expect(f.comparisons == [
            C(entity: .metric, key: "rmse", op: .lt, value: .number(0.5)),
            C(entity: .param, key: "model", op: .eq, value: .string("gbm")),
            C(entity: .tag, key: "my team", op: .ne, value: .string("core")),
            C(entity: .attribute, key: "status", op: .like, value: .string("FIN%")),
        ])
    }

    @Test(arguments: [
        ("metrics.r2>=0.7", C(entity: .metric, key: "r2", op: .ge, value: .number(0.7))),
        ("metric.r2 <= -1e-3", C(entity: .metric, key: "r2", op: .le, value: .number(-0.001))),
        ("metrics.`val loss` > 2", C(entity: .metric, key: "val loss", op: .gt, value: .number(2))),
        ("metrics.\"val.rmse\" = 1", C(entity: .metric, key: "val.rmse", op: .eq, value: .number(1))),
        ("metrics.val.rmse != 1.5", C(entity: .metric, key: "val.rmse", op: .ne, value: .number(1.5))),
        ("params.alpha = '0.1'", C(entity: .param, key: "alpha", op: .eq, value: .string("0.1"))),
        ("param.name ILIKE '%Forest%'", C(entity: .param, key: "name", op: .ilike, value: .string("%Forest%"))),
        ("params.q = 'it''s'", C(entity: .param, key: "q", op: .eq, value: .string("it's"))),
        ("tags.team IN ('a', \"b\")", C(entity: .tag, key: "team", op: .in, value: .list(["a", "b"]))),
        ("tags.team not in ('a')", C(entity: .tag, key: "team", op: .notIn, value: .list(["a"]))),
        ("attributes.start_time > 1700000000000", C(entity: .attribute, key: "start_time", op: .gt, value: .number(1.7e12))),
        ("attribute.run_name = 'x'", C(entity: .attribute, key: "run_name", op: .eq, value: .string("x"))),
        ("attributes.user <> 'bob'", C(entity: .attribute, key: "user", op: .ne, value: .string("bob"))),
        ("  metrics.a == 3  ", C(entity: .metric, key: "a", op: .eq, value: .number(3))),
    ])
    func parsesOne(text: String, expected: C) throws {
        #expect(try RunFilter(text).comparisons == [expected])
    }

    @Test func emptyFilterMatchesAll() throws {
        #expect(try RunFilter("").comparisons.isEmpty)
        #expect(try RunFilter("   ").comparisons.isEmpty)
    }

    @Test func errorPointsAtPosition() {
        let e = #expect(throws: TrackingError.self) { try RunFilter("metrics.rmse 0.5") }
        #expect(e?.code == .invalidFilter)
        #expect(e?.message == "filter: expected an operator after \"metrics.rmse\" at position 13\n  metrics.rmse 0.5\n               ^")
    }

    @Test(arguments: [
        ("metrics.rmse 0.5", 13, "expected an operator after \"metrics.rmse\""),
        ("foo.x = 1", 0, "unknown key type \"foo\""),
        ("metrics", 7, "expected \".\" after \"metrics\""),
        ("metrics. = 1", 8, "expected a key name"),
        ("metrics.r2 > ", 13, "expected a value"),
        ("metrics.r2 > 'a'", 13, "is numeric: expected a number"),
        ("metrics.r2 LIKE 'a%'", 11, "operator LIKE does not apply"),
        ("params.a > 'x'", 9, "operator > does not apply"),
        ("params.a = 3", 11, "is a string: expected a quoted string"),
        ("params.a = 'x' OR params.b = 'y'", 15, "expected AND or the end of the filter"),
        ("params.a = 'x' AND", 18, "expected a comparison after AND"),
        ("params.a = 'x", 11, "unterminated string"),
        ("metrics.`a b = 1", 8, "unterminated back-quoted key"),
        ("attributes.color = 'red'", 11, "unknown attribute \"color\""),
        ("attributes.start_time = 'x'", 24, "is numeric"),
        ("tags.t IN 'a'", 10, "expected a parenthesised list"),
        ("tags.t IN ('a' 'b')", 15, "expected \",\" or \")\""),
        ("metrics.r2 > 1.2.3", 13, "is not a number"),
        ("= 1", 0, "expected a key"),
        ("params.a NOT = 'x'", 13, "expected IN after NOT"),
    ])
    func errors(text: String, position: Int, fragment: String) {
        let e = #expect(throws: TrackingError.self) { try RunFilter(text) }
        #expect(e?.message.contains(fragment) == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("at position \(position)\n") == true, "\(e?.message ?? "")")
        let caretLine = e?.message.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init)
        #expect(caretLine == String(repeating: " ", count: 2 + position) + "^")
    }

    @Test func orderTerms() throws {
        let o = try RunFilter.Order("metrics.r2 DESC")
        #expect(o.entity == .metric && o.key == "r2" && o.descending)
        let a = try RunFilter.Order("attributes.start_time asc")
        #expect(a.entity == .attribute && a.key == "start_time" && !a.descending)
        let e = #expect(throws: TrackingError.self) { try RunFilter.Order("metrics.r2 DOWN") }
        #expect(e?.message.hasPrefix("order_by: expected ASC, DESC or the end at position 11") == true)
    }

    @Test func likePatternBecomesGlob() {
        #expect(RunFilter.globPattern(fromLike: "a%b_c*[?") == "a*b?c[*][[][?]")
    }
}

@Suite struct SearchRunsTests {
    /// Six runs with known params/metrics/tags; returns the store and run ids by name.
    func fixture() throws -> (TrackingStore, [String: String]) {
        let store = try makeStore()
        var ids: [String: String] = [:]
        let specs: [(String, String, Double?, Double, String, String)] = [
            // name, model, r2, rmse, team, experiment
            ("a", "ridge", 0.61, 0.9, "Core", "housing"),
            ("b", "gbm", 0.82, 0.5, "core", "housing"),
            ("c", "gbm", 0.78, 0.55, "ml", "housing"),
            ("d", "RandomForest", 0.82, 0.45, "ml", "housing"),
            ("e", "forest", nil, 1.2, "ml", "housing"),
            ("f", "gbm", 0.99, 0.1, "core", "other"),
        ]
        for (i, s) in specs.enumerated() {
            let id = try store.startRun(experiment: s.5, name: s.0, user: i % 2 == 0 ? "ana" : "bob", startMs: Int64(1_000 * (i + 1)))
            ids[s.0] = id
            try store.logParams(run: id, ["model": s.1])
            var points = [MetricPoint(key: "rmse", value: s.3, step: 0, timestampMs: 1)]
            if let r2 = s.2 {
                points.append(MetricPoint(key: "r2", value: 0.0, step: 0, timestampMs: 1))   // older value, must be ignored
                points.append(MetricPoint(key: "r2", value: r2, step: 5, timestampMs: 2))
            }
            try store.logMetrics(run: id, points)
            try store.setTag(run: id, key: "team", value: s.4)
            if s.0 != "e" { try store.endRun(id, endMs: Int64(1_000 * (i + 1) + 500)) }
        }
        return (store, ids)
    }

    func names(_ runs: [RunSummary]) -> [String] { runs.map(\.name) }

    @Test func filters() throws {
        let (s, _) = try fixture()
        func q(_ f: String, _ exp: String? = "housing") throws -> Set<String> {
            Set(names(try s.searchRuns(experiment: exp, filter: f)))
        }
        #expect(try q("metrics.r2 > 0.7") == ["b", "c", "d"])
        #expect(try q("metrics.r2 > 0.7", nil) == ["b", "c", "d", "f"])
        #expect(try q("metrics.r2 >= 0.82") == ["b", "d"])
        #expect(try q("metrics.r2 = 0.82 AND metrics.rmse < 0.5") == ["d"])
        #expect(try q("metrics.r2 != 0.82") == ["a", "c"])            // runs without r2 never match
        #expect(try q("metrics.r2 <= 0.0") == [])                     // the overwritten step-0 value is not the latest
        #expect(try q("params.model = 'gbm'") == ["b", "c"])
        #expect(try q("params.model != 'gbm'") == ["a", "d", "e"])
        #expect(try q("params.model LIKE '%orest'") == ["d", "e"])
        #expect(try q("params.model LIKE '%Forest'") == ["d"])          // LIKE is case-sensitive
        #expect(try q("params.model ILIKE '%FOREST'") == ["d", "e"])
        #expect(try q("params.model LIKE 'gb_'") == ["b", "c"])
        #expect(try q("tags.team = 'core'") == ["b"])
        #expect(try q("tags.team IN ('core', 'Core')") == ["a", "b"])
        #expect(try q("tags.team NOT IN ('ml')") == ["a", "b"])
        #expect(try q("attributes.status = 'RUNNING'") == ["e"])
        #expect(try q("attributes.run_name = 'c'") == ["c"])
        #expect(try q("attributes.user = 'ana' AND params.model = 'gbm'") == ["c"])
        #expect(try q("attributes.start_time >= 3000 AND attributes.start_time < 5000") == ["c", "d"])
        #expect(try q("attributes.end_time > 0") == ["a", "b", "c", "d"])
        #expect(try q("params.model = \"x' OR '1'='1\"") == [])      // values are bound, never spliced
        #expect(try q("tags.`team` = 'ml' AND metrics.rmse > 1") == ["e"])
    }

    @Test func ordering() throws {
        let (s, ids) = try fixture()
        #expect(names(try s.searchRuns(experiment: "housing")) == ["e", "d", "c", "b", "a"])   // newest first
        // r2 DESC, ties broken by the next term; runs without r2 last.
        #expect(names(try s.searchRuns(experiment: "housing", orderBy: ["metrics.r2 DESC", "metrics.rmse ASC"])) == ["d", "b", "c", "a", "e"])
        #expect(names(try s.searchRuns(experiment: "housing", orderBy: ["metrics.r2"])) == ["a", "c", "d", "b", "e"])
        #expect(names(try s.searchRuns(experiment: "housing", orderBy: ["attributes.start_time"])) == ["a", "b", "c", "d", "e"])
        #expect(names(try s.searchRuns(experiment: "housing", orderBy: ["params.model"])) == ["d", "e", "c", "b", "a"])
        #expect(names(try s.searchRuns(experiment: "housing", orderBy: ["metrics.rmse"], limit: 2)) == ["d", "b"])
        let top = try s.searchRuns(filter: "params.model = 'gbm'", orderBy: ["metrics.r2 DESC"], limit: 1)
        #expect(top.first?.id == ids["f"] && top.first?.metrics == ["r2": 0.99, "rmse": 0.1] && top.first?.tags == ["team": "core"])
    }

    @Test func errors() throws {
        let (s, _) = try fixture()
        let e = #expect(throws: TrackingError.self) { try s.searchRuns(filter: "metrics.r2 >") }
        #expect(e?.code == .invalidFilter)
        let o = #expect(throws: TrackingError.self) { try s.searchRuns(orderBy: ["r2 DESC"]) }
        #expect(o?.code == .invalidFilter)
        let x = #expect(throws: TrackingError.self) { try s.searchRuns(experiment: "nope") }
        #expect(x?.code == .notFound && x?.message.contains("nope") == true)
    }
}

@Suite struct SummaryAttachTests {
    /// The bulk path (one pass per table over the filter) and the chunked-ids path must agree.
    @Test func bulkAndChunkedPathsAgree() throws {
        let store = try makeStore()
        for i in 0..<12 {
            let id = try store.startRun(experiment: i % 3 == 0 ? "x" : "y", name: "r\(i)", startMs: Int64(i))
            try store.logParams(run: id, ["k": String(i % 4)])
            try store.logMetrics(run: id, [MetricPoint(key: "m", value: Double(i % 5)), MetricPoint(key: "n", value: Double(i))])
            try store.setTag(run: id, key: "t", value: i % 2 == 0 ? "even" : "odd")
        }
        let filter = try RunFilter("metrics.m >= 1 AND tags.t = 'even'")
        var args: [DatabaseValueConvertible?] = ["y"]
        let whereSQL = "e.name = ? AND " + filter.sql(&args)
        var orderArgs: [DatabaseValueConvertible?] = []
        let orderSQL = try RunFilter.Order("metrics.n DESC").sql(&orderArgs)
        func fetch(_ threshold: Int) throws -> [RunSummary] {
            try store.read("test") { db in
                try TrackingStore.summaries(db, whereSQL: whereSQL, arguments: StatementArguments(args), orderSQL: orderSQL,
                                            orderArguments: StatementArguments(orderArgs), limit: nil, bulkThreshold: threshold)
            }
        }
        let bulk = try fetch(0), chunked = try fetch(1_000)
        #expect(bulk == chunked)
        // Experiment y holds i % 3 != 0; even tags; m = i % 5 >= 1 → 2, 4, 8; ordered by n = i descending.
        #expect(bulk.map(\.name) == ["r8", "r4", "r2"])
        #expect(bulk.first?.params == ["k": "0"] && bulk.first?.metrics == ["m": 3, "n": 8] && bulk.first?.tags == ["t": "even"])
    }
}
