/// Reusable buffers of one decoding thread, one per purpose, grown on demand and never shrunk.
///
/// A pointer it hands out stays valid until the next request for the same slot; callers use it
/// within one page (or one chunk, for `.chunk`) and never share a `Scratch` between threads.
final class Scratch {
    enum Slot: Int, CaseIterable {
        /// A decompressed page.
        case page
        /// DELTA_BYTE_ARRAY prefix lengths.
        case prefixLengths
        /// DELTA_LENGTH_BYTE_ARRAY lengths.
        case lengths
        /// Definition levels of a page.
        case levels
        /// A page's non-null values before they are spread over the rows (Doubles or codes).
        case values
        /// Dictionary indices or other intermediate integers.
        case indices
        /// Values put back together from BYTE_STREAM_SPLIT.
        case unsplit
    }

    private var buffers: [UnsafeMutableRawBufferPointer]

    init() {
        buffers = Array(repeating: UnsafeMutableRawBufferPointer(start: nil, count: 0), count: Slot.allCases.count)
    }

    deinit {
        for b in buffers { b.deallocate() }
    }

    /// At least `byteCount` bytes (64-byte aligned) for `slot`; the contents are not kept.
    func raw(_ slot: Slot, _ byteCount: Int) -> UnsafeMutableRawBufferPointer {
        let current = buffers[slot.rawValue]
        if current.count >= byteCount && current.baseAddress != nil { return current }
        current.deallocate()
        // Grow by half again to avoid a reallocation per page when sizes creep up.
        let size = max(byteCount, current.count + current.count / 2, 64)
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        buffers[slot.rawValue] = fresh
        return fresh
    }

    func typed<T>(_ slot: Slot, _ count: Int, as: T.Type) -> UnsafeMutablePointer<T> {
        raw(slot, max(1, count) * MemoryLayout<T>.stride).baseAddress!.bindMemory(to: T.self, capacity: max(1, count))
    }

    func int64s(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Int64> { typed(slot, count, as: Int64.self) }
    func doubles(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Double> { typed(slot, count, as: Double.self) }
    func int32s(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Int32> { typed(slot, count, as: Int32.self) }
    func uint32s(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<UInt32> { typed(slot, count, as: UInt32.self) }
    func uint8s(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<UInt8> { typed(slot, count, as: UInt8.self) }
}
