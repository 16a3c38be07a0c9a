#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file read with `pread` (thread-safe: no shared file position). The one place that
/// turns POSIX errors into `ParquetError`s.
final class ParquetFile: Sendable {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws(ParquetError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw ParquetError(.io, "cannot open: \(String(cString: strerror(e)))", file: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw ParquetError(.io, "cannot stat: \(String(cString: strerror(e)))", file: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ParquetError(.io, "not a regular file", file: path)
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Fills `buffer` with the bytes at `offset`.
    /// - Throws: `.truncated` when the range passes the end of the file, `.io` on a read error.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        guard offset >= 0, buffer.count <= size, offset <= size - buffer.count else {
            throw ParquetError(.truncated, "\(buffer.count) bytes at offset \(offset) pass the end of the \(size)-byte file", file: path)
        }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw ParquetError(.io, "read of \(buffer.count) bytes at offset \(offset) failed: \(String(cString: strerror(e)))", file: path)
            }
            if n == 0 {
                throw ParquetError(.truncated, "file ended at \(offset + done) while reading \(buffer.count) bytes at offset \(offset)", file: path)
            }
            done += n
        }
    }

    /// The bytes at `offset` as a new array.
    func read(at offset: Int, count: Int) throws(ParquetError) -> [UInt8] {
        guard count >= 0, count <= size else {
            throw ParquetError(.truncated, "\(count) bytes at offset \(offset) pass the end of the \(size)-byte file", file: path)
        }
        var result: Result<Void, ParquetError> = .success(())
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(ParquetError) {
                try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch {
                result = .failure(error)
                initialized = 0
            }
        }
        try result.get()
        return bytes
    }
}

/// Physical memory of this machine in bytes (for refusing files that claim more rows than fit).
func physicalMemory() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    return pages > 0 && pageSize > 0 ? pages * pageSize : Int.max
}
