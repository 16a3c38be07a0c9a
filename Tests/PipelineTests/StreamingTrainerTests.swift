import Foundation
import MLCore
import Parquet
import Tabular
import Testing
import TreeModels
@testable import Pipeline

/// Training in passes over a file must give the model the in-memory trainer gives on the same
/// rows: same preprocessing, same bins, same trees, byte for byte, and the same test metrics.
@Suite struct StreamingTrainerTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-streaming-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Numeric features with missing values and ties, a categorical one with missing levels, a
    /// numeric target and a three-class label.
    func table(rows n: Int, seed: UInt64) -> Table {
        var rng = SeededGenerator(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var a = [Double](), b = [Double](), c = [Double](), y = [Double]()
        var cityCodes = [Int32](), labelCodes = [Int32]()
        for _ in 0..<n {
            let u = uniform(), v = uniform() * 4 - 2, w = (uniform() * 30).rounded(.down), city = Int32(uniform() * 4)
            a.append(uniform() < 0.05 ? .nan : u)
            b.append(v)
            c.append(uniform() < 0.03 ? .nan : w)
            cityCodes.append(uniform() < 0.02 ? -1 : city)
            let target = 10 * sin(3 * u) + v * v + 0.1 * w + (city == 1 ? 2 : 0) + (uniform() - 0.5)
            y.append(target)
            labelCodes.append(target > 7 ? 0 : target > 4 ? 1 : 2)
        }
        return Table(columns: [
            Column(name: "a", data: .numeric(a)), Column(name: "b", data: .numeric(b)), Column(name: "c", data: .numeric(c)),
            Column(name: "city", data: .categorical(codes: cityCodes, levels: ["Lima", "Oslo", "Pune", "Rome"])),
            Column(name: "y", data: .numeric(y)),
            Column(name: "label", data: .categorical(codes: labelCodes, levels: ["high", "low", "mid"])),
        ])
    }

    func gbm(rounds: Int, earlyStopping: Int? = nil, subsample: Double = 1) -> GBMParameters {
        var p = GBMParameters()
        p.rounds = rounds
        p.earlyStoppingRounds = earlyStopping
        p.subsample = subsample
        p.seed = 7
        return p
    }

    /// Trains on `path` both ways and expects the same model bytes and metrics.
    func expectSameModel(file path: String, testFile: String? = nil, request: TrainingRequest, chunkBytes: Int) throws {
        var inMemory = request
        inMemory.train = try TableFile.read(path)
        inMemory.test = try testFile.map { try TableFile.read($0) }
        let expected = try Trainer.train(inMemory)
        let streamed = try StreamingTrainer.train(file: path, testFile: testFile, request: request, chunkBytes: chunkBytes)
        #expect(streamed.model.header.preprocessor == expected.model.header.preprocessor)
        #expect(try ModelFile.encode(header: streamed.model.header, regressor: streamed.model.regressor)
                == ModelFile.encode(header: expected.model.header, regressor: expected.model.regressor))
        #expect(streamed.evaluation.dictionary == expected.evaluation.dictionary)
        #expect(streamed.testPredictions == expected.testPredictions)
        #expect(streamed.trainRows == expected.trainRows && streamed.testRows == expected.testRows)
    }

    @Test func regressionFromCSVBlocksEqualsTheInMemoryModel() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TableFile.write(table(rows: 6_000, seed: 1), to: dir + "/d.csv")
        var request = TrainingRequest(train: Table(columns: []), target: "y", model: .gbm(gbm(rounds: 20)))
        request.exclude = ["label"]
        request.task = .regression
        try expectSameModel(file: dir + "/d.csv", request: request, chunkBytes: 8 << 10)
    }

    /// Early stopping holds out the same rows, and the subsample draws the same rows per round.
    @Test func multiclassFromParquetRowGroupsWithEarlyStopping() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ParquetWriter.write(table(rows: 5_000, seed: 2), to: dir + "/d.parquet", options: .init(rowGroupRows: 700))
        var request = TrainingRequest(train: Table(columns: []), target: "label", model: .gbm(gbm(rounds: 30, earlyStopping: 3, subsample: 0.8)))
        request.exclude = ["y"]
        request.balancedClassWeights = true
        try expectSameModel(file: dir + "/d.parquet", request: request, chunkBytes: 1 << 20)
    }

    @Test func separateTestFileAndMedianFreeImputation() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TableFile.write(table(rows: 3_000, seed: 3), to: dir + "/train.csv")
        try TableFile.write(table(rows: 1_000, seed: 4), to: dir + "/test.csv")
        var request = TrainingRequest(train: Table(columns: []), target: "y", model: .gbm(gbm(rounds: 10)))
        request.features = ["a", "c", "city"]
        request.preprocessing.impute = .none
        try expectSameModel(file: dir + "/train.csv", testFile: dir + "/test.csv", request: request, chunkBytes: 4 << 10)
    }

    /// Over 200,000 fitted rows the bin edges come from a sample, which must be the same rows.
    @Test func binEdgesFromTheSameSampleOnLargeData() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ParquetWriter.write(table(rows: 260_000, seed: 5).selecting(columns: ["a", "b", "y"]), to: dir + "/d.parquet",
                                options: .init(rowGroupRows: 50_000))
        var p = gbm(rounds: 2)
        p.maxLeaves = 7
        let request = TrainingRequest(train: Table(columns: []), target: "y", model: .gbm(p))
        try expectSameModel(file: dir + "/d.parquet", request: request, chunkBytes: 1 << 20)
    }

    @Test func refusesWhatNeedsTheRowsInMemory() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TableFile.write(table(rows: 200, seed: 6), to: dir + "/d.csv")
        var request = TrainingRequest(train: Table(columns: []), target: "y", model: .linear)
        #expect(throws: TrainingError.self) { try StreamingTrainer.train(file: dir + "/d.csv", request: request) }
        request.model = .gbm(gbm(rounds: 2))
        request.preprocessing.scale = true
        #expect(throws: TrainingError.self) { try StreamingTrainer.train(file: dir + "/d.csv", request: request) }
        request.preprocessing.scale = false
        request.target = "nope"
        let error = #expect(throws: TrainingError.self) { try StreamingTrainer.train(file: dir + "/d.csv", request: request) }
        #expect(error?.message.contains("d.csv") == true && error?.message.contains("nope") == true)
    }

    @Test func missingTargetsAreNamedByFileRow() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var t = table(rows: 500, seed: 8)
        var y = t.column(named: "y")!.numericValues!
        y[311] = .nan
        t.replace(Column(name: "y", data: .numeric(y)))
        try TableFile.write(t, to: dir + "/d.csv")
        var request = TrainingRequest(train: Table(columns: []), target: "y", model: .gbm(gbm(rounds: 2)))
        request.exclude = ["label"]
        let error = #expect(throws: TrainingError.self) { try StreamingTrainer.train(file: dir + "/d.csv", request: request, chunkBytes: 2 << 10) }
        #expect(error?.message.contains("data rows 312") == true)
    }
}

@Suite struct StreamingMedianTests {
    /// Exact against the whole-column median, with ties, NaNs and signs, however many passes.
    @Test(arguments: [1 << 19, 64, 1])
    func equalsTheWholeColumnMedian(collectLimit: Int) throws {
        var rng = SeededGenerator(seed: 11)
        for (n, distinct) in [(1, 1), (2, 2), (1_001, 1_000_000), (20_000, 7), (20_001, 1_000_000)] {
            let values = (0..<n).map { i -> Double in
                if i % 97 == 5 { return .nan }
                return Double(Int(rng.next() % UInt64(distinct))) * (i % 3 == 0 ? -0.37 : 1.25)
            }
            var median = StreamingMedian(collectLimit: collectLimit)
            var passes = 0
            while median.needsPass {
                for chunk in stride(from: 0, to: n, by: 333) {
                    values[chunk..<min(n, chunk + 333)].withUnsafeBufferPointer { median.observe($0) }
                }
                median.finishPass()
                passes += 1
                try #require(passes < 10)
            }
            #expect(median.value == Describe.quantile(of: values, 0.5), "n \(n), distinct \(distinct), limit \(collectLimit)")
        }
    }
}
