import Foundation
import GRDB
import Tabular

extension TrackingStore {
    /// Root of the content-addressed artifact tree: `<store dir>/artifacts`.
    public var artifactsDirectory: URL { directory.appendingPathComponent("artifacts", isDirectory: true) }

    /// Path of the artifact with lower-case hex digest `sha256`: `<store dir>/artifacts/<first 2 hex>/<sha256>`.
    public func artifactPath(_ sha256: String) -> String {
        artifactsDirectory.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true)
            .appendingPathComponent(sha256).path
    }

    /// Stores `bytes` content-addressed and records it in the `artifacts` table.
    ///
    /// The file is written atomically: temp file in the same directory, `fsync`, `rename`, then
    /// `fsync` of the directory; a crash leaves either no file or the complete file. Storing the
    /// same bytes twice is a no-op.
    /// - Returns: lower-case hex SHA-256 of `bytes`.
    /// - Throws: `TrackingError` (`.io`) if the file cannot be written.
    @discardableResult
    public func putArtifact(_ bytes: Data) throws -> String {
        let sha = Tabular.SHA256.hex(bytes)
        let final = artifactPath(sha)
        let dir = (final as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: final) {
            try Self.atomicWrite(bytes, to: final, directory: dir)
        }
        try write("recording artifact \(sha)") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO artifacts(sha256, size, created_ms) VALUES (?, ?, ?)",
                           arguments: [sha, bytes.count, Self.nowMs()])
        }
        return sha
    }

    /// Reads the artifact `sha256` and verifies its digest.
    /// - Throws: `TrackingError` `.notFound` if absent, `.corruptArtifact` if the bytes on disk do
    ///   not hash to `sha256`.
    public func readArtifact(_ sha256: String) throws -> Data {
        let path = artifactPath(sha256)
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrackingError.notFound("artifact \(sha256): no file at \(path)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrackingError(code: .io, message: "artifact \(sha256): cannot read \(path) (\(error.localizedDescription))", underlying: error)
        }
        let actual = Tabular.SHA256.hex(data)
        guard actual == sha256 else {
            throw TrackingError(code: .corruptArtifact,
                                message: "artifact \(sha256): file \(path) is corrupt (its SHA-256 is \(actual))")
        }
        return data
    }

    /// Writes `bytes` to `path` via a temp file in `directory` + fsync + rename.
    static func atomicWrite(_ bytes: Data, to path: String, directory: String) throws {
        func ioError(_ what: String) -> TrackingError {
            TrackingError(code: .io, message: "\(path): cannot \(what) (errno \(errno): \(String(cString: strerror(errno))))")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TrackingError(code: .io, message: "\(directory): cannot create artifact directory", underlying: error)
        }
        let tmp = directory + "/.tmp-" + UUID().uuidString
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw ioError("create temp file \(tmp)") }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        let written: Bool = bytes.withUnsafeBytes { raw -> Bool in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = Foundation.write(fd, p, left)
                if n < 0 { if errno == EINTR { continue }; return false }
                left -= n
                p = p.advanced(by: n)
            }
            return true
        }
        guard written else { close(fd); throw ioError("write temp file") }
        guard fsync(fd) == 0 else { close(fd); throw ioError("fsync temp file") }
        close(fd)
        guard rename(tmp, path) == 0 else { throw ioError("rename temp file into place") }
        ok = true
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
