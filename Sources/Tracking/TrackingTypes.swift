import Foundation

/// Lifecycle status of a run (MLflow's names).
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running = "RUNNING", finished = "FINISHED", failed = "FAILED", killed = "KILLED"
}

/// A named group of runs.
public struct Experiment: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// Creation time, ms since 1970.
    public var createdMs: Int64
}

/// One logged metric value. `value` may be NaN (stored as NULL).
public struct MetricPoint: Codable, Sendable, Equatable {
    public var key: String
    public var value: Double
    public var step: Int64
    /// ms since 1970.
    public var timestampMs: Int64

    public init(key: String, value: Double, step: Int64 = 0, timestampMs: Int64? = nil) {
        self.key = key
        self.value = value
        self.step = step
        self.timestampMs = timestampMs ?? TrackingStore.nowMs()
    }
}

/// Role of a dataset in a run.
public enum DatasetContext: String, Codable, Sendable, CaseIterable {
    case training, validation, current, test
}

/// A dataset a run consumed (lineage).
public struct DatasetInput: Codable, Sendable, Equatable {
    public var name: String
    /// Lower-case hex SHA-256 of the dataset file or canonical content.
    public var digest: String
    public var rows: Int
    /// Schema as JSON text (e.g. `[{"name":"x","type":"numeric","min":0,"max":1}]`).
    public var schemaJSON: String
    /// Where it came from (path or URI).
    public var source: String
    public var context: DatasetContext

    public init(name: String, digest: String, rows: Int, schemaJSON: String, source: String, context: DatasetContext) {
        self.name = name; self.digest = digest; self.rows = rows
        self.schemaJSON = schemaJSON; self.source = source; self.context = context
    }
}

/// A named artifact attached to a run; the bytes live in the content-addressed store.
public struct RunArtifact: Codable, Sendable, Equatable {
    public var name: String
    public var sha256: String
    public var size: Int64
}

/// Run with its params, latest metrics and tags: one row of `searchRuns`.
public struct RunSummary: Codable, Sendable, Equatable {
    /// 32 lower-case hex characters.
    public var id: String
    public var experiment: String
    public var name: String
    public var status: RunStatus
    /// ms since 1970.
    public var startMs: Int64
    public var endMs: Int64?
    public var user: String
    public var sourceCommit: String?
    public var parentID: String?
    public var errorMessage: String?
    public var params: [String: String]
    /// Latest value of each metric (highest step, then latest timestamp).
    public var metrics: [String: Double]
    public var tags: [String: String]
}

/// Everything about one run.
public struct RunDetail: Codable, Sendable, Equatable {
    public var run: RunSummary
    public var datasets: [DatasetInput]
    public var artifacts: [RunArtifact]
    /// Ids of runs whose parent is this run, oldest first.
    public var children: [String]
}
