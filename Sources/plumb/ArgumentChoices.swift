// Values the parser knows: a bad one is rejected before any command runs (exit 64, with the
// good ones listed), and `--help` lists them.
import ArgumentParser
import MLCore
import Pipeline
import Tabular

/// `plumb train --model`.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case linear, ridge, logistic, gbm, forest
    /// Every kind that fits the task, compared: linear, forest and gbm (regression); logistic,
    /// forest and gbm (classification).
    case all
}

/// `plumb train --task`.
extension ModelTask: ExpressibleByArgument {}

/// `plumb train --class-weight`.
enum ClassWeightChoice: String, ExpressibleByArgument, CaseIterable {
    case none, balanced
}

/// `plumb train --threshold`: a probability, or `best-f1` (chosen on held-out training rows).
enum ThresholdChoice: ExpressibleByArgument, Equatable {
    case probability(Double)
    case bestF1

    init?(argument: String) {
        if argument == "best-f1" { self = .bestF1 } else if let v = Double(argument) { self = .probability(v) } else { return nil }
    }

    var defaultValueDescription: String {
        switch self {
        case .probability(let v): "\(v)"
        case .bestF1: "best-f1"
        }
    }

    static var allValueStrings: [String] { ["best-f1"] }
}

/// `plumb train --loss` (gbm).
enum LossChoice: String, ExpressibleByArgument, CaseIterable {
    case squared, absolute, huber, quantile
}

/// `plumb train --impute`.
extension ImputeStrategy: ExpressibleByArgument {}

/// `plumb train --feature-fraction`: a number (gbm per tree, forest per split), or a keyword
/// (forest only: the square root or a third of the features per split). Whether the value suits
/// the model is checked with the model's other parameters.
enum FeatureFraction: ExpressibleByArgument, Equatable {
    case fraction(Double)
    case keyword(Keyword)

    enum Keyword: String, CaseIterable {
        case sqrt, third
    }

    /// What `--help` shows for the value: a number or one of the keywords.
    static let valueName = (["fraction"] + Keyword.allCases.map(\.rawValue)).joined(separator: "|")

    init?(argument: String) {
        if let k = Keyword(rawValue: argument) {
            self = .keyword(k)
        } else if let v = Double(argument) {
            self = .fraction(v)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .fraction(let v): "\(v)"
        case .keyword(let k): k.rawValue
        }
    }
}

/// `plumb data fetch NAME`: a dataset of the catalog.
struct DatasetName: ExpressibleByArgument {
    let dataset: KnownDataset

    init?(argument: String) {
        guard let d = DatasetCatalog.all.first(where: { $0.name == argument }) else { return nil }
        dataset = d
    }

    var defaultValueDescription: String { dataset.name }
    static var allValueStrings: [String] { DatasetCatalog.all.map(\.name) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `plumb serve --variant NAME=URI:WEIGHT`: a model served beside others, with its share of
/// traffic. The weight follows the last ':' (a registry URI has its own colon).
struct VariantArgument: ExpressibleByArgument, Equatable {
    var name: String
    var reference: String
    var weight: Double

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), let colon = argument.lastIndex(of: ":"), eq < colon else { return nil }
        let name = String(argument[..<eq]), reference = String(argument[argument.index(after: eq)..<colon])
        guard !name.isEmpty, !reference.isEmpty, let weight = Double(argument[argument.index(after: colon)...]) else { return nil }
        self.name = name
        self.reference = reference
        self.weight = weight
    }

    init(name: String, reference: String, weight: Double) {
        self.name = name
        self.reference = reference
        self.weight = weight
    }

    var defaultValueDescription: String { "\(name)=\(reference):\(weight)" }
}
