// A classifier's answers: its classes' JSON pieces, prepared once per loaded model, and the
// writers of /predict's `"label":…,"probabilities":{…}` and of the OIP outputs. Regression
// answers are written by the code beside these, unchanged.
import NIOCore

/// The JSON pieces of a classifier's responses, built when the model is loaded.
struct ClassifierResponse: Sendable {
    let spec: ClassifierSpec
    /// Each class label as a JSON string literal, quotes included.
    let labels: [[UInt8]]
    /// Each class as an object key, `"label":`.
    let keys: [[UInt8]]
    /// The most bytes one row's `{"label":…,"probabilities":{…}}` can take (with a comma).
    let rowBound: Int

    init(_ spec: ClassifierSpec) {
        self.spec = spec
        labels = spec.classes.map { Self.literal($0) }
        keys = labels.map { $0 + [UInt8(ascii: ":")] }
        // {"label": + the longest label + ,"probabilities":{ + keys and numbers with commas + }},
        rowBound = 40 + (labels.map(\.count).max() ?? 0) + keys.reduce(0) { $0 + $1.count + JSONWriter.maxNumberLength + 1 }
    }

    static func literal(_ s: String) -> [UInt8] {
        var w = JSONWriter(capacity: s.utf8.count + 8)
        w.string(s)
        return Array(w.buffer.readableBytesView)
    }
}

extension JSONWriter {
    /// `"label":"…","probabilities":{"class":p,…}` of row `row` (no braces around): the fields
    /// of a single-row /predict answer.
    mutating func classPrediction(row: Int, indices: [Int], probabilities: [Double], _ c: ClassifierResponse) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: c.rowBound) { out in
            var sink = ASCIISink(out: out)
            probabilities.withUnsafeBufferPointer { p in
                Self.classFields(row: row, label: indices[row], p, c, into: &sink)
            }
            return sink.at
        }
    }

    /// `{"label":"…","probabilities":{…}}` for every row, comma-separated, in one pass into
    /// reserved space: a batch answer's `predictions` items.
    mutating func classPredictions(indices: [Int], probabilities: [Double], _ c: ClassifierResponse) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: indices.count * c.rowBound) { out in
            var sink = ASCIISink(out: out)
            probabilities.withUnsafeBufferPointer { p in
                for (row, label) in indices.enumerated() {
                    sink.raw(row == 0 ? "{" : ",{")
                    Self.classFields(row: row, label: label, p, c, into: &sink)
                    sink.byte(UInt8(ascii: "}"))
                }
            }
            return sink.at
        }
    }

    private static func classFields(row: Int, label: Int, _ p: UnsafeBufferPointer<Double>, _ c: ClassifierResponse,
                                    into sink: inout ASCIISink) {
        let k = c.keys.count
        sink.raw(#""label":"#)
        sink.bytes(c.labels[label])
        sink.raw(#","probabilities":{"#)
        for j in 0..<k {
            if j > 0 { sink.byte(UInt8(ascii: ",")) }
            sink.bytes(c.keys[j])
            let x = p[row * k + j]
            if x.isFinite { x.write(to: &sink) } else { sink.raw("null") }
        }
        sink.byte(UInt8(ascii: "}"))
    }

    /// Class label literals, comma-separated (an OIP BYTES tensor's data).
    mutating func classLabels(indices: [Int], _ c: ClassifierResponse) {
        for (i, label) in indices.enumerated() {
            if i > 0 { raw(",") }
            buffer.writeBytes(c.labels[label])
        }
    }

    /// `["a","b",…]`.
    mutating func stringArray(_ items: [String]) {
        raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }
}
