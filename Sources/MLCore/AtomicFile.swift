import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Atomic file replacement: readers see the old file or the new one, never a torn write.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path`,
    /// then fsyncs the folder so the rename survives a crash.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw ioError("cannot create \(tmp)") }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, base + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    close(fd)
                    throw ioError("cannot write \(tmp)")
                }
                off += n
            }
        }
        guard fsync(fd) == 0 else { close(fd); throw ioError("cannot fsync \(tmp)") }
        close(fd)
        guard rename(tmp, path) == 0 else { throw ioError("cannot rename \(tmp) to \(path)") }
        ok = true
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    private static func ioError(_ what: String) -> ModelFileError {
        ModelFileError(code: .io, message: "\(what): \(String(cString: strerror(errno)))")
    }
}
