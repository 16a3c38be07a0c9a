import Foundation

/// Distributions of Kolmogorov–Smirnov statistics, following the algorithm choices of
/// scipy 1.17 (`scipy.special.smirnov`, `scipy.stats.kstwo`, `ks_2samp`'s exact paths) so that
/// p-values agree with it; the code is written from the published algorithms:
/// Birnbaum–Tingey (one-sided), Durbin's matrix in the Marsaglia–Tsang–Wang form, Pelz–Good,
/// Simard–L'Ecuyer's choice of method, Hodges / Viehmann for the exact two-sample distribution.
public enum Kolmogorov {
    /// One-sided one-sample survival P(D⁺ₙ ≥ x) (scipy.special.smirnov).
    /// - Complexity: O(n) terms of the Birnbaum–Tingey sum; for n > 1,000,000 the asymptotic
    ///   e^{−(6nx+1)²/(18n)} as scipy does.
    public static func smirnovSurvival(n: Int, x: Double) -> Double {
        precondition(n > 0, "smirnovSurvival: n must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x >= 1 { return 0 }
        if n == 1 { return 1 - x }
        let nd = Double(n)
        let nx = nd * x
        let nxFloor = nx.rounded(.down)
        let alpha = nx - nxFloor
        // x ≤ 1/n: closed form cdf = x (1 + x)^(n−1).
        if nxFloor == 0 || (nxFloor == 1 && alpha == 0) {
            return 1 - x * Foundation.pow(1 + x, nd - 1)
        }
        if -2 * nd * x * x < -708.396_418_532_264_1 { return 0 }
        if Int(nxFloor) >= n - 1 { return Foundation.pow(1 - x, nd) }
        if n > 1_000_000 {
            let logp = -Foundation.pow(6 * nx + 1, 2) / 18 / nd
            return logp < -M_LN2 ? Foundation.exp(logp) : 1 + Foundation.expm1(logp)
        }
        // Terms A_v = C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v), v = 0 … ⌊n(1−x)⌋ (the term
        // with 1 − x − v/n = 0 vanishes). All are positive, so summing in log space is stable.
        // ⌊n(1−x)⌋ terms when nx is not an integer; when it is, the last term is zero and dropped.
        let last = n - Int(nxFloor) - 1
        let lgN1 = SpecialFunctions.logGamma(nd + 1)
        var sum = 0.0
        var logC = 0.0
        let nTerms = last + 1
        for v in 0...last {
            let vd = Double(v)
            if v % 1024 == 0 {
                // Re-anchor the running log-binomial so rounding cannot drift over many terms.
                logC = lgN1 - SpecialFunctions.logGamma(vd + 1) - SpecialFunctions.logGamma(nd - vd + 1)
            }
            let p = x + vd / nd
            let q = (nd - vd) / nd - x
            var logA = logC + (nd - vd) * Foundation.log(q)
            if v == 0 { logA -= Foundation.log(p) } else if v > 1 { logA += (vd - 1) * Foundation.log(p) }
            if logA > -745 {
                let a = Foundation.exp(logA)
                sum += a
                if 4 * Double(nTerms - v) * a < Double.ulpOfOne * sum && v != last { break }
            }
            logC += Foundation.log((nd - vd) / (vd + 1))
        }
        return min(max(x * sum, 0), 1)
    }

    /// Two-sided one-sample survival P(Dₙ ≥ x) (scipy.stats.kstwo.sf(x, n)).
    public static func kolmogorovSurvival(n: Int, x: Double) -> Double {
        precondition(n > 0, "kolmogorovSurvival: n must be positive")
        if x.isNaN { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let cdf: Double
            if n <= 140 {
                var prod = 1.0
                for i in 1...n { prod *= Double(i) * (1 / nd) * (2 * t - 1) }
                cdf = prod
            } else {
                cdf = Foundation.exp(SpecialFunctions.logFactorialOverPower(nd) + nd * Foundation.log(2 * t - 1))
            }
            return clip(1 - cdf)
        }
        if t >= nd - 1 { return clip(2 * Foundation.pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnovSurvival(n: n, x: x)) }
        let nxx = t * x
        if n <= 140 {
            // scipy uses Durbin's matrix below 0.754693 and Pomeranz's recursion up to 4; both
            // are exact, so the matrix method serves both ranges here.
            if nxx <= 4 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
            return clip(2 * smirnovSurvival(n: n, x: x))
        }
        if nxx >= 370 { return 0 }
        if nxx >= 2.2 { return clip(2 * smirnovSurvival(n: n, x: x)) }
        let cdf: Double
        if n <= 100_000 && nd * Foundation.pow(x, 1.5) <= 1.4 {
            cdf = durbinMatrixCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    /// Asymptotic Kolmogorov survival K(x) = 2 Σ (−1)^{k−1} e^{−2k²x²} (the limit of P(√n Dₙ > x)).
    public static func limitingSurvival(_ x: Double) -> Double {
        if x <= 0 { return 1 }
        if x < 0.82 {
            // Jacobi-theta form, converges fast for small x: 1 − √(2π)/x Σ e^{−(2k−1)²π²/(8x²)}.
            let a = -Double.pi * Double.pi / (8 * x * x)
            var s = 0.0
            var r = 1.0
            while true {
                let t = Foundation.exp(a * r * r)
                s += t
                if t == 0 || t / s < 1e-17 { break }
                r += 2
            }
            return 1 - s * (2 * Double.pi).squareRoot() / x
        }
        let a = -2 * x * x
        var s = 0.0
        var sign = 1.0
        var k = 1.0
        while true {
            let t = Foundation.exp(a * k * k)
            s += sign * t
            if t == 0 || t / abs(s) < 1e-17 { break }
            sign = -sign
            k += 1
        }
        return clip(2 * s)
    }

    // Inlined: tiny helper on the p-value paths, called in loops.
    @inline(__always) static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }

    /// P(Dₙ < d) by Durbin's matrix formula, computed as in Marsaglia–Tsang–Wang: the (k, k)
    /// entry of Hⁿ times n!/nⁿ, with explicit power-of-two scaling so nothing overflows.
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        var fac = 1.0
        for j in 1...m {
            w[j - 1] = fac
            fac /= Double(j)
            v[j - 1] = (1 - Foundation.pow(h, Double(j))) * fac
        }
        let tt = Foundation.pow(max(2 * h - 1, 0), Double(m)) - 2 * Foundation.pow(h, Double(m))
        v[m - 1] = (1 + tt) * fac
        // H is row-major m × m: H[i][0] = v[i], H[i][j] = w[i − j + 1] for i ≥ j − 1, last row = reversed v.
        var hm = [Double](repeating: 0, count: m * m)
        for j in 1..<m {
            for i in (j - 1)..<m { hm[i * m + j] = w[i - j + 1] }
        }
        for i in 0..<m { hm[i * m] = v[i] }
        for j in 0..<m { hm[(m - 1) * m + j] = v[m - 1 - j] }
        var result = [Double](repeating: 0, count: m * m)
        for i in 0..<m { result[i * m + i] = 1 }
        var tmp = [Double](repeating: 0, count: m * m)
        var powerExp = 0
        var hExp = 0
        var nn = n
        let big = 0x1p128
        func multiply(_ a: [Double], _ b: [Double], into c: inout [Double]) {
            for i in 0..<m {
                for j in 0..<m { c[i * m + j] = 0 }
                for l in 0..<m {
                    let ail = a[i * m + l]
                    if ail == 0 { continue }
                    for j in 0..<m { c[i * m + j] += ail * b[l * m + j] }
                }
            }
        }
        while nn > 0 {
            if nn % 2 == 1 {
                multiply(result, hm, into: &tmp)
                swap(&result, &tmp)
                powerExp += hExp
            }
            multiply(hm, hm, into: &tmp)
            swap(&hm, &tmp)
            hExp *= 2
            if abs(hm[(k - 1) * m + k - 1]) > big {
                for i in 0..<(m * m) { hm[i] /= big }
                hExp += 128
            }
            nn /= 2
        }
        var p = result[(k - 1) * m + k - 1]
        let small = 0x1p-128
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < small {
                p *= big
                powerExp -= 128
            }
        }
        if powerExp != 0 { p = Foundation.scalbn(p, powerExp) }
        return clip(p)
    }

    /// The Pelz–Good approximation of P(Dₙ ≤ x): the Li-Chien/Korolyuk expansion
    /// K0 + K1/√n + K2/n + K3/n^{3/2} in z = x√n, each term in its Jacobi-theta form.
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi
        let pi4 = pi2 * pi2
        let pi6 = pi4 * pi2
        let sqrt2pi = (2 * Double.pi).squareRoot()
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qlog = -pi2 / 8 / z2
        if qlog < -708 { return 0 }
        let q = Foundation.exp(qlog)
        let k1a = -z2
        let k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4
        let k2b = (2 * z4 - 5 * z2) * pi2 / 4
        let k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * z4 * z4
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        let maxk = Int((16 * z / Double.pi).rounded(.up))
        if maxk >= 1 {
            for kk in stride(from: maxk, through: 1, by: -1) {
                let mm = Double(2 * kk - 1)
                let m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2
                let qp = Foundation.pow(q, Double(8 * kk))
                s0 = s0 * qp + 1
                s1 = s1 * qp + (k1a + k1b * m2)
                s2 = s2 * qp + (k2a + k2b * m2 + k2c * m4)
                s3 = s3 * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6)
            }
        }
        s0 *= q * sqrt2pi / z
        s1 *= q * sqrt2pi / (6 * z4)
        s2 *= q * sqrt2pi / (72 * z6 * z)
        s3 *= q * sqrt2pi / (6480 * z6 * z4)
        let q2 = Foundation.exp(-pi2 / 2 / z2)
        var extra2 = 0.0, extra3 = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        if maxk >= 1 {
            for kk in stride(from: maxk, through: 1, by: -1) {
                let kd = Double(kk)
                let k2 = kd * kd
                let qpw = Foundation.pow(q2, k2)
                extra2 += k2 * qpw
                let kspi = Double.pi * kd
                extra3 += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qpw
            }
        }
        s2 += extra2 * pi2 * sqrt2pi / (-36 * z3)
        s3 += extra3 * pi2 * sqrt2pi / (216 * z6)
        let rn = Double(n).squareRoot()
        return s0 + s1 / rn + s2 / Double(n) + s3 / (Double(n) * rn)
    }

    // MARK: - Exact two-sample distribution

    /// P(D_{n,n} ≥ h/n) for two samples of equal size n (Hodges' reflection series).
    static func twoSampleEqualSizesSurvival(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var p1 = 1.0
            for j in 0..<h {
                p1 = Double(n - k * h - j) * p1 / Double(n + k * h + j + 1)
            }
            p = p1 * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// Probability that a random lattice path from (0,0) to (m,n) leaves the band
    /// |x/m − y/n| < h/lcm(m,n) (the two-sided exact p-value for D ≥ h/lcm), computed directly as
    /// 1 − p by Viehmann's column recursion of Hodges' inside method, one sliding column of size
    /// O(h/(m/g)).
    static func twoSampleUnequalSizesSurvival(m m0: Int, n n0: Int, g: Int, h: Int) -> Double {
        let m = max(m0, n0), n = min(m0, n0)
        let mg = m / g, ng = n / g
        var minj = 0
        var maxj = min((h + mg - 1) / mg, n + 1)
        var curlen = maxj - minj
        let lenA = min(2 * maxj + 2, n + 1)
        var a = [Double](repeating: 1, count: max(lenA, 1))
        for j in minj..<maxj { a[j] = 0 }
        for i in 1...m {
            let lastminj = minj, lastlen = curlen
            // floor((ng i − h)/mg) + 1 and ceil((ng i + h)/mg) with exact integer arithmetic.
            minj = max(floorDiv(ng * i - h, mg) + 1, 0)
            minj = min(minj, n)
            maxj = min(ceilDiv(ng * i + h, mg), n + 1)
            if maxj <= minj { return 1 }
            var val = minj == 0 ? 0.0 : 1.0
            let iD = Double(i)
            for jj in 0..<(maxj - minj) {
                let j = jj + minj
                val = (a[jj + minj - lastminj] * iD + val * Double(j)) / (iD + Double(j))
                a[jj] = val
            }
            curlen = maxj - minj
            if lastlen > curlen {
                for t in curlen..<min(curlen + (lastlen - curlen), a.count) { a[t] = 1 }
            }
        }
        return a[maxj - minj - 1]
    }

    // Inlined: tiny helper on the p-value paths, called in loops.
    @inline(__always) static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    // Inlined: tiny helper on the p-value paths, called in loops.
    @inline(__always) static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
}
