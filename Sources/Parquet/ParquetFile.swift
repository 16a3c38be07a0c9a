#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (`mmap`): column chunks are decompressed or copied
/// straight from the page cache, with no intermediate read buffer. The one place that turns
/// POSIX errors into `ParquetError`s.
///
/// Unchecked Sendable: it owns a read-only mapping, which no one writes and which is unmapped
/// only in `deinit`. (A file truncated by another process while mapped makes reads past its new
/// end fault; Plumb does not guard against concurrent truncation.)
final class ParquetFile: @unchecked Sendable {
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?
    /// Kept open for `copy(at:count:into:)`.
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
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            let e = errno
            close(fd)
            throw ParquetError(.io, "cannot map \(size) bytes: \(String(cString: strerror(e)))", file: path)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        close(fd)
    }

    /// Copies `count` bytes at `offset` into `destination` with `pread`: one copy from the page
    /// cache, without mapping the pages (used for uncompressed PLAIN doubles, which land in
    /// their rows as they are stored).
    /// - Throws: `.truncated` past the end of the file, `.io` on a read error.
    func copy(at offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws(ParquetError) {
        guard offset >= 0, count >= 0, count <= size, offset <= size - count else {
            throw ParquetError(.truncated, "\(count) bytes at offset \(offset) pass the end of the \(size)-byte file", file: path)
        }
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, count - done, off_t(offset + done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw ParquetError(.io, "read of \(count) bytes at offset \(offset) failed: \(String(cString: strerror(e)))", file: path)
            }
            if n == 0 { throw ParquetError(.truncated, "file ended at \(offset + done)", file: path) }
            done += n
        }
    }

    /// The `count` bytes at `offset`, valid while the file lives.
    /// - Throws: `.truncated` when the range passes the end of the file.
    func bytes(at offset: Int, count: Int) throws(ParquetError) -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, count <= size, offset <= size - count else {
            throw ParquetError(.truncated, "\(count) bytes at offset \(offset) pass the end of the \(size)-byte file", file: path)
        }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }

    /// Drops the mapped pages of a range from this process's memory once they have been decoded
    /// (MADV_DONTNEED: a later read maps them again from the page cache), so reading a file a
    /// row group at a time keeps only the current row group's pages resident. Best effort.
    func release(at offset: Int, count: Int) {
        guard let base, count > 0, offset >= 0, offset <= size - count else { return }
        let page = 4096
        let start = offset / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), offset + count - start, MADV_DONTNEED)
    }

    /// Maps the pages of a range in one call (MADV_POPULATE_READ) instead of one fault per
    /// 64 KB as it is read; each decoding thread does this for its own column chunk. Best effort.
    func prefault(at offset: Int, count: Int) {
        #if os(Linux)
        guard let base, count > 0, offset >= 0, offset <= size - count else { return }
        let page = 4096
        let start = offset / page * page
        let madvPopulateRead: Int32 = 22  // MADV_POPULATE_READ, Linux 5.14+; older kernels refuse it harmlessly
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), offset + count - start, madvPopulateRead)
        #endif
    }

    /// The bytes at `offset` as a new array.
    func read(at offset: Int, count: Int) throws(ParquetError) -> [UInt8] {
        Array(try bytes(at: offset, count: count))
    }
}

/// Physical memory of this machine in bytes (for refusing files that claim more rows than fit).
func physicalMemory() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    return pages > 0 && pageSize > 0 ? pages * pageSize : Int.max
}
