import Foundation

extension SpecialFunctions {
    /// Regularised incomplete beta I_x(a, b), a, b > 0, 0 ≤ x ≤ 1: its continued fraction (modified
    /// Lentz), taken on whichever of x and 1 − x makes it converge fast.
    public static func regularizedBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
        precondition(a > 0 && b > 0 && x >= 0 && x <= 1, "regularizedBeta: need a, b > 0 and x in [0, 1] (a=\(a), b=\(b), x=\(x))")
        if x == 0 || x == 1 { return x }
        let logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Foundation.log(x) + b * Foundation.log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return Foundation.exp(logFront) * betaContinuedFraction(a, b, x) / a
        }
        return 1 - Foundation.exp(logFront) * betaContinuedFraction(b, a, 1 - x) / b
    }

    /// The continued fraction of I_x(a, b) (without its prefactor), for x < (a + 1) / (a + b + 2).
    private static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            // Even step: m (b − m) x / ((a + 2m − 1)(a + 2m)).
            var term = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + term * d; if abs(d) < tiny { d = tiny }
            c = 1 + term / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            // Odd step: −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
            term = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + term * d; if abs(d) < tiny { d = tiny }
            c = 1 + term / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            f *= step
            if abs(step - 1) < 1e-16 { break }
        }
        return f
    }

    /// P(|T| > |t|) for Student's t with `df` > 0 degrees of freedom: I_{df/(df+t²)}(df/2, ½).
    public static func studentTTwoSidedP(_ t: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "studentTTwoSidedP: df must be positive, got \(df)")
        if t.isNaN { return .nan }
        if t.isInfinite { return 0 }
        return regularizedBeta(df / 2, 0.5, df / (df + t * t))
    }

    /// P(|Z| > |z|) for a standard normal Z: Q(½, z²/2).
    public static func normalTwoSidedP(_ z: Double) -> Double {
        if z.isNaN { return .nan }
        if z.isInfinite { return 0 }
        return regularizedGammaQ(0.5, z * z / 2)
    }

    /// The q with P(|T| > q) = `p` (0 < p < 1): Student's t with `df` degrees of freedom, or the
    /// standard normal when `df` is nil or infinite. Bisection on the two-sided tail, to full
    /// precision (it is called a few times per comparison).
    public static func twoSidedCriticalValue(_ p: Double, degreesOfFreedom df: Double? = nil) -> Double {
        precondition(p > 0 && p < 1, "twoSidedCriticalValue: p must be in (0, 1), got \(p)")
        let tail: (Double) -> Double = { q in
            if let df, df.isFinite { return studentTTwoSidedP(q, degreesOfFreedom: df) }
            return normalTwoSidedP(q)
        }
        var lo = 0.0, hi = 1.0
        while tail(hi) > p { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if tail(mid) > p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
