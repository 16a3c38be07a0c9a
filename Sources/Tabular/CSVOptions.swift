import Foundation

/// How `CSVReader` reads a file.
public struct CSVOptions: Sendable, Equatable {
    /// Field separator byte (ASCII), `,` by default.
    public var delimiter: UInt8
    /// Field texts (after trimming spaces and tabs) that mean "missing". An empty field is
    /// missing only while `""` is in the set.
    public var missingTokens: Set<String>
    /// Forced kinds by column name; other columns are inferred (numeric when every non-missing
    /// field is a number, else categorical). Forcing numeric on a column with text is an error.
    public var schema: [String: ColumnKind]
    /// Number of chunks parsed in parallel (at most; small files use fewer).
    public var parallelism: Int
    /// A chunk is never smaller than this many bytes (tests set 1 to force many chunks).
    public var minChunkBytes: Int

    public static let defaultMissingTokens: Set<String> = ["", "NA", "NaN", "nan", "null", "NULL", "N/A"]

    public init(delimiter: UInt8 = UInt8(ascii: ","),
                missingTokens: Set<String> = CSVOptions.defaultMissingTokens,
                schema: [String: ColumnKind] = [:],
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                minChunkBytes: Int = 1 << 20) {
        self.delimiter = delimiter
        self.missingTokens = missingTokens
        self.schema = schema
        self.parallelism = max(1, parallelism)
        self.minChunkBytes = max(1, minChunkBytes)
    }
}
