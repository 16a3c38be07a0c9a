import Drift
import Foundation
import MLCore
import Tabular
import Tracking

/// A model found by path or registry URI, with what monitoring needs alongside it.
public struct LocatedModel: Sendable {
    public var model: LoadedModel
    /// Registered name and version when it came from the registry.
    public var name: String
    public var version: String
    public var registryVersion: ModelVersion?
    public var sha256: String
    /// Where the model came from, as the user wrote it.
    public var reference: String
}

/// Resolves `models:/NAME/VERSION`, `models:/NAME@ALIAS` or a file path to a loaded model.
public enum ModelLocator {
    public static func isURI(_ s: String) -> Bool { s.hasPrefix("models:/") }

    public static func load(_ reference: String, storePath: String) throws -> LocatedModel {
        if isURI(reference) {
            let store = try TrackingStore(path: storePath)
            return try load(reference, store: store)
        }
        guard let data = FileManager.default.contents(atPath: reference) else {
            throw ModelFileError(code: .io, message: "\(reference): no such model file (or pass a registry URI such as models:/NAME@champion)")
        }
        let bytes = Array(data)
        let (model, sha) = try ModelFile.decodeHashing(bytes, source: reference, kinds: ModelSpec.kinds)
        return LocatedModel(model: model, name: URL(fileURLWithPath: reference).deletingPathExtension().lastPathComponent,
                            version: String(sha.prefix(12)), registryVersion: nil, sha256: sha, reference: reference)
    }

    public static func load(_ uri: String, store: TrackingStore) throws -> LocatedModel {
        let v = try store.resolve(uri)
        let bytes = Array(try store.readArtifact(v.artifactSHA256))
        let model = try ModelFile.decode(bytes, source: "\(uri) (version \(v.version))", kinds: ModelSpec.kinds)
        return LocatedModel(model: model, name: v.model, version: String(v.version), registryVersion: v,
                            sha256: v.artifactSHA256, reference: uri)
    }

    /// The reference profile stored with a model: the run artifact for registry models, the
    /// `<file>.profile.json` sidecar for model files.
    public static func profile(for located: LocatedModel, storePath: String) throws -> ReferenceProfile {
        let data: Data
        if let v = located.registryVersion {
            let store = try TrackingStore(path: storePath)
            guard let run = v.runID else {
                throw DriftError(code: .missingColumn, message: "\(located.reference): version \(v.version) has no source run, so no reference profile")
            }
            let detail = try store.run(run)
            guard let a = detail.artifacts.first(where: { $0.name == TrainingRecorder.profileArtifact }) else {
                throw DriftError(code: .missingColumn, message: "\(located.reference): run \(run) has no \(TrainingRecorder.profileArtifact)")
            }
            data = try store.readArtifact(a.sha256)
        } else {
            let path = profilePath(forModelFile: located.reference)
            guard let d = FileManager.default.contents(atPath: path) else {
                throw DriftError(code: .missingColumn, message: "\(path): no reference profile beside the model file (plumb train writes it; or monitor a registry model)")
            }
            data = d
        }
        return try ReferenceProfile.decodeJSON(data)
    }

    public static func profilePath(forModelFile path: String) -> String { path + ".profile.json" }
}
