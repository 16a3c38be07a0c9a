import Foundation
import Tabular

/// A public dataset Plumb knows how to fetch and verify.
public struct KnownDataset: Sendable {
    public var name: String
    public var fileName: String
    public var sha256: String
    /// A public download of the file itself; nil when none is published.
    public var url: String?
    public var target: String
    public var summary: String
    /// The public archive the file is computed from when no CSV is published.
    public var archive: DatasetArchive?

    public init(name: String, fileName: String, sha256: String, url: String?, target: String, summary: String, archive: DatasetArchive? = nil) {
        self.name = name
        self.fileName = fileName
        self.sha256 = sha256
        self.url = url
        self.target = target
        self.summary = summary
        self.archive = archive
    }
}

/// A public `.tar.gz` a dataset's CSV is derived from, as scikit-learn derives California Housing
/// from StatLib's cal_housing.tgz. Both the archive and the derived file have pinned digests.
public struct DatasetArchive: Sendable {
    public var url: String
    /// The archive's name in the mirror folder, e.g. `cal_housing.tgz`.
    public var fileName: String
    public var sha256: String
    /// The file inside the archive the dataset is derived from.
    public var member: String
    /// The member's bytes → the dataset file's bytes.
    public var derive: @Sendable ([UInt8]) throws -> [UInt8]

    public init(url: String, fileName: String, sha256: String, member: String, derive: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.url = url
        self.fileName = fileName
        self.sha256 = sha256
        self.member = member
        self.derive = derive
    }
}

/// Errors fetching a dataset: each says where Plumb looked and how to fix it.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unknown, digestMismatch, offline, io, archive, missingMember, malformed }
    public var code: Code
    public var message: String
    public var description: String { message }
}

/// The datasets `plumb data fetch` knows, and the fetch itself: the local mirror first
/// (`PLUMB_DATA_MIRROR`), then the public source, always checked against the pinned SHA-256s.
public enum DatasetCatalog {
    public static let mirrorVariable = "PLUMB_DATA_MIRROR"

    public static let all: [KnownDataset] = [
        KnownDataset(
            name: "california-housing", fileName: "california_housing.csv",
            sha256: "7192af0bf33e94141194cfd91958c62d66262dc40c07cc2e6fbe0b2d02b0e1b3", url: nil,
            target: "MedHouseVal",
            summary: "1990 census, 20,640 block groups, 8 numeric features (scikit-learn's derived form, computed from StatLib's cal_housing.tgz)",
            archive: DatasetArchive(
                url: "https://ndownloader.figshare.com/files/5976036", fileName: "cal_housing.tgz",
                // Pinned by scikit-learn (sklearn/datasets/_california_housing.py).
                sha256: "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681",
                member: "CaliforniaHousing/cal_housing.data",
                derive: { try CaliforniaHousingDerivation.csv(fromCalHousingData: $0) })),
        KnownDataset(
            name: "california-housing-raw", fileName: "housing.csv",
            sha256: "8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e",
            url: "https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv",
            target: "median_house_value",
            summary: "the raw census form: 207 missing total_bedrooms, categorical ocean_proximity"),
        // The R-package forms (header row, named columns) of two UCI sets; UCI publishes them
        // without a header and in another column order, so these come from a mirror.
        KnownDataset(
            name: "spam", fileName: "spam.csv",
            sha256: "eda6f048183b06c6f7dc530d09549e1cf7932a23f879a1f33e6589140260532b", url: nil,
            target: "type",
            summary: "UCI Spambase as in R's kernlab: 4,601 e-mails, 57 numeric features, binary target spam/nonspam"),
        KnownDataset(
            name: "letter", fileName: "letter.csv",
            sha256: "b63c465dbba15552b15f1932b259704e5547c1b5a7a39fd9a15ef94c2ba99114", url: nil,
            target: "lettr",
            summary: "UCI Letter Recognition as in R's mlbench: 20,000 images, 16 integer features, 26 classes A–Z"),
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
        /// The mirror file or URL the bytes came from.
        public var source: String
        public var alreadyPresent: Bool
        /// The archive member the file was derived from, when it was derived.
        public var derivedFrom: String? = nil
    }

    /// Places the dataset at `destination` (verified). In order: a verified file already there; the
    /// mirror's copy of the file; the mirror's copy of its archive (derived); the public archive
    /// (downloaded, derived) or the public file. Mirror copies that fail their digest are refused,
    /// not skipped.
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
            if let archive = d.archive {
                let candidate = URL(fileURLWithPath: mirror).appendingPathComponent(archive.fileName).path
                looked.append(candidate)
                if let data = fm.contents(atPath: candidate) {
                    return try derive(d, from: archive, bytes: [UInt8](data), source: candidate, to: destination)
                }
            }
        }
        let wanted = [d.fileName] + (d.archive.map { [$0.fileName] } ?? [])
        let hint = """
            \(looked.isEmpty ? " ($\(mirrorVariable) is not set)" : "; no copy at \(looked.joined(separator: ", "))"). \
            Offline? Point \(mirrorVariable) at a folder holding \(wanted.joined(separator: " or ")), e.g. `export \(mirrorVariable)=../shared/data`.
            """
        if let archive = d.archive {
            let data = try await download(archive.url, what: "\(archive.fileName) for \(d.name)", hint: hint)
            return try derive(d, from: archive, bytes: data, source: archive.url, to: destination)
        }
        guard let urlString = d.url else {
            throw DatasetError(code: .offline, message: "\(d.name) has no public download and no mirror copy was found\(hint)")
        }
        let data = try await download(urlString, what: d.name, hint: hint)
        let sha = SHA256.hex(data)
        guard sha == d.sha256 else {
            throw DatasetError(code: .digestMismatch, message: "downloaded \(urlString): sha256 \(sha) does not match the pinned \(d.sha256); refusing to use it")
        }
        try write(Data(data), to: destination)
        return FetchResult(path: destination, sha256: sha, bytes: data.count, source: urlString, alreadyPresent: false)
    }

    /// Checks the archive's digest, derives the file from its member, checks the file's digest, and
    /// only then writes it. `source` (mirror path or URL) prefixes every error.
    private static func derive(_ d: KnownDataset, from archive: DatasetArchive, bytes: [UInt8], source: String, to destination: String) throws -> FetchResult {
        let archiveSHA = SHA256.hex(bytes)
        guard archiveSHA == archive.sha256 else {
            throw DatasetError(code: .digestMismatch, message: "\(source): archive sha256 \(archiveSHA) does not match the pinned \(archive.sha256) for \(archive.fileName); refusing to use it")
        }
        let csv: [UInt8]
        do {
            csv = try archive.derive(TarGzip.member(archive.member, inTarGz: bytes))
        } catch let e as DatasetError {
            throw DatasetError(code: e.code, message: "\(source): \(e.message)")
        }
        let sha = SHA256.hex(csv)
        guard sha == d.sha256 else {
            throw DatasetError(code: .digestMismatch, message: "\(source): \(d.fileName) derived from \(archive.member) has sha256 \(sha), not the pinned \(d.sha256) for \(d.name); refusing to write it")
        }
        try write(Data(csv), to: destination)
        return FetchResult(path: destination, sha256: sha, bytes: csv.count, source: source, alreadyPresent: false, derivedFrom: archive.member)
    }

    /// The body of a GET answered 200 (through libcurl, see `HTTPDownload`).
    private static func download(_ urlString: String, what: String, hint: String) async throws -> [UInt8] {
        do {
            return try HTTPDownload.get(urlString)
        } catch let e as HTTPDownload.Failure {
            throw DatasetError(code: .offline, message: "cannot download \(what) from \(urlString) (\(e.reason))\(hint)")
        }
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
