import Foundation

/// Special functions the drift tests need, written here so that results do not depend on the C
/// library: log-gamma, the regularised incomplete gamma functions and the chi-square survival
/// function. Accuracy: ≤ 1e-13 relative for log-gamma away from its zeros at 1 and 2 (absolute
/// ≤ 1e-15 there), ≤ 1e-12 relative for `regularizedGammaQ` in the ranges the tests use.
public enum SpecialFunctions {
    /// ln Γ(x) for x > 0 (Stirling series after shifting x above 15 with the recurrence).
    public static func logGamma(_ x: Double) -> Double {
        precondition(x > 0, "logGamma: x must be positive, got \(x)")
        var z = x
        var shift = 0.0
        // Γ(z) = Γ(z + k) / (z (z + 1) … (z + k − 1)): accumulate the product, taking its log in
        // chunks so that it never overflows.
        var prod = 1.0
        while z < 15 {
            prod *= z
            z += 1
            if prod > 1e280 { shift += Foundation.log(prod); prod = 1 }
        }
        shift += Foundation.log(prod)
        let r = 1 / z
        let r2 = r * r
        // Stirling: (z − ½) ln z − z + ½ ln 2π + Σ B_{2k} / (2k (2k − 1) z^{2k−1})
        let series = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680
            + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156)))))))
        return (z - 0.5) * Foundation.log(z) - z + 0.918_938_533_204_672_741_78 + series - shift
    }

    /// Regularised lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), a > 0, x ≥ 0.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0 && x >= 0, "regularizedGammaP: need a > 0, x ≥ 0 (a=\(a), x=\(x))")
        if x == 0 { return 0 }
        if x.isInfinite { return 1 }
        return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x)
    }

    /// Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x), a > 0, x ≥ 0.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0 && x >= 0, "regularizedGammaQ: need a > 0, x ≥ 0 (a=\(a), x=\(x))")
        if x == 0 { return 1 }
        if x.isInfinite { return 0 }
        return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x)
    }

    /// Survival function of the chi-square distribution with `df` degrees of freedom:
    /// P(X > x) = Q(df / 2, x / 2).
    public static func chiSquareSurvival(_ x: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "chiSquareSurvival: df must be positive, got \(df)")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        return regularizedGammaQ(df / 2, x / 2)
    }

    /// log of x^a e^{−x} / Γ(a), the common prefactor of both expansions.
    private static func logPrefactor(_ a: Double, _ x: Double) -> Double {
        a * Foundation.log(x) - x - logGamma(a)
    }

    /// P(a, x) by its power series; converges fast for x < a + 1.
    private static func gammaSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a
        var sum = term
        var ap = a
        for _ in 0..<100_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return sum * Foundation.exp(logPrefactor(a, x))
    }

    /// Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1.
    private static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        while i < 100_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        return Foundation.exp(logPrefactor(a, x)) * h
    }

    /// ln(n! / nⁿ) by Stirling's series (n ≥ 1), used by the Ruben–Gambino tail of D_n.
    static func logFactorialOverPower(_ n: Double) -> Double {
        let r = 1 / n
        let r2 = r * r
        let series = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680
            + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156)))))))
        return 0.5 * Foundation.log(n) - n + 0.918_938_533_204_672_741_78 + series
    }
}
