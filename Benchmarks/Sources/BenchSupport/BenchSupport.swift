import Foundation
import MLCore
import Tabular

/// Deterministic inputs and timing helpers shared by `plumb-bench` and the ordo-one benchmarks.
public enum BenchData {
    /// Friedman #1 regression with `noise` extra uniform features: x ~ U(0,1)^(5+noise),
    /// y = 10 sin(π x0 x1) + 20 (x2 − ½)² + 10 x3 + 5 x4 + N(0, 1).
    /// - Returns: features rows × (5 + noise), column-major, and the targets (rows).
    public static func friedman(rows: Int, noise: Int = 15, seed: UInt64 = 1) -> (x: FeatureMatrix, y: [Double]) {
        let p = 5 + noise
        var rng = SeededGenerator(seed: seed)
        var values = [Double](repeating: 0, count: rows * p)
        for j in 0..<p {
            for i in 0..<rows { values[j * rows + i] = rng.unit() }
        }
        var y = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            let x0 = values[i], x1 = values[rows + i], x2 = values[2 * rows + i]
            let x3 = values[3 * rows + i], x4 = values[4 * rows + i]
            y[i] = 10 * sin(Double.pi * x0 * x1) + 20 * (x2 - 0.5) * (x2 - 0.5) + 10 * x3 + 5 * x4 + normal(&rng)
        }
        return (FeatureMatrix(rows: rows, columns: p, values: values), y)
    }

    /// One standard normal draw (Box–Muller).
    public static func normal(_ rng: inout SeededGenerator) -> Double {
        let u1 = max(rng.unit(), 0x1.0p-60), u2 = rng.unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` standard normal draws.
    public static func normals(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in normal(&rng) }
    }

    /// Writes a rows × columns numeric CSV (header c0,c1,…) of mixed number shapes: integers,
    /// signed 6-decimal values, wide magnitudes. Returns the file size in bytes.
    @discardableResult
    public static func writeNumericCSV(path: String, rows: Int, columns: Int, seed: UInt64 = 7) throws -> Int {
        var rng = SeededGenerator(seed: seed)
        var out = [UInt8]()
        out.reserveCapacity(rows * columns * 10)
        out.append(contentsOf: Array((0..<columns).map { "c\($0)" }.joined(separator: ",").utf8))
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<rows {
            for j in 0..<columns {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                switch j % 4 {
                case 0: appendFixed(Double(rng.below(100_000)), decimals: 0, to: &out)
                case 1: appendFixed(normal(&rng), decimals: 6, to: &out)
                case 2: appendFixed(rng.unit() * 2000 - 1000, decimals: 3, to: &out)
                default: appendFixed(exp(3 + 1.5 * normal(&rng)), decimals: 4, to: &out)
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
        return out.count
    }

    /// Appends `value` in fixed-point notation with `decimals` digits after the point
    /// (String(format:) is ~20× slower, and setup writes 21M numbers).
    public static func appendFixed(_ value: Double, decimals: Int, to out: inout [UInt8]) {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = UInt64((abs(value) * scale).rounded())
        if value < 0 && scaled != 0 { out.append(UInt8(ascii: "-")) }
        let unit = UInt64(scale)
        appendDigits(scaled / unit, minimumCount: 1, to: &out)
        if decimals > 0 {
            out.append(UInt8(ascii: "."))
            appendDigits(scaled % unit, minimumCount: decimals, to: &out)
        }
    }

    private static func appendDigits(_ n: UInt64, minimumCount: Int, to out: inout [UInt8]) {
        var digits = [UInt8]()
        var v = n
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        while digits.count < minimumCount { digits.append(UInt8(ascii: "0")) }
        out.append(contentsOf: digits.reversed())
    }

    /// A fresh temporary folder for one benchmark run.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Wall-clock timing.
public enum BenchTimer {
    /// Seconds elapsed running `body` once.
    public static func seconds<R>(_ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
        let clock = ContinuousClock()
        let t0 = clock.now
        let r = try body()
        let d = clock.now - t0
        return (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18, r)
    }

    /// The best (smallest) time of `repeats` runs of `body`, and the result of the last run.
    public static func best<R>(of repeats: Int, _ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
        var (best, last) = try seconds(body)
        for _ in 1..<max(1, repeats) {
            let (t, r) = try seconds(body)
            best = min(best, t)
            last = r
        }
        return (best, last)
    }
}
