/// An error in a pipeline spec file. `message` reads like a compiler diagnostic:
/// `pipeline.yaml:14:5: models[1].params.learning_rate: expected a number > 0, found "fast"`.
public struct PipelineSpecError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable {
        /// The file cannot be read.
        case io
        /// The text is not valid YAML (or is empty).
        case syntax
        /// A key the spec does not define (the message suggests the closest valid key).
        case unknownKey
        /// A required key is absent; line/column point at the mapping that should hold it.
        case missingKey
        /// The same key twice in one mapping.
        case duplicateKey
        /// A value of the wrong YAML type (a string where a number is expected, …).
        case wrongType
        /// A value of the right type but outside its allowed range or set.
        case invalidValue
        /// Values that are each fine but contradict one another.
        case inconsistent
    }

    public var code: Code
    /// The full diagnostic: `source:line:column: keyPath: detail`.
    public var message: String
    /// 1-based line in the spec file, when known.
    public var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    public var column: Int?
    /// Dotted key path with list indices, e.g. `models[1].params.learning_rate` ("" for the document).
    public var keyPath: String
    /// The file name or label the spec was read from.
    public var source: String
    /// What went wrong without the location prefix.
    public var detail: String
    public var underlying: (any Error & Sendable)?

    public init(code: Code, source: String, line: Int?, column: Int?, keyPath: String, detail: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.source = source
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.detail = detail
        self.underlying = underlying
        var location = source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        self.message = keyPath.isEmpty ? "\(location): \(detail)" : "\(location): \(keyPath): \(detail)"
    }

    public var description: String { message }
}

/// Edit distance between two strings (by Unicode scalar): insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost 1 (optimal string alignment), so the
/// typo "rsme" is 1 away from "rmse".
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    // d[i][j] = distance between x[..<i] and y[..<j].
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[x.count][y.count]
}

/// The candidate closest to `word` when it is close enough to be a likely typo: distance at most
/// max(1, length/3), ties broken by list order; case is ignored.
func closestMatch(to word: String, among candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if let b = best, b.1 <= d { continue }
        best = (c, d)
    }
    guard let (candidate, distance) = best else { return nil }
    let limit = max(1, max(word.count, candidate.count) / 3)
    return distance <= limit ? candidate : nil
}
