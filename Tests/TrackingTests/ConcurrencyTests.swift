import Foundation
import Testing
@testable import Tracking

/// Several real `plumb` processes against one store. Needs the `plumb` executable, which
/// `swift build --build-tests` / `swift test` build next to the test bundle (.build/debug/plumb).
/// Correctness never depends on timing: loops are bounded and the assertions hold whatever the
/// interleaving is.
@Suite(.serialized) struct ConcurrencyTests {
    static let plumb: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/plumb")
    }()

    struct Child {
        let process: Process
        let stdout: URL
        let stderr: URL
        func errorText() -> String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    }

    func spawn(_ args: [String], in dir: URL) throws -> Child {
        let p = Process()
        p.executableURL = Self.plumb
        p.arguments = args
        let tag = UUID().uuidString
        let out = dir.appendingPathComponent("out-\(tag)"), err = dir.appendingPathComponent("err-\(tag)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return Child(process: p, stdout: out, stderr: err)
    }

    func freshStorePath() throws -> (URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-conc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent("plumb.db").path)
    }

    @Test func twoWritersAndAReaderNeverLockOrLoseVersions() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.plumb.path), "build the plumb executable first: \(Self.plumb.path)")
        let (dir, path) = try freshStorePath()
        let n = 12
        // Both writers start on an empty file: they also race on creating the schema.
        let writers = try (0..<2).map { _ in try spawn(["runs", "stress", "--store", path, "--runs", String(n), "--register", "m"], in: dir) }
        var readerRuns = 0
        repeat {
            let reader = try spawn(["runs", "list", "--store", path, "--limit", "5", "--filter", "metrics.r2 > 0.5", "--order-by", "metrics.r2 DESC"], in: dir)
            reader.process.waitUntilExit()
            #expect(reader.process.terminationStatus == 0, "reader failed: \(reader.errorText())")
            readerRuns += 1
        } while writers.contains(where: { $0.process.isRunning }) && readerRuns < 200
        for w in writers {
            w.process.waitUntilExit()
            #expect(w.process.terminationStatus == 0, "writer failed: \(w.errorText())")
            #expect(w.errorText().isEmpty)
        }
        let store = try TrackingStore(path: path)
        let versions = try store.versions(model: "m")
        #expect(versions.map(\.version) == Array(1...(2 * n)))
        #expect(Set(versions.compactMap(\.runID)).count == 2 * n)
        #expect(try store.searchRuns(experiment: "stress").count == 2 * n)
        #expect(try store.integrityProblems() == [])
        #expect(try store.history(model: "m").filter { $0.action == "register" }.count == 2 * n)
    }

    @Test func sigkillMidWriteLeavesConsistentWritableStore() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.plumb.path), "build the plumb executable first: \(Self.plumb.path)")
        let (dir, path) = try freshStorePath()
        let observer = try TrackingStore(path: path)
        let writer = try spawn(["runs", "stress", "--store", path, "--runs", "100000", "--register", "m"], in: dir)
        // Wait (bounded) until the writer is well into its loop, then kill it without warning.
        var seen = 0
        for _ in 0..<3_000 where writer.process.isRunning {
            seen = (try? observer.model("m").latestVersion) ?? 0
            if seen >= 5 { break }
            usleep(10_000)
        }
        #expect(writer.process.isRunning, "writer exited early: \(writer.errorText())")
        kill(writer.process.processIdentifier, SIGKILL)
        writer.process.waitUntilExit()
        #expect(writer.process.terminationReason == .uncaughtSignal)

        let store = try TrackingStore(path: path)
        #expect(try store.integrityProblems() == [])
        let versions = try store.versions(model: "m")
        #expect(versions.count >= 5)
        #expect(versions.map(\.version) == Array(1...versions.count))
        for v in versions { #expect(try store.readArtifact(v.artifactSHA256).count > 0) }
        // Still writable, in-process and by another process.
        let next = try registerVersion(store, model: "m", metrics: ["r2": 0.9])
        #expect(next.version == versions.count + 1)
        try store.setAlias(model: "m", alias: "champion", version: next.version)
        let again = try spawn(["runs", "stress", "--store", path, "--runs", "2", "--register", "m"], in: dir)
        again.process.waitUntilExit()
        #expect(again.process.terminationStatus == 0, "\(again.errorText())")
        #expect(try store.versions(model: "m").map(\.version) == Array(1...(versions.count + 3)))
        #expect(try store.integrityProblems() == [])
    }
}
