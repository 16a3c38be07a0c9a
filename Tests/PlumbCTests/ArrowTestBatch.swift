import CArrowData
import Foundation

/// A record batch built by hand as the Arrow C Data Interface lays it out (a "+s" struct array
/// whose children are the columns), for calling the C ABI as pyarrow or Spark would. Owns every
/// allocation until deinit. `pad` puts that many junk values in front of each column and sets its
/// `offset`, as a sliced pyarrow array arrives.
final class ArrowTestBatch {
    enum Values {
        case float64([Double?])
        case float32([Float?])
        case int32([Int32?])
        case int64([Int64?])
        case bool([Bool?])
        case utf8([String?])
        case largeUTF8([String?])
        /// int8 indices into `dictionary` (utf8); nil = null.
        case dictionary(indices: [Int8?], dictionary: [String])
        /// A column with this format and no valid layout for it (an unsupported type).
        case unsupported(format: String, rows: Int)
    }

    let schema: UnsafeMutablePointer<ArrowSchema>
    let array: UnsafeMutablePointer<ArrowArray>
    private var allocations: [UnsafeMutableRawPointer] = []

    static let releaseSchema: @convention(c) (UnsafeMutablePointer<ArrowSchema>?) -> Void = { _ in }
    static let releaseArray: @convention(c) (UnsafeMutablePointer<ArrowArray>?) -> Void = { _ in }

    init(_ columns: [(name: String, values: Values)], rows: Int, pad: Int = 0) {
        schema = .allocate(capacity: 1)
        array = .allocate(capacity: 1)
        let childSchemas = UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>.allocate(capacity: max(1, columns.count))
        let childArrays = UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>.allocate(capacity: max(1, columns.count))
        allocations += [UnsafeMutableRawPointer(childSchemas), UnsafeMutableRawPointer(childArrays)]
        for (j, column) in columns.enumerated() {
            let (s, a) = makeColumn(column.name, column.values, pad: pad)
            childSchemas[j] = s
            childArrays[j] = a
        }
        let structBuffers = buffers([nil])
        schema.initialize(to: ArrowSchema(format: cString("+s"), name: cString(""), metadata: nil, flags: 0,
                                          n_children: Int64(columns.count), children: childSchemas, dictionary: nil,
                                          release: Self.releaseSchema, private_data: nil))
        array.initialize(to: ArrowArray(length: Int64(rows), null_count: 0, offset: 0, n_buffers: 1, n_children: Int64(columns.count),
                                        buffers: structBuffers, children: childArrays, dictionary: nil,
                                        release: Self.releaseArray, private_data: nil))
    }

    deinit {
        for p in allocations { free(p) }
        schema.deallocate()
        array.deallocate()
    }

    private func cString(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        allocations.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    private func bytes<T>(_ values: [T]) -> UnsafeRawPointer {
        let count = max(1, values.count * MemoryLayout<T>.stride)
        let p = malloc(count)!
        allocations.append(p)
        values.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        return UnsafeRawPointer(p)
    }

    private func buffers(_ list: [UnsafeRawPointer?]) -> UnsafeMutablePointer<UnsafeRawPointer?> {
        let p = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: max(1, list.count))
        for (i, b) in list.enumerated() { p[i] = b }
        allocations.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// Validity bitmap (nil when nothing is null) and the null count.
    private func validity(_ isValid: [Bool]) -> (UnsafeRawPointer?, Int64) {
        let nulls = isValid.filter { !$0 }.count
        if nulls == 0 { return (nil, 0) }
        var bits = [UInt8](repeating: 0, count: (isValid.count + 7) / 8)
        for (i, v) in isValid.enumerated() where v { bits[i >> 3] |= 1 << UInt8(i & 7) }
        return (bytes(bits), Int64(nulls))
    }

    private func bitmap(_ values: [Bool]) -> UnsafeRawPointer {
        var bits = [UInt8](repeating: 0, count: max(1, (values.count + 7) / 8))
        for (i, v) in values.enumerated() where v { bits[i >> 3] |= 1 << UInt8(i & 7) }
        return bytes(bits)
    }

    private func stringBuffers<O: FixedWidthInteger>(_ values: [String?], _: O.Type) -> (UnsafeRawPointer, UnsafeRawPointer) {
        var offsets: [O] = [0], data: [UInt8] = []
        for v in values {
            data += Array((v ?? "").utf8)
            offsets.append(O(data.count))
        }
        return (bytes(offsets), bytes(data))
    }

    private func node(_ format: String, _ name: String, length: Int, nulls: Int64, offset: Int, buffers list: [UnsafeRawPointer?],
                      dictionary: (UnsafeMutablePointer<ArrowSchema>, UnsafeMutablePointer<ArrowArray>)? = nil)
        -> (UnsafeMutablePointer<ArrowSchema>, UnsafeMutablePointer<ArrowArray>) {
        let s = UnsafeMutablePointer<ArrowSchema>.allocate(capacity: 1)
        let a = UnsafeMutablePointer<ArrowArray>.allocate(capacity: 1)
        allocations += [UnsafeMutableRawPointer(s), UnsafeMutableRawPointer(a)]
        s.initialize(to: ArrowSchema(format: cString(format), name: cString(name), metadata: nil, flags: 2, n_children: 0, children: nil,
                                     dictionary: dictionary?.0, release: Self.releaseSchema, private_data: nil))
        a.initialize(to: ArrowArray(length: Int64(length), null_count: nulls, offset: Int64(offset), n_buffers: Int64(list.count), n_children: 0,
                                    buffers: buffers(list), children: nil, dictionary: dictionary?.1,
                                    release: Self.releaseArray, private_data: nil))
        return (s, a)
    }

    private func makeColumn(_ name: String, _ values: Values, pad: Int) -> (UnsafeMutablePointer<ArrowSchema>, UnsafeMutablePointer<ArrowArray>) {
        func padded<T>(_ v: [T?], _ junk: T) -> [T?] { Array(repeating: junk, count: pad) + v }
        switch values {
        case .float64(let v):
            let p = padded(v, 999)
            let (bits, nulls) = validity(p.map { $0 != nil })
            return node("g", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bytes(p.map { $0 ?? 0 })])
        case .float32(let v):
            let p = padded(v, 999)
            let (bits, nulls) = validity(p.map { $0 != nil })
            return node("f", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bytes(p.map { $0 ?? 0 })])
        case .int32(let v):
            let p = padded(v, 999)
            let (bits, nulls) = validity(p.map { $0 != nil })
            return node("i", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bytes(p.map { $0 ?? 0 })])
        case .int64(let v):
            let p = padded(v, 999)
            let (bits, nulls) = validity(p.map { $0 != nil })
            return node("l", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bytes(p.map { $0 ?? 0 })])
        case .bool(let v):
            let p = padded(v, true)
            let (bits, nulls) = validity(p.map { $0 != nil })
            return node("b", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bitmap(p.map { $0 ?? false })])
        case .utf8(let v):
            let p = padded(v, "junk")
            let (bits, nulls) = validity(p.map { $0 != nil })
            let (offsets, data) = stringBuffers(p, Int32.self)
            return node("u", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, offsets, data])
        case .largeUTF8(let v):
            let p = padded(v, "junk")
            let (bits, nulls) = validity(p.map { $0 != nil })
            let (offsets, data) = stringBuffers(p, Int64.self)
            return node("U", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, offsets, data])
        case .dictionary(let indices, let dictionary):
            let p = padded(indices, 0)
            let (bits, nulls) = validity(p.map { $0 != nil })
            let (offsets, data) = stringBuffers(dictionary.map { Optional($0) }, Int32.self)
            let dict = node("u", "", length: dictionary.count, nulls: 0, offset: 0, buffers: [nil, offsets, data])
            return node("c", name, length: p.count - pad, nulls: nulls, offset: pad, buffers: [bits, bytes(p.map { $0 ?? 0 })], dictionary: dict)
        case .unsupported(let format, let rows):
            return node(format, name, length: rows, nulls: 0, offset: 0, buffers: [nil])
        }
    }
}
