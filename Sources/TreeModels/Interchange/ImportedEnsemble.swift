import MLCore

/// A tree ensemble read from another library's model file, ready to register: the model and
/// what the file says about its inputs and outputs.
public struct ImportedEnsemble: Sendable {
    /// The ensemble, scoring raw feature values in the file's feature order.
    public var model: GradientBoostedTrees
    public var task: ModelTask
    /// Feature names in input order, when the file records them (one per model feature).
    public var featureNames: [String]?
    /// The source library's name for its format, e.g. "lightgbm".
    public var sourceFormat: String
    /// The source library's objective as written in the file, e.g. "binary sigmoid:1".
    public var objective: String
    /// Training parameters the file records that are worth keeping (name → value as written).
    public var parameters: [String: String]
    /// Input features the file marks categorical (integer codes), by index.
    public var categoricalFeatures: [Int]
    /// What the user should know about how the model was read.
    public var warnings: [String]
    /// Set when the file's classifier averages class shares instead of transforming scores (an
    /// ONNX classifier with post_transform NONE): then this forest is the model registered, and
    /// `model` holds the same trees as the summed scores, for counts and importance.
    public var forest: RandomForest?
    /// Class labels in output order, when the file names them (ONNX `classlabels_*`).
    public var classLabels: [String]?

    /// The model to register: the forest when there is one, else the boosted ensemble.
    public var regressor: any Regressor { forest ?? model }
    /// Classes of a classifier (0 for regression), of the model registered.
    public var classCount: Int { forest?.classCount ?? model.classCount }

    public init(model: GradientBoostedTrees, task: ModelTask, featureNames: [String]?, sourceFormat: String, objective: String,
                parameters: [String: String] = [:], categoricalFeatures: [Int] = [], warnings: [String] = []) {
        self.model = model
        self.task = task
        self.featureNames = featureNames
        self.sourceFormat = sourceFormat
        self.objective = objective
        self.parameters = parameters
        self.categoricalFeatures = categoricalFeatures
        self.warnings = warnings
    }
}
