import Foundation

/// Lifecycle stage of a model version (MLflow's names).
public enum ModelStage: String, Codable, Sendable, CaseIterable {
    case none = "None", staging = "Staging", production = "Production", archived = "Archived"

    /// Parses a stage name case-insensitively ("production", "Production").
    public init?(name: String) {
        guard let s = ModelStage.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = s
    }
}

/// A named model in the registry.
public struct RegisteredModel: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    /// ms since 1970.
    public var createdMs: Int64
    /// Highest version number, nil if none registered yet.
    public var latestVersion: Int?
    /// alias → version.
    public var aliases: [String: Int]
}

/// One registered version of a model.
public struct ModelVersion: Codable, Sendable, Equatable {
    public var model: String
    /// 1, 2, 3… per model, without gaps.
    public var version: Int
    /// Run that produced it, if any.
    public var runID: String?
    /// Lower-case hex SHA-256 of the model file in the artifact store.
    public var artifactSHA256: String
    /// Absolute path of the model file (`TrackingStore.artifactPath`).
    public var artifactPath: String
    public var description: String
    public var tags: [String: String]
    public var stage: ModelStage
    /// Metrics copied at registration (e.g. r2, rmse), used by promotion policies.
    public var metrics: [String: Double]
    /// ms since 1970.
    public var createdMs: Int64
    /// Aliases pointing at this version, sorted.
    public var aliases: [String]
}

/// One registry mutation, written in the same transaction as the mutation itself.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    /// ms since 1970.
    public var timeMs: Int64
    public var user: String
    /// "create_model", "register", "stage", "set_alias", "delete_alias", "rollback", "set_description".
    public var action: String
    public var model: String
    public var version: Int?
    public var alias: String?
    public var from: String?
    public var to: String?
    public var reason: String
}

/// `models:/NAME/VERSION`, `models:/NAME/latest`, `models:/NAME/STAGE` or `models:/NAME@ALIAS`.
public struct ModelURI: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Reference: Codable, Sendable, Equatable {
        case version(Int), alias(String), latest, stage(ModelStage)
    }
    public var name: String
    public var reference: Reference

    public init(name: String, reference: Reference) {
        self.name = name
        self.reference = reference
    }

    /// Parses a model URI.
    /// - Throws: `TrackingError` `.invalidArgument` explaining the expected forms.
    public static func parse(_ text: String) throws -> ModelURI {
        let forms = "expected models:/NAME/VERSION, models:/NAME/latest, models:/NAME/STAGE or models:/NAME@ALIAS"
        guard text.hasPrefix("models:/") else { throw TrackingError.invalid("model URI \"\(text)\": \(forms)") }
        let rest = String(text.dropFirst("models:/".count))
        if let at = rest.firstIndex(of: "@") {
            let name = String(rest[..<at]), alias = String(rest[rest.index(after: at)...])
            guard !name.isEmpty, !name.contains("/") else { throw TrackingError.invalid("model URI \"\(text)\": empty or invalid model name; \(forms)") }
            guard TrackingStore.isValidAlias(alias) else {
                throw TrackingError.invalid("model URI \"\(text)\": alias \"\(alias)\" must match [A-Za-z0-9_-]+")
            }
            return ModelURI(name: name, reference: .alias(alias))
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw TrackingError.invalid("model URI \"\(text)\": \(forms)") }
        if let v = Int(parts[1]) {
            guard v >= 1 else { throw TrackingError.invalid("model URI \"\(text)\": version must be ≥ 1") }
            return ModelURI(name: parts[0], reference: .version(v))
        }
        if parts[1].lowercased() == "latest" { return ModelURI(name: parts[0], reference: .latest) }
        if let s = ModelStage(name: parts[1]) { return ModelURI(name: parts[0], reference: .stage(s)) }
        throw TrackingError.invalid("model URI \"\(text)\": \"\(parts[1])\" is neither a version number, \"latest\" nor a stage; \(forms)")
    }

    public var description: String {
        switch reference {
        case .version(let v): return "models:/\(name)/\(v)"
        case .alias(let a): return "models:/\(name)@\(a)"
        case .latest: return "models:/\(name)/latest"
        case .stage(let s): return "models:/\(name)/\(s.rawValue)"
        }
    }
}
