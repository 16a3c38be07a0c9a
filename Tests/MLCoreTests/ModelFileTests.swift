import Foundation
import Testing
import Tabular
@testable import MLCore

/// y = w·x + b: the smallest real Regressor, so the envelope is tested without other modules.
struct AffineModel: Regressor {
    static let kind = "affine-test"
    var weights: [Double]
    var bias: Double
    var featureCount: Int { weights.count }

    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<x.rows {
            var s = bias
            for j in 0..<x.columns { s += weights[j] * x[i, j] }
            output[i] = s
        }
    }
    func encode(to w: inout BinaryWriter) { w.write(array: weights); w.write(bias) }
    static func decode(from r: inout BinaryReader) throws -> AffineModel {
        AffineModel(weights: try r.readArray(of: Double.self), bias: try r.readDouble())
    }
}

@Suite struct ModelFileTests {
    static func sample() throws -> (ModelHeader, AffineModel, Table) {
        let table = Table(columns: [
            Column(name: "a", data: .numeric([1, 2, 3, .nan])),
            Column(name: "c", data: .categorical(codes: [0, 1, 0, 1], levels: ["x", "y"])),
            Column(name: "y", data: .numeric([1, 2, 3, 4])),
        ])
        let pre = try Preprocessor.fit(table, features: ["a", "c"], options: PreprocessingOptions())
        let model = AffineModel(weights: Array(repeating: 0.5, count: pre.outputNames.count), bias: 1)
        let header = ModelHeader(kind: AffineModel.kind, target: "y", preprocessor: pre, hyperparameters: ["k": "v"],
                                 trainingData: DatasetDigest(name: "t.csv", sha256: String(repeating: "0", count: 64), rows: 4, columns: ["a", "c", "y"]),
                                 metrics: ["r2": 0.5], featureImportance: nil, plumbVersion: "test")
        return (header, model, table)
    }

    static var kinds: ModelKinds { var k = ModelKinds(); k.register(AffineModel.self); return k }

    @Test func roundTripScoresIdentically() throws {
        let (header, model, table) = try Self.sample()
        let bytes = try ModelFile.encode(header: header, regressor: model)
        let loaded = try ModelFile.decode(bytes, source: "m.plumb", kinds: Self.kinds)
        #expect(loaded.header == header)
        let direct = LoadedModel(header: header, regressor: model)
        #expect(try loaded.predict(table).predictions == direct.predict(table).predictions)
        // Encoding is deterministic: same inputs, same bytes.
        #expect(try ModelFile.encode(header: header, regressor: model) == bytes)
    }

    /// Flat rows score like the table for an all-numeric model (missing values imputed, scaled);
    /// a model with a categorical input declines the flat path.
    @Test func rowMajorScoringEqualsTheTablePath() throws {
        let table = Table(columns: [
            Column(name: "a", data: .numeric([1, 2, 3, .nan, 7])),
            Column(name: "b", data: .numeric([.nan, -4, 0.5, 9, 2])),
            Column(name: "y", data: .numeric([1, 2, 3, 4, 5])),
        ])
        let pre = try Preprocessor.fit(table, features: ["b", "a"], options: PreprocessingOptions(impute: .mean, scale: true))
        let header = ModelHeader(kind: AffineModel.kind, target: "y", preprocessor: pre, hyperparameters: [:], trainingData: nil,
                                 metrics: [:], featureImportance: nil, plumbVersion: "test")
        let model = LoadedModel(header: header, regressor: AffineModel(weights: [0.75, -2], bias: 0.5))
        let flat: [Double] = [.nan, 1, -4, 2, 0.5, 3, 9, .nan, 2, 7]  // rows of (b, a)
        let fast = try #require(flat.withUnsafeBufferPointer { model.predict(rowMajor: $0, rows: 5) })
        #expect(fast.map(\.bitPattern) == (try model.predict(table).predictions).map(\.bitPattern))
        let (h2, m2, _) = try Self.sample()
        #expect(LoadedModel(header: h2, regressor: m2).predict(rowMajor: UnsafeBufferPointer(start: nil, count: 0), rows: 0) == nil)
    }

    /// The file digest continued from the body's checksum hash equals hashing the whole file.
    @Test func decodeHashingGivesTheWholeFileDigest() throws {
        let (header, model, _) = try Self.sample()
        let bytes = try ModelFile.encode(header: header, regressor: model)
        let (loaded, sha) = try ModelFile.decodeHashing(bytes, source: "m.plumb", kinds: Self.kinds)
        #expect(sha == SHA256.hex(bytes))
        #expect(loaded.header.kind == AffineModel.kind)
    }

    @Test func everyTruncationIsAClearError() throws {
        let (header, model, _) = try Self.sample()
        let bytes = try ModelFile.encode(header: header, regressor: model)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(throws: ModelFileError.self) { _ = try ModelFile.decode(Array(bytes[0..<cut]), source: "m", kinds: Self.kinds) }
        }
    }

    @Test func flippedByteIsDetected() throws {
        let (header, model, _) = try Self.sample()
        var bytes = try ModelFile.encode(header: header, regressor: model)
        bytes[bytes.count - 40] ^= 0x01
        do {
            _ = try ModelFile.decode(bytes, source: "m.plumb", kinds: Self.kinds)
            Issue.record("corruption not detected")
        } catch let e as ModelFileError {
            #expect(e.code == .checksumMismatch)
            #expect(e.message.contains("m.plumb"))
        }
    }

    @Test func newerFormatAndForeignFilesAreNamed() throws {
        let (header, model, _) = try Self.sample()
        var bytes = try ModelFile.encode(header: header, regressor: model)
        bytes[8] = 99  // format version (little-endian UInt32 after the 8-byte magic)
        #expect { try ModelFile.decode(bytes, source: "m", kinds: Self.kinds) } throws: { ($0 as? ModelFileError)?.code == .newerFormat }
        #expect { try ModelFile.decode(Array("a,b\n1,2\n".utf8), source: "x.csv", kinds: Self.kinds) } throws: { ($0 as? ModelFileError)?.code == .notAModelFile }
        #expect { try ModelFile.decode(try ModelFile.encode(header: header, regressor: model), source: "m", kinds: ModelKinds()) } throws: { ($0 as? ModelFileError)?.code == .unknownKind }
    }

    @Test func atomicWriteThenRead() throws {
        let (header, model, table) = try Self.sample()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-mf-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sub/m.plumb").path
        let w = try ModelFile.write(header: header, regressor: model, to: path)
        #expect(w.sha256 == (try SHA256.hex(fileAt: path)))
        let loaded = try ModelFile.read(path: path, kinds: Self.kinds)
        #expect(try loaded.predict(table).predictions == LoadedModel(header: header, regressor: model).predict(table).predictions)
        #expect(throws: ModelFileError.self) { _ = try ModelFile.read(path: dir.appendingPathComponent("missing").path, kinds: Self.kinds) }
        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path)
        #expect(left == ["m.plumb"])
    }
}
