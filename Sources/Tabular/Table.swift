/// The storage of one column: numbers (missing = `.nan`) or category codes into `levels`
/// (missing = -1).
public enum ColumnData: Sendable, Equatable {
    case numeric([Double])
    case categorical(codes: [Int32], levels: [String])

    public var count: Int {
        switch self {
        case .numeric(let v): v.count
        case .categorical(let c, _): c.count
        }
    }
    public var isNumeric: Bool { if case .numeric = self { true } else { false } }
}

/// Column kind, as inferred from a CSV or forced by a schema override.
public enum ColumnKind: String, Sendable, Codable, CaseIterable {
    case numeric, categorical
}

/// One named column.
public struct Column: Sendable, Equatable {
    public var name: String
    public var data: ColumnData

    public init(name: String, data: ColumnData) {
        self.name = name
        self.data = data
    }

    public var kind: ColumnKind { data.isNumeric ? .numeric : .categorical }

    /// The numeric values, or nil for a categorical column.
    public var numericValues: [Double]? { if case .numeric(let v) = data { v } else { nil } }

    /// Number of missing entries.
    public var missingCount: Int {
        switch data {
        case .numeric(let v): v.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let c, _): c.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows indices: [Int]) -> Column {
        switch data {
        case .numeric(let v): Column(name: name, data: .numeric(indices.map { v[$0] }))
        case .categorical(let c, let levels): Column(name: name, data: .categorical(codes: indices.map { c[$0] }, levels: levels))
        }
    }
}

/// A table of equally long named columns: what a CSV becomes.
public struct Table: Sendable, Equatable {
    public private(set) var columns: [Column]
    public let rowCount: Int

    /// - Precondition: all columns have `rowCount` entries and names are unique.
    public init(columns: [Column], rowCount: Int? = nil) {
        let n = rowCount ?? columns.first?.data.count ?? 0
        precondition(columns.allSatisfy { $0.data.count == n }, "Table: columns of unequal length")
        self.columns = columns
        self.rowCount = n
    }

    public var columnNames: [String] { columns.map(\.name) }

    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    public func column(named name: String) -> Column? { index(of: name).map { columns[$0] } }

    /// The rows at `indices`, in that order (used by split, bootstrap, slicing).
    public func selecting(rows indices: [Int]) -> Table {
        Table(columns: columns.map { $0.selecting(rows: indices) }, rowCount: indices.count)
    }

    /// The named columns, in that order.
    /// - Precondition: every name is a column.
    public func selecting(columns names: [String]) -> Table {
        Table(columns: names.map { column(named: $0)! }, rowCount: rowCount)
    }

    /// The rows of `tables` one after another (a table read in chunks, put back together).
    /// Categorical levels are merged by text, in sorted order.
    /// - Throws: `.badArgument` naming `source` when the tables' columns differ in names or kinds.
    public static func concatenating(_ tables: [Table], source: String) throws -> Table {
        guard let first = tables.first else { return Table(columns: []) }
        guard tables.count > 1 else { return first }
        for t in tables where t.columnNames != first.columnNames {
            throw TabularError(code: .badArgument, message: "\(source): parts have different columns (\(first.columnNames.joined(separator: ", ")) vs \(t.columnNames.joined(separator: ", ")))")
        }
        let columns = try first.columns.indices.map { j -> Column in
            let name = first.columns[j].name
            switch first.columns[j].data {
            case .numeric:
                var values: [Double] = []
                values.reserveCapacity(tables.reduce(0) { $0 + $1.rowCount })
                for t in tables {
                    guard case .numeric(let v) = t.columns[j].data else { throw mixedKinds(name, source) }
                    values += v
                }
                return Column(name: name, data: .numeric(values))
            case .categorical:
                var allLevels = Set<String>()
                for t in tables {
                    guard case .categorical(_, let levels) = t.columns[j].data else { throw mixedKinds(name, source) }
                    allLevels.formUnion(levels)
                }
                let levels = allLevels.sorted()
                let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
                var codes: [Int32] = []
                for t in tables {
                    guard case .categorical(let c, let l) = t.columns[j].data else { throw mixedKinds(name, source) }
                    let map = l.map { index[$0]! }
                    codes += c.map { $0 < 0 ? -1 : map[Int($0)] }
                }
                return Column(name: name, data: .categorical(codes: codes, levels: levels))
            }
        }
        return Table(columns: columns, rowCount: tables.reduce(0) { $0 + $1.rowCount })
    }

    private static func mixedKinds(_ name: String, _ source: String) -> TabularError {
        TabularError(code: .badArgument, message: "\(source): column \"\(name)\" is numeric in one part and categorical in another")
    }

    /// The table without the named columns (names not present are ignored).
    public func dropping(_ names: Set<String>) -> Table {
        Table(columns: columns.filter { !names.contains($0.name) }, rowCount: rowCount)
    }

    public mutating func append(_ column: Column) {
        precondition(column.data.count == rowCount, "Table.append: \(column.data.count) rows, table has \(rowCount)")
        precondition(index(of: column.name) == nil, "Table.append: duplicate column \(column.name)")
        columns.append(column)
    }

    public mutating func replace(_ column: Column) {
        guard let i = index(of: column.name) else { return append(column) }
        precondition(column.data.count == rowCount)
        columns[i] = column
    }
}
