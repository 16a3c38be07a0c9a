// The OpenAPI 3.1 description of every route, written by hand (served at GET /openapi.json). A
// classifier's document is this one with the schemas of its answers, feedback and model
// description replaced (`classifier(_:)`).
import MLCore
import NIOCore

enum OpenAPIDocument {
    static let json = #"""
{"openapi":"3.1.0",
"info":{"title":"Plumb model server","version":"0.1.0","description":"Scores tabular rows with the served model. Validation errors are 422 {error:'validation', detail:[{loc,msg,type}]}; other errors are {error:message}. A path asked with a method it does not have is 405 with Allow. Open Inference Protocol (/v2) bodies are read as JSON without a Content-Type; its binary tensor data extension (Inference-Header-Content-Length, binary_data_size, binary_data, binary_data_output) is supported."},
"paths":{
"/predict":{"post":{"summary":"Score one row or a batch","operationId":"predict",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/Row"},{"$ref":"#/components/schemas/Batch"}]}}}},
 "responses":{"200":{"description":"Prediction(s)","content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/Prediction"},{"$ref":"#/components/schemas/BatchPrediction"}]}}}},
  "400":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},
  "422":{"$ref":"#/components/responses/Validation"},"500":{"$ref":"#/components/responses/Error"},"503":{"$ref":"#/components/responses/Error"}}}},
"/feedback":{"post":{"summary":"Record the observed outcome of a logged prediction","operationId":"feedback",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["request_id","actual"],"additionalProperties":false,
  "properties":{"request_id":{"type":"string"},"actual":{"type":"number"}}}}}},
 "responses":{"200":{"description":"Recorded","content":{"application/json":{"schema":{"type":"object","required":["request_id","recorded"],"properties":{"request_id":{"type":"string"},"recorded":{"type":"boolean"}}}}}},
  "400":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},
  "422":{"$ref":"#/components/responses/Validation"},"503":{"$ref":"#/components/responses/Error"}}}},
"/health":{"get":{"summary":"Liveness (always 200 while the process runs)","operationId":"health","responses":{"200":{"description":"Alive","content":{"application/json":{"schema":{"type":"object","required":["status"],"properties":{"status":{"const":"ok"}}}}}}}}},
"/ready":{"get":{"summary":"Readiness (200 once a model is loaded)","operationId":"ready","responses":{
 "200":{"description":"Ready","content":{"application/json":{"schema":{"type":"object","required":["ready","model"],"properties":{"ready":{"const":true},"model":{"$ref":"#/components/schemas/ModelRef"}}}}}},
 "503":{"description":"No model loaded yet","content":{"application/json":{"schema":{"type":"object","required":["ready"],"properties":{"ready":{"const":false}}}}}}}}},
"/model":{"get":{"summary":"The served model: name, version, kind, features, metrics","operationId":"model",
 "responses":{"200":{"description":"Model description","content":{"application/json":{"schema":{"$ref":"#/components/schemas/ModelInfo"}}}},"503":{"$ref":"#/components/responses/Error"}}}},
"/openapi.json":{"get":{"summary":"This document","operationId":"openapi","responses":{"200":{"description":"OpenAPI 3.1 document","content":{"application/json":{"schema":{"type":"object"}}}}}}},
"/metrics":{"get":{"summary":"Prometheus metrics","operationId":"metrics","responses":{"200":{"description":"Text exposition format 0.0.4","content":{"text/plain":{"schema":{"type":"string"}}}}}}},
"/admin/reload":{"post":{"summary":"Poll the model source now and hot-swap a new model","operationId":"adminReload","security":[{"bearer":[]}],
 "responses":{"200":{"description":"Reloaded or unchanged","content":{"application/json":{"schema":{"type":"object","required":["reloaded","model"],"properties":{"reloaded":{"type":"boolean"},"model":{"$ref":"#/components/schemas/ModelRef"}}}}}},
  "401":{"description":"Missing or wrong bearer token","headers":{"WWW-Authenticate":{"required":true,"schema":{"type":"string"}}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "404":{"description":"Admin routes are disabled (PLUMB_ADMIN_TOKEN unset)","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "500":{"$ref":"#/components/responses/Error"},"503":{"$ref":"#/components/responses/Error"}}}},
"/admin/switch":{"post":{"summary":"Blue-green: send all traffic to one variant, atomically (every variant stays loaded)","operationId":"adminSwitch","security":[{"bearer":[]}],
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["to"],"properties":{"to":{"type":"string","description":"A variant's name"}}}}}},
 "responses":{"200":{"description":"Switched","content":{"application/json":{"schema":{"type":"object","required":["active","previous","variants"],"properties":{"active":{"type":"string"},"previous":{"type":["string","null"]},"variants":{"type":"array","items":{"$ref":"#/components/schemas/Variant"}}}}}}},
  "401":{"description":"Missing or wrong bearer token","headers":{"WWW-Authenticate":{"required":true,"schema":{"type":"string"}}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "404":{"description":"Admin routes are disabled (PLUMB_ADMIN_TOKEN unset)","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "409":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},
  "422":{"$ref":"#/components/responses/Validation"},"503":{"$ref":"#/components/responses/Error"}}}},
"/admin/variants":{"get":{"summary":"The variants (canary, A/B, blue-green): model, weight, and the one taking all traffic","operationId":"adminVariants","security":[{"bearer":[]}],
 "responses":{"200":{"description":"Variants","content":{"application/json":{"schema":{"type":"object","required":["active","route_by","variants"],"properties":{"active":{"type":["string","null"]},"route_by":{"type":["string","null"]},"variants":{"type":"array","items":{"$ref":"#/components/schemas/Variant"}}}}}}},
  "401":{"description":"Missing or wrong bearer token","headers":{"WWW-Authenticate":{"required":true,"schema":{"type":"string"}}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "404":{"description":"Admin routes are disabled (PLUMB_ADMIN_TOKEN unset)","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "409":{"$ref":"#/components/responses/Error"}}}},
"/v2":{"get":{"summary":"Open Inference Protocol server metadata","operationId":"v2ServerMetadata","responses":{"200":{"description":"Server metadata","content":{"application/json":{"schema":{"type":"object","required":["name","version","extensions"],"properties":{"name":{"type":"string"},"version":{"type":"string"},"extensions":{"type":"array","items":{"type":"string"}}}}}}}}}},
"/v2/health/live":{"get":{"summary":"OIP liveness","operationId":"v2Live","responses":{"200":{"description":"Live","content":{"application/json":{"schema":{"type":"object","required":["live"],"properties":{"live":{"const":true}}}}}}}}},
"/v2/health/ready":{"get":{"summary":"OIP readiness","operationId":"v2Ready","responses":{
 "200":{"description":"Ready","content":{"application/json":{"schema":{"type":"object","required":["ready"],"properties":{"ready":{"const":true}}}}}},
 "503":{"description":"Not ready","content":{"application/json":{"schema":{"type":"object","required":["ready"],"properties":{"ready":{"const":false}}}}}}}}},
"/v2/models/{name}":{"get":{"summary":"OIP model metadata","operationId":"v2ModelMetadata","parameters":[{"$ref":"#/components/parameters/ModelName"}],
 "responses":{"200":{"description":"Model metadata","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPModelMetadata"}}}},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}":{"get":{"summary":"OIP model metadata for one version","operationId":"v2ModelVersionMetadata","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],
 "responses":{"200":{"description":"Model metadata","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPModelMetadata"}}}},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/ready":{"get":{"summary":"OIP model readiness","operationId":"v2ModelReady","parameters":[{"$ref":"#/components/parameters/ModelName"}],"responses":{"200":{"$ref":"#/components/responses/OIPModelReady"},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}/ready":{"get":{"summary":"OIP model version readiness","operationId":"v2ModelVersionReady","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],"responses":{"200":{"$ref":"#/components/responses/OIPModelReady"},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/infer":{"post":{"summary":"OIP inference: one [n, features] tensor or one [n] tensor per feature","operationId":"v2Infer","parameters":[{"$ref":"#/components/parameters/ModelName"}],
 "description":"The body may also be binary (binary tensor data extension): with Inference-Header-Content-Length: N the first N bytes are this JSON, then the raw little-endian data of each input whose parameters hold binary_data_size, in order (Content-Type absent or application/octet-stream).",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferRequest"}}}},
 "responses":{"200":{"$ref":"#/components/responses/OIPInferResponse"},"400":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},"500":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}/infer":{"post":{"summary":"OIP inference against one version","operationId":"v2VersionInfer","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],
 "description":"As /v2/models/{name}/infer, for one version.",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferRequest"}}}},
 "responses":{"200":{"$ref":"#/components/responses/OIPInferResponse"},"400":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},"500":{"$ref":"#/components/responses/Error"}}}}
},
"components":{
 "securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},
 "parameters":{"ModelName":{"name":"name","in":"path","required":true,"schema":{"type":"string"}},"ModelVersion":{"name":"version","in":"path","required":true,"schema":{"type":"string"}}},
 "responses":{
  "Error":{"description":"Error","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "MethodNotAllowed":{"description":"The path does not have this method","headers":{"Allow":{"required":true,"description":"The path's methods","schema":{"type":"string"}}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
  "Validation":{"description":"Validation error (every problem listed)","content":{"application/json":{"schema":{"type":"object","required":["error","detail"],"properties":{"error":{"const":"validation"},
   "detail":{"type":"array","items":{"type":"object","required":["loc","msg","type"],"properties":{"loc":{"type":"array","items":{"type":["string","integer"]}},"msg":{"type":"string"},"type":{"type":"string"}}}}}}}}},
  "OIPModelReady":{"description":"Ready","content":{"application/json":{"schema":{"type":"object","required":["name","ready"],"properties":{"name":{"type":"string"},"ready":{"const":true}}}}}},
  "OIPInferResponse":{"description":"Predictions: JSON, or (binary tensor data extension: outputs asked for with binary_data, or binary_data_output) this JSON followed by the outputs' binary data, its length in the Inference-Header-Content-Length header",
   "content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferResponse"}},"application/octet-stream":{"schema":{"type":"string","format":"binary"}}}}},
 "schemas":{
  "Error":{"type":"object","required":["error"],"properties":{"error":{"type":"string"}}},
  "Row":{"type":"object","description":"Named features: numbers for numeric features, strings for categorical ones, null for missing. No other keys.","additionalProperties":{"type":["number","string","null"]}},
  "Batch":{"type":"object","required":["instances"],"additionalProperties":false,"properties":{"instances":{"type":"array","minItems":1,"items":{"$ref":"#/components/schemas/Row"}}}},
  "ModelRef":{"type":"object","required":["name","version"],"properties":{"name":{"type":"string"},"version":{"type":"string"}}},
  "Variant":{"type":"object","required":["name","source","model","weight","percent","configured_weight"],"properties":{"name":{"type":"string"},"source":{"type":"string"},"model":{"oneOf":[{"$ref":"#/components/schemas/ModelRef"},{"type":"null"}]},"weight":{"type":"number"},"percent":{"type":"number"},"configured_weight":{"type":"number"}}},
  "Prediction":{"type":"object","required":["prediction","model","request_id"],"properties":{"prediction":{"type":["number","null"]},"model":{"$ref":"#/components/schemas/ModelRef"},"variant":{"type":"string","description":"The variant that answered (servers with canary, A/B or blue-green variants only; also the X-Plumb-Variant header)"},"request_id":{"type":"string"}}},
  "BatchPrediction":{"type":"object","required":["predictions","model","request_ids"],"properties":{"predictions":{"type":"array","items":{"type":["number","null"]}},"model":{"$ref":"#/components/schemas/ModelRef"},"variant":{"type":"string","description":"The variant that answered (servers with canary, A/B or blue-green variants only; also the X-Plumb-Variant header)"},"request_ids":{"type":"array","items":{"type":"string"},"description":"One id per row, in order (usable with /feedback)"}}},
  "ModelInfo":{"type":"object","required":["name","version","kind","source","loaded_at","features","metrics"],"properties":{"name":{"type":"string"},"version":{"type":"string"},"kind":{"type":"string"},"source":{"type":"string"},"loaded_at":{"type":"string"},
   "features":{"type":"array","items":{"type":"object","required":["name","type"],"properties":{"name":{"type":"string"},"type":{"enum":["numeric","categorical"]},"levels":{"type":"array","items":{"type":"string"}}}}},
   "metrics":{"type":"object","additionalProperties":{"type":["number","null"]}},"shadow":{"type":"object"}}},
  "OIPTensorMetadata":{"type":"object","required":["name","datatype","shape"],"properties":{"name":{"type":"string"},"datatype":{"type":"string"},"shape":{"type":"array","items":{"type":"integer"}}}},
  "OIPModelMetadata":{"type":"object","required":["name","versions","platform","inputs","outputs"],"properties":{"name":{"type":"string"},"versions":{"type":"array","items":{"type":"string"}},"platform":{"type":"string"},
   "inputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPTensorMetadata"}},"outputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPTensorMetadata"}}}},
  "OIPTensor":{"type":"object","required":["name","shape","datatype","data"],"properties":{"name":{"type":"string"},"shape":{"type":"array","minItems":1,"items":{"type":"integer","minimum":0}},"datatype":{"type":"string"},"data":{"type":"array"},"parameters":{"type":["object","null"]}}},
  "OIPOutputTensor":{"type":"object","required":["name","shape","datatype"],"properties":{"name":{"type":"string"},"shape":{"type":"array","items":{"type":"integer"}},"datatype":{"type":"string"},"data":{"type":"array"},
   "parameters":{"type":"object","properties":{"binary_data_size":{"type":"integer","minimum":0},"classes":{"type":"array","items":{"type":"string"}}}}}},
  "OIPInferRequest":{"type":"object","required":["inputs"],"properties":{"id":{"type":"string"},"inputs":{"type":"array","minItems":1,"items":{"$ref":"#/components/schemas/OIPTensor"}},"outputs":{"type":["array","null"]},"parameters":{"type":["object","null"],"properties":{"binary_data_output":{"type":["boolean","null"]}}}}},
  "OIPInferResponse":{"type":"object","required":["model_name","model_version","outputs"],"properties":{"model_name":{"type":"string"},"model_version":{"type":"string"},"id":{"type":"string"},"parameters":{"type":"object","properties":{"request_ids":{"type":"array","items":{"type":"string"}}}},"outputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPOutputTensor"}}}}
 }}}
"""#
}

extension OpenAPIDocument {
    /// The document for the served model (nil: none loaded yet): the fixed one with the model's
    /// features as the properties of a row, its outputs, name and version, the Open Inference
    /// tensors it takes, and a 405 answer on every operation. Built once per loaded model.
    /// Without `adminEnabled` (no admin token), /admin/reload is described as what it then is:
    /// a 404 whatever the credentials.
    static func document(for model: (any ServableModel)?, adminEnabled: Bool = true) -> String {
        // `json` is a constant that the tests parse; were it ever unreadable, serve it as it is.
        guard var doc = try? JSONValue.parse(json) else { return json }
        if let model {
            if let spec = model.classifier { applyClassifier(&doc, spec) }
            setFeatures(&doc, model.features)
            setOpenInference(&doc, model)
        }
        if !adminEnabled {
            for (path, method, id) in [("/admin/switch", "post", "adminSwitch"), ("/admin/variants", "get", "adminVariants")] {
                doc.set(["paths", path, method], object([
                    ("summary", .string("Disabled: the server has no admin token (PLUMB_ADMIN_TOKEN unset)")),
                    ("operationId", .string(id)),
                    ("responses", object([("404", object([("description", .string("Admin routes are disabled")),
                        ("content", object([("application/json", object([("schema", object([("$ref", .string("#/components/schemas/Error"))]))]))]))]))])),
                ]))
            }
            doc.set(["paths", "/admin/reload", "post"], object([
                ("summary", .string("Disabled: the server has no admin token (PLUMB_ADMIN_TOKEN unset)")),
                ("operationId", .string("adminReload")),
                ("responses", object([("404", object([("description", .string("Admin routes are disabled")),
                    ("content", object([("application/json", object([("schema", object([("$ref", .string("#/components/schemas/Error"))]))]))]))]))])),
            ]))
        }
        addMethodNotAllowed(&doc)
        return text(doc)
    }

    /// The document for a classifier: /predict answers a label and one probability per class
    /// (a batch, one such object per row under `predictions`), /feedback takes a class label,
    /// /model lists task, classes and threshold, and the OIP outputs are `label` and
    /// `probabilities`.
    static func classifier(_ spec: ClassifierSpec) -> String {
        guard var doc = try? JSONValue.parse(json) else { return json }
        applyClassifier(&doc, spec)
        return text(doc)
    }

    private static func applyClassifier(_ doc: inout JSONValue, _ spec: ClassifierSpec) {
        setPredictionSchemas(&doc, spec)
        setModelInfo(&doc, spec)
        setFeedback(&doc, spec)
        setOpenInference(&doc, spec)
    }

    private static func text(_ doc: JSONValue) -> String {
        var w = JSONWriter(capacity: json.utf8.count + 8192)
        w.value(doc)
        return String(buffer: w.buffer)
    }

    /// The largest finite Double: a number beyond it is not finite once read, and refused.
    private static let finite: [(String, JSONValue)] = [("minimum", .number(-Double.greatestFiniteMagnitude)),
                                                        ("maximum", .number(Double.greatestFiniteMagnitude))]

    /// One feature's value in a /predict row: a finite number or a string (the levels seen in
    /// training listed; another string is scored as an unseen level, as `plumb predict` does),
    /// null for missing.
    private static func featureSchema(_ f: FeatureSpec) -> JSONValue {
        switch f.kind {
        case .numeric:
            return object([("type", .array([.string("number"), .string("null")]))] + finite
                          + [("description", .string("numeric feature; null = missing"))])
        case .categorical:
            guard let levels = f.levels, !levels.isEmpty else {
                return object([("type", .array([.string("string"), .string("null")])),
                               ("description", .string("categorical feature; null = missing"))])
            }
            return object([
                ("description", .string("categorical feature: a level seen in training, or another string (scored as an unseen level, as plumb predict does); null = missing")),
                ("anyOf", .array([object([("type", .string("string")), ("enum", .array(levels.map(JSONValue.string)))]),
                                  object([("type", .string("string"))]),
                                  object([("type", .string("null"))])])),
            ])
        }
    }

    /// /predict's row: every feature a required property of its type, no other keys.
    private static func setFeatures(_ doc: inout JSONValue, _ features: [FeatureSpec]) {
        doc.set(schemas + ["Row"], object([
            ("type", .string("object")),
            ("description", .string("One row: every feature of the model, by name (null for missing); no other keys")),
            ("required", .array(features.map { .string($0.name) })),
            ("additionalProperties", .bool(false)),
            ("properties", object(features.map { ($0.name, featureSchema($0)) })),
        ]))
    }

    /// The model's name and version as the only values of the /v2 path parameters (others are
    /// 404), the outputs a request may name, and the tensors an infer request may hold: one per
    /// feature, or (all features numeric) one [n, features] matrix.
    private static func setOpenInference(_ doc: inout JSONValue, _ model: any ServableModel) {
        let parameters = ["components", "parameters"]
        doc.set(parameters + ["ModelName", "schema"], object([("type", .string("string")), ("enum", .array([.string(model.name)]))]))
        doc.set(parameters + ["ModelVersion", "schema"], object([("type", .string("string")), ("enum", .array([.string(model.version)]))]))
        let features = model.features
        let numericTypes = JSONValue.array(PlumbServer.numericFeatureDatatypes.sorted().map(JSONValue.string))
        let noBinary = object([("type", .array([.string("object"), .string("null")])),
                               ("properties", object([("binary_data_size", object([("type", .string("null")),
                                   ("description", .string("only in a binary request (Inference-Header-Content-Length)"))]))]))])
        /// `inner`: the length of a nested row (the shape's second dimension).
        func tensor(name: JSONValue, datatypes: JSONValue, shape: JSONValue, elements: [String], inner: [(String, JSONValue)]) -> JSONValue {
            let scalar = object([("type", .array(elements.map(JSONValue.string)))] + (elements.contains("number") ? finite : []))
            return object([("type", .string("object")), ("required", .array(["name", "datatype", "shape", "data"].map(JSONValue.string))),
                    ("properties", object([
                        ("name", name), ("datatype", object([("enum", datatypes)])), ("shape", shape),
                        ("data", object([("type", .string("array")), ("description", .string("row-major, flat or nested as the shape")),
                                         ("items", object([("anyOf", .array([scalar, object([("type", .string("array")), ("items", scalar)] + inner)]))]))])),
                        ("parameters", noBinary),
                    ]))])
        }
        let rowsShape = object([("type", .string("array")), ("minItems", .number(1)), ("maxItems", .number(2)),
                                ("prefixItems", .array([object([("type", .string("integer")), ("minimum", .number(1))]), object([("const", .number(1))])]))])
        let one: [(String, JSONValue)] = [("minItems", .number(1)), ("maxItems", .number(1))]
        let perFeature = features.map { f in
            f.kind == .numeric
                ? tensor(name: object([("const", .string(f.name))]), datatypes: numericTypes, shape: rowsShape,
                         elements: ["number", "boolean", "null"], inner: one)
                : tensor(name: object([("const", .string(f.name))]), datatypes: .array([.string("BYTES")]), shape: rowsShape,
                         elements: ["string", "null"], inner: one)
        }
        var layouts: [JSONValue] = [object([
            ("type", .string("array")), ("description", .string("one [n] (or [n, 1]) tensor per feature, named like it, n equal for all")),
            ("minItems", .number(Double(features.count))), ("maxItems", .number(Double(features.count))),
            ("items", object([("anyOf", .array(perFeature))])),
            // Each feature once: every name present among exactly as many tensors as features.
            ("allOf", .array(features.map { f in
                object([("contains", object([("type", .string("object")), ("required", .array([.string("name")])),
                                              ("properties", object([("name", object([("const", .string(f.name))]))]))]))])
            })),
        ])]
        if features.allSatisfy({ $0.kind == .numeric }) {
            let matrixShape = object([("type", .string("array")), ("minItems", .number(2)), ("maxItems", .number(2)),
                                      ("prefixItems", .array([object([("type", .string("integer")), ("minimum", .number(1))]),
                                                              object([("const", .number(Double(features.count)))])]))])
            let name: JSONValue = features.count == 1
                ? object([("type", .string("string")), ("not", object([("enum", .array(features.map { .string($0.name) }))]))])
                : object([("type", .string("string"))])
            layouts.append(object([
                ("type", .string("array")), ("description", .string("one [n, \(features.count)] tensor, columns in the model's feature order")),
                ("minItems", .number(1)), ("maxItems", .number(1)),
                ("items", tensor(name: name, datatypes: numericTypes, shape: matrixShape, elements: ["number", "boolean"],
                                 inner: [("minItems", .number(Double(features.count))), ("maxItems", .number(Double(features.count)))])),
            ]))
        }
        let request = schemas + ["OIPInferRequest", "properties"]
        doc.set(request + ["inputs"], object([("anyOf", .array(layouts))]))
        doc.set(request + ["id"], object([("type", .array([.string("string"), .string("null")]))]))
        var outputs: [JSONValue] = model.classifier == nil ? [.string("predictions")] : [.string("label"), .string("probabilities")]
        if model is any ExplainableServableModel { outputs.append(.string(PlumbServer.contributionsOutput)) }
        doc.set(request + ["outputs"], object([
            ("type", .array([.string("array"), .string("null")])),
            ("description", .string("The outputs to return (default all); binary_data: true returns one as binary data")),
            ("items", object([("type", .string("object")), ("required", .array([.string("name")])),
                              ("properties", object([
                                ("name", object([("enum", .array(outputs))])),
                                ("parameters", object([("type", .array([.string("object"), .string("null")])),
                                                       ("properties", object([
                                                        ("binary_data", object([("type", .array([.string("boolean"), .string("null")]))])),
                                                        ("classification", object([("enum", .array([.number(0), .null]))])),
                                                       ]))])),
                              ]))])),
        ]))
    }

    /// A 405 (with `Allow`) on every operation: the server's answer to a method a path lacks.
    private static func addMethodNotAllowed(_ doc: inout JSONValue) {
        for path in doc["paths"]?.objectValue ?? [] {
            for operation in path.value.objectValue ?? [] {
                doc.set(["paths", path.key, operation.key, "responses", "405"],
                        object([("$ref", .string("#/components/responses/MethodNotAllowed"))]))
            }
        }
    }

    private static let schemas = ["components", "schemas"]

    private static func ref(_ schema: String) -> JSONValue {
        object(["$ref": .string("#/components/schemas/\(schema)")])
    }

    private static func classEnum(_ spec: ClassifierSpec) -> JSONValue {
        .array(spec.classes.map(JSONValue.string))
    }

    /// /predict's answers: `Prediction` and `BatchPrediction` replaced, `ClassPrediction` (one
    /// row's label and probabilities) and `ClassProbabilities` added.
    private static func setPredictionSchemas(_ doc: inout JSONValue, _ spec: ClassifierSpec) {
        let classes = spec.classes
        let label = object(["type": .string("string"), "enum": classEnum(spec), "description": .string("The predicted class")])
        let probability = object(["type": .string("number"), "minimum": .number(0), "maximum": .number(1)])
        doc.set(schemas + ["ClassProbabilities"], object([
            "type": .string("object"),
            "description": .string("One probability per class, in the model's class order"),
            "properties": object(classes.map { ($0, probability) }),
            "required": classEnum(spec),
            "additionalProperties": .bool(false),
        ]))
        let rule = spec.task == .binary
            ? "'\(classes[1])' when its probability is at least \(spec.threshold ?? 0.5), else '\(classes[0])'"
            : "the most probable class"
        doc.set(schemas + ["ClassPrediction"], object([
            "type": .string("object"), "required": .array([.string("label"), .string("probabilities")]),
            "description": .string("A \(spec.task.rawValue) classifier's answer for one row; the label is \(rule)"),
            "properties": object([("label", label), ("probabilities", ref("ClassProbabilities"))]),
        ]))
        doc.set(schemas + ["Prediction"], object([
            "type": .string("object"), "required": .array([.string("label"), .string("probabilities"), .string("model"), .string("request_id")]),
            "properties": object([("label", label), ("probabilities", ref("ClassProbabilities")), ("model", ref("ModelRef")),
                                  ("variant", variantProperty), ("request_id", object(["type": .string("string")]))]),
        ]))
        doc.set(schemas + ["BatchPrediction"], object([
            "type": .string("object"), "required": .array([.string("predictions"), .string("model"), .string("request_ids")]),
            "properties": object([
                ("predictions", object(["type": .string("array"), "items": ref("ClassPrediction"), "description": .string("One per row, in order")])),
                ("model", ref("ModelRef")),
                ("variant", variantProperty),
                ("request_ids", object(["type": .string("array"), "items": object(["type": .string("string")]),
                                        "description": .string("One id per row, in order (usable with /feedback)")])),
            ]),
        ]))
    }

    /// The optional `variant` of an answer (servers with variants only).
    private static var variantProperty: JSONValue {
        object([("type", .string("string")),
                ("description", .string("The variant that answered (servers with canary, A/B or blue-green variants only; also the X-Plumb-Variant header)"))])
    }

    /// /model's description gains task, classes and (binary) threshold.
    private static func setModelInfo(_ doc: inout JSONValue, _ spec: ClassifierSpec) {
        let modelInfo = schemas + ["ModelInfo", "properties"]
        doc.set(modelInfo + ["task"], object(["enum": .array([.string("binary"), .string("multiclass")])]))
        doc.set(modelInfo + ["classes"], object(["type": .string("array"), "items": object(["type": .string("string")]),
                                                 "description": .string("Class labels, in the order of the probabilities")]))
        if spec.task == .binary {
            doc.set(modelInfo + ["threshold"], object(["type": .string("number"),
                                                       "description": .string("classes[1] is predicted when its probability is at least this")]))
        }
    }

    /// /feedback takes a class label and answers the label recorded.
    private static func setFeedback(_ doc: inout JSONValue, _ spec: ClassifierSpec) {
        let feedback = ["paths", "/feedback", "post"]
        // A number names the class written as that number (1 or 1.0: "1"): only classes that are
        // numbers written that way can be named so.
        let numbers = spec.classes.compactMap { c in Double(c).flatMap { ClassDecision.labelText(of: $0) == c ? JSONValue.number($0) : nil } }
        var choices = [object(["type": .string("string"), "enum": classEnum(spec)])]
        if !numbers.isEmpty { choices.append(object(["type": .string("number"), "enum": .array(numbers)])) }
        doc.set(feedback + ["requestBody", "content", "application/json", "schema", "properties", "actual"], object([
            "description": .string(numbers.isEmpty ? "The true class label"
                                                   : "The true class label; a number names the class written as that number (1 or 1.0: \"1\")"),
            "oneOf": .array(choices),
        ]))
        doc.set(feedback + ["responses", "200", "content", "application/json", "schema", "properties", "label"], object(["type": .string("string")]))
    }

    /// OIP infer: the outputs a request may name, and what the answer holds.
    private static func setOpenInference(_ doc: inout JSONValue, _ spec: ClassifierSpec) {
        doc.set(schemas + ["OIPInferRequest", "properties", "outputs"], object([
            "type": .string("array"),
            "description": .string("The outputs to return (default both)"),
            "items": object(["type": .string("object"), "required": .array([.string("name")]),
                             "properties": object(["name": object(["enum": .array([.string("label"), .string("probabilities")])])])]),
        ]))
        let classes = spec.classes
        let outputs = "Outputs: label (BYTES, shape [n]) and probabilities (FP64, shape [n, \(classes.count)], row-major, classes in order: \(classes.joined(separator: ", ")))"
        for path in ["/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer"] {
            doc.set(["paths", path, "post", "responses", "200", "description"], .string(outputs))
        }
    }

    private static func object(_ members: [String: JSONValue]) -> JSONValue {
        // Sorted keys: the document is the same bytes for the same model.
        .object(members.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: $0.value) })
    }

    private static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.map { JSONValue.Member(key: $0.0, value: $0.1) })
    }
}

extension JSONValue {
    /// Sets the value at a path of object keys, creating objects on the way and replacing the
    /// last member of each name.
    mutating func set(_ path: [String], _ value: JSONValue) {
        guard let key = path.first else { self = value; return }
        var members = objectValue ?? []
        if let i = members.lastIndex(where: { $0.key == key }) {
            members[i].value.set(Array(path.dropFirst()), value)
        } else {
            var child = JSONValue.object([])
            child.set(Array(path.dropFirst()), value)
            members.append(Member(key: key, value: child))
        }
        self = .object(members)
    }
}
