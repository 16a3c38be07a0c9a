import CSnappy
import CZlib
import CZstd

/// The one place that calls snappy, zstd and zlib: their status codes become `ParquetError`s here.
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
        default:
            throw ParquetError(.unsupported, "compression codec \(codec) is not supported (none, snappy, gzip, zstd are)")
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
