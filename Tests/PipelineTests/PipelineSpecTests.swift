import Foundation
import Testing
import Drift
@testable import Pipeline
import Tabular
import Tracking

/// The repository root, found from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func specError(_ yaml: String, source: String = "pipeline.yaml") -> PipelineSpecError? {
    do {
        _ = try PipelineSpec.parse(yaml: yaml, source: source)
        return nil
    } catch let e as PipelineSpecError {
        return e
    } catch {
        return nil
    }
}

let minimalYAML = """
name: t
data:
  source: california-housing
models:
  - name: a
    kind: linear

"""

@Suite struct PipelineSpecTests {
    @Test func embeddedDefaultIsTheDataFile() throws {
        let path = repoRoot.appendingPathComponent("data/pipelines/california-housing.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == PipelineSpec.defaultYAML)
        let loaded = try PipelineSpec.load(path: path)
        #expect(loaded == PipelineSpec.default)
    }

    @Test func defaultSpecValues() {
        let s = PipelineSpec.default
        #expect(s.name == "california-housing")
        #expect(s.data.source == "california-housing")
        #expect(s.data.knownDataset?.fileName == "california_housing.csv")
        #expect(s.data.csvPath(relativeTo: "/tmp") == nil)
        #expect(s.data.target == "MedHouseVal")
        #expect(s.data.features?.count == 8)
        #expect(s.slices == PipelineSpec.Slices(by: "Latitude", reference: .init(.less, 35.5), current: .init(.greaterOrEqual, 35.5), currentHoldoutFraction: 0.2))
        #expect(s.split == PipelineSpec.Split(testFraction: 0.2, seed: 42))
        #expect(s.preprocessing == PreprocessingOptions(impute: .median, scale: false, oneHot: true, clip: nil))
        #expect(s.models.map(\.name) == ["linear", "gbm", "forest"])
        #expect(s.models.map(\.kind) == [.linear, .gbm, .forest])
        #expect(s.models[1].params == ["rounds": .number(500), "learning_rate": .number(0.05), "max_leaves": .number(31)])
        #expect(s.models[1].integer("rounds") == 500)
        #expect(s.models[1].number("learning_rate") == 0.05)
        #expect(s.models[2].integer("min_split") == 5)
        #expect(s.selection.metric == .r2)
        #expect(s.registry == PipelineSpec.Registry(modelName: "california-housing", experiment: "california-housing"))
        #expect(s.promotion == PipelineSpec.Promotion(stagingR2: 0.70, productionR2: 0.75))
        #expect(s.validation.maxMissingRate == 0.05)
        #expect(s.validation.maxDuplicateRate == 0.01)
        #expect(s.validation.ranges["MedInc"] == PipelineSpec.ValueRange(min: 0, max: 20))
        #expect(s.validation.ranges.count == 9)
        #expect(s.monitoring == PipelineSpec.Monitoring(driftShare: 0.2, rmse: 0.5, r2: 0.6, columnTests: [:]))
        #expect(s.retraining == PipelineSpec.Retraining(enabled: true, data: .referencePlusCurrent, minImprovement: 0))
        #expect(s.serving == PipelineSpec.ServingOptions(host: "127.0.0.1", port: 0))
        #expect(s.seed == 42)
        #expect(s.splitSeed == 42)
    }

    @Test func minimalSpecTakesDefaults() throws {
        let s = try PipelineSpec.parse(yaml: minimalYAML, source: "min.yaml")
        #expect(s.data.target == "MedHouseVal")
        #expect(s.data.features == nil)
        #expect(s.data.exclude.isEmpty)
        #expect(s.slices == nil)
        #expect(s.split == PipelineSpec.Split())
        #expect(s.registry == PipelineSpec.Registry(modelName: "t", experiment: "t"))
        #expect(s.selection.metric == .r2)
        #expect(s.seed == 42)
        #expect(s == PipelineSpec(name: "t", data: .init(source: "california-housing", target: "MedHouseVal"),
                                  models: [.init(name: "a", kind: .linear)]))
    }

    @Test func wrongValueTypeNamesKeyPathLineAndColumn() throws {
        let yaml = """
        name: t
        data:
          source: california-housing
        models:
          - name: a
            kind: linear
          - name: b
            kind: gbm
            params:
              rounds: 10
              learning_rate: fast

        """
        let e = try #require(specError(yaml))
        #expect(e.code == .wrongType)
        #expect(e.line == 11)
        #expect(e.column == 22)
        #expect(e.keyPath == "models[1].params.learning_rate")
        #expect(e.message == "pipeline.yaml:11:22: models[1].params.learning_rate: expected a number > 0, found \"fast\"")
    }

    @Test func outOfRangeNumbers() throws {
        let e = try #require(specError(minimalYAML + "split: {test_fraction: 1.5}\n"))
        #expect(e.code == .invalidValue)
        #expect(e.keyPath == "split.test_fraction")
        #expect(e.line == 7)
        #expect(e.detail == "expected a number in (0, 1), found 1.5")
        let p = try #require(specError(minimalYAML + "serving:\n  port: 70000\n"))
        #expect(p.keyPath == "serving.port")
        #expect(p.line == 8 && p.column == 9)
        #expect(p.detail == "expected an integer in [0, 65535], found 70000")
        let r = try #require(specError(minimalYAML + "serving: {port: 8.5}\n"))
        #expect(r.code == .wrongType)
        #expect(r.detail == "expected an integer in [0, 65535], found 8.5")
        let q = try #require(specError(minimalYAML + "serving: {port: \"80\"}\n"))
        #expect(q.detail == "expected an integer in [0, 65535], found \"80\"")
    }

    @Test func unknownKeysSuggestTheClosest() throws {
        let e = try #require(specError("""
        name: t
        data:
          source: california-housing
          taget: y
        models: [{kind: linear}]

        """))
        #expect(e.code == .unknownKey)
        #expect(e.keyPath == "data.taget")
        #expect(e.line == 4 && e.column == 3)
        #expect(e.message == "pipeline.yaml:4:3: data.taget: unknown key; did you mean \"target\"?")

        let far = try #require(specError(minimalYAML + "zzzzzz: 1\n"))
        #expect(far.keyPath == "zzzzzz")
        #expect(far.detail.hasPrefix("unknown key; expected one of name, data, task, slices"))

        let param = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: gbm\n    params: {learning_rat: 0.1}")))
        #expect(param.keyPath == "models[0].params.learning_rat")
        #expect(param.detail == "unknown key; did you mean \"learning_rate\"?")

        let wrongKind = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: forest\n    params: {rounds: 10}")))
        #expect(wrongKind.code == .unknownKey)
        #expect(wrongKind.keyPath == "models[0].params.rounds")

        let linear = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: linear\n    params: {alpha: 1}")))
        #expect(linear.detail == "a linear model takes no parameters")
        #expect(linear.line == 7)
    }

    @Test func missingRequiredKeyPointsAtTheParentMapping() throws {
        let e = try #require(specError("""
        name: t
        data:
          source: california-housing
        models:
          - name: a
            kind: linear
          - name: b
            params: {alpha: 1}

        """))
        #expect(e.code == .missingKey)
        #expect(e.keyPath == "models[1].kind")
        #expect(e.line == 7 && e.column == 5)

        let top = try #require(specError("name: t\ndata: {source: california-housing}\n"))
        #expect(top.code == .missingKey)
        #expect(top.keyPath == "models")
        #expect(top.line == 1 && top.column == 1)

        let csv = try #require(specError("name: t\ndata:\n  source: x.csv\nmodels: [{kind: linear}]\n"))
        #expect(csv.keyPath == "data.target")
        #expect(csv.line == 3)
    }

    @Test func choicesAndKinds() throws {
        let kind = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: gbn")))
        #expect(kind.code == .invalidValue)
        #expect(kind.detail == "expected one of linear | ridge | logistic | gbm | forest, found \"gbn\"; did you mean \"gbm\"?")
        let loss = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: gbm\n    params: {loss: l1}")))
        #expect(loss.keyPath == "models[0].params.loss")
        let ok = try PipelineSpec.parse(yaml: minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: forest\n    params: {feature_fraction: sqrt, trees: 3}"), source: "x")
        #expect(ok.models[0].params["feature_fraction"] == .string("sqrt"))
        #expect(ok.models[0].integer("trees") == 3)
        let ff = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: forest\n    params: {feature_fraction: half}")))
        #expect(ff.detail == "expected a number in (0, 1] or one of sqrt | third, found \"half\"")
        let ff2 = try #require(specError(minimalYAML.replacingOccurrences(of: "kind: linear", with: "kind: forest\n    params: {feature_fraction: 1.5}")))
        #expect(ff2.detail == "expected a number in (0, 1], found 1.5")
        let metric = try #require(specError(minimalYAML + "selection: {metric: rsme}\n"))
        #expect(metric.detail.hasSuffix("did you mean \"rmse\"?"))
        let source = try #require(specError("name: t\ndata: {source: california-housng}\nmodels: [{kind: linear}]\n"))
        #expect(source.keyPath == "data.source")
        #expect(source.detail.hasSuffix("did you mean \"california-housing\"?"))
    }

    @Test func inconsistentValues() throws {
        let overlap = try #require(specError(minimalYAML + "slices: {by: Latitude, reference: \"< 36\", current: \">= 35.5\"}\n"))
        #expect(overlap.code == .inconsistent)
        #expect(overlap.keyPath == "slices.current")
        let dupe = try #require(specError(minimalYAML + "  - {name: a, kind: ridge}\n"))
        #expect(dupe.code == .inconsistent)
        #expect(dupe.keyPath == "models[1].name")
        #expect(dupe.line == 7)
        let gates = try #require(specError(minimalYAML + "promotion: {staging_r2: 0.8, production_r2: 0.7}\n"))
        #expect(gates.keyPath == "promotion.production_r2")
        let badRange = try #require(specError(minimalYAML + "validation:\n  ranges:\n    MedInc: [5, 1]\n"))
        #expect(badRange.keyPath == "validation.ranges.MedInc")
        #expect(badRange.line == 9)
        let featureTarget = try #require(specError("name: t\ndata: {source: california-housing, features: [MedInc, MedHouseVal]}\nmodels: [{kind: linear}]\n"))
        #expect(featureTarget.keyPath == "data.features[1]")
    }

    @Test func yamlSyntaxAndDuplicateKeys() throws {
        let syntax = try #require(specError("name: t\ndata: [unclosed\nmodels: []\n"))
        #expect(syntax.code == .syntax)
        #expect(syntax.line != nil)
        #expect(syntax.message.hasPrefix("pipeline.yaml:"))
        let dup = try #require(specError("name: t\nname: u\ndata: {source: california-housing}\nmodels: [{kind: linear}]\n"))
        #expect(dup.code == .duplicateKey)
        let empty = try #require(specError(""))
        #expect(empty.code == .syntax)
        let notMapping = try #require(specError("- a\n- b\n"))
        #expect(notMapping.code == .wrongType)
        #expect(notMapping.detail == "expected a mapping, found a list")
    }

    @Test func columnTestsAndSchema() throws {
        let s = try PipelineSpec.parse(yaml: minimalYAML + """
        monitoring:
          column_tests:
            MedInc: psi
            HouseAge: {test: ks, threshold: 0.01}
        validation:
          allowed_categories: {ocean: ["<1H OCEAN", INLAND]}

        """.replacingOccurrences(of: "source: california-housing", with: "source: california-housing\n  schema: {HouseAge: categorical}"), source: "x")
        #expect(s.monitoring.columnTests == ["MedInc": .init(test: .psi), "HouseAge": .init(test: .ks, threshold: 0.01)])
        #expect(s.validation.allowedCategories == ["ocean": ["<1H OCEAN", "INLAND"]])
        let t = try PipelineSpec.parse(yaml: minimalYAML.replacingOccurrences(of: "source: california-housing", with: "source: california-housing\n  schema: {HouseAge: categorical}"), source: "x")
        #expect(t.data.schema == ["HouseAge": .categorical])
    }

    @Test func promotionGatesOnAnyMetric() throws {
        let s = try PipelineSpec.parse(yaml: minimalYAML + """
        promotion: {metric: mae, staging: "< 0.5", production: 0.4}

        """, source: "x")
        let gate = try #require(s.promotion.gate)
        #expect(gate == .init(metric: "mae", higherIsBetter: false, staging: 0.5, production: 0.4, tieBreak: "r2"))
        #expect(s.promotion.policy == PromotionPolicy(metric: "mae", higherIsBetter: false, stagingThreshold: 0.5,
                                                      productionThreshold: 0.4, tieBreak: "r2", tieBreakHigherIsBetter: true))
        // The R² form and its policy are as before; so is the hash of a spec without a metric.
        let plain = try PipelineSpec.parse(yaml: minimalYAML, source: "x")
        #expect(plain.promotion.policy == PromotionPolicy.default)
        #expect(!String(decoding: plain.canonicalJSON(), as: UTF8.self).contains("gate"))
        let wrongWay = try #require(specError(minimalYAML + "promotion: {metric: roc_auc, staging: \"< 0.8\", production: \"> 0.9\"}\n"))
        #expect(wrongWay.keyPath == "promotion.staging" && wrongWay.detail.contains("higher is better"))
        let looser = try #require(specError(minimalYAML + "promotion: {metric: roc_auc, staging: \"> 0.9\", production: \"> 0.8\"}\n"))
        #expect(looser.code == .inconsistent)
        let unknown = try #require(specError(minimalYAML + "promotion: {metric: auc, staging: 0.8, production: 0.9}\n"))
        #expect(unknown.keyPath == "promotion.metric")
    }

    @Test func metricTriggersAreReadWithTheirDirection() throws {
        let s = try PipelineSpec.parse(yaml: minimalYAML + """
        monitoring:
          triggers: ["mae > 0.4", "roc_auc<0.8"]

        """, source: "x")
        #expect(s.monitoring.triggers == [MetricTrigger("mae", .greater, 0.4), MetricTrigger("roc_auc", .less, 0.8)])
        // No triggers: the spec's canonical form (and so its hash) is as before.
        #expect(!String(decoding: try PipelineSpec.parse(yaml: minimalYAML, source: "x").canonicalJSON(), as: UTF8.self).contains("triggers"))
        let bad = try #require(specError(minimalYAML + "monitoring:\n  triggers: [\"auc < 0.8\"]\n"))
        #expect(bad.code == .invalidValue && bad.keyPath == "monitoring.triggers[0]" && bad.detail.contains("unknown metric \"auc\""))
        let malformed = try #require(specError(minimalYAML + "monitoring:\n  triggers: [\"roc_auc about 0.8\"]\n"))
        #expect(malformed.code == .invalidValue && malformed.detail.contains("METRIC OP NUMBER"))
    }

    @Test func canonicalHashIgnoresKeyOrderAndComments() throws {
        let a = try PipelineSpec.parse(yaml: """
        name: t   # a comment
        seed: 7
        data: {source: california-housing, target: MedHouseVal}
        models:
          - {name: g, kind: gbm, params: {rounds: 10, learning_rate: 0.1}}

        """, source: "a")
        let b = try PipelineSpec.parse(yaml: """
        # leading comment
        models:
          - kind: gbm
            params:
              learning_rate: 0.1
              rounds: 10.0
            name: g
        data:
          target: MedHouseVal
          source: california-housing
        seed: 7
        name: t

        """, source: "b")
        #expect(a == b)
        #expect(a.canonicalHash == b.canonicalHash)
        #expect(a.canonicalHash.count == 64)
        #expect(a.canonicalHash == SHA256.hex(a.canonicalJSON()))
        var c = a
        c.seed = 8
        #expect(c.canonicalHash != a.canonicalHash)
        let json = String(decoding: a.canonicalJSON(), as: UTF8.self)
        #expect(json.hasPrefix("{\"data\":{"))
        #expect(json.contains("\"learning_rate\":0.1"))
    }

    @Test func jsonRoundTrip() throws {
        let s = PipelineSpec.default
        let back = try JSONDecoder().decode(PipelineSpec.self, from: Data(s.canonicalJSON()))
        #expect(back == s)
        #expect(back.canonicalHash == s.canonicalHash)
    }

    @Test func comparisons() {
        #expect(PipelineSpec.Comparison(parsing: "<35.5") == .init(.less, 35.5))
        #expect(PipelineSpec.Comparison(parsing: " >= -2 ") == .init(.greaterOrEqual, -2))
        #expect(PipelineSpec.Comparison(parsing: "= 3") == nil)
        #expect(PipelineSpec.Comparison(parsing: "< x") == nil)
        let lt = PipelineSpec.Comparison(.less, 1), le = PipelineSpec.Comparison(.lessOrEqual, 1)
        let gt = PipelineSpec.Comparison(.greater, 1), ge = PipelineSpec.Comparison(.greaterOrEqual, 1)
        #expect(lt.isDisjoint(from: ge) && ge.isDisjoint(from: lt))
        #expect(le.isDisjoint(from: gt))
        #expect(lt.isDisjoint(from: gt))
        #expect(!le.isDisjoint(from: ge))
        #expect(!lt.isDisjoint(from: le))
        #expect(!PipelineSpec.Comparison(.less, 2).isDisjoint(from: ge))
        #expect(PipelineSpec.Comparison(.less, 0).isDisjoint(from: ge))
        #expect(lt.matches(0.5) && !lt.matches(1) && le.matches(1) && !ge.matches(.nan))
        // Brute-force agreement on a grid that contains every threshold.
        let values: [Double] = [-1, 0, 0.5, 1, 1.5, 2]
        let grid = stride(from: -2.0, through: 3.0, by: 0.25).map { $0 }
        for a in values {
            for b in values {
                for o1 in PipelineSpec.Comparison.Operator.allCases {
                    for o2 in PipelineSpec.Comparison.Operator.allCases {
                        let x = PipelineSpec.Comparison(o1, a), y = PipelineSpec.Comparison(o2, b)
                        let overlap = grid.contains { x.matches($0) && y.matches($0) }
                        #expect(x.isDisjoint(from: y) == !overlap, "\(x) vs \(y)")
                    }
                }
            }
        }
    }

    @Test func editDistances() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("same", "same") == 0)
        #expect(editDistance("rsme", "rmse") == 1)
        #expect(editDistance("ca", "abc") == 3)
        #expect(closestMatch(to: "taget", among: ["source", "target"]) == "target")
        #expect(closestMatch(to: "xyz", among: ["source", "target"]) == nil)
    }

    @Test func loadChecksCSVSourcesAndReadErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-spec-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = "name: t\ndata:\n  source: data/x.csv\n  target: y\nmodels: [{kind: linear}]\n"
        let specPath = dir.appendingPathComponent("p.yaml").path
        try yaml.write(toFile: specPath, atomically: true, encoding: .utf8)
        let e = try #require(throws: PipelineSpecError.self) { try PipelineSpec.load(path: specPath) }
        #expect(e.keyPath == "data.source")
        #expect(e.line == 3 && e.column == 11)
        #expect(e.message.hasPrefix("p.yaml:3:11: data.source: no CSV file at \(dir.path)/data/x.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "a,y\n1,2\n".write(toFile: dir.appendingPathComponent("data/x.csv").path, atomically: true, encoding: .utf8)
        let s = try PipelineSpec.load(path: specPath)
        #expect(s.data.csvPath(relativeTo: dir.path) == dir.appendingPathComponent("data/x.csv").path)
        let missing = try #require(throws: PipelineSpecError.self) { try PipelineSpec.load(path: dir.appendingPathComponent("nope.yaml").path) }
        #expect(missing.code == .io)
    }
}
