import Foundation
import Testing
@testable import Tracking

/// Promotion on classification metrics, each in its natural direction, and run search on them.
@Suite struct ClassificationPromotionTests {
    func policy(_ json: String) throws -> PromotionPolicy {
        try JSONDecoder().decode(PromotionPolicy.self, from: Data(json.utf8))
    }

    @Test func rocAucGatesWithLogLossTieBreak() throws {
        let p = try policy(#"{"metric": "roc_auc", "staging": "> 0.85", "production": "> 0.9", "tie_break": "log_loss"}"#)
        #expect(p == PromotionPolicy(metric: "roc_auc", higherIsBetter: true, stagingThreshold: 0.85, productionThreshold: 0.9,
                                     tieBreak: "log_loss", tieBreakHigherIsBetter: false))
        let store = try makeStore()
        try registerVersion(store, model: "churn", metrics: ["roc_auc": 0.88, "log_loss": 0.30])
        try registerVersion(store, model: "churn", metrics: ["roc_auc": 0.93, "log_loss": 0.25])
        try registerVersion(store, model: "churn", metrics: ["roc_auc": 0.93, "log_loss": 0.20])  // ties v2, lower loss
        try registerVersion(store, model: "churn", metrics: ["roc_auc": 0.80, "log_loss": 0.10])
        let o = try store.promote(model: "churn", policy: p)
        #expect(o.champion == 3 && o.staged == [1, 2])
        #expect(o.message == "v3 promoted to Production as champion (roc_auc 0.93 > 0.9)")
        // The tie-break defaults to log loss for a classification score.
        #expect(try policy(#"{"metric": "roc_auc", "staging": "> 0.85", "production": "> 0.9"}"#) == p)
    }

    @Test func lossMetricIsLowerIsBetterWithRocAucTieBreak() throws {
        let p = try policy(#"{"metric": "log_loss", "staging": "< 0.5", "production": "< 0.3"}"#)
        #expect(!p.higherIsBetter && p.tieBreak == "roc_auc" && p.tieBreakHigherIsBetter)
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: ["log_loss": 0.25, "roc_auc": 0.90])
        try registerVersion(store, model: "m", metrics: ["log_loss": 0.25, "roc_auc": 0.95])
        try registerVersion(store, model: "m", metrics: ["log_loss": 0.40, "roc_auc": 0.99])
        try registerVersion(store, model: "m", metrics: ["log_loss": 0.60, "roc_auc": 0.99])
        let o = try store.promote(model: "m", policy: p)
        #expect(o.champion == 2 && o.staged == [1, 3])
        #expect(o.message == "v2 promoted to Production as champion (log_loss 0.25 < 0.3)")
        // Without gates written, the direction is still the natural one.
        let plain = try policy(#"{"metric": "log_loss", "staging_threshold": 0.5, "production_threshold": 0.3}"#)
        #expect(plain == p)
    }

    @Test func naturalDirections() throws {
        for m in ["r2", "accuracy", "f1", "roc_auc", "average_precision", "balanced_accuracy"] {
            #expect(PromotionPolicy.naturalHigherIsBetter(m) == true, "\(m)")
        }
        for m in ["rmse", "mae", "mape", "log_loss", "brier", "ece"] {
            #expect(PromotionPolicy.naturalHigherIsBetter(m) == false, "\(m)")
        }
        #expect(PromotionPolicy.naturalHigherIsBetter("custom") == nil)
        let acc = PromotionPolicy.natural(metric: "accuracy", staging: 0.8, production: 0.9)
        #expect(acc.higherIsBetter && acc.tieBreak == "log_loss" && !acc.tieBreakHigherIsBetter)
        let brier = PromotionPolicy.natural(metric: "brier", staging: 0.2, production: 0.1, tieBreak: "ece")
        #expect(!brier.higherIsBetter && brier.tieBreak == "ece" && !brier.tieBreakHigherIsBetter)
        // rmse alone is lower-is-better now, tie broken by r2.
        let rmse = try policy(#"{"metric": "rmse", "staging_threshold": 0.6, "production_threshold": 0.5}"#)
        #expect(!rmse.higherIsBetter && rmse.tieBreak == "r2" && rmse.tieBreakHigherIsBetter)
    }

    @Test func regressionPoliciesReadAsBefore() throws {
        #expect(try policy("{}") == .default)
        #expect(try policy(#"{"staging_r2": 0.5, "production_r2": 0.6}"#) == PromotionPolicy(stagingThreshold: 0.5, productionThreshold: 0.6))
        #expect(try policy(#"{"metric": "r2", "staging": "> 0.7", "production": "> 0.75"}"#) == .default)
        #expect(try policy(#"{"production": 0.8}"#).productionThreshold == 0.8)
    }

    @Test(arguments: [
        #"{"metric": "log_loss", "production": "> 0.3"}"#,           // against the metric's direction
        #"{"metric": "roc_auc", "staging": "> 0.8", "production": "< 0.9"}"#,  // gates disagree
        #"{"metric": "roc_auc", "higher_is_better": false, "production": "> 0.9"}"#,
        #"{"metric": "roc_auc", "production": ">= 0.9"}"#,           // gates are strict
        #"{"metric": "roc_auc", "production": "about 0.9"}"#,
    ])
    func inconsistentPoliciesAreRejected(json: String) {
        #expect(throws: DecodingError.self) { try policy(json) }
    }

    @Test func runSearchFiltersAndOrdersOnClassificationMetrics() throws {
        let store = try makeStore()
        for (name, auc, loss) in [("lr", 0.88, 0.35), ("gbm", 0.94, 0.22), ("rf", 0.92, 0.28)] {
            let run = try store.startRun(experiment: "churn", name: name)
            try store.logMetrics(run: run, [MetricPoint(key: "roc_auc", value: auc), MetricPoint(key: "log_loss", value: loss)])
            try store.endRun(run)
        }
        #expect(Set(try store.searchRuns(filter: "metrics.roc_auc > 0.9").map(\.name)) == ["gbm", "rf"])
        #expect(try store.searchRuns(filter: "metrics.roc_auc > 0.9 and metrics.log_loss < 0.25").map(\.name) == ["gbm"])
        #expect(try store.searchRuns(experiment: "churn", orderBy: ["metrics.log_loss ASC"]).map(\.name) == ["gbm", "rf", "lr"])
    }
}
