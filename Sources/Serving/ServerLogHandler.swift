// The server's log handler: swift-log's stream format on standard error, with metadata rendered
// only when a line is written.
import Foundation
import Logging

/// Writes `<time> <level> <label>: <metadata> [<source>] <message>` lines to standard error, the
/// format of swift-log's `StreamLogHandler`.
///
/// Hummingbird gives every request a logger tagged with the request's id. `StreamLogHandler`
/// renders all of its metadata into a string each time a key is set, so that tag cost about 7 %
/// of a single-row request's handler time, for lines that are almost never written. Here setting
/// metadata only stores it, and rendering happens in `log(event:)`.
public struct ServerLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    /// A logger with this handler at `level`.
    public static func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { ServerLogHandler(label: $0) }
        logger.logLevel = level
        return logger
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = "\(Self.timestamp()) \(event.level)"
        if !label.isEmpty { line += " \(label)" }
        line += ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Local time as `2026-11-24T09:16:17+0000`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "<unknown>" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            guard strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts) > 0 else { return "<unknown>" }
            return String(cString: buffer.baseAddress!)
        }
    }
}
