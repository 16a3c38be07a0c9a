import Foundation
import Testing
@testable import Serving

/// The document generated from a served model's schema (`OpenAPIDocument.document(for:)`).
@Suite struct OpenAPIDocumentTests {
    static func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func at(_ o: Any, _ path: [String]) -> Any? {
        var v: Any? = o
        for k in path { v = (v as? [String: Any])?[k] }
        return v
    }

    @Test func rowHasEveryFeatureRequiredWithItsType() throws {
        let doc = try Self.parse(OpenAPIDocument.document(for: toyModel()))
        let row = try #require(Self.at(doc, ["components", "schemas", "Row"]) as? [String: Any])
        #expect(row["required"] as? [String] == ["MedInc", "HouseAge", "Ocean"])
        #expect(row["additionalProperties"] as? Bool == false)
        let medInc = try #require(Self.at(row, ["properties", "MedInc"]) as? [String: Any])
        #expect(medInc["type"] as? [String] == ["number", "null"])
        #expect(medInc["maximum"] as? Double == Double.greatestFiniteMagnitude)
        let ocean = try #require(Self.at(row, ["properties", "Ocean", "anyOf"]) as? [[String: Any]])
        #expect(ocean.first?["enum"] as? [String] == ["NEAR BAY", "INLAND"])
        #expect(Self.at(doc, ["components", "parameters", "ModelName", "schema", "enum"]) as? [String] == ["housing"])
        // Categorical Ocean: no [n, features] matrix layout.
        let layouts = Self.at(doc, ["components", "schemas", "OIPInferRequest", "properties", "inputs", "anyOf"]) as? [Any]
        #expect(layouts?.count == 1)
    }

    @Test(arguments: [false, true])
    func everyOperationHas405AndEveryRefResolves(classifier: Bool) throws {
        let model: any ServableModel = classifier ? Versioned(base: Classifiers.three, name: "housing", version: "1") : toyModel()
        for text in [OpenAPIDocument.document(for: model), OpenAPIDocument.document(for: nil)] {
            let doc = try Self.parse(text)
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            for (path, operations) in paths {
                for (method, operation) in operations {
                    let responses = Self.at(operation, ["responses"]) as? [String: Any] ?? [:]
                    #expect(responses["405"] != nil, "\(method) \(path)")
                }
            }
            var refs: [String] = []
            func collect(_ v: Any) {
                if let o = v as? [String: Any] {
                    if let r = o["$ref"] as? String { refs.append(r) }
                    o.values.forEach(collect)
                } else if let a = v as? [Any] { a.forEach(collect) }
            }
            collect(doc)
            for r in refs { #expect(Self.at(doc, r.split(separator: "/").dropFirst().map(String.init)) != nil, "\(r)") }
        }
    }
}
