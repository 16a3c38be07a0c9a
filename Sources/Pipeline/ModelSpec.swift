import MLCore
import LinearModels

/// Which model to fit and with what hyperparameters.
public enum ModelSpec: Sendable {
    case linear
    case ridge(alpha: Double)

    public var kind: String {
        switch self {
        case .linear: "linear"
        case .ridge: "ridge"
        }
    }

    /// Hyperparameters as strings, as stored in the model header and logged as run params.
    public var hyperparameters: [String: String] {
        switch self {
        case .linear: ["model": "linear"]
        case .ridge(let a): ["model": "ridge", "alpha": "\(a)"]
        }
    }

    /// Every model kind this build can read back from a model file.
    public static var kinds: ModelKinds {
        var k = ModelKinds()
        k.register(LinearRegression.self)
        k.register(RidgeRegression.self)
        return k
    }
}

/// What one fit produced besides the regressor.
public struct FitResult: Sendable {
    public var regressor: any Regressor
    public var warnings: [String] = []
    /// Extra figures worth logging (out-of-bag R², best iteration, …).
    public var extraMetrics: [String: Double] = [:]
}

public typealias TrainingProgress = @Sendable (_ step: Int, _ total: Int, _ metric: Double, _ validation: Double?) -> Void

extension ModelSpec {
    /// Fits the model on a preprocessed design matrix.
    public func fit(_ x: FeatureMatrix, _ y: [Double], progress: TrainingProgress? = nil) throws -> FitResult {
        switch self {
        case .linear:
            return FitResult(regressor: try LinearRegression.fit(x, y))
        case .ridge(let alpha):
            return FitResult(regressor: try RidgeRegression.fit(x, y, alpha: alpha))
        }
    }
}
