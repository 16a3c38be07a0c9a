import CZlib

/// Reads one regular file out of a `.tar.gz` held in memory: gzip through the system zlib, then
/// ustar / GNU / pax tar headers (512-byte blocks). Just enough for a dataset archive: no writing,
/// no links, no sparse files. The one file that calls zlib; its status codes become `DatasetError`.
enum TarGzip {
    /// The bytes of the regular file `name` (e.g. `CaliforniaHousing/cal_housing.data`) in a `.tar.gz`.
    /// - Throws: `DatasetError` `.archive` (not gzip, corrupt or truncated), `.missingMember`.
    static func member(_ name: String, inTarGz gz: [UInt8]) throws -> [UInt8] {
        try member(name, inTar: gunzip(gz))
    }

    /// The decompressed bytes of a gzip stream (its first member; anything after it is ignored).
    /// - Throws: `DatasetError(.archive)` when the data is not gzip, is corrupt, or ends early.
    static func gunzip(_ gz: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a 32 KiB window, and expect a gzip header and trailer rather than zlib's.
        guard czlib_inflateInit2(&stream, 15 + 16) == Z_OK else {
            throw DatasetError(code: .archive, message: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(gz.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status = Z_OK
        gz.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while status == Z_OK {
                chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    out.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
                    stream.next_out = nil
                }
            }
            stream.next_in = nil
        }
        switch status {
        case Z_STREAM_END:
            return out
        case Z_BUF_ERROR:
            // No progress with all input consumed: the stream stops before its end.
            throw DatasetError(code: .archive, message: "gzip stream is truncated: it ends after \(gz.count) bytes, before its end marker (\(out.count) bytes inflated)")
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw DatasetError(code: .archive, message: "not a valid gzip stream (\(detail))")
        }
    }

    /// The bytes of the regular file `name` in an uncompressed tar archive. A leading `./` on
    /// either name is ignored; GNU long names (`L`) and pax `path` records override the header name.
    /// - Throws: `DatasetError` `.archive` (bad header or truncated), `.missingMember`.
    static func member(_ name: String, inTar tar: [UInt8]) throws -> [UInt8] {
        let wanted = normalized(name)
        var offset = 0
        var longName: String?   // from a GNU `L` or pax `x` entry; names the entry after it
        var names: [String] = []
        while true {
            guard offset + 512 <= tar.count else {
                throw DatasetError(code: .archive, message: "tar archive is truncated: it ends at byte \(tar.count), inside or before the header expected at byte \(offset)")
            }
            let header = tar[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }   // end-of-archive marker
            guard let stored = octal(header, 148, 8), stored == checksum(header) else {
                throw DatasetError(code: .archive, message: "tar header at byte \(offset) has a bad checksum; the archive is corrupt or not a tar file")
            }
            guard let size = octal(header, 124, 12) else {
                throw DatasetError(code: .archive, message: "tar header at byte \(offset) has an unreadable size field")
            }
            let start = offset + 512
            guard size <= tar.count - start else {
                throw DatasetError(code: .archive, message: "tar archive is truncated: \(headerName(header)) needs \(size) bytes from byte \(start) but the archive ends at byte \(tar.count)")
            }
            let data = tar[start..<(start + size)]
            offset = start + (size + 511) / 512 * 512
            switch header[header.startIndex + 156] {
            case UInt8(ascii: "L"):
                longName = cString(data)
            case UInt8(ascii: "x"):
                if let path = paxPath(data) { longName = path }
            case UInt8(ascii: "g"):
                break
            case let type:
                let path = longName ?? headerName(header)
                longName = nil
                names.append(path)
                let regular = type == 0 || type == UInt8(ascii: "0") || type == UInt8(ascii: "7")
                if regular, normalized(path) == wanted { return Array(data) }
            }
        }
        let listed = names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
        throw DatasetError(code: .missingMember, message: "tar archive has no file \(name) (it holds \(names.isEmpty ? "nothing" : listed))")
    }

    private static func normalized(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }

    /// name (bytes 0..<100), preceded by the POSIX ustar prefix (345..<500) when there is one.
    /// GNU's own format ("ustar  \0") uses those bytes for other fields, so only "ustar\0" counts.
    private static func headerName(_ header: ArraySlice<UInt8>) -> String {
        let b = header.startIndex
        let name = cString(header[b..<(b + 100)])
        let posix = header[(b + 257)..<(b + 263)].elementsEqual(Array("ustar\0".utf8))
        let prefix = posix ? cString(header[(b + 345)..<(b + 500)]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// The header's checksum: the sum of its bytes with the checksum field (148..<156) read as spaces.
    private static func checksum(_ header: ArraySlice<UInt8>) -> Int {
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(byte) }
        return sum
    }

    /// An octal field padded with spaces or NULs; nil when it holds anything else (for instance
    /// GNU's base-256 form for files of 8 GiB and more, which a dataset archive never needs).
    private static func octal(_ header: ArraySlice<UInt8>, _ at: Int, _ width: Int) -> Int? {
        let b = header.startIndex
        var value = 0, digits = 0
        for byte in header[(b + at)..<(b + at + width)] {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: " "), 0:
                if digits > 0 { return value }
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The `path` value of a pax extended header: records "LENGTH key=value\n".
    private static func paxPath(_ data: ArraySlice<UInt8>) -> String? {
        var i = data.startIndex
        while i < data.endIndex {
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[i..<space], as: UTF8.self)),
                  space < i + length, i + length <= data.endIndex else { return nil }
            let record = data[(space + 1)..<(i + length)].dropLast()   // drop the "\n"
            if let eq = record.firstIndex(of: UInt8(ascii: "=")), String(decoding: record[..<eq], as: UTF8.self) == "path" {
                return String(decoding: record[(eq + 1)...], as: UTF8.self)
            }
            i += length
        }
        return nil
    }
}
