import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

/// Fixtures: Fixtures/make_xgboost_fixtures.py (xgboost 3.2.0) trains each model, saves it as
/// .json and .ubj, and records XGBoost's own predictions on Fixtures/xgboost_inputs.csv.
enum XGBoostFixtures {
    static let models = ["regression", "binary", "logitraw", "multiclass", "softmax", "categorical", "dart", "absolute"]

    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// A CSV of numbers ("nan" = missing): its header and its columns.
    static func csv(_ name: String) throws -> (header: [String], columns: [[Double]]) {
        let text = try String(contentsOf: url(name), encoding: .utf8)
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var columns = [[Double]](repeating: [], count: header.count)
        for line in lines {
            let cells = line.split(separator: ",")
            for (j, c) in cells.enumerated() { columns[j].append(try #require(Double(String(c)))) }
        }
        return (header, columns)
    }

    static func inputs() throws -> FeatureMatrix { FeatureMatrix(columns: try csv("xgboost_inputs.csv").columns) }

    static func read(_ name: String, _ ext: String) throws -> ImportedXGBoostModel {
        try XGBoostModelReader.read(path: url("xgboost_\(name).\(ext)").path)
    }
}

@Suite struct XGBoostModelReaderTests {
    // MARK: float32 thresholds

    /// Floats to translate: specials, the ends of every range, and random bit patterns.
    static func thresholdCases() -> [Float] {
        var ts: [Float] = [0, -0.0, 1, -1, 0.5, 0.1, -0.1, 5, 20, 1e-45, -1e-45, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                           .leastNormalMagnitude, -.leastNormalMagnitude, Float.leastNormalMagnitude.nextDown,
                           .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
                           Float(1).nextUp, Float(1).nextDown, 16_777_216, 16_777_217, 3.4e38, -3.4e38]
        var rng = SeededGenerator(seed: 2026)
        for _ in 0..<20_000 { ts.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for _ in 0..<5_000 { ts.append(Float(rng.unit() * 40 - 20)) }
        return ts
    }

    /// For every threshold t and Doubles around it (t, its float32 neighbours, the midpoints
    /// between them and their Double neighbours, the translated d and its neighbours, the ends of
    /// the Double range): XGBoost's `Float(x) < t` equals Plumb's `x <= d`.
    @Test func float32ThresholdTranslationIsExact() {
        var checked = 0
        for t in Self.thresholdCases() {
            let d = XGBoostModelReader.threshold(float32: t)
            var xs: [Double] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e300, -1e300, 0x1p128, -0x1p128]
            if !t.isNaN {
                let p = t.nextDown, u = t.nextUp
                for f in [t, p, u] where f.isFinite { xs.append(Double(f)) }
                for (a, b) in [(p, t), (t, u)] {
                    let lo = a == -.infinity ? -0x1p128 : Double(a), hi = b == .infinity ? 0x1p128 : Double(b)
                    if lo.isFinite && hi.isFinite { xs.append(lo + (hi - lo) / 2) }
                }
            }
            if !d.isNaN { xs.append(d) }
            for x in xs { for v in [x, x.nextUp, x.nextDown, x.nextUp.nextUp, x.nextDown.nextDown] {
                if v.isNaN { continue }
                let xgboost = Float(v) < t, plumb = v <= d
                if xgboost != plumb { Issue.record("t = \(t) (bits \(String(t.bitPattern, radix: 16))), d = \(d), x = \(v): XGBoost \(xgboost), Plumb \(plumb)") }
                checked += 1
            } }
        }
        #expect(checked > 500_000)
    }

    @Test func thresholdEnds() {
        #expect(XGBoostModelReader.threshold(float32: -.infinity).isNaN)
        #expect(XGBoostModelReader.threshold(float32: .nan).isNaN)
        // Below the smallest float32 only -∞ rounds: x <= -(2^128 - 2^103) (the tie rounds to -∞).
        #expect(XGBoostModelReader.threshold(float32: -.greatestFiniteMagnitude) == -(0x1p128 - 0x1p103))
        // 1 = 2^0: predecessor 1 - 2^-24 (odd significand), so the midpoint 1 - 2^-25 rounds up to 1.
        #expect(XGBoostModelReader.threshold(float32: 1) == (1 - 0x1p-25).nextDown)
        // 0.5 + 2^-24 (odd): predecessor 0.5 (even), the midpoint rounds down to 0.5.
        #expect(XGBoostModelReader.threshold(float32: Float(0.5).nextUp) == 0.5 + 0x1p-25)
    }

    // MARK: the fixtures

    @Test(arguments: XGBoostFixtures.models)
    func jsonAndUBJSONGiveTheSameModel(name: String) throws {
        let a = try XGBoostFixtures.read(name, "json"), b = try XGBoostFixtures.read(name, "ubj")
        #expect(a.model.predictors == b.model.predictors)
        #expect(a.model.classCount == b.model.classCount && a.model.parameters == b.model.parameters)
        #expect(a.task == b.task && a.objective == b.objective && a.booster == b.booster && a.featureNames == b.featureNames
                && a.featureTypes == b.featureTypes && a.baseMargins == b.baseMargins && a.categories == b.categories
                && a.treeCount == b.treeCount && a.version == b.version)
        // Format sniffing from the bytes agrees with the extension.
        let bytes = [UInt8](try Data(contentsOf: XGBoostFixtures.url("xgboost_\(name).ubj")))
        #expect(XGBoostModelReader.sniff(bytes) == .ubjson)
        #expect(try XGBoostModelReader.read(data: bytes).model.predictors == a.model.predictors)
    }

    @Test func metadata() throws {
        let reg = try XGBoostFixtures.read("regression", "ubj")
        #expect(reg.task == .regression && reg.classCount == 0 && reg.objective == "reg:squarederror" && reg.booster == "gbtree")
        #expect(reg.featureNames == ["f0", "f1", "f2", "f3"] && reg.featureCount == 4 && reg.treeCount == 30)
        #expect(reg.version == [3, 2, 0] && reg.categoricalFeatures.isEmpty)
        let bin = try XGBoostFixtures.read("binary", "json")
        #expect(bin.task == .binary && bin.classCount == 2 && bin.model.parameters.loss == .logistic)
        let mc = try XGBoostFixtures.read("multiclass", "json")
        #expect(mc.task == .multiclass && mc.classCount == 3 && mc.model.predictors.count == 3 && mc.baseMargins.count == 3)
        #expect(mc.model.predictors.allSatisfy { $0.treeCount == 8 })
        let cat = try XGBoostFixtures.read("categorical", "ubj")
        #expect(cat.categoricalFeatures == [3] && cat.featureTypes == ["float", "float", "float", "c"])
        #expect(cat.categories == [3: ["a", "b", "c", "d", "e", "f"]])
        let dart = try XGBoostFixtures.read("dart", "json")
        #expect(dart.booster == "dart" && dart.treeCount == 10)
        #expect(try XGBoostFixtures.read("softmax", "ubj").objective == "multi:softmax")
        #expect(try XGBoostFixtures.read("absolute", "ubj").model.parameters.loss == .absolute)
    }

    /// binary:logistic's base_score is a probability: the margin is XGBoost's float32 logit of it.
    @Test func binaryBaseScoreIsTheLogitOfTheProbability() throws {
        let text = try String(contentsOf: XGBoostFixtures.url("xgboost_binary.json"), encoding: .utf8)
        let range = try #require(text.range(of: #""base_score":"\[([^\]]*)\]""#, options: .regularExpression))
        let p = try #require(Float(text[range].dropFirst(#""base_score":"["#.count).dropLast(2)))
        let model = try XGBoostFixtures.read("binary", "json")
        #expect(model.baseMargins == [Double(-log(1 / p - 1))])
        #expect(abs(1 / (1 + exp(-model.baseMargins[0])) - Double(p)) < 1e-6)
    }

    /// Every row of every fixture: the float32 sum of the leaves Plumb's trees pick (from the base
    /// margin, tree by tree, as XGBoost's CPU predictor adds them) equals XGBoost's margin bit for
    /// bit, so every leaf is the one XGBoost picks. Plumb's own Double-summed margins and
    /// probabilities are within 1e-6 relative (the float32 rounding of XGBoost's sums).
    @Test(arguments: XGBoostFixtures.models)
    func predictionsMatchXGBoost(name: String) throws {
        let imported = try XGBoostFixtures.read(name, "ubj")
        let model = imported.model
        let x = try XGBoostFixtures.inputs()
        let (header, expected) = try XGBoostFixtures.csv("xgboost_\(name)_predictions.csv")
        let margins = header.indices.filter { header[$0].hasPrefix("margin") }.map { expected[$0] }
        let preds = header.indices.filter { header[$0].hasPrefix("pred") }.map { expected[$0] }
        #expect(margins.count == model.predictors.count)
        let n = x.rows
        // XGBoost truncates a fractional category code (2.5 scores as 2), Plumb treats it as no
        // category: rows whose categorical value is fractional (threshold probes of the other
        // models land on f3) are left out of the comparisons, and checked to be the only misses.
        let fractional = Set((0..<n).filter { r in imported.categoricalFeatures.contains { let v = x[r, $0]; return !v.isNaN && v != v.rounded() } })
        let rows = (0..<n).filter { !fractional.contains($0) }

        // Bit-exact float32 twin.
        var mismatches = 0, fractionalMisses = 0
        for (g, p) in model.predictors.enumerated() {
            let trees = (0..<p.treeCount).map { p.extractTree($0) }
            for r in 0..<n {
                var acc = Float(p.base)
                for t in trees { acc += Float(t.leafValue[t.leaf { x[r, $0] }]) }
                if acc != Float(margins[g][r]) {
                    if fractional.contains(r) { fractionalMisses += 1 } else { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) float32 margins differ from XGBoost's")

        // Plumb's scores (Double sums) against XGBoost's float32 margins.
        let raw = model.rawScores(x, threads: 2)
        var maxRel = 0.0, maxAbs = 0.0
        for g in 0..<margins.count { for r in rows {
            let a = raw[g * n + r], b = margins[g][r]
            maxAbs = max(maxAbs, abs(a - b))
            maxRel = max(maxRel, abs(a - b) / max(abs(b), 1))
        } }
        #expect(maxRel <= 1e-6, "\(name): margins max |Δ|/max(|xgb|,1) = \(maxRel)")

        // Outputs: probabilities (σ or softmax), the class for multi:softmax, σ(margin) for logitraw.
        let out = model.predict(x, threads: 2)
        let k = model.outputCount
        var maxProbRel = 0.0
        switch imported.objective {
        case "binary:logistic", "multi:softprob":
            for r in rows { for c in 0..<preds.count {
                let a = k == 2 ? out[r * 2 + 1] : out[r * k + c], b = preds[c][r]
                maxProbRel = max(maxProbRel, abs(a - b) / max(abs(b), 1e-3))
            } }
            #expect(maxProbRel <= 1e-6, "\(name): probabilities max relative difference \(maxProbRel)")
        case "multi:softmax":
            for r in rows {
                let row = (0..<k).map { out[r * k + $0] }
                #expect(Double(row.firstIndex(of: row.max()!)!) == preds[0][r])
            }
        case "binary:logitraw":
            for r in rows { #expect(abs(out[r * 2 + 1] - 1 / (1 + exp(-margins[0][r]))) < 1e-6) }
        default:
            #expect(out == raw)
        }
        // The fast path scores as the reference walk does.
        #expect(out == model.predictReference(x))
        print("xgboost \(name): \(rows.count) rows (\(fractional.count) with a fractional category code left out, \(fractionalMisses) of them scored differently), margins max |Δ| \(maxAbs), max relative \(maxRel)\(preds.isEmpty || imported.objective == "multi:softmax" ? "" : "; probabilities max relative \(maxProbRel)")")
    }

    /// A file as XGBoost 1.x wrote it: scalar base_score string, no split_type or categories
    /// arrays, no iteration_indptr or cats, size_leaf_vector "0", default_left as booleans. It
    /// reads as the same model.
    @Test func olderFileLayoutReadsTheSame() throws {
        var text = try String(contentsOf: XGBoostFixtures.url("xgboost_binary.json"), encoding: .utf8)
        let current = try XGBoostModelReader.read(data: Array(text.utf8))
        for pattern in [#""split_type":\[[^\]]*\],"#, #""categories[a-z_]*":\[[^\]]*\],"#, #""iteration_indptr":\[[^\]]*\],"#, #""cats":\{[^}]*\},"#] {
            text = text.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
        }
        text = text.replacingOccurrences(of: #""base_score":"\[([^\]]*)\]""#, with: #""base_score":"$1""#, options: .regularExpression)
        text = text.replacingOccurrences(of: #""size_leaf_vector":"1""#, with: #""size_leaf_vector":"0""#)
        let defaultLeft = try NSRegularExpression(pattern: #""default_left":\[([01,]*)\]"#)
        for m in defaultLeft.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let r = try #require(Range(m.range(at: 1), in: text))
            text.replaceSubrange(r, with: text[r].split(separator: ",").map { $0 == "1" ? "true" : "false" }.joined(separator: ","))
        }
        #expect(!text.contains("split_type") && !text.contains("iteration_indptr") && !text.contains("\"default_left\":[0"))
        let old = try XGBoostModelReader.read(data: Array(text.utf8))
        #expect(old.model.predictors == current.model.predictors && old.baseMargins == current.baseMargins)
    }

    /// Trees are placed by their `id` (as XGBoost loads them), not by their position in the list.
    @Test func treesArePlacedByID() throws {
        let text = try String(contentsOf: XGBoostFixtures.url("xgboost_regression.json"), encoding: .utf8)
        let original = try XGBoostModelReader.read(data: Array(text.utf8)).model.predictor
        let swapped = text.replacingOccurrences(of: #""id":0,"#, with: #""id":X,"#).replacingOccurrences(of: #""id":1,"#, with: #""id":0,"#)
            .replacingOccurrences(of: #""id":X,"#, with: #""id":1,"#)
        let p = try XGBoostModelReader.read(data: Array(swapped.utf8)).model.predictor
        #expect(p.extractTree(0) == original.extractTree(1) && p.extractTree(1) == original.extractTree(0))
        #expect((2..<30).allSatisfy { p.extractTree($0) == original.extractTree($0) })
        let duplicate = text.replacingOccurrences(of: #""id":1,"#, with: #""id":0,"#)
        Self.expectError(Array(duplicate.utf8), code: .malformed, mentioning: ["trees[1].id is 0"])
    }

    /// One base_score for several classes (files before per-class intercepts) applies to each.
    @Test func oneBaseScoreForEveryClass() throws {
        let text = try String(contentsOf: XGBoostFixtures.url("xgboost_multiclass.json"), encoding: .utf8)
            .replacingOccurrences(of: #""base_score":"\[[^\]]*\]""#, with: #""base_score":"2.5E-1""#, options: .regularExpression)
        let m = try XGBoostModelReader.read(data: Array(text.utf8))
        #expect(m.baseMargins == [0.25, 0.25, 0.25] && m.model.predictors.map(\.base) == [0.25, 0.25, 0.25])
        let two = text.replacingOccurrences(of: #""base_score":"2.5E-1""#, with: #""base_score":"[1,2]""#)
        Self.expectError(Array(two.utf8), code: .malformed, mentioning: ["base_score has 2 values for 3 output groups"])
    }

    // MARK: malformed files

    static func expectError(_ bytes: [UInt8], format: XGBoostModelReader.Format? = nil, code: XGBoostModelError.Code,
                            mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try XGBoostModelReader.read(data: bytes, format: format, source: "m.ubj")
            Issue.record("no error; expected one mentioning \(words)", sourceLocation: sourceLocation)
        } catch let e as XGBoostModelError {
            #expect(e.code == code, "\(e.message)", sourceLocation: sourceLocation)
            for w in words { #expect(e.message.contains(w), "\(e.message) does not mention \(w)", sourceLocation: sourceLocation) }
            #expect(e.message.hasPrefix("m.ubj: "), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    static func fixtureBytes(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: XGBoostFixtures.url(file))) }

    @Test func truncatedUBJSONNamesTheOffset() throws {
        let bytes = try Self.fixtureBytes("xgboost_binary.ubj")
        for cut in [1, 2, 10, 100, bytes.count / 2, bytes.count - 1] {
            Self.expectError(Array(bytes[0..<cut]), format: .ubjson, code: .malformed, mentioning: ["UBJSON at byte"])
        }
        let json = try Self.fixtureBytes("xgboost_binary.json")
        Self.expectError(Array(json[0..<(json.count / 3)]), format: .json, code: .malformed, mentioning: ["JSON at byte", "end of file"])
    }

    /// Edits of the JSON fixture: each error names the field (or what is not supported).
    @Test func errorsNameTheField() throws {
        let text = try String(contentsOf: XGBoostFixtures.url("xgboost_regression.json"), encoding: .utf8)
        func edited(_ from: String, _ to: String) -> [UInt8] {
            Array(text.replacingOccurrences(of: from, with: to, options: [], range: text.range(of: from)).utf8)
        }
        Self.expectError(edited(#""split_conditions""#, #""split_condition_""#), code: .malformed,
                         mentioning: ["learner.gradient_booster.model.trees[0].split_conditions is missing"])
        Self.expectError(edited(#""left_children":["#, #""left_children":[99,"#), code: .malformed,
                         mentioning: ["trees[0].left_children has 32 values, tree_param.num_nodes is 31"])
        Self.expectError(edited(#""left_children":[1,"#, #""left_children":[0,"#), code: .malformed,
                         mentioning: ["trees[0].left_children", "node 0 has child 0"])
        Self.expectError(edited(#""split_indices":[0,"#, #""split_indices":[7,"#), code: .malformed,
                         mentioning: ["trees[0].split_indices", "feature 7", "4 features"])
        Self.expectError(edited(#""num_feature":"4","num_target""#, #""num_feature":"four","num_target""#), code: .malformed,
                         mentioning: ["num_feature", "\"four\""])
        Self.expectError(edited(#""base_score":"["#, #""base_score":"[x"#), code: .malformed, mentioning: ["learner.learner_model_param.base_score"])
        Self.expectError(edited(#""reg:squarederror""#, #""count:poisson""#), code: .unsupported, mentioning: ["count:poisson", "binary:logistic"])
        Self.expectError(edited(#""size_leaf_vector":"1""#, #""size_leaf_vector":"2""#), code: .unsupported,
                         mentioning: ["trees[0]", "multi-target", "size_leaf_vector 2"])
        Self.expectError(edited(#""num_target":"1""#, #""num_target":"2""#), code: .unsupported, mentioning: ["2 targets"])
        Self.expectError(edited(#""name":"gbtree""#, #""name":"gblinear""#), code: .unsupported, mentioning: ["gblinear"])
        Self.expectError(edited(#""tree_info":[0,"#, #""tree_info":[1,"#), code: .malformed,
                         mentioning: ["tree_info", "tree 0 to output group 1"])
        let dart = try String(contentsOf: XGBoostFixtures.url("xgboost_dart.json"), encoding: .utf8)
        Self.expectError(Array(dart.replacingOccurrences(of: #""weight_drop":["#, with: #""weight_drop":[1,"#).utf8), code: .malformed,
                         mentioning: ["learner.gradient_booster.weight_drop has 11 weights for 10 trees"])
        Self.expectError(Array("[{\"nodeid\": 0}]".utf8), code: .unsupported, mentioning: ["dump_model"])
        Self.expectError(Array("binf\u{0}\u{0}".utf8), code: .unsupported, mentioning: ["legacy binary"])
        Self.expectError(Array("{\"learner\": 3}".utf8), code: .malformed, mentioning: ["field learner is an integer"])
    }

    @Test func categoricalSetsMustBeValid() throws {
        let text = try String(contentsOf: XGBoostFixtures.url("xgboost_categorical.json"), encoding: .utf8)
        let from = #""categories_sizes":["#
        let bytes = Array(text.replacingOccurrences(of: from, with: from + "900,", options: [], range: text.range(of: from)).utf8)
        Self.expectError(bytes, code: .malformed, mentioning: ["categories"])
    }

    /// Thousands of random corruptions of a UBJSON and a JSON model: each reads or fails with an
    /// XGBoostModelError, never crashes; a model that still reads scores rows.
    @Test func mutatedFilesNeverCrash() throws {
        var rng = SeededGenerator(seed: 99)
        let x = try XGBoostFixtures.inputs()
        let sample = FeatureMatrix(rows: 8, columns: 4, values: (0..<4).flatMap { j in (0..<8).map { x[$0 * 97, j] } })
        var read = 0, failed = 0
        for (file, rounds) in [("xgboost_categorical.ubj", 1500), ("xgboost_softmax.ubj", 1000), ("xgboost_absolute.json", 1000)] {
            let original = try Self.fixtureBytes(file)
            for _ in 0..<rounds {
                var b = original
                switch rng.next() % 4 {
                case 0: for _ in 0...(rng.next() % 4) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                case 1: b.removeSubrange(Int(rng.next() % UInt64(b.count))...)
                case 2: let i = Int(rng.next() % UInt64(b.count)); b[i] ^= 1 << UInt8(rng.next() % 8)
                default: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(b.count)))
                }
                do {
                    let m = try XGBoostModelReader.read(data: b, source: file)
                    if m.featureCount == 4 { _ = m.model.predict(sample, threads: 1) }
                    read += 1
                } catch is XGBoostModelError {
                    failed += 1
                }
            }
        }
        #expect(read + failed == 3500)
        print("xgboost mutations: \(read) still read, \(failed) refused with an error")
    }
}

/// Imported XGBoost models keep each node's `sum_hessian` as its cover, so they explain as
/// XGBoost's own `pred_contribs` does (Fixtures/xgboost_contributions.json,
/// make_xgboost_contrib_fixture.py). XGBoost computes contributions in float32.
@Suite struct XGBoostImportExplanationTests {
    struct Expected: Decodable { let rows: Int; let columns: Int; let values: [Double] }

    @Test(arguments: ["regression", "binary", "multiclass"])
    func contributionsEqualXGBoostsPredContribs(name: String) throws {
        let all = try JSONDecoder().decode([String: Expected].self,
                                           from: Data(contentsOf: XGBoostFixtures.url("xgboost_contributions.json")))
        let want = try #require(all["xgboost_\(name)"])
        let model = try XGBoostFixtures.read(name, "json").model
        let columns = try XGBoostFixtures.csv("xgboost_inputs.csv").columns.map { Array($0.prefix(want.rows)) }
        let x = FeatureMatrix(columns: columns)
        let got = try model.contributions(x, threads: 2)
        let features = x.columns, block = features + 1
        #expect(want.columns == got.outputs * block)
        var worst = 0.0
        for i in 0..<want.rows {
            for k in 0..<got.outputs {
                for j in 0...features {
                    let ours = j < features ? got[i, k, j] : got.expectedValue[k]
                    let theirs = want.values[i * want.columns + k * block + j]
                    worst = max(worst, abs(ours - theirs) / max(1, abs(theirs)))
                }
            }
        }
        #expect(worst < 1e-6, "largest difference from XGBoost's pred_contribs \(worst) of max(1, |value|)")
    }
}
