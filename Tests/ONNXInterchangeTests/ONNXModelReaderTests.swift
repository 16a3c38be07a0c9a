import Foundation
import MLCore
import Testing
@testable import ONNXInterchange
@testable import TreeModels

/// A committed fixture of Fixtures/make_onnx_fixtures.py (skl2onnx, onnxmltools, ONNX Runtime).
func onnxFixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// A CSV of numbers with a header ("nan" = missing), as columns by name.
func readONNXFixtureCSV(_ name: String) throws -> (names: [String], columns: [[Double]]) {
    let text = String(decoding: try Data(contentsOf: onnxFixtureURL(name)), as: UTF8.self)
    let lines = text.split(separator: "\n")
    let names = lines[0].split(separator: ",").map(String.init)
    var columns = [[Double]](repeating: [], count: names.count)
    for line in lines.dropFirst() {
        for (j, c) in line.split(separator: ",").enumerated() { columns[j].append(try #require(Double(c), "cell \(c) in \(name)")) }
    }
    return (names, columns)
}

/// The largest |plumb − ort| / max(1, |ort|) over all values (∞ when exactly one is NaN).
func maxScaledDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var worst = 0.0
    for (x, y) in zip(a, b) {
        if x.isNaN || y.isNaN { if x.isNaN != y.isNaN { return .infinity }; continue }
        worst = max(worst, abs(x - y) / max(1, abs(y)))
    }
    return worst
}

@Suite struct ONNXModelReaderTests {
    static let inputs = Result { try readONNXFixtureCSV("onnx_inputs.csv") }

    func matrix() throws -> FeatureMatrix { FeatureMatrix(columns: try Self.inputs.get().columns) }

    func model(_ name: String) throws -> ImportedEnsemble {
        try ONNXModelReader.read(path: onnxFixtureURL("onnx_\(name).onnx").path)
    }

    /// ONNX Runtime's outputs row-major (rows × outputs), as the fixture script recorded them.
    func expected(_ name: String) throws -> (values: [Double], outputs: Int) {
        let e = try readONNXFixtureCSV("onnx_\(name)_expected.csv")
        let rows = e.columns[0].count
        var out: [Double] = []
        out.reserveCapacity(rows * e.names.count)
        for r in 0..<rows { for c in e.columns { out.append(c[r]) } }
        return (out, e.names.count)
    }

    /// Every converter's model scores as ONNX Runtime does, on random rows, rows with missing
    /// values, and rows on and one float32 step either side of every threshold. ONNX Runtime
    /// sums leaves and applies the transform in float32, Plumb in Double: the differences are
    /// float32 roundings (largest measured 3.0e-7 of max(1, |value|), xgb_regression; 1.2e-8 and
    /// 4.5e-8 for the hand-built models); a wrong leaf anywhere
    /// would differ by a leaf weight (≥ 1e-4 in these models).
    @Test(arguments: [
        ("sk_gbr", ModelTask.regression), ("sk_rfr", .regression), ("sk_gbc_binary", .binary), ("sk_gbc_multi", .multiclass),
        ("sk_rfc_binary", .binary), ("sk_rfc_multi", .multiclass), ("sk_gbc_zipmap", .binary),
        ("lgb_regression", .regression), ("lgb_binary", .binary), ("lgb_multi", .multiclass),
        ("xgb_regression", .regression), ("xgb_binary", .binary), ("xgb_multi", .multiclass),
        ("modes_regression", .regression), ("tensor_regression", .regression), ("modes_binary_logistic", .binary),
        ("opset5_regression", .regression), ("opset5_softmax", .multiclass),
    ])
    func scoresAsONNXRuntime(name: String, task: ModelTask) throws {
        let imported = try model(name)
        #expect(imported.task == task)
        let x = try matrix()
        let (ort, outputs) = try expected(name)
        #expect(imported.regressor.outputCount == outputs)
        let fast = imported.regressor.predict(x, threads: 2)
        let difference = maxScaledDifference(fast, ort)
        #expect(difference <= 1e-6, "\(name): max scaled difference \(difference)")
        // The compiled scorer equals the plain walk.
        let reference: [Double]
        if let forest = imported.forest { reference = forest.predictReference(x) } else { reference = imported.model.predictReference(x) }
        #expect(fast == reference)
    }

    /// The hand-built trees use every node mode; their leaf weights and base are exact binary
    /// fractions, so a right leaf choice gives ONNX Runtime's float32 output exactly.
    @Test(arguments: ["modes_regression", "tensor_regression", "opset5_regression"])
    func everyNodeModeChoosesONNXRuntimesLeaf(name: String) throws {
        let imported = try model(name)
        let (ort, _) = try expected(name)
        let plumb = imported.regressor.predict(try matrix(), threads: 1)
        let mismatches = zip(plumb, ort).filter { Float($0) != Float($1) }.count
        #expect(mismatches == 0)
        #expect(imported.parameters["threshold_precision"] == (name == "tensor_regression" ? "double" : "float32"))
    }

    /// TreeEnsemble (opset 5) scores the same trees as the opset-3 hand-built model, and its
    /// transform code 2 is read as ONNX Runtime reads it (SOFTMAX), with a warning.
    @Test func opset5TreeEnsembleMatchesOpset3() throws {
        let x = try matrix()
        let v5 = try model("opset5_regression").regressor.predict(x, threads: 1)
        let v3 = try model("modes_regression").regressor.predict(x, threads: 1)
        // The same leaves; v3 adds its base 0.3f, v5 has none.
        let base = Double(Float(0.3))
        #expect(zip(v5, v3).allSatisfy { $0 + base == $1 })
        let softmax = try model("opset5_softmax")
        #expect(softmax.warnings.contains { $0.contains("post_transform 2 read as SOFTMAX") })
    }

    @Test func classLabelsAndParametersAreKept() throws {
        let imported = try model("sk_gbc_multi")
        #expect(imported.classLabels == nil)   // 0, 1, 2: Plumb's default labels
        #expect(imported.model.classCount == 3)
        #expect(imported.parameters["producer"]?.hasPrefix("skl2onnx") == true)
        #expect(imported.featureNames == nil)
        #expect(imported.sourceFormat == "onnx")
    }

    @Test(arguments: [("modes_softmax_zero", "SOFTMAX_ZERO"), ("modes_logistic", "LOGISTIC")])
    func unsupportedTransformsAreRefusedByName(name: String, transform: String) throws {
        let error = try #require(throws: ONNXModelError.self) { try model(name) }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("post_transform \(transform)"))
        #expect(error.message.contains("onnx_\(name).onnx"))
    }

    /// A graph with an operator that changes values is refused with the operator's name.
    @Test func otherOperatorsAreRefusedByName() throws {
        let bytes = try Data(contentsOf: onnxFixtureURL("onnx_sk_gbr.onnx"))
        var proto = try Onnx_ModelProto(serializedBytes: bytes)
        var scaler = Onnx_NodeProto()
        scaler.opType = "Scaler"
        scaler.domain = "ai.onnx.ml"
        scaler.name = "scale_inputs"
        proto.graph.node.insert(scaler, at: 0)
        let scaled: [UInt8] = try proto.serializedBytes()
        let error = try #require(throws: ONNXModelError.self) {
            try ONNXModelReader.read(bytes: scaled, source: "scaled.onnx")
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("Scaler"))
        #expect(error.message.contains("scaled.onnx"))
    }

    @Test func notAnONNXFileIsNamed() throws {
        let error = try #require(throws: ONNXModelError.self) {
            try ONNXModelReader.read(bytes: Array("tree\nversion=v4\n".utf8), source: "model.txt")
        }
        #expect(error.code == .notONNX)
        #expect(error.message.hasPrefix("model.txt: "))
    }

    /// A child id that is not in the tree is named with its attribute, tree and node.
    @Test func brokenTreesNameTheAttribute() throws {
        let bytes = try Data(contentsOf: onnxFixtureURL("onnx_modes_regression.onnx"))
        var proto = try Onnx_ModelProto(serializedBytes: bytes)
        let k = try #require(proto.graph.node[0].attribute.firstIndex { $0.name == "nodes_truenodeids" })
        proto.graph.node[0].attribute[k].ints[0] = 42
        let broken: [UInt8] = try proto.serializedBytes()
        let error = try #require(throws: ONNXModelError.self) {
            try ONNXModelReader.read(bytes: broken, source: "broken.onnx")
        }
        #expect(error.code == .malformed)
        #expect(error.message.contains("nodes_truenodeids"))
        #expect(error.message.contains("child 42"))
    }
}
