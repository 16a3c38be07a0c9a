import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MLCore
import NIOCore
import Testing
@testable import Serving

/// The binary tensor data extension, requests without a Content-Type, and 405s: requests built
/// byte by byte here (little-endian, as the extension specifies), answers checked against the
/// toy model's closed form (`toyExpected`).
@Suite struct OpenInferenceBinaryTests {
    static let header = HTTPField.Name("Inference-Header-Content-Length")

    /// JSON of `json` followed by `binary`, with the header naming the JSON's length.
    static func binaryRequest(_ json: String, _ binary: [UInt8], contentType: String? = nil) -> (HTTPFields, ByteBuffer) {
        var headers: HTTPFields = [:]
        if let name = header { headers[name] = String(json.utf8.count) }
        if let contentType { headers[.contentType] = contentType }
        var b = ByteBuffer(string: json)
        b.writeBytes(binary)
        return (headers, b)
    }

    static func le<T: FixedWidthInteger>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }
    static func fp32(_ xs: [Float]) -> [UInt8] { xs.flatMap { le($0.bitPattern) } }
    static func fp64(_ xs: [Double]) -> [UInt8] { xs.flatMap { le($0.bitPattern) } }
    static func bytes(_ xs: [String]) -> [UInt8] { xs.flatMap { le(UInt32($0.utf8.count)) + Array($0.utf8) } }

    static let medInc: [Float] = [1.5, 2, -3.25]
    static let houseAge: [Double] = [10, 20.5, 30]
    static let ocean = ["INLAND", "NEAR BAY", "ISLAND"]
    static var expected: [Double] { (0..<3).map { toyExpected(Double(medInc[$0]), houseAge[$0], ocean[$0]) } }

    /// Inputs as binary (FP32, FP64, BYTES); `outputs` and `parameters` JSON spliced in.
    static func request(outputs: String = "", parameters: String = "") -> (String, [UInt8]) {
        let m = fp32(medInc), a = fp64(houseAge), o = bytes(ocean)
        let json = """
        {"id":"bin-1","inputs":[\
        {"name":"MedInc","shape":[3],"datatype":"FP32","parameters":{"binary_data_size":\(m.count)}},\
        {"name":"HouseAge","shape":[3],"datatype":"FP64","parameters":{"binary_data_size":\(a.count)}},\
        {"name":"Ocean","shape":[3],"datatype":"BYTES","parameters":{"binary_data_size":\(o.count)}}]\(outputs)\(parameters)}
        """
        return (json, m + a + o)
    }

    @Test(arguments: [nil, "application/octet-stream"] as [String?])
    func binaryInputsJSONOutputs(contentType: String?) async throws {
        let h = try await Harness()
        let (json, binary) = Self.request()
        let (headers, payload) = Self.binaryRequest(json, binary, contentType: contentType)
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: headers, body: payload) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                #expect(r.headers[.contentType] == "application/json")
                let out = (object(r.body)["outputs"] as? [[String: Any]])?.first ?? [:]
                #expect(out["data"] as? [Double] == Self.expected)
                #expect(object(r.body)["id"] as? String == "bin-1")
            }
        }
    }

    @Test func binaryOutputsByRequestParameterAndPerOutput() async throws {
        let h = try await Harness()
        for (outputs, parameters) in [("", #","parameters":{"binary_data_output":true}"#),
                                      (#","outputs":[{"name":"predictions","parameters":{"binary_data":true}}]"#, "")] {
            let (json, binary) = Self.request(outputs: outputs, parameters: parameters)
            let (headers, payload) = Self.binaryRequest(json, binary)
            try await h.server.buildApplication().test(.router) { client in
                try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: headers, body: payload) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentType] == "application/octet-stream")
                    let n = Int(r.headers[try #require(Self.header)] ?? "") ?? -1
                    var b = r.body
                    let slice = b.readSlice(length: n)
                    let jsonPart = try #require(slice)
                    let out = (object(jsonPart)["outputs"] as? [[String: Any]])?.first ?? [:]
                    #expect(out["data"] == nil)
                    #expect((out["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 24)
                    var values: [Double] = []
                    while let bits = b.readInteger(endianness: .little, as: UInt64.self) { values.append(Double(bitPattern: bits)) }
                    #expect(values == Self.expected)
                }
            }
        }
    }

    /// A classifier's BYTES label output as binary: a 4-byte length, then the label's bytes.
    @Test func binaryLabelOutput() async throws {
        let h = try await Harness(model: Versioned(base: Classifiers.three, name: "housing", version: "1"))
        let rows = ClassifierServingTests.threeRows
        let request = """
        {"inputs":[{"name":"MedInc","shape":[\(rows.count)],"datatype":"FP64","data":\(rows.map { $0.0 })},
          {"name":"HouseAge","shape":[\(rows.count)],"datatype":"FP64","data":\(rows.map { $0.1 })},
          {"name":"Ocean","shape":[\(rows.count)],"datatype":"BYTES","data":[\(rows.map { "\"\($0.2)\"" }.joined(separator: ","))]}],
         "outputs":[{"name":"label","parameters":{"binary_data":true}}]}
        """
        let probabilities = try Classifiers.three.predict(rows: rows.map { [.number($0.0), .number($0.1), .string($0.2)] })
        let expectedLabels = ClassDecision.classIndices(probabilities, classes: 3, threshold: nil).map { ["0", "1", "2"][$0] }
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, body: body(request)) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                let n = Int(r.headers[try #require(Self.header)] ?? "") ?? -1
                var b = r.body
                let slice = b.readSlice(length: n)
                let jsonPart = try #require(slice)
                let outs = object(jsonPart)["outputs"] as? [[String: Any]] ?? []
                #expect(outs.map { $0["name"] as? String } == ["label"])
                var labels: [String] = []
                while let length = b.readInteger(endianness: .little, as: UInt32.self), let s = b.readString(length: Int(length)) { labels.append(s) }
                #expect(labels == expectedLabels)
            }
        }
    }

    @Test func noContentTypeIsJSONAndOtherTypesAre415() async throws {
        let h = try await Harness()
        let request = #"{"inputs":[{"name":"MedInc","shape":[1],"datatype":"FP64","data":[1]},{"name":"HouseAge","shape":[1],"datatype":"INT32","data":[2]},{"name":"Ocean","shape":[1],"datatype":"BYTES","data":[null]}]}"#
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, body: body(request)) { r in
                #expect(r.status == .ok)
                #expect(((object(r.body)["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) == [toyExpected(1, 2, nil)])
            }
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: [.contentType: "text/plain"], body: body(request)) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            // /predict still requires JSON.
            try await client.execute(uri: "/predict", method: .post, body: body(#"{"MedInc":1,"HouseAge":2,"Ocean":null}"#)) { r in
                #expect(r.status == .unsupportedMediaType)
            }
        }
    }

    @Test(arguments: [
        ("size too large", "{\"inputs\":[{\"name\":\"MedInc\",\"shape\":[1],\"datatype\":\"FP64\",\"parameters\":{\"binary_data_size\":16}}]}", fp64([1]), "only 8 bytes"),
        ("size not the shape's", "{\"inputs\":[{\"name\":\"MedInc\",\"shape\":[2],\"datatype\":\"FP64\",\"parameters\":{\"binary_data_size\":8}}]}", fp64([1]), "take 16 bytes"),
        ("bytes left over", "{\"inputs\":[{\"name\":\"MedInc\",\"shape\":[1],\"datatype\":\"FP64\",\"parameters\":{\"binary_data_size\":8}}]}", fp64([1, 2]), "8 bytes of binary data follow"),
        ("data and size", "{\"inputs\":[{\"name\":\"MedInc\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[1],\"parameters\":{\"binary_data_size\":8}}]}", fp64([1]), "both data and binary_data_size"),
        ("BYTES length past the end", "{\"inputs\":[{\"name\":\"Ocean\",\"shape\":[1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":6}}]}", le(UInt32(9)) + [65, 66], "9 bytes long"),
        ("BYTES count", "{\"inputs\":[{\"name\":\"Ocean\",\"shape\":[2],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":5}}]}", bytes(["A"]), "needs 2 BYTES elements"),
    ] as [(String, String, [UInt8], String)])
    func binaryErrorsAre400(_ what: String, json: String, binary: [UInt8], fragment: String) async throws {
        let h = try await Harness()
        let (headers, payload) = Self.binaryRequest(json, binary)
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: headers, body: payload) { r in
                #expect(r.status == .badRequest, "\(what)")
                #expect((object(r.body)["error"] as? String)?.contains(fragment) == true, "\(what): \(String(buffer: r.body))")
            }
        }
    }

    @Test func binaryDataSizeNeedsTheHeaderAndTheHeaderMustFit() async throws {
        let h = try await Harness()
        let json = #"{"inputs":[{"name":"MedInc","shape":[1],"datatype":"FP64","parameters":{"binary_data_size":8}}]}"#
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(json)) { r in
                #expect(r.status == .badRequest)
                #expect((object(r.body)["error"] as? String)?.contains("Inference-Header-Content-Length") == true)
            }
            var headers: HTTPFields = [:]
            headers[try #require(Self.header)] = "999"
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: headers, body: body(json)) { r in
                #expect(r.status == .badRequest)
                #expect((object(r.body)["error"] as? String)?.contains("has only") == true)
            }
        }
    }

    @Test func serverMetadataListsTheExtension() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2", method: .get) { r in
                #expect(object(r.body)["extensions"] as? [String] == ["binary_tensor_data"])
            }
        }
    }

    @Test(arguments: TestPath.allCases)
    func wrongMethodIs405WithAllow(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            for (uri, method, allow) in [("/predict", HTTPRequest.Method.get, "POST"), ("/health", .post, "GET"),
                                         ("/v2/models/housing/infer", .delete, "POST"), ("/v2/models/any/versions/3/ready", .put, "GET"),
                                         ("/openapi.json", .head, "GET")] {
                try await client.execute(uri: uri, method: method) { r in
                    #expect(r.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(r.headers[.allow] == allow, "\(method) \(uri)")
                }
            }
            try await client.execute(uri: "/nowhere", method: .get) { r in #expect(r.status == .notFound) }
            // A known route's own 404 (an unknown model) stays a 404.
            try await client.execute(uri: "/v2/models/nope", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    /// Every route of the table answers its own method (no 405), so `Allow` never lies.
    @Test func routeTableMatchesTheRouter() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            for route in PlumbServer.routeTable {
                let uri = "/" + route.path.map { $0.hasPrefix(":") ? "x" : String($0) }.joined(separator: "/")
                try await client.execute(uri: uri, method: route.method) { r in
                    #expect(r.status != .methodNotAllowed, "\(route.method) \(uri)")
                }
            }
        }
    }
}
