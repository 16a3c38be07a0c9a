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
    /// True while every value is ASCII (then byte order and equality are `String`'s).
    private(set) var isASCII = true

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
        if isASCII {
            var high: UInt8 = 0
            for b in value { high |= b }
            isASCII = high < 0x80
        }
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

    /// Calls `body` with value `code`'s bytes.
    func withEntry<R>(_ code: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withUnsafeBytes { a in body(UnsafeRawBufferPointer(rebasing: a[starts[code] ..< starts[code + 1]])) }
    }

    /// The codes whose `include` flag is set, in byte order of their values (shorter first on a
    /// common prefix): sorted on each value's first 16 bytes, with a full compare only for ties.
    func sortedCodes(where include: [Bool]) -> [Int] {
        arena.withUnsafeBytes { bytes -> [Int] in
            func key(_ code: Int, from offset: Int) -> UInt64 {
                let s = starts[code] + offset, n = max(0, min(8, starts[code + 1] - s))
                var key: UInt64 = 0
                for k in 0 ..< n { key |= UInt64(bytes[s + k]) << UInt64(56 - 8 * k) }
                return key
            }
            var keys: [(high: UInt64, low: UInt64, code: Int)] = []
            keys.reserveCapacity(count)
            for code in 0 ..< count where include[code] { keys.append((key(code, from: 0), key(code, from: 8), code)) }
            keys.sort { a, b in
                if a.high != b.high { return a.high < b.high }
                if a.low != b.low { return a.low < b.low }
                let sa = starts[a.code], la = starts[a.code + 1] - sa
                let sb = starts[b.code], lb = starts[b.code + 1] - sb
                let n = min(la, lb)
                let c = n <= 16 ? 0 : memcmp(bytes.baseAddress! + sa + 16, bytes.baseAddress! + sb + 16, n - 16)
                return c != 0 ? c < 0 : la < lb
            }
            return keys.map(\.code)
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
