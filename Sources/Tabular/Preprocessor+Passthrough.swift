extension Preprocessor {
    /// Numeric columns passed through unchanged, in this order (no clipping, imputation or
    /// scaling; NaN stays missing): the preprocessing of a model fitted elsewhere on raw values.
    public static func passthrough(numericFeatures names: [String]) -> Preprocessor {
        Preprocessor(options: PreprocessingOptions(impute: .none, scale: false, oneHot: false),
                     inputFeatures: names.map { FeatureSpec(name: $0, kind: .numeric) },
                     steps: names.map { _ in FeatureSteps(clipper: nil, imputer: Imputer(), scaler: nil, encoder: nil) },
                     outputNames: names)
    }
}
