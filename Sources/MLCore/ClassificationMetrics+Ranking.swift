// Threshold-free ranking metrics (ROC AUC, average precision) and the F1-maximising threshold,
// all from one sort of a score column, grouped by tied scores exactly as scikit-learn does
// (`_sort_inputs_and_compute_classification_thresholds`: sort by score descending, one curve
// point per distinct score).

/// One score column ranked for a one-vs-rest problem: the rows sorted by score, with the
/// positive/negative flag carried along.
struct RankedScores {
    /// Per row `(score.bitPattern << 1) | isPositive`, ascending. Scores are validated to lie
    /// in [0, 1], whose bit patterns order like the values and leave the top bit free; −0.0's
    /// sign bit is shifted out, so it ties with +0.0 as it should.
    private(set) var keys: [UInt64]
    /// Rows of the positive class.
    private(set) var positives: Int

    var negatives: Int { keys.count - positives }

    /// Ranks column `column` of the row-major `rows × stride` matrix `probabilities`; a row is
    /// positive when `classes[row] == column`.
    /// - Complexity: O(n) (one radix sort of n `UInt64`s).
    init(probabilities: UnsafeBufferPointer<Double>, stride: Int, column: Int, classes: UnsafeBufferPointer<Int>) {
        let n = classes.count
        var positives = 0
        keys = [UInt64](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n {
                let positive = classes[i] == column
                positives += positive ? 1 : 0
                out[i] = (probabilities[i * stride + column].bitPattern << 1) | (positive ? 1 : 0)
            }
            count = n
        }
        self.positives = positives
        radixSort(&keys)
    }

    /// Calls `body(score, tp, fp)` once per distinct score, in descending score order, with the
    /// cumulative true and false positives of the rule `score_row >= score`.
    func forEachThreshold(_ body: (_ score: Double, _ tp: Int, _ fp: Int) -> Void) {
        keys.withUnsafeBufferPointer { k in
            var tp = 0, fp = 0
            var i = k.count - 1
            while i >= 0 {
                let scoreBits = k[i] >> 1
                while i >= 0 && k[i] >> 1 == scoreBits {
                    if k[i] & 1 == 1 { tp += 1 } else { fp += 1 }
                    i -= 1
                }
                body(Double(bitPattern: scoreBits), tp, fp)
            }
        }
    }

    /// Area under the ROC curve: trapezoids between consecutive distinct-score points, so tied
    /// scores count one half. NaN when the column has no positive or no negative row
    /// (scikit-learn: NaN with an UndefinedMetricWarning).
    ///
    /// Twice the area is accumulated in exact integer arithmetic and divided once.
    func rocAUC() -> Double {
        let p = positives, q = negatives
        guard p > 0, q > 0 else { return .nan }
        var area2 = 0  // Σ Δfp · (tp + tp_prev): ≤ 2·p·q, exact in Int
        var tpPrev = 0, fpPrev = 0
        forEachThreshold { _, tp, fp in
            area2 += (fp - fpPrev) * (tp + tpPrev)
            tpPrev = tp
            fpPrev = fp
        }
        return Double(area2) / (2 * Double(p) * Double(q))
    }

    /// scikit-learn's `average_precision_score`: Σ over distinct scores of
    /// (recall_t − recall_{t−1}) · precision_t, no interpolation. NaN when the column has no
    /// positive row (scikit-learn returns 0 there, with a warning).
    func averagePrecision() -> Double {
        let p = positives
        guard p > 0 else { return .nan }
        var sum = NeumaierSum()
        var tpPrev = 0
        forEachThreshold { _, tp, fp in
            if tp != tpPrev {
                sum.add(Double(tp - tpPrev) / Double(p) * (Double(tp) / Double(tp + fp)))
                tpPrev = tp
            }
        }
        return sum.value
    }

    /// The distinct score t maximising F1 of the rule `score >= t`; among equal F1 values the
    /// smallest t. Nil when there is no positive row (F1 is 0 at every threshold).
    ///
    /// F1 = 2·tp / (P + tp + fp); candidates are compared exactly by cross-multiplying counts.
    func bestF1Threshold() -> Double? {
        let p = positives
        guard p > 0 else { return nil }
        var best: Double?
        var bestTP = 0, bestDenominator = 1  // F1 of the best so far = 2·bestTP / bestDenominator
        forEachThreshold { score, tp, fp in
            let denominator = p + tp + fp
            // Descending scores: '>=' moves to the smaller threshold on a tie.
            if best == nil || tp * bestDenominator >= bestTP * denominator {
                best = score
                bestTP = tp
                bestDenominator = denominator
            }
        }
        return best
    }
}

/// Sorts `keys` ascending: least-significant-digit radix sort with 11-bit digits, skipping the
/// digits every key shares (for scores in [0, 1] the sign and most exponent bits). ~6× faster
/// than the standard library's sort on 1M keys, which dominated the multiclass metrics; the
/// tests check it against `sort()`.
/// - Complexity: O(n) time per non-trivial digit (at most 6), n extra `UInt64`s.
func radixSort(_ keys: inout [UInt64]) {
    let n = keys.count
    guard n > 512 else { keys.sort(); return }  // histograms cost more than they save
    let bits = 11, buckets = 1 << bits, passes = (64 + bits - 1) / bits
    let mask = UInt64(buckets - 1)
    var counts = [Int](repeating: 0, count: buckets * passes)
    var scratch = [UInt64](repeating: 0, count: n)
    counts.withUnsafeMutableBufferPointer { c in
        keys.withUnsafeBufferPointer { k in
            for key in k {
                for pass in 0..<passes { c[pass * buckets + Int((key >> UInt64(pass * bits)) & mask)] += 1 }
            }
        }
        for pass in 0..<passes {
            let base = pass * buckets, shift = UInt64(pass * bits)
            let first = keys[0]
            if c[base + Int((first >> shift) & mask)] == n { continue }  // one bucket: order unchanged
            var sum = 0
            for b in 0..<buckets {
                let count = c[base + b]
                c[base + b] = sum
                sum += count
            }
            keys.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    for key in src {
                        let slot = base + Int((key >> shift) & mask)
                        dst[c[slot]] = key
                        c[slot] += 1
                    }
                }
            }
            swap(&keys, &scratch)
        }
    }
}
