import Foundation
import Testing
import Tabular
@testable import Drift

/// The optimised paths against their plain twins: bucket sort vs radix sort, the fast profile
/// JSON reader vs JSONDecoder, the SVG number formatter vs String(format:).
@Suite struct FastPathTests {
    static func samples() -> [(String, [Double])] {
        var rng = SeededGenerator(seed: 7)
        let normal = normals(200_000, rng: &rng)
        var out: [(String, [Double])] = [
            ("normal", normal),
            ("six decimals", normal.map { ($0 * 1e6).rounded() / 1e6 }),
            ("lognormal tail", normal.map { exp(3 * $0) }),
            ("few levels", normal.map { ($0 * 2).rounded() }),
            ("constant", [Double](repeating: 2.5, count: 1000)),
            ("uniform", (0..<50_000).map { _ in rng.unit() }),
            ("huge and tiny", normal.prefix(5000).map { $0 < 0 ? $0 * 1e-300 : $0 * 1e300 }),
            ("cluster plus outlier", [Double](repeating: 1, count: 3000) + [1 + 1e-12, 1e9, -1e9] + normal.prefix(500).map { 1 + $0 * 1e-10 }),
            ("signed zeros", (0..<200).map { $0 % 2 == 0 ? 0.0 : -0.0 } + [1, -1]),
        ]
        var withSpecials = Array(normal.prefix(10_000))
        withSpecials += [.infinity, -.infinity, .nan, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 5e-324]
        out.append(("infinities and NaN", withSpecials))
        out.append(("NaN-heavy", normal.prefix(3000).enumerated().map { $0.offset % 3 == 0 ? .nan : $0.element }))
        out.append(("NaN only", [Double](repeating: .nan, count: 100)))
        out.append(("short", [3, .nan, -1, 2]))
        return out
    }

    @Test func bucketSortMatchesRadixTwin() {
        for (name, values) in Self.samples() {
            let fast = SortedSample.sortedNonMissing(values)
            let plain = values.filter { !$0.isNaN }.sorted()
            #expect(fast.count == plain.count, "\(name)")
            #expect(zip(fast, plain).allSatisfy { $0 == $1 }, "\(name)")
            let radix = SortedSample.sortedNonMissingRadix(values)
            #expect(zip(fast, radix).allSatisfy { $0 == $1 }, "\(name)")
        }
    }

    /// Exactly sorted output for values chosen to break a value-range bucket sort: signed zeros,
    /// denormals, duplicates, infinities and NaN mixed into large samples (so both bucket levels
    /// and every fallback run), clusters narrower than a sub-bucket, sorted and reversed input.
    @Test func bucketSortIsExactOnAdversarialValues() {
        var rng = SeededGenerator(seed: 13)
        let normal = normals(300_000, rng: &rng)
        // Finite specials keep the value range finite, so they go through the bucket levels;
        // infinities and extremes send the whole sample to the radix sort.
        let finiteSpecials: [Double] = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
                                        -2.2250738585072014e-308, 1e-310, -1e-310, .nan, 1, 1, 1, -1, -1, 0.0, -0.0]
        let specials = finiteSpecials + [.infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        func sprinkle(_ base: [Double], every k: Int, _ extra: [Double]) -> [Double] {
            var out = base
            for i in stride(from: 0, to: out.count, by: k) { out[i] = extra[(i / k) % extra.count] }
            return out
        }
        // Values one ulp apart and a cluster 1e-15 wide inside a normal sample: one level-1
        // bucket whose sub-buckets are crowded (the insertion budget runs out).
        var cluster = normal
        for i in 0..<6000 { cluster[i * 50] = 1 + Double(i % 997) * 1e-15 }
        var ulps = normal
        for i in 0..<5000 { ulps[i * 60] = Double(bitPattern: (1.5).bitPattern + UInt64(i % 37)) }
        let denormals: [Double] = (0..<5000).map { i -> Double in
            let d = Double(bitPattern: UInt64(i % 1000))
            return i % 3 == 0 ? -d : d
        }
        let zerosAndDenormals: [Double] = (0..<20_000).map { i -> Double in
            if i % 5 != 0 { return 5e-324 * Double(i % 50) }
            return i % 2 == 0 ? 0.0 : -0.0
        }
        let sixDecimals: [Double] = normal.map { ($0 * 1e6).rounded() / 1e6 }
        let half: [Double] = Array(normal.prefix(1000)).sorted()
        var cases: [(String, [Double])] = []
        cases.append(("denormals only", denormals))
        cases.append(("denormals and zeros", zerosAndDenormals))
        cases.append(("normal with finite specials", sprinkle(normal, every: 97, finiteSpecials)))
        cases.append(("six decimals with finite specials", sprinkle(sixDecimals, every: 1001, finiteSpecials)))
        cases.append(("normal with specials", sprinkle(normal, every: 97, specials)))
        cases.append(("denormals with one normal", zerosAndDenormals + [1e-300]))
        cases.append(("duplicates", normal.map { ($0 * 30).rounded() }))
        cases.append(("crowded cluster", cluster))
        cases.append(("ulp neighbours", ulps))
        cases.append(("sorted", normal.sorted()))
        cases.append(("reversed", normal.sorted(by: >)))
        cases.append(("sorted halves", half + half))
        cases.append(("negatives", normal.map { -abs($0) - 1e-300 }))
        cases.append(("exponential scales", normal.map { exp(20 * $0) }))
        cases.append(("two clusters far apart", normal.map { $0 < 0 ? $0 : 1e12 + $0 }))
        cases.append(("range overflows", normal.map { $0 < 0 ? -1e308 : 1e308 * $0 / 5 }))
        for (name, values) in cases {
            let fast = SortedSample.sortedNonMissing(values)
            let plain = values.filter { !$0.isNaN }.sorted()
            #expect(fast.count == plain.count, "\(name)")
            #expect(zip(fast, plain).allSatisfy { $0 == $1 }, "\(name)")
            // Same values, including the sign of zeros: the multiset of bit patterns agrees.
            #expect(fast.map(\.bitPattern).sorted() == plain.map(\.bitPattern).sorted(), "\(name)")
        }
    }

    @Test func profileJSONReaderMatchesJSONDecoder() throws {
        var rng = SeededGenerator(seed: 11)
        let n = 3000
        let x = normals(n, rng: &rng)
        let empty = [Double](repeating: .nan, count: n)  // no values: mean/std/min/max are NaN
        let codes = (0..<n).map { Int32($0 % 4) - 1 }     // -1 = missing
        let table = Table(columns: [
            Column(name: "x", data: .numeric(x)),
            Column(name: "tail \"q\" / ü 🙂", data: .numeric(x.map { exp($0) })),
            Column(name: "empty", data: .numeric(empty)),
            Column(name: "city", data: .categorical(codes: codes, levels: ["a/b", "Zürich", "say \"hi\"\n"])),
            Column(name: "y", data: .numeric(x.map { 2 * $0 + 1 })),
        ])
        for maxSample in [500, 10_000] {
            let profile = try ReferenceProfile.build(table: table, target: "y", predictions: x.map { $0 * 0.5 },
                                                     seed: 0xFFFF_FFFF_FFFF_FFF1, maxSample: maxSample)
            for sorted in [true, false] {
                let enc = JSONEncoder()
                if sorted { enc.outputFormatting = [.sortedKeys] }
                enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                let data = try enc.encode(profile)
                let dec = JSONDecoder()
                dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                let slow = try dec.decode(ReferenceProfile.self, from: data)
                // The fast reader itself must accept it (not only through the fallback).
                let tree = try data.withUnsafeBytes { raw in
                    var p = ProfileJSONParser(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count)
                    return try p.document()
                }
                let fast = try ProfileJSONMapping.profile(tree)
                // NaN != NaN, so compare re-encoded bytes (sorted keys: the unsorted key order
                // of JSONEncoder is not stable).
                let cmp = JSONEncoder()
                cmp.outputFormatting = [.sortedKeys]
                cmp.nonConformingFloatEncodingStrategy = enc.nonConformingFloatEncodingStrategy
                #expect(try cmp.encode(fast) == cmp.encode(slow))
                #expect(try cmp.encode(ReferenceProfile.decodeJSON(data)) == cmp.encode(slow))
                #expect(fast.seed == 0xFFFF_FFFF_FFFF_FFF1)
            }
        }
        // Not a profile: the JSONDecoder error comes through.
        #expect(throws: (any Error).self) { try ReferenceProfile.decodeJSON(Data("{\"features\": 3}".utf8)) }
        #expect(throws: (any Error).self) { try ReferenceProfile.decodeJSON(Data("[1, 2".utf8)) }
    }

    @Test func profileJSONWriterMatchesJSONEncoderByteForByte() throws {
        var rng = SeededGenerator(seed: 12)
        let n = 2500
        var x = normals(n, rng: &rng)
        x[0] = 0; x[1] = -0.0; x[2] = 1e21; x[3] = 1e-7; x[4] = 12345; x[5] = 0.1; x[6] = 9_007_199_254_740_993
        let empty = [Double](repeating: .nan, count: n)
        let codes = (0..<n).map { Int32($0 % 4) - 1 }
        let table = Table(columns: [
            Column(name: "x", data: .numeric(x)),
            Column(name: "tail \"q\" / ü 🙂 \u{1}\t\u{8}\u{c}\r\\", data: .numeric(x.map { exp($0) })),
            Column(name: "empty", data: .numeric(empty)),
            Column(name: "city", data: .categorical(codes: codes, levels: ["a/b", "Zürich", "say \"hi\"\n"])),
            Column(name: "y", data: .numeric(x.map { 2 * $0 + 1 })),
        ])
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        for maxSample in [500, 10_000] {
            var profile = try ReferenceProfile.build(table: table, target: "y", predictions: x.map { $0 * 0.5 },
                                                     seed: 0xFFFF_FFFF_FFFF_FFF1, maxSample: maxSample)
            #expect(profile.encodeJSON() == (try enc.encode(profile)))
            // A classifier's profile, with per-class scores, no target and an infinite extreme.
            let k = 3
            let probabilities = (0..<(n * k)).map { Double(($0 * 7919) % 101) / 101 }
            profile.classifier = ClassifierProfile.build(classes: ["a", "b/c", "7"], truth: (0..<n).map { $0 % k },
                                                         predicted: (0..<n).map { ($0 / 2) % k }, probabilities: probabilities,
                                                         maxSample: maxSample)
            profile.target = nil
            profile.targetName = nil
            profile.prediction?.max = .infinity
            profile.prediction?.min = -.infinity
            #expect(profile.classifier?.classScores != nil)
            #expect(profile.encodeJSON() == (try enc.encode(profile)))
        }
    }

    @Test func svgCoordinateFormatMatchesPrintf() {
        var rng = SeededGenerator(seed: 5)
        var values: [Double] = [0, -0.0, 0.05, 0.15, 0.25, 0.35, -0.05, -0.04, 1.45, 2.5, 99.95, 1e8 + 0.05, 1e12, -1e12, .nan, .infinity]
        values += (0..<20_000).map { _ in (rng.unit() - 0.5) * 1000 }
        values += (0..<2000).map { Double($0) * 0.05 }
        for v in values {
            #expect(HTMLReport.f1(v) == String(format: "%.1f", v), "\(v)")
        }
    }
}
