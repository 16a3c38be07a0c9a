import Foundation

/// The attributes of one graph node by name, read with the type ONNX's operator schema gives
/// them; every error names the node and the attribute.
struct ONNXAttributes {
    let byName: [String: Onnx_AttributeProto]
    /// "node 'name' (OpType)" for messages.
    let node: String
    let source: String

    init(_ n: Onnx_NodeProto, source: String) {
        var map: [String: Onnx_AttributeProto] = [:]
        for a in n.attribute { map[a.name] = a }
        byName = map
        node = n.name.isEmpty ? n.opType : "node '\(n.name)' (\(n.opType))"
        self.source = source
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func fail(_ name: String, _ what: String) -> ONNXModelError {
        ONNXModelError(code: .malformed, message: "\(source): \(node), attribute \(name): \(what)")
    }

    /// A list of integers (`INTS`), nil when absent.
    func ints(_ name: String) throws -> [Int64]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .ints || a.type == .undefined else { throw fail(name, "is \(a.type), a list of integers (INTS) expected") }
        return a.ints
    }

    func requiredInts(_ name: String) throws -> [Int64] {
        guard let v = try ints(name) else { throw fail(name, "is missing") }
        return v
    }

    /// One string (`STRING`, UTF-8), nil when absent.
    func string(_ name: String) throws -> String? {
        guard let a = byName[name] else { return nil }
        guard a.type == .string || a.type == .undefined else { throw fail(name, "is \(a.type), a string expected") }
        return String(decoding: a.s, as: UTF8.self)
    }

    /// A list of strings (`STRINGS`), nil when absent.
    func strings(_ name: String) throws -> [String]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .strings || a.type == .undefined else { throw fail(name, "is \(a.type), a list of strings expected") }
        return a.strings.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Numbers given either as `name` (`FLOATS`) or as `name_as_tensor` (a float or double
    /// tensor): the values widened to Double and whether the file stored them as doubles. nil
    /// when neither is present.
    func numbers(_ name: String) throws -> (values: [Double], isDouble: Bool)? {
        let tensorName = name + "_as_tensor"
        switch (byName[name], byName[tensorName]) {
        case (nil, nil): return nil
        case (.some, .some): throw fail(name, "given both as \(name) and \(tensorName); one expected")
        case (let a?, nil):
            guard a.type == .floats || a.type == .undefined else { throw fail(name, "is \(a.type), a list of floats expected") }
            return (a.floats.map { Double($0) }, false)
        case (nil, let a?):
            guard a.hasT else { throw fail(tensorName, "is \(a.type), a tensor expected") }
            return try Self.tensorNumbers(a.t, what: "\(source): \(node), attribute \(tensorName)")
        }
    }

    /// A float or double tensor's values, from its typed field or its little-endian raw bytes.
    /// - Throws: the element type is neither, or the byte count or dims disagree with the values.
    static func tensorNumbers(_ t: Onnx_TensorProto, what: String) throws -> (values: [Double], isDouble: Bool) {
        let values: [Double]
        let isDouble: Bool
        switch t.dataType {
        case 1:
            isDouble = false
            if !t.rawData.isEmpty {
                guard t.rawData.count % 4 == 0 else {
                    throw ONNXModelError(code: .malformed, message: "\(what): raw_data holds \(t.rawData.count) bytes, not a whole number of 4-byte floats")
                }
                values = stride(from: 0, to: t.rawData.count, by: 4).map { i in
                    var bits: UInt32 = 0
                    for b in 0..<4 { bits |= UInt32(t.rawData[t.rawData.startIndex + i + b]) << (8 * b) }
                    return Double(Float(bitPattern: bits))
                }
            } else {
                values = t.floatData.map { Double($0) }
            }
        case 11:
            isDouble = true
            if !t.rawData.isEmpty {
                guard t.rawData.count % 8 == 0 else {
                    throw ONNXModelError(code: .malformed, message: "\(what): raw_data holds \(t.rawData.count) bytes, not a whole number of 8-byte doubles")
                }
                values = stride(from: 0, to: t.rawData.count, by: 8).map { i in
                    var bits: UInt64 = 0
                    for b in 0..<8 { bits |= UInt64(t.rawData[t.rawData.startIndex + i + b]) << (8 * b) }
                    return Double(bitPattern: bits)
                }
            } else {
                values = t.doubleData
            }
        default:
            throw ONNXModelError(code: .malformed, message: "\(what): tensor of element type \(t.dataType), float (1) or double (11) expected")
        }
        if !t.dims.isEmpty {
            let count = t.dims.reduce(Int64(1)) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard count == Int64(values.count) else {
                throw ONNXModelError(code: .malformed, message: "\(what): dims \(t.dims) hold \(count) values, the tensor has \(values.count)")
            }
        }
        return (values, isDouble)
    }
}

extension ONNXAttributes {
    /// A tensor attribute's integer values (uint8, int8, int32 or int64), nil when absent.
    func tensorIntegers(_ name: String) throws -> [Int64]? {
        guard let a = byName[name] else { return nil }
        guard a.hasT else { throw fail(name, "is \(a.type), a tensor expected") }
        let t = a.t
        let raw = [UInt8](t.rawData)
        switch t.dataType {
        case 2: return raw.isEmpty ? t.int32Data.map { Int64($0) } : raw.map { Int64($0) }
        case 3: return raw.isEmpty ? t.int32Data.map { Int64($0) } : raw.map { Int64(Int8(bitPattern: $0)) }
        case 6:
            guard raw.isEmpty else {
                guard raw.count % 4 == 0 else { throw fail(name, "raw_data of \(raw.count) bytes, not whole int32s") }
                return stride(from: 0, to: raw.count, by: 4).map { i in Int64(Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[i + $1]) << (8 * $1) })) }
            }
            return t.int32Data.map { Int64($0) }
        case 7:
            guard raw.isEmpty else {
                guard raw.count % 8 == 0 else { throw fail(name, "raw_data of \(raw.count) bytes, not whole int64s") }
                return stride(from: 0, to: raw.count, by: 8).map { i in Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[i + $1]) << (8 * $1) }) }
            }
            return t.int64Data
        default: throw fail(name, "tensor of element type \(t.dataType), an integer tensor (uint8, int8, int32, int64) expected")
        }
    }

    /// A tensor attribute's float or double values, nil when absent.
    func tensorNumbers(_ name: String) throws -> (values: [Double], isDouble: Bool)? {
        guard let a = byName[name] else { return nil }
        guard a.hasT else { throw fail(name, "is \(a.type), a tensor expected") }
        return try Self.tensorNumbers(a.t, what: "\(source): \(node), attribute \(name)")
    }
}
