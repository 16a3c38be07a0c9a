import CArrowData
import Dispatch
import Foundation
import MLCore
import Pipeline
import Tabular
import Testing
import TreeModels
@testable import PlumbC

/// Models trained once per test process and saved as model files, opened through the C ABI.
enum Models {
    static let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-cabi-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    /// Regression on x (numeric), n (numeric) and city (categorical: "a", "b", "c").
    static let regression = save("reg", training: table(rows: 600, classes: nil), task: nil)
    /// Binary classifier ("no", "yes") on the same features, threshold 0.4.
    static let binary = save("bin", training: table(rows: 600, classes: ["no", "yes"]), task: .binary, threshold: 0.4)
    /// Numeric-only regression (x, n): the dense entry point applies.
    static let numeric = save("num", training: table(rows: 600, classes: nil).dropping(["city"]), task: nil)

    static func table(rows: Int, classes: [String]?) -> Table {
        var rng = SeededGenerator(seed: 7)
        var x: [Double] = [], n: [Double] = [], city: [Int32] = [], y: [Double] = [], label: [Int32] = []
        for _ in 0 ..< rows {
            let a = 10 * rng.unit(), b = Double(rng.below(5)), c = Int32(rng.below(3))
            let score = a + 2 * b + [0, 5, -3][Int(c)] + rng.unit()
            x.append(a); n.append(b); city.append(c); y.append(score)
            label.append(score > 12 ? 1 : 0)
        }
        var columns = [Column(name: "x", data: .numeric(x)), Column(name: "n", data: .numeric(n)),
                       Column(name: "city", data: .categorical(codes: city, levels: ["a", "b", "c"]))]
        if let classes {
            columns.append(Column(name: "y", data: .categorical(codes: label, levels: classes)))
        } else {
            columns.append(Column(name: "y", data: .numeric(y)))
        }
        return Table(columns: columns)
    }

    static func save(_ name: String, training: Table, task: ModelTask?, threshold: Double? = nil) -> String {
        var p = GBMParameters()
        p.rounds = 20
        var request = TrainingRequest(train: training, target: "y", model: .gbm(p))
        request.task = task
        request.threshold = threshold
        let outcome = try! Trainer.train(request)
        let path = dir.appendingPathComponent("\(name).plumb").path
        let bytes = try! ModelFile.encode(header: outcome.model.header, regressor: outcome.model.regressor)
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Opens a model through `plumb_model_open`, failing the test on an error.
func openModel(_ path: String) -> OpaquePointer {
    var handle: OpaquePointer?
    var err = [CChar](repeating: 0, count: 512)
    let status = plumb_model_open(path, nil, &handle, &err, err.count)
    #expect(status == 0, "\(String(cString: err))")
    return handle!
}

/// Scores a batch through `plumb_predict_arrow`: status, message, output (column-major), rows.
func score(_ model: OpaquePointer, _ batch: ArrowTestBatch, outputs: Int, rows: Int, threads: Int32 = 0)
    -> (status: Int32, message: String, out: [Double], rows: Int64, unseen: Int64) {
    var out = [Double](repeating: -7, count: outputs * rows)
    var err = [CChar](repeating: 0, count: 512)
    var scored: Int64 = -1, unseen: Int64 = -1
    let status = plumb_predict_arrow(model, batch.schema, batch.array, threads, &out, Int64(out.count), &scored, &unseen, &err, err.count)
    return (status, String(cString: err), out, scored, unseen)
}

/// The reference: the model file decoded and scored as `plumb predict` scores a table.
func reference(_ path: String, _ table: Table) -> [Double] {
    let loaded = try! ModelLocator.load(path, storePath: "/nonexistent/unused.db").model
    return try! loaded.predict(table).predictions
}

@Suite struct PlumbCArrowTests {
    static let x: [Double?] = [1.5, nil, 7.25, 3, 9.5, 0.5]
    static let n: [Int32?] = [0, 4, nil, 2, 1, 3]
    static let city: [String?] = ["a", "c", "b", nil, "c", "zz"]  // "zz": a city unseen in training

    /// The same rows as a table built directly: missing = NaN / code -1.
    static var table: Table {
        let levels = ["a", "b", "c", "zz"]
        return Table(columns: [
            Column(name: "x", data: .numeric(x.map { $0 ?? .nan })),
            Column(name: "n", data: .numeric(n.map { $0.map(Double.init) ?? .nan })),
            Column(name: "city", data: .categorical(codes: city.map { $0.flatMap { levels.firstIndex(of: $0) }.map(Int32.init) ?? -1 }, levels: levels)),
        ])
    }

    @Test(arguments: [0, 3])
    func regressionWithNullsAndPlainStrings(pad: Int) {
        let m = openModel(Models.regression)
        defer { plumb_model_free(m) }
        // Columns in another order than the model's, plus one the model does not use (of a type it cannot read).
        let batch = ArrowTestBatch([("city", .utf8(Self.city)), ("extra", .unsupported(format: "+l", rows: 6)),
                                    ("n", .int32(Self.n)), ("x", .float64(Self.x))], rows: 6, pad: pad)
        let r = score(m, batch, outputs: 1, rows: 6)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.rows == 6)
        #expect(r.unseen == 1)
        #expect(r.out == reference(Models.regression, Self.table))
    }

    @Test func dictionaryAndLargeStrings() {
        let m = openModel(Models.regression)
        defer { plumb_model_free(m) }
        // Dictionary entries in another order than the levels, one unused, one null index.
        let indices: [Int8?] = [2, 0, 1, nil, 0, 3]
        let dictionary = ["a", "c", "b", "zz", "unused"]
        let viaDictionary = ArrowTestBatch([("x", .float64(Self.x)), ("n", .int64(Self.n.map { $0.map(Int64.init) })),
                                            ("city", .dictionary(indices: indices, dictionary: dictionary))], rows: 6, pad: 2)
        let cities = indices.map { $0.map { dictionary[Int($0)] } }
        let viaLarge = ArrowTestBatch([("x", .float64(Self.x)), ("n", .int64(Self.n.map { $0.map(Int64.init) })),
                                       ("city", .largeUTF8(cities))], rows: 6)
        let a = score(m, viaDictionary, outputs: 1, rows: 6), b = score(m, viaLarge, outputs: 1, rows: 6)
        #expect(a.status == 0, "\(a.message)")
        #expect(b.status == 0, "\(b.message)")
        var t = Self.table
        let levels = ["a", "b", "c", "zz"]
        t.replace(Column(name: "city", data: .categorical(codes: cities.map { $0.flatMap { levels.firstIndex(of: $0) }.map(Int32.init) ?? -1 }, levels: levels)))
        #expect(a.out == reference(Models.regression, t))
        #expect(b.out == a.out)
    }

    @Test func binaryClassifierOutputs() {
        let m = openModel(Models.binary)
        defer { plumb_model_free(m) }
        var task: Int32 = -1, features: Int64 = -1, outputs: Int64 = -1, classes: Int64 = -1
        #expect(plumb_model_info(m, &task, &features, &outputs, &classes, nil, 0) == 0)
        #expect(task == 1 && features == 3 && outputs == 3 && classes == 2)
        var names: [String] = []
        for j in 0 ..< outputs {
            var p: UnsafePointer<CChar>?
            #expect(plumb_model_output(m, j, &p, nil, 0) == 0)
            names.append(String(cString: p!))
        }
        #expect(names == ["label", "prob_no", "prob_yes"])
        var label: UnsafePointer<CChar>?
        #expect(plumb_model_class(m, 1, &label, nil, 0) == 0)
        #expect(String(cString: label!) == "yes")
        var featureNames: [String] = [], kinds: [Int32] = []
        for i in 0 ..< features {
            var p: UnsafePointer<CChar>?
            var kind: Int32 = -1
            #expect(plumb_model_feature(m, i, &p, &kind, nil, 0) == 0)
            featureNames.append(String(cString: p!)); kinds.append(kind)
        }
        #expect(featureNames == ["x", "n", "city"] && kinds == [0, 0, 1])

        let batch = ArrowTestBatch([("x", .float32(Self.x.map { $0.map(Float.init) })), ("n", .int32(Self.n)), ("city", .utf8(Self.city))], rows: 6)
        let r = score(m, batch, outputs: 3, rows: 6)
        #expect(r.status == 0, "\(r.message)")
        let probabilities = reference(Models.binary, Self.table)  // rows × 2, row-major
        for row in 0 ..< 6 {
            let p0 = probabilities[2 * row], p1 = probabilities[2 * row + 1]
            #expect(r.out[6 + row] == p0 && r.out[12 + row] == p1)
            #expect(r.out[row] == (p1 >= 0.4 ? 1 : 0), "row \(row): threshold 0.4 on p(yes) = \(p1)")
        }
    }

    @Test func booleansAreZeroOne() {
        let m = openModel(Models.numeric)
        defer { plumb_model_free(m) }
        let flags: [Bool?] = [true, false, nil, true]
        let batch = ArrowTestBatch([("x", .float64([1, 2, 3, 4])), ("n", .bool(flags))], rows: 4, pad: 5)
        let r = score(m, batch, outputs: 1, rows: 4)
        #expect(r.status == 0, "\(r.message)")
        let t = Table(columns: [Column(name: "x", data: .numeric([1, 2, 3, 4])), Column(name: "n", data: .numeric([1, 0, .nan, 1]))])
        #expect(r.out == reference(Models.numeric, t))
    }

    @Test func wrongTypesNameTheColumn() {
        let m = openModel(Models.regression)
        defer { plumb_model_free(m) }
        let text = ArrowTestBatch([("x", .utf8(["1", "2"])), ("n", .int32([1, 2])), ("city", .utf8(["a", "b"]))], rows: 2)
        let a = score(m, text, outputs: 1, rows: 2)
        #expect(a.status == 3)
        #expect(a.message == "column \"x\" holds strings, but the model's feature \"x\" is numeric")

        let nested = ArrowTestBatch([("x", .float64([1, 2])), ("n", .unsupported(format: "+l", rows: 2)), ("city", .utf8(["a", "b"]))], rows: 2)
        let b = score(m, nested, outputs: 1, rows: 2)
        #expect(b.status == 3)
        #expect(b.message.hasPrefix("Arrow batch: column 'n': Arrow type with format '+l' (list) is not supported"), "\(b.message)")

        let missing = ArrowTestBatch([("x", .float64([1, 2]))], rows: 2)
        let c = score(m, missing, outputs: 1, rows: 2)
        #expect(c.status == 3)
        #expect(c.message == "missing feature columns \"n\", \"city\" (the batch has: x)")
        #expect(c.rows == 0)
    }

    @Test func badArgumentsAreErrorsNotCrashes() {
        let m = openModel(Models.regression)
        defer { plumb_model_free(m) }
        let batch = ArrowTestBatch([("x", .float64([1, 2])), ("n", .int32([1, 2])), ("city", .utf8(["a", "b"]))], rows: 2)
        var err = [CChar](repeating: 0, count: 256)
        var small = [Double](repeating: 0, count: 1)
        #expect(plumb_predict_arrow(m, batch.schema, batch.array, 0, &small, 1, nil, nil, &err, err.count) == 1)
        #expect(String(cString: err) == "output buffer holds 1 doubles; 2 rows × 1 outputs (prediction) need 2")
        #expect(plumb_predict_arrow(nil, batch.schema, batch.array, 0, &small, 1, nil, nil, &err, err.count) == 1)
        #expect(String(cString: err) == "plumb_predict_arrow: model is NULL")
        #expect(plumb_predict_arrow(m, nil, batch.array, 0, &small, 1, nil, nil, &err, err.count) == 1)
        #expect(plumb_predict_arrow(m, batch.schema, batch.array, -2, &small, 1, nil, nil, &err, err.count) == 1)
        #expect(plumb_model_output(m, 5, nil, &err, err.count) == 1)
        #expect(String(cString: err) == "plumb_model_output: index 5 outside 0..<1")
        #expect(plumb_model_class(m, 0, nil, &err, err.count) == 1)
        #expect(String(cString: err) == "plumb_model_class: the model is a regression, it has no classes")

        // A released batch (release = NULL) is refused.
        batch.array.pointee.release = nil
        var out = [Double](repeating: 0, count: 2)
        #expect(plumb_predict_arrow(m, batch.schema, batch.array, 0, &out, 2, nil, nil, &err, err.count) == 3)
        #expect(String(cString: err) == "Arrow batch: the ArrowArray was already released")

        // A message longer than the buffer is cut, NUL-terminated.
        var tiny = [CChar](repeating: 65, count: 8)
        #expect(plumb_predict_arrow(nil, nil, nil, 0, nil, 0, nil, nil, &tiny, tiny.count) == 1)
        #expect(String(cString: tiny) == "plumb_p")
    }

    @Test func openErrorsNameTheModel() {
        var handle: OpaquePointer? = OpaquePointer(bitPattern: 1)
        var err = [CChar](repeating: 0, count: 512)
        #expect(plumb_model_open("/nonexistent/model.plumb", nil, &handle, &err, err.count) == 2)
        #expect(handle == nil)
        #expect(String(cString: err).hasPrefix("/nonexistent/model.plumb: no such model file"))
        #expect(plumb_model_open("models:/house@champion", "/nonexistent/store.db", &handle, &err, err.count) == 2)
        #expect(String(cString: err) == "models:/house@champion: tracking store /nonexistent/store.db does not exist (pass the store path, or set PLUMB_STORE)")
        let notModel = Models.dir.appendingPathComponent("not-a-model.plumb").path
        FileManager.default.createFile(atPath: notModel, contents: Data("hello".utf8))
        #expect(plumb_model_open(notModel, nil, &handle, &err, err.count) == 2)
        #expect(String(cString: err).contains(notModel))
        #expect(plumb_model_open(nil, nil, &handle, &err, err.count) == 1)
        #expect(plumb_model_open("x", nil, nil, &err, err.count) == 1)
    }

    @Test func denseMatchesArrow() {
        let m = openModel(Models.numeric)
        defer { plumb_model_free(m) }
        let x: [Double] = [0.5, 3, 8.25, .nan, 6], n: [Double] = [1, .nan, 4, 2, 0]
        var rowMajor: [Double] = []
        for r in 0 ..< 5 { rowMajor += [x[r], n[r]] }
        var out = [Double](repeating: 0, count: 5)
        var err = [CChar](repeating: 0, count: 256)
        #expect(plumb_predict_dense(m, rowMajor, 5, 2, 1, &out, 5, &err, err.count) == 0, "\(String(cString: err))")
        let t = Table(columns: [Column(name: "x", data: .numeric(x)), Column(name: "n", data: .numeric(n))])
        #expect(out == reference(Models.numeric, t))
        #expect(plumb_predict_dense(m, rowMajor, 5, 3, 1, &out, 5, &err, err.count) == 3)
        #expect(String(cString: err) == "dense batch has 3 columns; the model takes 2 features (x, n)")

        let mixed = openModel(Models.regression)
        defer { plumb_model_free(mixed) }
        #expect(plumb_predict_dense(mixed, [1, 2, 3], 1, 3, 1, &out, 5, &err, err.count) == 3)
        #expect(String(cString: err) == "feature \"city\" is categorical: score this model with plumb_predict_arrow, not a dense double matrix")
    }

    @Test func emptyBatch() {
        let m = openModel(Models.regression)
        defer { plumb_model_free(m) }
        let batch = ArrowTestBatch([("x", .float64([])), ("n", .int32([])), ("city", .utf8([]))], rows: 0)
        var scored: Int64 = -1
        var err = [CChar](repeating: 0, count: 256)
        #expect(plumb_predict_arrow(m, batch.schema, batch.array, 0, nil, 0, &scored, nil, &err, err.count) == 0, "\(String(cString: err))")
        #expect(scored == 0)
    }

    /// One handle scored from several threads at once gives each thread the single-threaded answer.
    @Test func oneHandleManyThreads() {
        let m = openModel(Models.binary)
        defer { plumb_model_free(m) }
        let rows = 300
        var rng = SeededGenerator(seed: 11)
        let batches = (0 ..< 8).map { _ in
            ArrowTestBatch([("x", .float64((0 ..< rows).map { _ in 10 * rng.unit() })), ("n", .int32((0 ..< rows).map { _ in Int32(rng.below(5)) })),
                            ("city", .utf8((0 ..< rows).map { _ in ["a", "b", "c"][rng.below(3)] }))], rows: rows)
        }
        let expected = batches.map { score(m, $0, outputs: 3, rows: rows, threads: 1).out }
        let results = Locked([[Double]](repeating: [], count: batches.count * 4))
        let shared = SendableBox((m, batches))
        DispatchQueue.concurrentPerform(iterations: batches.count * 4) { i in
            let (m, batches) = shared.value
            let r = score(m, batches[i % batches.count], outputs: 3, rows: rows, threads: 0)
            results.withLock { $0[i] = r.status == 0 ? r.out : [] }
        }
        let got = results.withLock { $0 }
        for i in got.indices { #expect(got[i] == expected[i % batches.count], "call \(i)") }
    }
}

/// Hands non-Sendable test values to `concurrentPerform`; they are only read there.
struct SendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
