/// scikit-learn's `fetch_california_housing` derivation, reproduced byte for byte: StatLib's
/// `cal_housing.data` (no header; one block group per line) becomes `california_housing.csv` with
/// per-household averages and the target in units of $100,000.
///
/// Output row: MedInc = medianIncome, HouseAge = housingMedianAge, AveRooms = totalRooms / households,
/// AveBedrms = totalBedrooms / households, Population = population, AveOccup = population / households,
/// Latitude, Longitude, MedHouseVal = medianHouseValue / 100000, each Double written as Python's
/// `repr` writes it (shortest round-trip decimal), lines ended with CRLF as in the published CSV.
public enum CaliforniaHousingDerivation {
    /// The columns of `cal_housing.data`, in file order.
    public static let inputColumns = [
        "longitude", "latitude", "housingMedianAge", "totalRooms", "totalBedrooms",
        "population", "households", "medianIncome", "medianHouseValue",
    ]
    public static let header = "MedInc,HouseAge,AveRooms,AveBedrms,Population,AveOccup,Latitude,Longitude,MedHouseVal"
    /// The published california_housing.csv ends every line, header and last line included, with CRLF.
    public static let lineEnding = "\r\n"

    /// The CSV bytes derived from the bytes of `cal_housing.data`. Blank lines are skipped; spaces,
    /// tabs and a CR around fields are ignored.
    /// - Throws: `DatasetError(.malformed)` naming the line, the field and what it holds.
    /// - Complexity: O(n) in the input size; one pass over the bytes (plain index loops, which stay
    ///   quick in debug builds where generic `split` does not).
    public static func csv(fromCalHousingData data: [UInt8]) throws -> [UInt8] {
        var out = header + lineEnding
        out.reserveCapacity(data.count + data.count / 16)
        var values = [Double](repeating: 0, count: inputColumns.count)
        var fields: [String] = []
        try data.withUnsafeBufferPointer { bytes in
            var lineNumber = 0, lineStart = 0
            while lineStart < bytes.count {
                lineNumber += 1
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                fields.removeAll(keepingCapacity: true)
                var fieldStart = lineStart
                for i in lineStart...lineEnd where i == lineEnd || bytes[i] == UInt8(ascii: ",") {
                    var (s, e) = (fieldStart, i)
                    while s < e, isBlank(bytes[s]) { s += 1 }
                    while e > s, isBlank(bytes[e - 1]) { e -= 1 }
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self))
                    fieldStart = i + 1
                }
                lineStart = lineEnd + 1
                if fields.count == 1, fields[0].isEmpty { continue }
                guard fields.count == inputColumns.count else {
                    throw DatasetError(code: .malformed, message: "cal_housing.data line \(lineNumber): \(fields.count) fields, expected \(inputColumns.count) (\(inputColumns.joined(separator: ", ")))")
                }
                for (k, text) in fields.enumerated() {
                    guard let v = Double(text) else {
                        throw DatasetError(code: .malformed, message: "cal_housing.data line \(lineNumber): field \(k + 1) (\(inputColumns[k])) is \"\(text)\", not a number")
                    }
                    values[k] = v
                }
                appendRow(values, to: &out)
                out += lineEnding
            }
        }
        return Array(out.utf8)
    }

    /// Appends one output line (without its ending) from the nine values of a `cal_housing.data` line.
    static func appendRow(_ v: [Double], to out: inout String) {
        let (longitude, latitude, age, rooms, bedrooms, population, households, income, value) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8])
        let row = [income, age, rooms / households, bedrooms / households, population, population / households,
                   latitude, longitude, value / 100000]
        for (k, x) in row.enumerated() {
            if k > 0 { out += "," }
            out += pythonRepr(x)
        }
    }

    /// `x` as Python's `repr` writes it. Swift's `description` is the same shortest round-trip
    /// decimal, but switches to exponent form at 2^53 where Python waits until 1e16; every Double in
    /// between is an integer, which Python writes with ".0".
    static func pythonRepr(_ x: Double) -> String {
        if x.magnitude >= 0x1p53, x.magnitude < 1e16 { return "\(Int64(x)).0" }
        return x.description
    }

    private static func isBlank(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r")
    }
}
