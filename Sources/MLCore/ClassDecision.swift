// How a classifier's outputs become labels. One place for the rule, so `plumb predict`, the
// server and anything reading the prediction log cannot disagree about which class a row got.

/// The predicted class of each row from a classifier's probabilities, and the text of a numeric
/// class value.
public enum ClassDecision {
    /// The predicted class index of each row from probabilities laid out rows × classes (row
    /// after row): with two classes, class 1 when its probability reaches `threshold` (0.5 when
    /// nil); with more, the most probable class (the first on ties).
    /// - Precondition: `classes >= 2` and `probabilities.count` is a multiple of `classes`.
    public static func classIndices(_ probabilities: [Double], classes k: Int, threshold: Double?) -> [Int] {
        precondition(k >= 2 && probabilities.count % k == 0, "classIndices: \(probabilities.count) probabilities for \(k) classes")
        let n = probabilities.count / k
        return probabilities.withUnsafeBufferPointer { p in
            if k == 2 {
                let t = threshold ?? 0.5
                return (0..<n).map { p[2 * $0 + 1] >= t ? 1 : 0 }
            }
            return (0..<n).map { i in
                var best = 0
                for c in 1..<k where p[i * k + c] > p[i * k + best] { best = c }
                return best
            }
        }
    }

    /// The text of a numeric class value, as training writes a numeric target's classes: an
    /// integer without a decimal point (1 and 1.0 are both "1"), else the shortest form that
    /// reads back exactly.
    public static func labelText(of v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
