import MLCore
import Serving
import Tabular

extension ServableLoadedModel: ExplainableServableModel {
    /// `LoadedModel.explain` on the request's rows, on the calling thread.
    public func explain(_ rows: FeatureRows) throws -> ServedContributions {
        guard rows.kinds == features.map(\.kind) else {
            throw ServingError(code: "row_width", message: "rows have \(rows.featureCount) features, model \(name) expects \(features.count)")
        }
        let model = located.model
        guard let explainable = model.regressor as? any Explainable else {
            throw ExplanationError(code: .notExplainable, message: "model kind \(model.header.kind) has no SHAP explainer")
        }
        let c = try model.explain(table(rows), threads: 1).contributions
        let outputs = c.outputs == 1 ? [""] : (model.header.classes ?? (0..<c.outputs).map(String.init))
        return ServedContributions(outputs: outputs, values: c.values, expectedValue: c.expectedValue, score: explainable.explainedScore)
    }
}
