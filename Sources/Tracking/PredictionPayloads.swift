import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where logged batches keep their bulk: each request's inputs and predictions go once into an
/// append-only file next to the database (`<store>.db-predictions/`), and the batch's SQLite row
/// records the file, offset, length and a checksum.
///
/// A served 1,000-row request logs ~80 KB. As a SQLite blob those bytes were written three
/// times over (into the WAL, read back and written again by the checkpoint) and cost the server
/// more CPU than its JSON decoding; appended here they are written once.
///
/// Durability follows the store's: payloads are written before the rows that point at them,
/// and reach the disk first. With `syncEachAppend` every append ends with an `fdatasync`; a
/// server's store (background checkpoints) instead syncs the files just before each checkpoint
/// round (`sync()`), the moment its rows are made durable (WAL + synchronous=NORMAL) — syncing
/// on every append made the log writer wait on the disk more than the server could afford. A
/// payload lost anyway (an OS crash between the two syncs) fails its checksum when read: an
/// error naming the batch, never wrong inputs. A write that fails before its rows commit leaves
/// unreferenced bytes behind, never a dangling row.
/// Each writer (one per store object) appends to a file of its own, named at random, so servers
/// sharing a store never share a file; a file is closed past `rotateBytes` and a new one begun.
final class PredictionPayloadFiles: Sendable {
    /// The folder of the payload files.
    let directory: URL
    /// Size past which the current file is closed and the next append opens a new one.
    let rotateBytes: Int
    /// The file appends go to.
    private let current: Mutex<CurrentFile>

    /// Where one batch's payload is: `file` in `directory`, `length` bytes at `offset`.
    struct Place: Equatable {
        var file: String
        var offset: Int64
        var length: Int64
        var check: Int64
    }

    /// Whether each append syncs its bytes before returning (else `sync()` does).
    let syncEachAppend: Bool

    init(databasePath: String, rotateBytes: Int = 1 << 30, syncEachAppend: Bool = true) {
        directory = URL(fileURLWithPath: databasePath + "-predictions")
        self.rotateBytes = max(1, rotateBytes)
        self.syncEachAppend = syncEachAppend
        current = Mutex(CurrentFile(directory: directory))
    }

    deinit {
        current.withLock { f in
            if f.fd >= 0 {
                _ = fdatasync(f.fd)
                closeDescriptor(f.fd)
            }
        }
    }

    /// Makes every payload appended so far durable. The file is synced through a duplicate of
    /// its descriptor, outside the lock, so appends go on meanwhile.
    func sync() throws {
        let (copy, name, synced, from) = current.withLock { f in (f.fd >= 0 ? dup(f.fd) : -1, f.name, f.end, f.dropped) }
        guard copy >= 0 else { return }
        defer { closeDescriptor(copy) }
        if fdatasync(copy) != 0 {
            throw TrackingError(code: .io, message: "\(directory.appendingPathComponent(name).path): cannot sync the prediction log (\(String(cString: strerror(errno))))")
        }
        // The synced bytes leave the page cache: a server logging ~100 MB/s would otherwise
        // fill memory with log pages nobody rereads soon (evicting what others cache), and
        // writing into fresh pages costs more than into recycled ones (in one profile the
        // write's copy into the cache took 6.4% of the server's samples, against 0.7% with
        // pages recycled). Advice only: a failure changes nothing.
        guard synced > from else { return }
        _ = posix_fadvise(copy, off_t(from), off_t(synced - from), POSIX_FADV_DONTNEED)
        current.withLock { f in if f.name == name { f.dropped = max(f.dropped, synced) } }
    }

    /// Appends each batch's payload (its inputs, then its predictions, shadow predictions and a
    /// classifier's probabilities as little-endian doubles), synced when `syncEachAppend`;
    /// returns their places, in order.
    /// - Throws: `.io` naming the file when it cannot be created, written or synced.
    func append(_ batches: [PredictionBatchRecord]) throws -> [Place] {
        try current.withLock { f in
            if f.fd < 0 || f.end >= rotateBytes { try f.openNext() }
            var places: [Place] = []
            places.reserveCapacity(batches.count)
            let start = f.end
            for b in batches {
                let length = b.inputs.count + 8 * b.predictions.count * (b.shadowPredictions == nil ? 1 : 2) + 8 * (b.probabilities?.count ?? 0)
                places.append(Place(file: f.name, offset: Int64(f.end), length: Int64(length), check: Int64(bitPattern: Self.checksum(of: b))))
                try f.write(b.inputs)
                try f.write(Self.littleEndian(b.predictions))
                if let s = b.shadowPredictions { try f.write(Self.littleEndian(s)) }
                if let p = b.probabilities { try f.write(Self.littleEndian(p)) }
            }
            if syncEachAppend, f.end > start {
                if fdatasync(f.fd) != 0 { throw f.failure("cannot sync \(f.end - start) bytes") }
                _ = posix_fadvise(f.fd, off_t(start), off_t(f.end - start), POSIX_FADV_DONTNEED)
            }
            return places
        }
    }

    /// The file being appended to (no descriptor before the first append).
    private struct CurrentFile {
        let directory: URL
        var fd: Int32 = -1
        var name = ""
        var end = 0
        /// Bytes of the file already synced and let go from the page cache.
        var dropped = 0

        init(directory: URL) { self.directory = directory }

        mutating func openNext() throws {
            if fd >= 0 {
                // The full file's last bytes reach the disk before it is let go.
                if fdatasync(fd) != 0 { throw failure("cannot sync") }
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                closeDescriptor(fd)
                fd = -1
            }
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw TrackingError(code: .io, message: "\(directory.path): cannot create the prediction log folder (\(error.localizedDescription))", underlying: error)
            }
            let stamp = Int64(Date().timeIntervalSince1970 * 1000)
            name = "\(stamp)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).bin"
            let path = directory.appendingPathComponent(name).path
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw TrackingError(code: .io, message: "\(path): cannot create (\(String(cString: strerror(errno))))") }
            end = 0
            dropped = 0
        }

        /// Writes `values` at the end of the file. After a failure the bytes written so far stay,
        /// unreferenced, and the next append starts past them.
        mutating func write<T: BitwiseCopyable>(_ values: [T]) throws {
            try values.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(end))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw failure("cannot write \(raw.count - done) bytes") }
                    done += n
                    end += n
                }
            }
        }

        func failure(_ what: String) -> TrackingError {
            let reason = String(cString: strerror(errno))
            return TrackingError(code: .io, message: "\(directory.appendingPathComponent(name).path): \(what) of the prediction log (\(reason))")
        }
    }

    /// Reads payloads back for one query, keeping each file it opens until `close()`.
    final class Reader {
        let directory: URL
        private var files: [String: Int32] = [:]

        init(directory: URL) { self.directory = directory }
        deinit { close() }

        func close() {
            for fd in files.values { closeDescriptor(fd) }
            files = [:]
        }

        /// The payload at `place`, its length and checksum verified.
        /// - Throws: `.database` naming the batch and file when it is missing, short or damaged.
        func read(_ place: Place, batch: String) throws -> [UInt8] {
            let path = directory.appendingPathComponent(place.file).path
            func damaged(_ why: String) -> TrackingError {
                TrackingError(code: .database, message: "prediction batch \(batch): its inputs and predictions (\(place.length) bytes at offset \(place.offset) of \(path)) \(why)")
            }
            guard !place.file.contains("/"), place.offset >= 0, place.length >= 0 else { throw damaged("are recorded with an invalid place") }
            var fd = files[place.file] ?? -1
            if fd < 0 {
                fd = openForReading(path)
                guard fd >= 0 else { throw damaged("cannot be read: \(String(cString: strerror(errno)))") }
                files[place.file] = fd
            }
            let bytes = try [UInt8](unsafeUninitializedCapacity: Int(place.length)) { buffer, count in
                var done = 0
                while done < buffer.count {
                    let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(place.offset) + off_t(done))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw damaged(n == 0 ? "are cut short: the file ends first" : "cannot be read: \(String(cString: strerror(errno)))") }
                    done += n
                }
                count = done
            }
            guard place.check == Int64(bitPattern: bytes.withUnsafeBytes { PredictionPayloadFiles.checksum($0) }) else {
                throw damaged("are damaged: checksum mismatch")
            }
            return bytes
        }
    }

    // MARK: - Checksum

    /// A 64-bit checksum of a batch's payload as `append` writes it.
    static func checksum(of b: PredictionBatchRecord) -> UInt64 {
        var h = Hasher64()
        b.inputs.withUnsafeBytes { h.add($0) }
        littleEndian(b.predictions).withUnsafeBytes { h.add($0) }
        b.shadowPredictions.map(littleEndian)?.withUnsafeBytes { h.add($0) }
        b.probabilities.map(littleEndian)?.withUnsafeBytes { h.add($0) }
        return h.finish()
    }

    /// `values` whose bytes in memory are their little-endian encodings (the array itself on a
    /// little-endian machine).
    static func littleEndian(_ values: [Double]) -> [Double] {
        if 1.littleEndian == 1 { return values }
        return values.map { Double(bitPattern: $0.bitPattern.littleEndian) }
    }

    /// The same checksum over the payload's bytes read back in one piece.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = Hasher64()
        h.add(bytes)
        return h.finish()
    }

    /// A fast checksum for torn or lost writes (not a cryptographic hash): the bytes as a stream
    /// of little-endian 64-bit words over four independent multiply–xorshift lanes, so a few
    /// bytes' difference, a missing tail or zeros in place of data all change it. Fed in pieces
    /// of any length, it gives what the concatenation gives.
    struct Hasher64 {
        private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344,
                                                                0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
        private var words = 0
        private var pending: UInt64 = 0
        private var pendingBytes = 0
        private var total = 0
        private static let k: UInt64 = 0x9E37_79B9_7F4A_7C15

        @inline(__always)
        private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = (h ^ w) &* k
            return x ^ (x >> 29)
        }

        @inline(__always)
        private mutating func word(_ w: UInt64) {
            switch words & 3 {
            case 0: lanes.0 = Self.mix(lanes.0, w)
            case 1: lanes.1 = Self.mix(lanes.1, w)
            case 2: lanes.2 = Self.mix(lanes.2, w)
            default: lanes.3 = Self.mix(lanes.3, w)
            }
            words &+= 1
        }

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            let n = bytes.count
            total += n
            var i = 0
            // Finish a word begun by an earlier piece.
            while pendingBytes > 0 && i < n {
                pending |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(pendingBytes))
                pendingBytes += 1
                i += 1
                if pendingBytes == 8 { word(pending); pending = 0; pendingBytes = 0 }
            }
            // Whole groups of four words, lane by lane in step.
            if words & 3 == 0 {
                var (a, b, c, d) = lanes
                while i + 32 <= n {
                    a = Self.mix(a, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    b = Self.mix(b, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)))
                    c = Self.mix(c, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)))
                    d = Self.mix(d, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)))
                    i += 32
                    words &+= 4
                }
                lanes = (a, b, c, d)
            }
            while i + 8 <= n {
                word(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                i += 8
            }
            while i < n {
                pending |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(pendingBytes))
                pendingBytes += 1
                i += 1
            }
        }

        func finish() -> UInt64 {
            var copy = self
            if copy.pendingBytes > 0 { copy.word(copy.pending) }
            var h = UInt64(total) &* Self.k
            h = Self.mix(h, copy.lanes.0)
            h = Self.mix(h, copy.lanes.1)
            h = Self.mix(h, copy.lanes.2)
            h = Self.mix(h, copy.lanes.3)
            return h
        }
    }
}

// Free functions: inside the types, `close` and `open` would name their own members.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
private func openForReading(_ path: String) -> Int32 { open(path, O_RDONLY | O_CLOEXEC) }
