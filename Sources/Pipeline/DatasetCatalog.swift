import Foundation
import Tabular

/// A public dataset Plumb knows how to fetch and verify.
public struct KnownDataset: Sendable {
    public var name: String
    public var fileName: String
    public var sha256: String
    public var url: String?
    public var target: String
    public var summary: String
}

/// Errors fetching a dataset: each says where Plumb looked and how to fix it.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unknown, digestMismatch, offline, io }
    public var code: Code
    public var message: String
    public var description: String { message }
}

/// The datasets `plumb data fetch` knows, and the fetch itself: the local mirror first
/// (`PLUMB_DATA_MIRROR`), then the public URL, always checked against the pinned SHA-256.
public enum DatasetCatalog {
    public static let mirrorVariable = "PLUMB_DATA_MIRROR"

    public static let all: [KnownDataset] = [
        KnownDataset(
            name: "california-housing", fileName: "california_housing.csv",
            sha256: "7192af0bf33e94141194cfd91958c62d66262dc40c07cc2e6fbe0b2d02b0e1b3", url: nil,
            target: "MedHouseVal",
            summary: "1990 census, 20,640 block groups, 8 numeric features (scikit-learn's derived form)"),
        KnownDataset(
            name: "california-housing-raw", fileName: "housing.csv",
            sha256: "8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e",
            url: "https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv",
            target: "median_house_value",
            summary: "the raw census form: 207 missing total_bedrooms, categorical ocean_proximity"),
    ]

    public static func dataset(named name: String) throws -> KnownDataset {
        guard let d = all.first(where: { $0.name == name }) else {
            throw DatasetError(code: .unknown, message: "unknown dataset \"\(name)\"; known: \(all.map(\.name).joined(separator: ", "))")
        }
        return d
    }

    /// Recognises a file as one of the known datasets by its digest.
    public static func identify(sha256: String) -> KnownDataset? { all.first { $0.sha256 == sha256 } }

    public struct FetchResult: Sendable {
        public var path: String
        public var sha256: String
        public var bytes: Int
        public var source: String
        public var alreadyPresent: Bool
    }

    /// Places the dataset at `destination` (verified), copying from the mirror or downloading.
    public static func fetch(_ d: KnownDataset, to destination: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> FetchResult {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination), let sha = try? SHA256.hex(fileAt: destination), sha == d.sha256 {
            return FetchResult(path: destination, sha256: sha, bytes: fileSize(destination), source: destination, alreadyPresent: true)
        }
        var looked: [String] = []
        if let mirror = environment[mirrorVariable], !mirror.isEmpty {
            let candidate = URL(fileURLWithPath: mirror).appendingPathComponent(d.fileName).path
            looked.append(candidate)
            if let data = fm.contents(atPath: candidate) {
                let sha = SHA256.hex(data)
                guard sha == d.sha256 else {
                    throw DatasetError(code: .digestMismatch, message: "\(candidate): sha256 \(sha) does not match the pinned \(d.sha256) for \(d.name); the mirror copy is not the expected file")
                }
                try write(data, to: destination)
                return FetchResult(path: destination, sha256: sha, bytes: data.count, source: candidate, alreadyPresent: false)
            }
        }
        guard let urlString = d.url else {
            throw DatasetError(code: .offline, message: """
                \(d.name) has no public CSV download (it is scikit-learn's derivation of the StatLib archive) \
                and no mirror copy was found\(looked.isEmpty ? " ($\(mirrorVariable) is not set)" : " at \(looked.joined(separator: ", "))"). \
                Point \(mirrorVariable) at a folder holding \(d.fileName), e.g. `export \(mirrorVariable)=../shared/data`.
                """)
        }
        let data: [UInt8]
        do {
            data = try HTTPDownload.get(urlString)
        } catch {
            throw DatasetError(code: .offline, message: """
                \(error)\
                \(looked.isEmpty ? "" : "; no copy at \(looked.joined(separator: ", "))"). \
                Offline? Point \(mirrorVariable) at a folder holding \(d.fileName), e.g. `export \(mirrorVariable)=../shared/data`.
                """)
        }
        let sha = SHA256.hex(data)
        guard sha == d.sha256 else {
            throw DatasetError(code: .digestMismatch, message: "downloaded \(urlString): sha256 \(sha) does not match the pinned \(d.sha256); refusing to use it")
        }
        try write(Data(data), to: destination)
        return FetchResult(path: destination, sha256: sha, bytes: data.count, source: urlString, alreadyPresent: false)
    }

    private static func write(_ data: Data, to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DatasetError(code: .io, message: "\(path): cannot write (\(error.localizedDescription))")
        }
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
