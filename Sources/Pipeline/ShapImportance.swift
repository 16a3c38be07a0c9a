import MLCore
import Tabular

/// Global importance as mean |SHAP| per input feature, shared by training (the run's
/// `shap_importance` tag) and monitoring (the report's attribution section).
enum ShapImportance {
    /// Rows explained at most: enough for a stable mean.
    static let maxRows = 1000
    /// Fewer rows for a model whose rows are costly to explain (deep forests): at most about this
    /// many steps in all, and never fewer than 20 rows.
    static let stepBudget = 50_000_000

    /// Mean |SHAP| per input feature (summed over the classes of a multiclass model) on the first
    /// rows of `table`, with a note saying over what; nil when the model has no explainer, the
    /// table no rows, or the rows cannot be explained.
    static func compute(_ model: LoadedModel, on table: Table, rowsDescription: String) -> (importance: [String: Double], note: String)? {
        guard let explainable = model.regressor as? any Explainable else { return nil }
        let n = min(maxRows, max(20, stepBudget / max(1, explainable.explanationCostPerRow)), table.rowCount)
        guard n > 0, let c = try? model.explain(table.selecting(rows: Array(0..<n)), threads: 2).contributions else { return nil }
        let meanAbs = c.meanAbsolute(), features = model.header.inputFeatures
        var importance: [String: Double] = [:]
        for (j, name) in features.enumerated() {
            importance[name] = (0..<c.outputs).reduce(0.0) { $0 + meanAbs[$1 * c.features + j] }
        }
        let perClass = c.outputs > 1 ? ", summed over the \(c.outputs) classes" : ""
        return (importance, "mean |SHAP| of the \(explainable.explainedScore) over \(n) \(rowsDescription)\(perClass)")
    }
}
