import Foundation
import Testing
@testable import Pipeline
import Tabular

@Suite struct StepCacheTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-cache-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func hitAfterStore() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir + "/cache", plumbVersion: "9.9.9")
        let key = cache.key(step: "train", inputs: ["spec": "abc", "data": "def"])
        #expect(cache.lookup(key) == nil)
        let model: [UInt8] = Array("model bytes".utf8), metrics: [UInt8] = Array("{\"r2\":0.8}".utf8)
        let stored = try cache.store(key, step: "train", outputs: ["model.plumb": model, "metrics.json": metrics])
        let hit = try #require(cache.lookup(key))
        #expect(hit == stored)
        #expect(hit.step == "train" && hit.key == key && hit.plumbVersion == "9.9.9")
        #expect(hit.outputs["model.plumb"]?.sha256 == SHA256.hex(model))
        #expect(hit.outputs["model.plumb"]?.bytes == model.count)
        #expect(try hit.read("model.plumb") == model)
        #expect(try hit.read("metrics.json") == metrics)
        #expect(throws: StepCacheError.self) { try hit.read("nope") }
        // A second cache object on the same folder (another process) sees the same entry.
        #expect(StepCache(directory: dir + "/cache", plumbVersion: "9.9.9").lookup(key) == hit)
    }

    @Test func missAfterInputOrVersionChange() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir, plumbVersion: "1")
        let key = cache.key(step: "train", inputs: ["spec": "abc"])
        _ = try cache.store(key, step: "train", outputs: ["out": [1, 2, 3]])
        let changed = cache.key(step: "train", inputs: ["spec": "abd"])
        #expect(changed != key)
        #expect(cache.lookup(changed) == nil)
        #expect(cache.key(step: "evaluate", inputs: ["spec": "abc"]) != key)
        #expect(StepCache(directory: dir, plumbVersion: "2").key(step: "train", inputs: ["spec": "abc"]) != key)
        #expect(cache.key(step: "train", inputs: ["spec": "abc", "extra": ""]) != key)
    }

    @Test func missAfterTamperingOrDeletion() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir)
        let key = cache.key(step: "s", inputs: [:])
        let stored = try cache.store(key, step: "s", outputs: ["a": [1, 2, 3], "b": [4]])
        let pathA = try #require(stored.outputs["a"]?.path)
        try Data([1, 2, 4]).write(to: URL(fileURLWithPath: pathA))
        #expect(cache.lookup(key) == nil)
        _ = try cache.store(key, step: "s", outputs: ["a": [1, 2, 3], "b": [4]])
        #expect(cache.lookup(key) != nil)
        try FileManager.default.removeItem(atPath: try #require(stored.outputs["b"]?.path))
        #expect(cache.lookup(key) == nil)
        // A corrupt manifest is a miss too.
        _ = try cache.store(key, step: "s", outputs: ["a": [1, 2, 3], "b": [4]])
        try Data("{".utf8).write(to: URL(fileURLWithPath: dir + "/" + key + "/manifest.json"))
        #expect(cache.lookup(key) == nil)
    }

    @Test func keyStableAcrossDictionaryOrder() {
        let cache = StepCache(directory: "/nonexistent", plumbVersion: "0.1.0")
        var a: [String: String] = [:]
        var b: [String: String] = [:]
        let pairs = (0..<50).map { ("input\($0)", "value\($0 * 7)") }
        for (k, v) in pairs { a[k] = v }
        for (k, v) in pairs.reversed() { b[k] = v }
        #expect(cache.key(step: "x", inputs: a) == cache.key(step: "x", inputs: b))
        // Independent reference: SHA-256 of the documented canonical JSON.
        let expected = SHA256.hex(Array(#"{"inputs":{"a":"1","b":"2"},"plumb":"0.1.0","step":"x"}"#.utf8))
        #expect(cache.key(step: "x", inputs: ["b": "2", "a": "1"]) == expected)
    }

    @Test func invalidateRemovesOnlyThatStep() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir)
        let k1 = cache.key(step: "train", inputs: ["i": "1"]), k2 = cache.key(step: "train", inputs: ["i": "2"])
        let k3 = cache.key(step: "validate", inputs: ["i": "1"])
        for (k, s) in [(k1, "train"), (k2, "train"), (k3, "validate")] { _ = try cache.store(k, step: s, outputs: ["o": [0]]) }
        #expect(try cache.invalidate(step: "train") == 2)
        #expect(cache.lookup(k1) == nil && cache.lookup(k2) == nil)
        #expect(cache.lookup(k3) != nil)
        #expect(try cache.invalidate(step: "train") == 0)
        #expect(try StepCache(directory: dir + "/missing").invalidate(step: "x") == 0)
    }

    @Test func rejectsUnsafeNames() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir)
        let key = cache.key(step: "s", inputs: [:])
        #expect(throws: StepCacheError.self) { try cache.store(key, step: "s", outputs: ["../escape": [1]]) }
        #expect(throws: StepCacheError.self) { try cache.store("../k", step: "s", outputs: [:]) }
        #expect(cache.lookup("../k") == nil)
    }

    @Test func concurrentStoresOfOneKeyLeaveAValidEntry() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = StepCache(directory: dir)
        let key = cache.key(step: "s", inputs: [:])
        // Two writers with different contents race; whichever manifest lands last must verify.
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            _ = try? cache.store(key, step: "s", outputs: ["o": [UInt8(i % 2)], "p": [UInt8(i)]])
        }
        let hit = try #require(cache.lookup(key))
        let o = try hit.read("o"), p = try hit.read("p")
        #expect(Int(o[0]) == Int(p[0]) % 2)
    }
}
