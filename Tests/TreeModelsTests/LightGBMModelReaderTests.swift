import CTreeKernels
import Foundation
import MLCore
import Testing
@testable import TreeModels

/// A committed fixture of Fixtures/make_lightgbm_fixtures.py (lightgbm 4.7.0, numpy).
private func fixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
}

private func fixtureText(_ name: String) throws -> String {
    String(decoding: try Data(contentsOf: fixtureURL(name)), as: UTF8.self)
}

/// A CSV of numbers with a header (empty cell = NaN), as columns by name.
private func readNumberCSV(_ name: String) throws -> (names: [String], columns: [[Double]]) {
    let lines = try fixtureText(name).split(separator: "\n")
    let names = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var columns = [[Double]](repeating: [], count: names.count)
    for line in lines.dropFirst() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        for (j, c) in cells.enumerated() { columns[j].append(c.isEmpty ? .nan : try #require(Double(c))) }
    }
    return (names, columns)
}

/// Largest |a − b| / |b| (|a − b| where b = 0), with NaN when either side is NaN and not both.
private func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var worst = 0.0
    for (x, y) in zip(a, b) {
        if x.isNaN || y.isNaN { if x.isNaN != y.isNaN { return .nan }; continue }
        let d = abs(x - y) / (y == 0 ? 1 : abs(y))
        worst = max(worst, d)
    }
    return worst
}

@Suite struct LightGBMModelReaderTests {
    static let inputs = Result { try readNumberCSV("lgb_inputs.csv") }
    static let expected = Result { try readNumberCSV("lgb_predictions.csv") }

    func matrix() throws -> FeatureMatrix { FeatureMatrix(columns: try Self.inputs.get().columns) }

    func lightgbm(_ column: String) throws -> [Double] {
        let e = try Self.expected.get()
        return e.columns[try #require(e.names.firstIndex(of: column), "no column \(column)")]
    }

    func model(_ name: String) throws -> ImportedEnsemble {
        try LightGBMModelReader.parse(try fixtureText("lgb_\(name).txt"), source: "lgb_\(name).txt")
    }

    /// Regression: the fast scorer and the reference walk equal LightGBM's `predict` bit for bit
    /// (both sum the trees in file order in float64 and compare float64 thresholds).
    @Test(arguments: ["regression", "numeric", "zero"])
    func regressionEqualsLightGBMExactly(name: String) throws {
        let imported = try model(name)
        #expect(imported.task == .regression)
        #expect(imported.featureNames == ["f0", "f1", "f2", "f3", "f4"])
        let x = try matrix(), want = try lightgbm("\(name)_raw")
        for threads in [1, 2] {
            #expect(imported.model.predict(x, threads: threads) == want)
        }
        #expect(imported.model.predictReference(x) == want)
    }

    /// The ensembles without categorical splits go through every fast path: both rank-mask table
    /// widths with each kernel build, and the level-by-level layout, all equal to LightGBM.
    @Test(arguments: ["numeric", "zero"])
    func everyScoringPathEqualsLightGBM(name: String) throws {
        let imported = try model(name)
        let p = imported.model.predictor
        #expect(p.rankScorer != nil)
        let x = try matrix(), want = try lightgbm("\(name)_raw")
        let paths = p.scoresByEveryPath(x)
        #expect(paths.count >= 3)
        for (path, scores) in paths {
            #expect(scores == want, "\(path)")
        }
    }

    @Test func binaryEqualsLightGBMExactly() throws {
        let imported = try model("binary")
        #expect(imported.task == .binary && imported.model.classCount == 2)
        let x = try matrix()
        let raw = try lightgbm("binary_raw"), probability = try lightgbm("binary_out")
        #expect(imported.model.rawScores(x, threads: 2) == raw)
        let out = imported.model.predict(x)
        #expect(stride(from: 1, to: out.count, by: 2).map { out[$0] } == probability)
        let reference = imported.model.predictReference(x)
        #expect(stride(from: 1, to: reference.count, by: 2).map { reference[$0] } == probability)
    }

    /// sigmoid = 0.7: the score is scaled by it (σ(0.7 × Σ trees), LightGBM's product exactly).
    @Test func binarySigmoidParameterEqualsLightGBMExactly() throws {
        let imported = try model("binary_sigmoid")
        #expect(imported.objective == "binary sigmoid:0.7")
        let x = try matrix()
        let raw = try lightgbm("binary_sigmoid_raw"), probability = try lightgbm("binary_sigmoid_out")
        #expect(imported.model.rawScores(x, threads: 1) == raw.map { 0.7 * $0 })
        let out = imported.model.predict(x)
        #expect(stride(from: 1, to: out.count, by: 2).map { out[$0] } == probability)
    }

    @Test func multiclassEqualsLightGBMExactly() throws {
        let imported = try model("multiclass")
        #expect(imported.task == .multiclass && imported.model.classCount == 3 && imported.model.predictors.count == 3)
        let x = try matrix(), n = x.rows
        let scores = imported.model.rawScores(x, threads: 2)
        for k in 0..<3 {
            #expect(Array(scores[(k * n)..<((k + 1) * n)]) == (try lightgbm("multiclass_raw\(k)")), "class \(k) raw score")
        }
        for out in [imported.model.predict(x), imported.model.predictReference(x)] {
            for k in 0..<3 {
                #expect(stride(from: k, to: out.count, by: 3).map { out[$0] } == (try lightgbm("multiclass_out\(k)")), "class \(k) probability")
            }
        }
    }

    /// Random forest mode: the sum of the trees is exact; the average is the sum times
    /// 1/iterations where LightGBM divides, so it may differ by one rounding.
    @Test func randomForestAverageWithinOneRounding() throws {
        let imported = try model("rf")
        #expect(imported.warnings.contains { $0.contains("average_output") })
        let x = try matrix()
        let sum = try lightgbm("rf_raw"), average = try lightgbm("rf_out")
        let iterations = Double(imported.model.predictor.treeCount)
        #expect(imported.model.predictor.scale == 1 / iterations)
        let out = imported.model.predict(x)
        #expect(maxRelativeDifference(out, average) <= 2.3e-16)
        #expect(maxRelativeDifference(out.map { $0 * iterations }, sum) <= 4.5e-16)
    }

    /// decision_type maps onto Plumb's trees: missing type None sends NaN where 0.0 goes, missing
    /// type NaN by the default-left bit, categorical nodes send NaN right.
    @Test func missingTypesMapToDefaultDirections() throws {
        let text = Self.tinyModel(decisionTypes: "0 10 1", thresholds: "-0.5 0.25 0", catThreshold: "10")
        let imported = try LightGBMModelReader.parse(text, source: "tiny.txt")
        let tree = imported.model.predictor.extractTree(0)
        #expect(tree.defaultLeft == [false, true, false])   // None: 0 <= -0.5 is false; NaN type, bit 1 set; categorical
        #expect(tree.leftCategories == [[], [], [1, 3]])
        #expect(imported.categoricalFeatures == [1])
        // None at the root, -0.5: NaN as 0 goes right; NaN-type node (bit 1 set) sends NaN left.
        let x = FeatureMatrix(columns: [[.nan, -1, -1, 5], [.nan, 1, 2, 3]])
        // rows: f0 NaN → right → node 2 (categorical on f1): NaN → right → leaf 3
        //       f0 -1 → left → node 1 (f1 1 ≤ 0.25? no) → right → leaf 1
        //       f0 -1 → left → node 1 (2 > 0.25) → right leaf 1
        //       f0 5 → right → node 2: code 3 in {1, 3} → left → leaf 2
        #expect(imported.model.predict(x) == [4, 2, 2, 3])
    }

    /// Missing type Zero: NaN, 0 and |x| ≤ 1e-35 take the default side. Default left with
    /// threshold 1 is one comparison; default right with threshold 1 (values just above zero go
    /// left) becomes three, the subtrees copied.
    @Test func zeroMissingTypeSendsZerosTheDefaultWay() throws {
        let one = try LightGBMModelReader.parse(Self.tinyModel(decisionTypes: "6 10 1", thresholds: "1 0.25 0"), source: "zero.txt")
        #expect(one.model.predictor.extractTree(0).defaultLeft[0] && one.model.predictor.extractTree(0).nodeCount == 3)
        let three = try LightGBMModelReader.parse(Self.tinyModel(decisionTypes: "4 10 1", thresholds: "1 0.25 0"), source: "zero.txt")
        #expect(three.model.predictor.extractTree(0).nodeCount == 7)   // 3 comparisons + both subtrees twice
        let a: [Double] = [-0.5, 0, 1e-36, -1e-36, 0.5, 2, .nan, -1e-30]
        let x = FeatureMatrix(columns: [a, [Double](repeating: 5, count: a.count)])
        // Left of node 0 reaches leaf 1 (value 2) through node 1, right reaches leaf 3 (value 4).
        #expect(three.model.predict(x) == [2, 4, 4, 4, 2, 4, 4, 2])
        #expect(three.model.predictReference(x) == [2, 4, 4, 4, 2, 4, 4, 2])
        #expect(one.model.predict(x) == [2, 2, 2, 2, 2, 4, 2, 2])
    }

    @Test func linearTreesAreRefused() throws {
        let text = try fixtureText("lgb_regression.txt").replacingOccurrences(of: "is_linear=0", with: "is_linear=1")
        let error = #expect(throws: LightGBMModelError.self) { try LightGBMModelReader.parse(text, source: "linear.txt") }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("Tree=0") == true && error?.message.contains("linear_tree") == true)
    }

    @Test(arguments: [
        ("objective=regression", "objective=poisson", LightGBMModelError.Code.unsupported, "poisson"),
        ("objective=regression", "objective=regression sqrt", .unsupported, "reg_sqrt"),
        ("objective=regression\n", "", .unsupported, "no objective"),
        ("left_child=1 -1 -3", "left_child=1 -1 -9", .badStructure, "leaf child -9"),
        ("left_child=1 -1 -3", "left_child=1 1 -3", .badStructure, "reached twice"),
        ("split_feature=0 1 1", "split_feature=0 7 1", .badValue, "feature 7"),
        ("leaf_value=1 2 3 4", "leaf_value=1 2 3", .badStructure, "3 values, 4 expected"),
        ("threshold=-0.5 0.25 0", "threshold=-0.5 abc 0", .badValue, "\"abc\""),
        ("end of trees", "", .badStructure, "end of trees"),
        ("tree\n", "{\"name\":\"tree\"}\n", .notLightGBM, "not a LightGBM text model"),
    ])
    func malformedFilesNameWhatIsWrong(find: String, replace: String, code: LightGBMModelError.Code, says: String) throws {
        let text = Self.tinyModel(decisionTypes: "0 10 1", thresholds: "-0.5 0.25 0").replacingOccurrences(of: find, with: replace)
        let error = #expect(throws: LightGBMModelError.self) { try LightGBMModelReader.parse(text, source: "bad.txt") }
        #expect(error?.code == code)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("bad.txt") == true)
    }

    /// A regression of one tree of three nodes over features a, b: node 0 on a, node 1 on b,
    /// node 2 on b (categorical, category set 0, when its decision type has bit 0).
    static func tinyModel(decisionTypes: String, thresholds: String, catThreshold: String = "10") -> String {
        let categorical = decisionTypes.split(separator: " ").contains { Int($0).map { $0 & 1 != 0 } ?? false }
        return """
            tree
            version=v4
            num_class=1
            num_tree_per_iteration=1
            label_index=0
            max_feature_idx=1
            objective=regression
            feature_names=a b
            feature_infos=[-1:1] 1:3
            tree_sizes=100

            Tree=0
            num_leaves=4
            num_cat=\(categorical ? 1 : 0)
            split_feature=0 1 1
            split_gain=1 1 1
            threshold=\(thresholds)
            decision_type=\(decisionTypes)
            left_child=1 -1 -3
            right_child=2 -2 -4
            leaf_value=1 2 3 4
            leaf_weight=1 1 1 1
            leaf_count=1 1 1 1
            internal_value=0 0 0
            internal_weight=0 0 0
            internal_count=4 2 2
            \(categorical ? "cat_boundaries=0 1\ncat_threshold=\(catThreshold)\n" : "")is_linear=0
            shrinkage=1


            end of trees

            """
    }
}


/// Imported LightGBM models carry LightGBM's row counts as covers, so `plumb explain` gives
/// LightGBM's own `pred_contrib` (Fixtures/lgb_contributions.json, make_lightgbm_contrib_fixture.py).
@Suite struct LightGBMImportExplanationTests {
    struct Expected: Decodable { let rows: Int; let columns: Int; let values: [Double] }
    static let expected = Result {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: fixtureURL("lgb_contributions.json")))
    }

    @Test(arguments: ["regression", "numeric", "binary", "multiclass"])
    func contributionsEqualLightGBMsPredContrib(name: String) throws {
        let model = try LightGBMModelReader.parse(try fixtureText("lgb_\(name).txt"), source: "lgb_\(name).txt").model
        let want = try #require(try Self.expected.get()["lgb_\(name)"])
        let inputs = try readNumberCSV("lgb_inputs.csv").columns.map { Array($0.prefix(want.rows)) }
        let x = FeatureMatrix(columns: inputs)
        let got = try model.contributions(x, threads: 2)
        let features = x.columns, block = features + 1
        #expect(want.columns == got.outputs * block)
        var worst = 0.0
        for i in 0..<want.rows {
            for k in 0..<got.outputs {
                for j in 0..<features {
                    worst = max(worst, abs(got[i, k, j] - want.values[i * want.columns + k * block + j]))
                }
                worst = max(worst, abs(got.expectedValue[k] - want.values[i * want.columns + k * block + features]))
            }
        }
        #expect(worst < 1e-9, "largest difference from LightGBM's pred_contrib \(worst)")
    }

    @Test func zeroAsMissingChainsLeaveNoCovers() throws {
        let model = try LightGBMModelReader.parse(try fixtureText("lgb_zero.txt"), source: "lgb_zero.txt").model
        #expect(throws: (any Error).self) { _ = try model.contributions(FeatureMatrix(rows: 1, columns: model.featureCount, values: [Double](repeating: 0, count: model.featureCount)), threads: 1) }
    }
}
