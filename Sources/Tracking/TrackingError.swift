import Foundation
import GRDB

/// Error thrown by every public `TrackingStore` API. The one wrapper around SQLite/GRDB errors:
/// no other module sees raw SQLite status codes.
public struct TrackingError: Error, CustomStringConvertible, Sendable {
    /// Broad category, stable for callers that branch on it.
    public enum Code: String, Sendable, Codable {
        case notFound = "not_found"
        case alreadyExists = "already_exists"
        case immutable = "immutable"
        case invalidArgument = "invalid_argument"
        case invalidFilter = "invalid_filter"
        case corruptArtifact = "corrupt_artifact"
        case io = "io"
        case database = "database"
    }

    public let code: Code
    /// Human message naming the entity (run id, model name, key…) and what was expected.
    public let message: String
    /// Underlying GRDB / Foundation error, if any.
    public let underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

extension TrackingError: LocalizedError {
    public var errorDescription: String? { message }
}

extension TrackingError {
    static func notFound(_ message: String) -> TrackingError { TrackingError(code: .notFound, message: message) }
    static func invalid(_ message: String) -> TrackingError { TrackingError(code: .invalidArgument, message: message) }

    /// Converts any error raised inside a database access into a `TrackingError`; `context` says
    /// what was being done ("logging metrics for run 3f…").
    static func wrap(_ error: any Error, _ context: @autoclosure () -> String) -> TrackingError {
        if let e = error as? TrackingError { return e }
        if let e = error as? DatabaseError {
            let detail = e.message ?? "SQLite error \(e.resultCode.rawValue)"
            switch e.extendedResultCode {
            case .SQLITE_CONSTRAINT_PRIMARYKEY, .SQLITE_CONSTRAINT_UNIQUE:
                return TrackingError(code: .alreadyExists, message: "\(context()): already exists (\(detail))", underlying: e)
            case .SQLITE_CONSTRAINT_FOREIGNKEY:
                return TrackingError(code: .notFound, message: "\(context()): refers to a missing entity (\(detail))", underlying: e)
            default:
                return TrackingError(code: .database, message: "\(context()): \(detail)", underlying: e)
            }
        }
        return TrackingError(code: .io, message: "\(context()): \(error.localizedDescription)")
    }
}
