import CLz4
import CSnappy
import CZlib
import CZstd

/// The one place that calls snappy, zstd, LZ4 and zlib: their status codes become `ParquetError`s here.
enum Codec {
    /// Decompresses `input` into exactly `output.count` bytes.
    /// - Throws: `.corrupt` when the data does not decompress to exactly that size.
    static func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                           into output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        switch codec {
        case .uncompressed:
            guard input.count == output.count else {
                throw ParquetError(.corrupt, "uncompressed page holds \(input.count) bytes, header says \(output.count)")
            }
            if !input.isEmpty { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: input.count) }
        case .snappy: try snappy(input, output)
        case .zstd: try zstd(input, output)
        case .gzip: try gzip(input, output)
        case .lz4Raw: try lz4Block(input, output)
        case .lz4: try lz4Hadoop(input, output)
        default:
            throw ParquetError(.unsupported, "compression codec \(codec) is not supported (none, snappy, gzip, zstd, lz4 are)")
        }
    }

    /// LZ4_RAW: one LZ4 block.
    private static func lz4Block(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        guard input.count <= Int(Int32.max), output.count <= Int(Int32.max) else { throw ParquetError(.corrupt, "lz4: block over 2 GiB") }
        if output.isEmpty && input.count <= 1 { return }
        guard let src = input.baseAddress, let dst = output.baseAddress else { throw ParquetError(.corrupt, "lz4: empty block") }
        let n = LZ4_decompress_safe(src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                                    Int32(input.count), Int32(output.count))
        guard n == Int32(output.count) else {
            throw ParquetError(.corrupt, n < 0 ? "lz4: corrupt block" : "lz4: block holds \(n) bytes, page header says \(output.count)")
        }
    }

    /// The deprecated LZ4 codec: Hadoop's framing (big-endian uncompressed and compressed sizes
    /// before each block), or a bare block as some writers produced; parquet-cpp accepts both.
    private static func lz4Hadoop(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        var inOffset = 0, outOffset = 0
        func bigEndian(_ p: Int) -> Int { Int(UInt32(bigEndian: input.loadUnaligned(fromByteOffset: p, as: UInt32.self))) }
        var framed = true
        while inOffset < input.count {
            guard input.count - inOffset >= 8 else { framed = false; break }
            let expanded = bigEndian(inOffset), compressed = bigEndian(inOffset + 4)
            guard compressed <= input.count - inOffset - 8, expanded <= output.count - outOffset else { framed = false; break }
            let block = UnsafeRawBufferPointer(rebasing: input[inOffset + 8 ..< inOffset + 8 + compressed])
            let into = UnsafeMutableRawBufferPointer(rebasing: output[outOffset ..< outOffset + expanded])
            do throws(ParquetError) { try lz4Block(block, into) } catch { framed = false; break }
            inOffset += 8 + compressed
            outOffset += expanded
        }
        if framed && outOffset == output.count { return }
        try lz4Block(input, output)
    }

    /// An LZ4 frame (Arrow IPC's LZ4_FRAME buffers) into exactly `output.count` bytes.
    static func lz4Frame(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw ParquetError(.io, "lz4: cannot create a decompression context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var inOffset = 0, outOffset = 0
        var spare: UInt8 = 0
        while inOffset < input.count {
            var inSize = input.count - inOffset
            var outSize = output.count - outOffset
            let status = withUnsafeMutablePointer(to: &spare) { spare in
                LZ4F_decompress(context, outSize > 0 ? output.baseAddress! + outOffset : UnsafeMutableRawPointer(spare), &outSize,
                                input.baseAddress! + inOffset, &inSize, nil)
            }
            if LZ4F_isError(status) != 0 { throw ParquetError(.corrupt, "lz4: \(String(cString: LZ4F_getErrorName(status)))") }
            if inSize == 0 && outSize == 0 { throw ParquetError(.corrupt, "lz4: frame holds more than \(output.count) bytes") }
            inOffset += inSize
            outOffset += outSize
            if status == 0 { break }  // end of frame
        }
        guard outOffset == output.count else {
            throw ParquetError(.corrupt, "lz4: frame holds \(outOffset) bytes, expected \(output.count)")
        }
    }

    private static func snappy(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        guard let src = input.baseAddress?.assumingMemoryBound(to: CChar.self) else {
            throw ParquetError(.corrupt, "snappy: empty input")
        }
        var length = 0
        guard snappy_uncompressed_length(src, input.count, &length) == SNAPPY_OK else {
            throw ParquetError(.corrupt, "snappy: bad stream header")
        }
        guard length == output.count else {
            throw ParquetError(.corrupt, "snappy: stream holds \(length) bytes, page header says \(output.count)")
        }
        if length == 0 { return }
        var outLength = output.count
        let status = snappy_uncompress(src, input.count, output.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
        guard status == SNAPPY_OK, outLength == output.count else {
            throw ParquetError(.corrupt, "snappy: corrupt compressed data (status \(status.rawValue))")
        }
    }

    private static func zstd(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        guard let src = input.baseAddress, !input.isEmpty else {
            throw ParquetError(.corrupt, "zstd: empty input")
        }
        // ZSTD_decompress handles several concatenated frames and never writes past `output`.
        let dst = output.baseAddress ?? UnsafeMutableRawPointer(mutating: src)
        let n = ZSTD_decompress(dst, output.count, src, input.count)
        if ZSTD_isError(n) != 0 {
            let name = String(cString: ZSTD_getErrorName(n))
            throw ParquetError(.corrupt, "zstd: \(name)")
        }
        guard n == output.count else {
            throw ParquetError(.corrupt, "zstd: data holds \(n) bytes, page header says \(output.count)")
        }
    }

    /// GZIP (RFC 1952) as Parquet defines it; zlib with window bits 15 + 32 also accepts a bare
    /// zlib stream, which some old writers produced. Page sizes are 32-bit, so one call suffices.
    private static func gzip(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(ParquetError) {
        guard let src = input.baseAddress, !input.isEmpty, input.count <= Int(UInt32.max), output.count <= Int(UInt32.max) else {
            throw ParquetError(.corrupt, "gzip: empty or oversized input")
        }
        var stream = z_stream()
        guard czlib_inflateInit2(&stream, 15 + 32) == Z_OK else { throw ParquetError(.io, "gzip: inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var spare: UInt8 = 0
        try withUnsafeMutablePointer(to: &spare) { (spare) throws(ParquetError) in
            stream.next_in = UnsafeMutablePointer(mutating: src.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? spare
            stream.avail_out = uInt(output.count)
            while true {
                let status = inflate(&stream, Z_FINISH)
                if status == Z_STREAM_END {
                    // Concatenated gzip members: go on with the next while input and room remain.
                    if stream.avail_in > 0 && stream.avail_out > 0 {
                        guard inflateReset(&stream) == Z_OK else { throw ParquetError(.corrupt, "gzip: cannot reset stream") }
                        continue
                    }
                    return
                }
                if status == Z_BUF_ERROR && stream.avail_out == 0 {
                    throw ParquetError(.corrupt, "gzip: data holds more than the \(output.count) bytes the page header says")
                }
                if status == Z_BUF_ERROR {
                    throw ParquetError(.corrupt, "gzip: compressed data ends early")
                }
                throw ParquetError(.corrupt, "gzip: corrupt compressed data (zlib status \(status))")
            }
        }
        let produced = output.count - Int(stream.avail_out)
        guard produced == output.count else {
            throw ParquetError(.corrupt, "gzip: data holds \(produced) bytes, page header says \(output.count)")
        }
    }

    /// Compresses `input` and appends the result to `output`; returns the number of bytes appended.
    static func compress(_ codec: ParquetWriter.Compression, _ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) -> Int {
        let start = output.count
        guard let source = input.baseAddress, !input.isEmpty else {
            // Nothing to compress: snappy's empty stream is its length varint 0; zstd's frame
            // for no bytes comes from a call with no source.
            switch codec {
            case .none: break
            case .snappy: output.append(0)
            case .zstd(let level):
                var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(0))
                let n = frame.withUnsafeMutableBytes { ZSTD_compress($0.baseAddress, $0.count, nil, 0, Int32(level)) }
                precondition(ZSTD_isError(n) == 0, "ZSTD_compress of no bytes failed")
                output.append(contentsOf: frame[0 ..< n])
            }
            return output.count - start
        }
        switch codec {
        case .none:
            output.append(contentsOf: input)
        case .snappy:
            let bound = snappy_max_compressed_length(input.count)
            output.append(contentsOf: repeatElement(0, count: bound))
            var length = bound
            let status = output.withUnsafeMutableBytes { out in
                snappy_compress(source.assumingMemoryBound(to: CChar.self), input.count,
                                out.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self), &length)
            }
            precondition(status == SNAPPY_OK, "snappy_compress failed with a buffer of snappy_max_compressed_length")
            output.removeLast(bound - length)
        case .zstd(let level):
            let bound = ZSTD_compressBound(input.count)
            output.append(contentsOf: repeatElement(0, count: bound))
            let n = output.withUnsafeMutableBytes { out in
                ZSTD_compress(out.baseAddress!.advanced(by: start), bound, source, input.count, Int32(level))
            }
            precondition(ZSTD_isError(n) == 0, "ZSTD_compress failed with a buffer of ZSTD_compressBound")
            output.removeLast(bound - n)
        }
        return output.count - start
    }
}
