/// The distinct byte strings of one column chunk, each with a dense local code in order of first
/// appearance: an open-addressing hash table over one byte arena, so reading a string value costs
/// a hash and a compare, not a `String` allocation. Strings are made once per distinct value.
struct ByteStringTable: Sendable {
    /// All distinct values back to back; value `i` is `arena[starts[i] ..< starts[i + 1]]`.
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Codes + 1 (0 = empty), capacity a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 16)

    var count: Int { starts.count - 1 }

    /// The value's code, adding it when new.
    mutating func intern(_ value: UnsafeRawBufferPointer) -> Int32 {
        let h = Self.hash(value)
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            let code = Int(s - 1)
            if hashes[code] == h && equals(code, value) { return Int32(code) }
            i = (i + 1) & mask
        }
        let code = Int32(count)
        arena.append(contentsOf: value)
        starts.append(arena.count)
        hashes.append(h)
        slots[i] = code + 1
        if count * 2 > slots.count {
            grow()
            mask = slots.count - 1
        }
        return code
    }

    /// Value `code` as a String (invalid UTF-8 is repaired with U+FFFD).
    func string(_ code: Int) -> String {
        arena.withUnsafeBufferPointer { a in
            String(decoding: UnsafeBufferPointer(rebasing: a[starts[code] ..< starts[code + 1]]), as: UTF8.self)
        }
    }

    private func equals(_ code: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        let start = starts[code], end = starts[code + 1]
        guard end - start == value.count else { return false }
        if value.isEmpty { return true }
        return arena.withUnsafeBytes { a in memcmp(a.baseAddress! + start, value.baseAddress!, value.count) == 0 }
    }

    private mutating func grow() {
        var fresh = [Int32](repeating: 0, count: slots.count * 2)
        let mask = fresh.count - 1
        for code in 0 ..< count {
            var i = Int(truncatingIfNeeded: hashes[code]) & mask
            while fresh[i] != 0 { i = (i + 1) & mask }
            fresh[i] = Int32(code + 1)
        }
        slots = fresh
    }

    /// FNV-1a over 8-byte words, then a final mix (fast enough; hostile collisions only cost time).
    static func hash(_ value: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(value.count)
        var i = 0
        let n = value.count
        while i + 8 <= n {
            h = (h ^ value.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
            h ^= h >> 29
            i += 8
        }
        while i < n {
            h = (h ^ UInt64(value[i])) &* 0x100_0000_01b3
            i += 1
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
