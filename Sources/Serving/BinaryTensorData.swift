// The Open Inference Protocol's binary tensor data extension (KServe / Triton
// "binary_tensor_data"): a request whose `Inference-Header-Content-Length: N` header is set holds
// N bytes of JSON, then the raw data of every input whose parameters carry
// `"binary_data_size": bytes`, in the order of `inputs`. Tensor data is little-endian, row-major,
// without padding; BOOL is one byte (0 or 1); a BYTES element is a 4-byte little-endian length
// followed by that many bytes. Outputs asked for with `"binary_data": true` (or the request's
// `"binary_data_output": true`) are answered the same way.
import HTTPTypes
import NIOCore

extension HTTPField.Name {
    /// `Inference-Header-Content-Length`: the length of the JSON part of a binary request or
    /// response. `init?` fails only for a name that is not an HTTP token, which this one is.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")
}

/// One input's elements, flattened row-major: as the JSON `data` held them, or decoded from the
/// request's binary part.
enum TensorData {
    case json([JSONValue])
    /// Numbers decoded from a fixed-size datatype (BOOL as 0 and 1); NaN stands for missing.
    case numbers([Double])
    /// BYTES elements decoded as UTF-8.
    case strings([String])

    var count: Int {
        switch self {
        case .json(let v): return v.count
        case .numbers(let v): return v.count
        case .strings(let v): return v.count
        }
    }
}

/// Reads the binary part of an infer request: the inputs' raw data, one input after another.
struct BinaryTensorReader {
    private var bytes: ByteBuffer

    init(_ bytes: ByteBuffer) { self.bytes = bytes }

    /// Bytes not yet taken by an input.
    var remaining: Int { bytes.readableBytes }

    /// Bytes per element of a fixed-size datatype; nil for BYTES or an unknown name.
    static func elementSize(_ datatype: String) -> Int? {
        switch datatype {
        case "BOOL", "INT8", "UINT8": return 1
        case "INT16", "UINT16", "FP16": return 2
        case "INT32", "UINT32", "FP32": return 4
        case "INT64", "UINT64", "FP64": return 8
        default: return nil
        }
    }

    /// Takes the next `size` bytes as input `name`'s `count` elements of `datatype`.
    /// - Throws: `OIPError` naming the input when the bytes run out, when `size` does not fit
    ///   `count` elements of the datatype, or for a BYTES element that is not UTF-8.
    mutating func take(size: Int, count: Int, datatype: String, input name: String) throws -> TensorData {
        guard size <= bytes.readableBytes else {
            throw PlumbServer.OIPError("input '\(name)': binary_data_size is \(size) bytes but only \(bytes.readableBytes) bytes of binary data remain after the earlier inputs")
        }
        guard var slice = bytes.readSlice(length: size) else {
            throw PlumbServer.OIPError("input '\(name)': could not read \(size) bytes of binary data")
        }
        if datatype == "BYTES" { return .strings(try Self.strings(&slice, count: count, input: name)) }
        guard let width = Self.elementSize(datatype) else {
            throw PlumbServer.OIPError("input '\(name)': datatype \(datatype) cannot be sent as binary data")
        }
        guard size == count * width else {
            throw PlumbServer.OIPError("input '\(name)': \(count) elements of \(datatype) take \(count * width) bytes, binary_data_size is \(size)")
        }
        var out = [Double]()
        out.reserveCapacity(count)
        for _ in 0..<count {
            guard let x = Self.readElement(&slice, datatype) else {
                throw PlumbServer.OIPError("input '\(name)': truncated \(datatype) data")
            }
            out.append(x)
        }
        return .numbers(out)
    }

    /// One little-endian element of a fixed-size datatype as a Double.
    static func readElement(_ b: inout ByteBuffer, _ datatype: String) -> Double? {
        switch datatype {
        case "BOOL": return b.readInteger(as: UInt8.self).map { $0 == 0 ? 0 : 1 }
        case "INT8": return b.readInteger(as: Int8.self).map(Double.init)
        case "UINT8": return b.readInteger(as: UInt8.self).map(Double.init)
        case "INT16": return b.readInteger(endianness: .little, as: Int16.self).map(Double.init)
        case "UINT16": return b.readInteger(endianness: .little, as: UInt16.self).map(Double.init)
        case "INT32": return b.readInteger(endianness: .little, as: Int32.self).map(Double.init)
        case "UINT32": return b.readInteger(endianness: .little, as: UInt32.self).map(Double.init)
        case "INT64": return b.readInteger(endianness: .little, as: Int64.self).map(Double.init)
        case "UINT64": return b.readInteger(endianness: .little, as: UInt64.self).map(Double.init)
        case "FP16": return b.readInteger(endianness: .little, as: UInt16.self).map { Double(Float16(bitPattern: $0)) }
        case "FP32": return b.readInteger(endianness: .little, as: UInt32.self).map { Double(Float(bitPattern: $0)) }
        case "FP64": return b.readInteger(endianness: .little, as: UInt64.self).map { Double(bitPattern: $0) }
        default: return nil
        }
    }

    /// `count` BYTES elements filling `slice` exactly.
    static func strings(_ slice: inout ByteBuffer, count: Int, input name: String) throws -> [String] {
        var out = [String]()
        out.reserveCapacity(count)
        while slice.readableBytes > 0 {
            let at = out.count
            guard let length = slice.readInteger(endianness: .little, as: UInt32.self) else {
                throw PlumbServer.OIPError("input '\(name)': BYTES element [\(at)] has a truncated 4-byte length")
            }
            guard Int(length) <= slice.readableBytes, let bytes = slice.readBytes(length: Int(length)) else {
                throw PlumbServer.OIPError("input '\(name)': BYTES element [\(at)] is \(length) bytes long but only \(slice.readableBytes) remain in its binary_data_size")
            }
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw PlumbServer.OIPError("input '\(name)': BYTES element [\(at)] is not valid UTF-8")
            }
            out.append(s)
        }
        guard out.count == count else {
            throw PlumbServer.OIPError("input '\(name)': its shape needs \(count) BYTES elements, its binary data holds \(out.count)")
        }
        return out
    }
}

/// Writes output tensors as binary data.
enum BinaryTensorWriter {
    /// FP64 values, little-endian.
    static func fp64(_ xs: [Double], into b: inout ByteBuffer) {
        b.reserveCapacity(minimumWritableBytes: xs.count * 8)
        for x in xs { b.writeInteger(x.bitPattern, endianness: .little) }
    }

    /// BYTES elements: each a 4-byte little-endian length, then its bytes.
    static func bytes(_ items: [[UInt8]], into b: inout ByteBuffer) {
        for item in items {
            b.writeInteger(UInt32(item.count), endianness: .little)
            b.writeBytes(item)
        }
    }

    /// Bytes `bytes(_:into:)` writes.
    static func byteCount(_ items: [[UInt8]]) -> Int { items.reduce(0) { $0 + 4 + $1.count } }
}
