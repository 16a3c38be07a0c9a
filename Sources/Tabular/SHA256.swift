import CTabularKernels
import Foundation

/// SHA-256 (FIPS 180-4), used for dataset digests, model-file checksums and content-addressed
/// artifacts. Needs no crypto library: the block compression is C (`CTabularKernels`), with the
/// x86 SHA extensions where the CPU has them (hashing a large training file is then a small part
/// of reading it).
public struct SHA256: Sendable {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    /// Always the plain C compression (tests compare the two).
    private let portable: Bool

    public init() { portable = false }

    init(portable: Bool) { self.portable = portable }

    public mutating func update<C: Collection>(_ data: C) where C.Element == UInt8 {
        if data.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
            let copy = Array(data)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Hashes whole blocks straight from `data`; only a partial block is buffered.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        length &+= UInt64(data.count)
        var off = 0
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, data.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            off = take
            guard buffer.count == 64 else { return }
            buffer.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
            buffer.removeAll(keepingCapacity: true)
        }
        let blocks = (data.count - off) / 64
        if blocks > 0 { compress(base + off, blocks: blocks); off += 64 * blocks }
        if off < data.count { buffer.append(contentsOf: UnsafeRawBufferPointer(start: base + off, count: data.count - off)) }
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (buffer.count + tail.count) % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let saved = length
        update(tail)
        length = saved
        var out: [UInt8] = []
        for w in state {
            out += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)]
        }
        return out
    }

    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        let portable = self.portable
        state.withUnsafeMutableBufferPointer { s in
            if portable {
                plumb_sha256_blocks_portable(s.baseAddress!, bytes, blocks)
            } else {
                plumb_sha256_blocks(s.baseAddress!, bytes, blocks)
            }
        }
    }

    /// Digest of `data` as 32 bytes.
    public static func digest<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        var s = SHA256()
        s.update(data)
        return s.finalize()
    }

    /// Lower-case hex digest of `data`.
    public static func hex<C: Collection>(_ data: C) -> String where C.Element == UInt8 {
        hexString(digest(data))
    }

    /// Lower-case hex of `bytes`.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex digest of the file at `path`, read in 1 MiB chunks.
    public static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TabularError(code: .io, message: "\(path): cannot open for reading")
        }
        defer { try? handle.close() }
        var s = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { s.update(chunk) }
        return hexString(s.finalize())
    }
}
