// The C ABI of libPlumbC.so, declared for callers in include/plumb.h (which documents every
// function). Each function returns a status (0 = PLUMB_OK, else a `PlumbCError.Code`) and, on
// failure, writes a NUL-terminated message into the caller's `err` buffer (truncated to
// `err_len` bytes; `err` may be NULL). No function traps on bad arguments or bad data.
import CArrowData
import Foundation
import MLCore
import Pipeline
import Tabular

/// The library's version (the Plumb release whose model files it reads).
@_cdecl("plumb_version")
public func plumb_version() -> UnsafePointer<CChar> {
    PlumbVersion.text
}

enum PlumbVersion {
    /// A static C string: the address stays valid for the life of the process.
    nonisolated(unsafe) static let text = UnsafePointer(makeCString(Trainer.plumbVersion))
}

@_cdecl("plumb_model_open")
public func plumb_model_open(_ reference: UnsafePointer<CChar>?, _ store: UnsafePointer<CChar>?,
                             _ out: UnsafeMutablePointer<OpaquePointer?>?,
                             _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        guard let out else { throw PlumbCError(.argument, "plumb_model_open: out is NULL") }
        out.pointee = nil
        guard let reference else { throw PlumbCError(.argument, "plumb_model_open: model path or URI is NULL") }
        let model = try PlumbModel.open(String(cString: reference), storePath: store.map { String(cString: $0) })
        out.pointee = OpaquePointer(Unmanaged.passRetained(model).toOpaque())
    }
}

@_cdecl("plumb_model_free")
public func plumb_model_free(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<PlumbModel>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("plumb_model_info")
public func plumb_model_info(_ model: OpaquePointer?, _ task: UnsafeMutablePointer<Int32>?,
                             _ features: UnsafeMutablePointer<Int64>?, _ outputs: UnsafeMutablePointer<Int64>?,
                             _ classes: UnsafeMutablePointer<Int64>?,
                             _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_model_info")
        task?.pointee = m.classes == nil ? 0 : (m.classes?.count == 2 && m.located.model.header.resolvedTask == .binary ? 1 : 2)
        features?.pointee = Int64(m.features.count)
        outputs?.pointee = Int64(m.outputCount)
        classes?.pointee = Int64(m.classes?.count ?? 0)
    }
}

@_cdecl("plumb_model_identity")
public func plumb_model_identity(_ model: OpaquePointer?, _ field: Int32, _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                 _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_model_identity")
        guard let text else { throw PlumbCError(.argument, "plumb_model_identity: text is NULL") }
        guard (0 ..< 6).contains(field) else { throw PlumbCError(.argument, "plumb_model_identity: field \(field) is not one of 0…5") }
        text.pointee = m.identity(Int(field))
    }
}

@_cdecl("plumb_model_feature")
public func plumb_model_feature(_ model: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                _ kind: UnsafeMutablePointer<Int32>?,
                                _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_model_feature")
        guard index >= 0, index < Int64(m.features.count) else {
            throw PlumbCError(.argument, "plumb_model_feature: index \(index) outside 0..<\(m.features.count)")
        }
        name?.pointee = m.featureName(Int(index))
        kind?.pointee = m.features[Int(index)].kind == .numeric ? 0 : 1
    }
}

@_cdecl("plumb_model_output")
public func plumb_model_output(_ model: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                               _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_model_output")
        guard index >= 0, index < Int64(m.outputCount) else {
            throw PlumbCError(.argument, "plumb_model_output: index \(index) outside 0..<\(m.outputCount)")
        }
        name?.pointee = m.outputName(Int(index))
    }
}

@_cdecl("plumb_model_class")
public func plumb_model_class(_ model: OpaquePointer?, _ index: Int64, _ label: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                              _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_model_class")
        let count = m.classes?.count ?? 0
        guard index >= 0, index < Int64(count) else {
            throw PlumbCError(.argument, count == 0 ? "plumb_model_class: the model is a regression, it has no classes"
                                                    : "plumb_model_class: index \(index) outside 0..<\(count)")
        }
        label?.pointee = m.classLabel(Int(index))
    }
}

@_cdecl("plumb_predict_arrow")
public func plumb_predict_arrow(_ model: OpaquePointer?, _ schema: UnsafePointer<ArrowSchema>?, _ array: UnsafePointer<ArrowArray>?,
                                _ threads: Int32, _ out: UnsafeMutablePointer<Double>?, _ outLen: Int64,
                                _ rows: UnsafeMutablePointer<Int64>?, _ unseen: UnsafeMutablePointer<Int64>?,
                                _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        rows?.pointee = 0
        unseen?.pointee = 0
        let m = try handle(model, "plumb_predict_arrow")
        guard let schema, let array else { throw PlumbCError(.argument, "plumb_predict_arrow: schema or array is NULL") }
        let buffer = try outputBuffer(out, outLen, "plumb_predict_arrow")
        let (n, u) = try m.predict(schema: schema, array: array, threads: try threadCount(threads), into: buffer)
        rows?.pointee = Int64(n)
        unseen?.pointee = Int64(u)
    }
}

@_cdecl("plumb_predict_dense")
public func plumb_predict_dense(_ model: OpaquePointer?, _ values: UnsafePointer<Double>?, _ rowCount: Int64, _ columns: Int64,
                                _ threads: Int32, _ out: UnsafeMutablePointer<Double>?, _ outLen: Int64,
                                _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> Int32 {
    reporting(err, errLen) { () throws(PlumbCError) in
        let m = try handle(model, "plumb_predict_dense")
        guard rowCount >= 0, columns >= 0 else { throw PlumbCError(.argument, "plumb_predict_dense: \(rowCount) rows × \(columns) columns") }
        let (cells, overflow) = Int(rowCount).multipliedReportingOverflow(by: Int(columns))
        guard !overflow else { throw PlumbCError(.argument, "plumb_predict_dense: \(rowCount) × \(columns) values overflow") }
        guard let values = values ?? (cells == 0 ? UnsafePointer(bitPattern: 8) : nil) else {
            throw PlumbCError(.argument, "plumb_predict_dense: values is NULL")
        }
        let buffer = try outputBuffer(out, outLen, "plumb_predict_dense")
        _ = try m.predict(rowMajor: UnsafeBufferPointer(start: values, count: cells), rows: Int(rowCount), columns: Int(columns),
                          threads: try threadCount(threads), into: buffer)
    }
}

// MARK: - Helpers

/// The model behind a handle.
private func handle(_ p: OpaquePointer?, _ function: String) throws(PlumbCError) -> PlumbModel {
    guard let p else { throw PlumbCError(.argument, "\(function): model is NULL") }
    return Unmanaged<PlumbModel>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

private func outputBuffer(_ out: UnsafeMutablePointer<Double>?, _ count: Int64, _ function: String) throws(PlumbCError) -> UnsafeMutableBufferPointer<Double> {
    guard count >= 0 else { throw PlumbCError(.argument, "\(function): out_len \(count) is negative") }
    guard let out else {
        if count == 0 { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        throw PlumbCError(.argument, "\(function): out is NULL")
    }
    return UnsafeMutableBufferPointer(start: out, count: Int(count))
}

/// 0: the model's own thread count; n ≥ 1: at most n threads.
private func threadCount(_ threads: Int32) throws(PlumbCError) -> Int? {
    guard threads >= 0 else { throw PlumbCError(.argument, "threads \(threads) is negative (0: the model's default)") }
    return threads == 0 ? nil : Int(threads)
}

/// Runs `body`, turning an error into its status and message.
private func reporting(_ err: UnsafeMutablePointer<CChar>?, _ errLen: Int, _ body: () throws(PlumbCError) -> Void) -> Int32 {
    do {
        try body()
        if let err, errLen > 0 { err[0] = 0 }
        return 0
    } catch {
        writeMessage(error.message, err, errLen)
        return error.code.rawValue
    }
}

/// Copies `message` into `err` as a NUL-terminated string of at most `errLen` bytes, cut at a
/// UTF-8 character boundary.
func writeMessage(_ message: String, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) {
    guard let err, errLen > 0 else { return }
    let bytes = Array(message.utf8)
    var n = min(bytes.count, errLen - 1)
    while n > 0, n < bytes.count, bytes[n] & 0xC0 == 0x80 { n -= 1 }  // do not split a character
    for i in 0 ..< n { err[i] = CChar(bitPattern: bytes[i]) }
    err[n] = 0
}
