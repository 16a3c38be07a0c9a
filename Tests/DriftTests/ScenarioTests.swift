import Foundation
import Testing
import Tabular
@testable import Drift

/// A generated table shaped like California Housing (8 numeric features with its names,
/// plausible marginals) plus a target MedHouseVal.
func californiaLike(rows n: Int, seed: UInt64) -> Table {
    var rng = SeededGenerator(seed: seed)
    let z = { (rng: inout SeededGenerator) -> Double in normals(1, rng: &rng)[0] }
    var medInc = [Double](), age = [Double](), rooms = [Double](), bedrms = [Double](), pop = [Double]()
    var occup = [Double](), lat = [Double](), lon = [Double](), target = [Double]()
    for _ in 0..<n {
        let inc = exp(1.25 + 0.45 * z(&rng))
        medInc.append(inc)
        age.append(min(max((29 + 12.5 * z(&rng)).rounded(), 1), 52))
        let r = exp(1.62 + 0.3 * z(&rng))
        rooms.append(r)
        bedrms.append(r * (0.2 + 0.02 * z(&rng)))
        pop.append((exp(7.0 + 0.7 * z(&rng))).rounded())
        occup.append(exp(1.0 + 0.25 * z(&rng)))
        let north = rng.unit() < 0.45
        lat.append(north ? 37.8 + 0.9 * z(&rng) : 34.1 + 0.6 * z(&rng))
        lon.append(north ? -122.1 + 0.8 * z(&rng) : -118.2 + 0.7 * z(&rng))
        target.append(max(0.15, min(5.0, 0.45 * inc + 0.2 * z(&rng))))
    }
    let cols: [(String, [Double])] = [("MedInc", medInc), ("HouseAge", age), ("AveRooms", rooms), ("AveBedrms", bedrms),
                                      ("Population", pop), ("AveOccup", occup), ("Latitude", lat), ("Longitude", lon),
                                      ("MedHouseVal", target)]
    return Table(columns: cols.map { Column(name: $0.0, data: .numeric($0.1)) })
}

/// The reference pipeline's simulated drift: MedInc × 1.2, AveRooms + 0.5, HouseAge redrawn
/// uniformly in [0, 50).
func simulateDrift(_ t: Table, seed: UInt64) -> Table {
    var out = t
    var rng = SeededGenerator(seed: seed)
    if let v = t.column(named: "MedInc")?.numericValues { out.replace(Column(name: "MedInc", data: .numeric(v.map { $0 * 1.2 }))) }
    if let v = t.column(named: "AveRooms")?.numericValues { out.replace(Column(name: "AveRooms", data: .numeric(v.map { $0 + 0.5 }))) }
    out.replace(Column(name: "HouseAge", data: .numeric((0..<t.rowCount).map { _ in rng.unit() * 50 })))
    return out
}

/// Random split of rows into two parts (first gets `fraction`).
func split(_ t: Table, fraction: Double, seed: UInt64) -> (Table, Table) {
    var idx = Array(0..<t.rowCount)
    var rng = SeededGenerator(seed: seed)
    rng.shuffle(&idx)
    let k = Int(Double(t.rowCount) * fraction)
    return (t.selecting(rows: Array(idx[..<k])), t.selecting(rows: Array(idx[k...])))
}

@Suite struct ScenarioTests {
    @Test func noDriftBetweenRandomHalves() throws {
        let t = californiaLike(rows: 8000, seed: 11)
        let (a, b) = split(t, fraction: 0.5, seed: 12)
        // Large reference: Wasserstein (normed) default.
        let big = try DriftAnalyzer.compare(reference: a, current: b, target: "MedHouseVal")
        #expect(big.columns.count == 8)
        #expect(big.columns.allSatisfy { $0.test == "wasserstein" })
        #expect(big.columns.filter(\.drifted).isEmpty, "\(big.columns.filter(\.drifted).map(\.name))")
        #expect(!big.datasetDrift && !big.retrain && big.reasons.isEmpty)
        // Small reference (≤ 1000 rows): KS default.
        let small = try DriftAnalyzer.compare(reference: a.selecting(rows: Array(0..<800)), current: b, target: "MedHouseVal")
        // Each KS test has a 5 % false-positive rate by design, so over 8 columns one flag is
        // expected about a third of the time; the dataset-level verdict must stay "no drift".
        #expect(small.columns.allSatisfy { $0.test == "ks" })
        #expect(small.columns.filter(\.drifted).count <= 1, "\(small.renderTable())")
        #expect(!small.datasetDrift)
    }

    @Test func simulatedCaliforniaDriftFlagsExactlyTheThreeColumns() throws {
        let t = californiaLike(rows: 10_000, seed: 21)
        let (train, test) = split(t, fraction: 0.8, seed: 22)
        let drifted = simulateDrift(test, seed: 23)
        let profile = try ReferenceProfile.build(table: train, target: "MedHouseVal", seed: 42)
        let r = try DriftAnalyzer.compare(reference: profile, current: drifted)
        let flagged = Set(r.columns.filter(\.drifted).map(\.name))
        #expect(flagged == ["MedInc", "AveRooms", "HouseAge"], "\(r.renderTable())")
        #expect(r.datasetDrift)  // 3 / 8 = 0.375 > 0.2
        #expect(abs(r.driftShare - 0.375) < 1e-12)
        #expect(r.retrain)
        #expect(r.reasons.first?.contains("3 of 8") == true)
        // The same verdict with KS and with PSI forced on every column.
        for method in [DriftMethod.ks, .psi] {
            let opts = DriftOptions(columnTests: Dictionary(uniqueKeysWithValues: profile.features.map { ($0.name, ColumnTest(method)) }))
            let rr = try DriftAnalyzer.compare(reference: profile, current: drifted, options: opts)
            #expect(Set(rr.columns.filter(\.drifted).map(\.name)) == ["MedInc", "AveRooms", "HouseAge"], "\(method): \(rr.renderTable())")
        }
        // Without drift the same split flags nothing.
        let clean = try DriftAnalyzer.compare(reference: profile, current: test)
        #expect(clean.columns.filter(\.drifted).isEmpty, "\(clean.renderTable())")
    }

    @Test func profileSampleIsCappedAndKSRunsAgainstIt() throws {
        var rng = SeededGenerator(seed: 5)
        let t = Table(columns: [Column(name: "x", data: .numeric(normals(25_000, rng: &rng)))])
        let p = try ReferenceProfile.build(table: t, seed: 1)
        let x = try #require(p.feature(named: "x")?.numeric)
        #expect(x.sample.count == 10_000 && !x.sampleIsExact)
        #expect(x.sample == x.sample.sorted())
        #expect(x.count == 25_000)
        #expect(x.psiProportions.count == 10)
        #expect(abs(x.psiProportions.reduce(0, +) - 1) < 1e-12)
        #expect(x.histogram.counts.reduce(0, +) == 25_000)
        // Seeded: the same seed gives the same sample.
        #expect(try ReferenceProfile.build(table: t, seed: 1) == p)
        // Codable round trip.
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(ReferenceProfile.self, from: data) == p)
    }

    @Test func categoricalColumnsUseChiSquareAndJensenShannon() throws {
        let levels = ["a", "b", "c"]
        let refCodes: [Int32] = (0..<600).map { Int32($0 % 3) }
        let same: [Int32] = (0..<300).map { Int32($0 % 3) }
        let shifted: [Int32] = (0..<300).map { $0 % 5 == 0 ? 0 : Int32($0 % 2 + 1) }
        let ref = Table(columns: [Column(name: "c", data: .categorical(codes: refCodes, levels: levels))])
        let profile = try ReferenceProfile.build(table: ref)
        let r1 = try DriftAnalyzer.compare(reference: profile, current: Table(columns: [Column(name: "c", data: .categorical(codes: same, levels: levels))]))
        #expect(r1.columns[0].test == "chisquare" && !r1.columns[0].drifted)
        let r2 = try DriftAnalyzer.compare(reference: profile, current: Table(columns: [Column(name: "c", data: .categorical(codes: shifted, levels: levels))]))
        #expect(r2.columns[0].drifted)
        // A level unseen in the reference (current levels in another order) → chi² = ∞, p = 0.
        let cur = Table(columns: [Column(name: "c", data: .categorical(codes: [0, 1, 2, 3], levels: ["c", "b", "a", "new"]))])
        let r3 = try DriftAnalyzer.compare(reference: profile, current: cur)
        #expect(r3.columns[0].statistic == .infinity && r3.columns[0].pValue == 0 && r3.columns[0].drifted)
        let js = try DriftAnalyzer.compare(reference: profile, current: cur, options: DriftOptions(columnTests: ["c": .jensenshannon]))
        // p = (1/3, 1/3, 1/3, 0), q = (1/4, 1/4, 1/4, 1/4).
        let p: [Double] = [1.0 / 3, 1.0 / 3, 1.0 / 3, 0], q: [Double] = [0.25, 0.25, 0.25, 0.25]
        #expect(abs(js.columns[0].statistic - TwoSampleStatistics.jensenShannon(p, q)) < 1e-15)
    }

    @Test func invalidInputsThrowClearErrors() throws {
        let t = Table(columns: [Column(name: "x", data: .numeric([1, 2, 3])), Column(name: "k", data: .categorical(codes: [0, 1, 0], levels: ["u", "v"]))])
        let p = try ReferenceProfile.build(table: t)
        #expect(throws: DriftError.self) { try DriftAnalyzer.compare(reference: p, current: t.dropping(["x"])) }
        #expect(throws: DriftError.self) { try DriftAnalyzer.compare(reference: p, current: t, options: DriftOptions(columnTests: ["k": .ks])) }
        #expect(throws: DriftError.self) { try DriftAnalyzer.compare(reference: p, current: t, options: DriftOptions(columnTests: ["x": .chisquare])) }
        #expect(throws: DriftError.self) { try ReferenceProfile.build(table: t, target: "nope") }
        do {
            _ = try DriftAnalyzer.compare(reference: p, current: t.dropping(["x"]))
        } catch let e as DriftError {
            #expect(e.code == .missingColumn && e.message.contains("'x'"))
        }
    }
}
