import Foundation
import Testing
@testable import Pipeline
import Tabular

/// A fresh folder under the temporary directory.
private func tempDir(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A `.tar.gz` of `files` (relative path → bytes) made by the system's `tar czf` in `format`
/// (gnu, ustar or pax), so the reader is checked against an independent writer.
private func makeTarGz(_ files: [(String, [UInt8])], format: String = "gnu") throws -> [UInt8] {
    let dir = try tempDir("tgz")
    defer { try? FileManager.default.removeItem(at: dir) }
    let root = dir.appendingPathComponent("root")
    for (path, bytes) in files {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
    let out = dir.appendingPathComponent("out.tgz")
    let tops = Set(files.map { String($0.0.split(separator: "/")[0]) }).sorted()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    p.arguments = ["--format=\(format)", "-czf", out.path, "-C", root.path] + tops
    try p.run()
    p.waitUntilExit()
    try #require(p.terminationStatus == 0, "tar czf failed")
    return [UInt8](try Data(contentsOf: out))
}

/// Deterministic bytes that gzip cannot shrink much, so a cut archive is cut mid-stream.
private func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

@Suite struct TarGzipTests {
    static let member = "CaliforniaHousing/cal_housing.data"
    // 64 + 1 + 70 characters: over tar's 100-byte name field, so each format has to spell it its own way
    // (GNU an `L` entry, ustar the prefix field, pax an `x` record).
    static let longPath = "CaliforniaHousing/" + String(repeating: "d", count: 46) + "/" + String(repeating: "f", count: 66) + ".txt"

    @Test(arguments: ["gnu", "ustar", "pax"]) func readsMembersExactly(format: String) throws {
        let data = noise(3000, seed: 1), other = Array("domain\n".utf8), long = noise(700, seed: 2)
        let tgz = try makeTarGz([(Self.member, data), ("CaliforniaHousing/cal_housing.domain", other),
                                 (Self.longPath, long), ("CaliforniaHousing/empty", [])], format: format)
        #expect(try TarGzip.member(Self.member, inTarGz: tgz) == data)
        #expect(try TarGzip.member("./" + Self.member, inTarGz: tgz) == data)
        #expect(try TarGzip.member("CaliforniaHousing/cal_housing.domain", inTarGz: tgz) == other)
        #expect(try TarGzip.member(Self.longPath, inTarGz: tgz) == long)
        #expect(try TarGzip.member("CaliforniaHousing/empty", inTarGz: tgz) == [])
    }

    @Test func truncatedGzipIsRefused() throws {
        let tgz = try makeTarGz([(Self.member, noise(3000, seed: 3))])
        let e = #expect(throws: DatasetError.self) { try TarGzip.member(Self.member, inTarGz: Array(tgz.prefix(tgz.count / 2))) }
        #expect(e?.code == .archive)
        #expect(e?.message.contains("gzip stream is truncated") == true)
    }

    @Test func truncatedTarIsRefused() throws {
        let tar = try TarGzip.gunzip(makeTarGz([(Self.member, noise(3000, seed: 4))]))
        // Block 0 is the folder's header, block 1 the member's; cut inside the member's data.
        let e = #expect(throws: DatasetError.self) { try TarGzip.member(Self.member, inTar: Array(tar.prefix(512 * 3))) }
        #expect(e?.code == .archive)
        #expect(e?.message.contains("tar archive is truncated") == true)
        #expect(e?.message.contains("needs 3000 bytes") == true)
    }

    @Test func missingMemberIsNamed() throws {
        let tgz = try makeTarGz([("CaliforniaHousing/cal_housing.domain", Array("x\n".utf8))])
        let e = #expect(throws: DatasetError.self) { try TarGzip.member(Self.member, inTarGz: tgz) }
        #expect(e?.code == .missingMember)
        #expect(e?.message == "tar archive has no file CaliforniaHousing/cal_housing.data (it holds CaliforniaHousing/, CaliforniaHousing/cal_housing.domain)")
    }

    @Test func notGzipIsRefused() {
        let e = #expect(throws: DatasetError.self) { try TarGzip.gunzip(Array("MedInc,HouseAge\n".utf8)) }
        #expect(e?.code == .archive)
        #expect(e?.message.contains("not a valid gzip stream") == true)
    }
}

@Suite struct CaliforniaHousingDerivationTests {
    /// Lines in cal_housing.data's format: the real file's first two rows, a made-up line whose
    /// population (≥ 2^53) and value (1e-05 after scaling) hit the two places where Swift's number
    /// formatting could differ from Python's, and a made-up line of the columns' maxima.
    static let input = """
        -122.230000,37.880000,41.000000,880.000000,129.000000,322.000000,126.000000,8.325200,452600.000000
        -122.220000,37.860000,21.000000,7099.000000,1106.000000,2401.000000,1138.000000,8.301400,358500.000000
        -118.300000,34.260000,2.000000,3.000000,1.000000,9007199254740994.000000,3.000000,0.499900,1.000000
        -114.310000,41.950000,52.000000,37937.000000,6445.000000,35682.000000,6082.000000,15.000100,500001.000000

        """
    /// Computed once with Python 3 (the formula scikit-learn uses, written with repr):
    ///   lo, la, age, rooms, bed, pop, hh, inc, val = map(float, line.split(","))
    ///   ",".join(repr(v) for v in [inc, age, rooms/hh, bed/hh, pop, pop/hh, la, lo, val/100000.0])
    static let expected = [
        "8.3252,41.0,6.984126984126984,1.0238095238095237,322.0,2.5555555555555554,37.88,-122.23,4.526",
        "8.3014,21.0,6.238137082601054,0.9718804920913884,2401.0,2.109841827768014,37.86,-122.22,3.585",
        "0.4999,2.0,1.0,0.3333333333333333,9007199254740994.0,3002399751580331.5,34.26,-118.3,1e-05",
        "15.0001,52.0,6.237586320289378,1.059684314370273,35682.0,5.866820124958895,41.95,-114.31,5.00001",
    ]
    static var expectedCSV: String {
        "MedInc,HouseAge,AveRooms,AveBedrms,Population,AveOccup,Latitude,Longitude,MedHouseVal\r\n"
            + expected.map { $0 + "\r\n" }.joined()
    }

    @Test func handWrittenLines() throws {
        let out = try CaliforniaHousingDerivation.csv(fromCalHousingData: Array(Self.input.utf8))
        #expect(String(decoding: out, as: UTF8.self) == Self.expectedCSV)
    }

    @Test func crlfBlankLinesAndSpacesAreTolerated() throws {
        let messy = "\r\n" + Self.input.split(separator: "\n").map { $0.replacingOccurrences(of: ",", with: ", ") }.joined(separator: "\r\n") + "\r\n\r\n"
        let out = try CaliforniaHousingDerivation.csv(fromCalHousingData: Array(messy.utf8))
        #expect(String(decoding: out, as: UTF8.self) == Self.expectedCSV)
    }

    @Test func wrongFieldCountNamesTheLine() {
        let text = "1,2,3,4,5,6,7,8,9\n1,2,3,4,5,6,7,8\n"
        let e = #expect(throws: DatasetError.self) { try CaliforniaHousingDerivation.csv(fromCalHousingData: Array(text.utf8)) }
        #expect(e?.code == .malformed)
        #expect(e?.message.hasPrefix("cal_housing.data line 2: 8 fields, expected 9 (longitude, latitude,") == true)
    }

    @Test func badNumberNamesLineAndField() {
        let text = "1,2,3,4,5,6,7,8,9\n1,2,3,4,5,6,7,8,9\n1,2,3,4,abc,6,7,8,9\n"
        let e = #expect(throws: DatasetError.self) { try CaliforniaHousingDerivation.csv(fromCalHousingData: Array(text.utf8)) }
        #expect(e?.code == .malformed)
        #expect(e?.message == "cal_housing.data line 3: field 5 (totalBedrooms) is \"abc\", not a number")
    }

    /// Right-hand sides are Python 3's repr of the same Double.
    @Test(arguments: [
        (9999999999999998.0, "9999999999999998.0"), (9007199254740992.0, "9007199254740992.0"),
        (-9007199254740994.0, "-9007199254740994.0"), (1e16, "1e+16"), (1.2345678901234568e+17, "1.2345678901234568e+17"),
        (1e-05, "1e-05"), (0.0001, "0.0001"), (9.999e-05, "9.999e-05"), (-0.0, "-0.0"), (0.1 + 0.2, "0.30000000000000004"),
    ])
    func pythonRepr(value: Double, repr: String) {
        #expect(CaliforniaHousingDerivation.pythonRepr(value) == repr)
    }

    /// The real data, when a mirror is at hand: housing.csv holds the same census rows as
    /// cal_housing.data (207 with total_bedrooms blanked), in the same order as california_housing.csv.
    /// Every complete row must derive to exactly the corresponding line of california_housing.csv.
    @Test func reproducesPublishedCSVFromRawRows() throws {
        let mirror = ProcessInfo.processInfo.environment[DatasetCatalog.mirrorVariable].flatMap { $0.isEmpty ? nil : $0 }
            ?? repoRoot.appendingPathComponent("../shared/data").standardized.path
        let fm = FileManager.default
        guard let raw = fm.contents(atPath: mirror + "/housing.csv"), let published = fm.contents(atPath: mirror + "/california_housing.csv") else {
            print("note: no housing.csv + california_housing.csv in \(mirror); skipping the real-data check")
            return
        }
        // housing.csv's first nine columns are cal_housing.data's, in the same order: drop its header,
        // its ocean_proximity column and the rows whose total_bedrooms is blank (the only empty field,
        // so ",,"). Numbers stay as housing.csv writes them ("41.0" for cal_housing.data's "41.000000",
        // the same Double once parsed; the hand-written lines above cover that format). Foundation's
        // string calls keep this quick in a debug build.
        var text = "", rows: [Int] = []
        for (i, line) in String(decoding: raw, as: UTF8.self).components(separatedBy: "\n").dropFirst().enumerated()
        where !line.isEmpty && !line.contains(",,") {
            guard let last = line.range(of: ",", options: .backwards) else { continue }
            text += line[..<last.lowerBound] + "\n"
            rows.append(i)
        }
        #expect(rows.count == 20_433)
        let derived = try CaliforniaHousingDerivation.csv(fromCalHousingData: Array(text.utf8))
        // Lines split at LF keep their CR: every line of both files, the last one included, ends with CRLF.
        let newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let derivedLines = derived.split(separator: newline, omittingEmptySubsequences: false)
        let wantLines = [UInt8](published).split(separator: newline, omittingEmptySubsequences: false)
        try #require(derivedLines.count == rows.count + 2 && wantLines.count == 20_640 + 2)
        #expect(derivedLines.last?.isEmpty == true && wantLines.last?.isEmpty == true)
        #expect(derivedLines.dropLast().allSatisfy { $0.last == cr } && wantLines.dropLast().allSatisfy { $0.last == cr })
        #expect(derivedLines[0] == wantLines[0])
        var mismatches: [String] = []
        for (k, i) in rows.enumerated() where derivedLines[k + 1] != wantLines[i + 1] {
            mismatches.append("row \(i + 1): derived \(String(decoding: derivedLines[k + 1], as: UTF8.self)), published \(String(decoding: wantLines[i + 1], as: UTF8.self))")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) lines differ, first: \(mismatches.prefix(3))")
    }
}

@Suite struct DatasetCatalogFetchTests {
    static let member = "CaliforniaHousing/cal_housing.data"

    /// A dataset described like california-housing but with digests of synthetic test data; its
    /// public archive URL is a closed local port, so a fall-through to the network fails at once.
    static func dataset(archiveSHA: String, csvSHA: String, member: String = member) -> KnownDataset {
        KnownDataset(
            name: "synthetic-housing", fileName: "california_housing.csv", sha256: csvSHA, url: nil,
            target: "MedHouseVal", summary: "test",
            archive: DatasetArchive(url: "http://127.0.0.1:9/cal_housing.tgz", fileName: "cal_housing.tgz", sha256: archiveSHA,
                                    member: member, derive: { try CaliforniaHousingDerivation.csv(fromCalHousingData: $0) }))
    }

    /// A mirror folder holding only cal_housing.tgz (made from the hand-written lines), its digest,
    /// and the digest of the CSV those lines derive to.
    static func mirror() throws -> (dir: URL, archiveSHA: String, csvSHA: String) {
        let dir = try tempDir("mirror")
        let tgz = try makeTarGz([(member, Array(CaliforniaHousingDerivationTests.input.utf8)),
                                 ("CaliforniaHousing/cal_housing.domain", Array("longitude: continuous.\n".utf8))])
        try Data(tgz).write(to: dir.appendingPathComponent("cal_housing.tgz"))
        return (dir, SHA256.hex(tgz), SHA256.hex(Array(CaliforniaHousingDerivationTests.expectedCSV.utf8)))
    }

    @Test func derivesFromMirrorArchive() async throws {
        let (dir, archiveSHA, csvSHA) = try Self.mirror()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out/ch.csv").path
        let env = [DatasetCatalog.mirrorVariable: dir.path]
        let d = Self.dataset(archiveSHA: archiveSHA, csvSHA: csvSHA)
        let r = try await DatasetCatalog.fetch(d, to: dest, environment: env)
        #expect(r.source == dir.appendingPathComponent("cal_housing.tgz").path)
        #expect(r.derivedFrom == Self.member && !r.alreadyPresent && r.sha256 == csvSHA)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: dest)), as: UTF8.self) == CaliforniaHousingDerivationTests.expectedCSV)
        let again = try await DatasetCatalog.fetch(d, to: dest, environment: env)
        #expect(again.alreadyPresent && again.derivedFrom == nil)
    }

    @Test func wrongArchiveDigestWritesNothing() async throws {
        let (dir, _, csvSHA) = try Self.mirror()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out/ch.csv").path
        let pinned = String(repeating: "0", count: 64)
        let e = await #expect(throws: DatasetError.self) {
            try await DatasetCatalog.fetch(Self.dataset(archiveSHA: pinned, csvSHA: csvSHA), to: dest, environment: [DatasetCatalog.mirrorVariable: dir.path])
        }
        #expect(e?.code == .digestMismatch)
        #expect(e?.message.contains("cal_housing.tgz: archive sha256 ") == true)
        #expect(e?.message.contains("does not match the pinned \(pinned) for cal_housing.tgz") == true)
        #expect(!FileManager.default.fileExists(atPath: dest))
    }

    @Test func wrongDerivedDigestWritesNothing() async throws {
        let (dir, archiveSHA, _) = try Self.mirror()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out/ch.csv").path
        let e = await #expect(throws: DatasetError.self) {
            try await DatasetCatalog.fetch(Self.dataset(archiveSHA: archiveSHA, csvSHA: String(repeating: "1", count: 64)), to: dest,
                                           environment: [DatasetCatalog.mirrorVariable: dir.path])
        }
        #expect(e?.code == .digestMismatch)
        #expect(e?.message.contains("california_housing.csv derived from CaliforniaHousing/cal_housing.data has sha256") == true)
        #expect(!FileManager.default.fileExists(atPath: dest))
    }

    @Test func missingMemberNamesTheArchive() async throws {
        let (dir, archiveSHA, csvSHA) = try Self.mirror()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = await #expect(throws: DatasetError.self) {
            try await DatasetCatalog.fetch(Self.dataset(archiveSHA: archiveSHA, csvSHA: csvSHA, member: "CaliforniaHousing/other.data"),
                                           to: dir.appendingPathComponent("out/ch.csv").path, environment: [DatasetCatalog.mirrorVariable: dir.path])
        }
        #expect(e?.code == .missingMember)
        #expect(e?.message.hasPrefix(dir.appendingPathComponent("cal_housing.tgz").path + ": tar archive has no file CaliforniaHousing/other.data") == true)
    }

    @Test func offlineWithoutMirrorSaysHowToSetIt() async throws {
        let dir = try tempDir("offline")
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = await #expect(throws: DatasetError.self) {
            try await DatasetCatalog.fetch(Self.dataset(archiveSHA: "", csvSHA: ""), to: dir.appendingPathComponent("ch.csv").path, environment: [:])
        }
        #expect(e?.code == .offline)
        #expect(e?.message.contains("cannot download cal_housing.tgz for synthetic-housing from http://127.0.0.1:9/cal_housing.tgz") == true)
        #expect(e?.message.contains("($PLUMB_DATA_MIRROR is not set)") == true)
        #expect(e?.message.contains("export PLUMB_DATA_MIRROR=../shared/data") == true)
    }
}
