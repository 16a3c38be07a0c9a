extension Preprocessor {
    /// What fitting one feature's steps needs to know of the training rows, when they are
    /// summarised in passes over a file instead of held as a table.
    public enum FeatureSummary: Sendable {
        /// A numeric column: whether any row holds a value, and the imputation fill (the
        /// median for `.median`, nil for `.none`).
        case numeric(hasValues: Bool, fill: Double?)
        case categorical(LevelCounts)
    }

    /// The preprocessing `fit(_:features:options:)` would fit on the rows summarised, for the
    /// options a summary can carry: no clipping, no scaling, median or no imputation.
    /// - Throws: `.badArgument` for other options, `.emptyColumn` for a feature without values.
    public static func fit(summaries: [(name: String, summary: FeatureSummary)], options: PreprocessingOptions) throws -> Preprocessor {
        guard options.clip == nil, !options.scale, options.impute != .mean else {
            throw TabularError(code: .badArgument, message: "preprocessing fitted in passes over a file takes median or no imputation, without clipping or scaling")
        }
        var specs: [FeatureSpec] = [], steps: [FeatureSteps] = [], names: [String] = []
        for (name, summary) in summaries {
            switch summary {
            case .numeric(let hasValues, let fill):
                guard hasValues else { throw TabularError(code: .emptyColumn, message: "feature \"\(name)\" has no non-missing values to fit on") }
                specs.append(FeatureSpec(name: name, kind: .numeric))
                steps.append(FeatureSteps(clipper: nil, imputer: Imputer(number: options.impute == .median ? fill : nil), scaler: nil, encoder: nil))
                names.append(name)
            case .categorical(let counts):
                let (spec, step, outputs) = try categoricalFeature(name, levelCounts: counts, options: options)
                specs.append(spec)
                steps.append(step)
                names += outputs
            }
        }
        return Preprocessor(options: options, inputFeatures: specs, steps: steps, outputNames: names)
    }
}
