import Foundation
import MLCore
import Tabular

/// A cached step result: what `StepCache.lookup` returns after verifying every output file.
public struct CachedStep: Codable, Sendable, Equatable {
    /// One stored output file.
    public struct Output: Codable, Sendable, Equatable {
        /// Absolute path of the file (in the manifest on disk: relative to the entry folder).
        public var path: String
        /// SHA-256 (lower-case hex) of the file's bytes.
        public var sha256: String
        public var bytes: Int
    }

    public var step: String
    public var key: String
    public var created: Date
    /// Plumb version that wrote the entry.
    public var plumbVersion: String
    /// Outputs by name.
    public var outputs: [String: Output]

    /// The bytes of output `name`, re-read from disk.
    /// - Throws: `StepCacheError` when the output is unknown or unreadable.
    public func read(_ name: String) throws -> [UInt8] {
        guard let o = outputs[name] else {
            throw StepCacheError(code: .unknownOutput, message: "cached step \(step) (\(key.prefix(12))) has no output \"\(name)\"; it has \(outputs.keys.sorted().joined(separator: ", "))")
        }
        guard let d = FileManager.default.contents(atPath: o.path) else {
            throw StepCacheError(code: .io, message: "\(o.path): cannot read cached output \"\(name)\" of step \(step)")
        }
        return Array(d)
    }
}

/// Errors from the step cache: the message names the path or output at fault.
public struct StepCacheError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case io, badName, unknownOutput }
    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?
    public var description: String { message }
}

/// A content-addressed cache of pipeline step outputs under `directory` (e.g. `.plumb/cache`).
///
/// Layout: `directory/<key>/manifest.json` plus one file per output named
/// `<output>-<first 16 hex of its sha256>`. Every file is written with `AtomicFile.write`
/// (temp + fsync + rename) and the manifest last, so a reader sees a complete entry or none.
/// Two processes storing the same key do not tear each other's files (output names carry their
/// digest); the last manifest renamed wins, and lookups verify every digest, so a mixed or
/// tampered entry is a miss, never a wrong hit.
public struct StepCache: Sendable {
    public let directory: String
    /// Part of every key: a new Plumb version never reuses an old version's results.
    public let plumbVersion: String

    public static let manifestName = "manifest.json"

    public init(directory: String, plumbVersion: String = Trainer.plumbVersion) {
        self.directory = directory
        self.plumbVersion = plumbVersion
    }

    /// The cache key of a step: SHA-256 (hex) of a canonical JSON object with sorted keys holding
    /// the step name, the Plumb version and `inputs` (e.g. spec hash, data digest, upstream keys).
    /// Independent of dictionary order.
    public func key(step: String, inputs: [String: String]) -> String {
        struct Canonical: Encodable {
            let step: String
            let plumb: String
            let inputs: [String: String]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings cannot fail; the fallback keeps the key well defined regardless.
        let bytes = (try? encoder.encode(Canonical(step: step, plumb: plumbVersion, inputs: inputs))).map(Array.init)
            ?? Array(([step, plumbVersion] + inputs.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }).joined(separator: "\u{0}").utf8)
        return SHA256.hex(bytes)
    }

    func entryDirectory(_ key: String) -> String { (directory as NSString).appendingPathComponent(key) }

    /// The verified entry for `key`, or nil on a miss: no entry, an unreadable manifest, or any
    /// output file missing or with a different SHA-256 than recorded.
    public func lookup(_ key: String) -> CachedStep? {
        guard StepCache.isSafeName(key) else { return nil }
        let dir = entryDirectory(key)
        guard let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(StepCache.manifestName)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard var entry = try? decoder.decode(CachedStep.self, from: data), entry.key == key else { return nil }
        for (name, output) in entry.outputs {
            guard StepCache.isSafeName(output.path) else { return nil }
            let path = (dir as NSString).appendingPathComponent(output.path)
            guard let sha = try? SHA256.hex(fileAt: path), sha == output.sha256 else { return nil }
            entry.outputs[name]?.path = path
        }
        return entry
    }

    /// Writes `outputs` and then the manifest for `key`, atomically file by file.
    /// - Parameter outputs: output name (letters, digits, `.`, `_`, `-`) → bytes.
    /// - Returns: the entry as `lookup` would return it.
    /// - Throws: `StepCacheError` for a bad name or an I/O failure.
    public func store(_ key: String, step: String, outputs: [String: [UInt8]]) throws -> CachedStep {
        guard StepCache.isSafeName(key) else {
            throw StepCacheError(code: .badName, message: "cache key \"\(key)\" is not a plain file name")
        }
        let dir = entryDirectory(key)
        // Whole seconds: the ISO-8601 manifest keeps no fraction, so `store` and `lookup` agree exactly.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        var manifest = CachedStep(step: step, key: key, created: now, plumbVersion: plumbVersion, outputs: [:])
        var result = manifest
        for (name, bytes) in outputs.sorted(by: { $0.key < $1.key }) {
            guard StepCache.isSafeName(name) else {
                throw StepCacheError(code: .badName, message: "step \(step): output name \"\(name)\" must use only letters, digits, '.', '_' and '-' (and not start with '.')")
            }
            let sha = SHA256.hex(bytes)
            let file = "\(name)-\(sha.prefix(16))"
            let path = (dir as NSString).appendingPathComponent(file)
            do {
                try AtomicFile.write(bytes, to: path)
            } catch {
                throw StepCacheError(code: .io, message: "\(path): cannot write cached output \"\(name)\" of step \(step): \(error)", underlying: error)
            }
            manifest.outputs[name] = .init(path: file, sha256: sha, bytes: bytes.count)
            result.outputs[name] = .init(path: path, sha256: sha, bytes: bytes.count)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let manifestPath = (dir as NSString).appendingPathComponent(StepCache.manifestName)
        do {
            try AtomicFile.write(Array(try encoder.encode(manifest)), to: manifestPath)
        } catch {
            throw StepCacheError(code: .io, message: "\(manifestPath): cannot write the cache manifest of step \(step): \(error)", underlying: error)
        }
        return result
    }

    /// Removes every entry written for `step`.
    /// - Returns: the number of entries removed.
    @discardableResult
    public func invalidate(step: String) throws -> Int {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return 0 }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var removed = 0
        for name in names.sorted() where StepCache.isSafeName(name) {
            let dir = entryDirectory(name)
            guard let data = fm.contents(atPath: (dir as NSString).appendingPathComponent(StepCache.manifestName)),
                  let entry = try? decoder.decode(CachedStep.self, from: data), entry.step == step else { continue }
            do {
                try fm.removeItem(atPath: dir)
                removed += 1
            } catch {
                throw StepCacheError(code: .io, message: "\(dir): cannot remove cache entry of step \(step): \(error.localizedDescription)")
            }
        }
        return removed
    }

    /// A plain file name: non-empty, no leading dot, only letters, digits, `.`, `_`, `-`.
    static func isSafeName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first != "." else { return false }
        return s.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || $0 == "." || $0 == "_" || $0 == "-" }
    }
}
