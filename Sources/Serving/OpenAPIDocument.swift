// The OpenAPI 3.1 description of every route, written by hand (served at GET /openapi.json). A
// classifier's document is this one with the schemas of its answers, feedback and model
// description replaced (`classifier(_:)`).
import NIOCore

enum OpenAPIDocument {
    static let json = #"""
{"openapi":"3.1.0",
"info":{"title":"Plumb model server","version":"0.1.0","description":"Scores tabular rows with the served model. Validation errors are 422 {error:'validation', detail:[{loc,msg,type}]}; other errors are {error:message}."},
"paths":{
"/predict":{"post":{"summary":"Score one row or a batch","operationId":"predict",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/Row"},{"$ref":"#/components/schemas/Batch"}]}}}},
 "responses":{"200":{"description":"Prediction(s)","content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/Prediction"},{"$ref":"#/components/schemas/BatchPrediction"}]}}}},
  "413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},
  "422":{"$ref":"#/components/responses/Validation"},"503":{"$ref":"#/components/responses/Error"}}}},
"/feedback":{"post":{"summary":"Record the observed outcome of a logged prediction","operationId":"feedback",
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["request_id","actual"],"additionalProperties":false,
  "properties":{"request_id":{"type":"string"},"actual":{"type":"number"}}}}}},
 "responses":{"200":{"description":"Recorded","content":{"application/json":{"schema":{"type":"object","properties":{"request_id":{"type":"string"},"recorded":{"type":"boolean"}}}}}},
  "404":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"},"422":{"$ref":"#/components/responses/Validation"}}}},
"/health":{"get":{"summary":"Liveness (always 200 while the process runs)","operationId":"health","responses":{"200":{"description":"Alive","content":{"application/json":{"schema":{"type":"object","properties":{"status":{"type":"string"}}}}}}}}},
"/ready":{"get":{"summary":"Readiness (200 once a model is loaded)","operationId":"ready","responses":{"200":{"description":"Ready"},"503":{"description":"No model loaded yet"}}}},
"/model":{"get":{"summary":"The served model: name, version, kind, features, metrics","operationId":"model",
 "responses":{"200":{"description":"Model description","content":{"application/json":{"schema":{"$ref":"#/components/schemas/ModelInfo"}}}},"503":{"$ref":"#/components/responses/Error"}}}},
"/openapi.json":{"get":{"summary":"This document","operationId":"openapi","responses":{"200":{"description":"OpenAPI 3.1 document","content":{"application/json":{}}}}}},
"/metrics":{"get":{"summary":"Prometheus metrics","operationId":"metrics","responses":{"200":{"description":"Text exposition format 0.0.4","content":{"text/plain":{"schema":{"type":"string"}}}}}}},
"/admin/reload":{"post":{"summary":"Poll the model source now and hot-swap a new model","operationId":"adminReload","security":[{"bearer":[]}],
 "responses":{"200":{"description":"Reloaded or unchanged","content":{"application/json":{"schema":{"type":"object","properties":{"reloaded":{"type":"boolean"},"model":{"$ref":"#/components/schemas/ModelRef"}}}}}},
  "401":{"$ref":"#/components/responses/Error"},"404":{"description":"Admin routes are disabled (PLUMB_ADMIN_TOKEN unset)"}}}},
"/v2":{"get":{"summary":"Open Inference Protocol server metadata","operationId":"v2ServerMetadata","responses":{"200":{"description":"Server metadata","content":{"application/json":{"schema":{"type":"object","properties":{"name":{"type":"string"},"version":{"type":"string"},"extensions":{"type":"array","items":{"type":"string"}}}}}}}}}},
"/v2/health/live":{"get":{"summary":"OIP liveness","operationId":"v2Live","responses":{"200":{"description":"Live"}}}},
"/v2/health/ready":{"get":{"summary":"OIP readiness","operationId":"v2Ready","responses":{"200":{"description":"Ready"},"503":{"description":"Not ready"}}}},
"/v2/models/{name}":{"get":{"summary":"OIP model metadata","operationId":"v2ModelMetadata","parameters":[{"$ref":"#/components/parameters/ModelName"}],
 "responses":{"200":{"description":"Model metadata","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPModelMetadata"}}}},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}":{"get":{"summary":"OIP model metadata for one version","operationId":"v2ModelVersionMetadata","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],
 "responses":{"200":{"description":"Model metadata","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPModelMetadata"}}}},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/ready":{"get":{"summary":"OIP model readiness","operationId":"v2ModelReady","parameters":[{"$ref":"#/components/parameters/ModelName"}],"responses":{"200":{"description":"Ready"},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}/ready":{"get":{"summary":"OIP model version readiness","operationId":"v2ModelVersionReady","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],"responses":{"200":{"description":"Ready"},"404":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/infer":{"post":{"summary":"OIP inference: one [n, features] tensor or one [n] tensor per feature","operationId":"v2Infer","parameters":[{"$ref":"#/components/parameters/ModelName"}],
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferRequest"}}}},
 "responses":{"200":{"description":"Predictions","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferResponse"}}}},"400":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"},"413":{"$ref":"#/components/responses/Error"},"415":{"$ref":"#/components/responses/Error"}}}},
"/v2/models/{name}/versions/{version}/infer":{"post":{"summary":"OIP inference against one version","operationId":"v2VersionInfer","parameters":[{"$ref":"#/components/parameters/ModelName"},{"$ref":"#/components/parameters/ModelVersion"}],
 "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferRequest"}}}},
 "responses":{"200":{"description":"Predictions","content":{"application/json":{"schema":{"$ref":"#/components/schemas/OIPInferResponse"}}}},"400":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"}}}}
},
"components":{
 "securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},
 "parameters":{"ModelName":{"name":"name","in":"path","required":true,"schema":{"type":"string"}},"ModelVersion":{"name":"version","in":"path","required":true,"schema":{"type":"string"}}},
 "responses":{
  "Error":{"description":"Error","content":{"application/json":{"schema":{"type":"object","required":["error"],"properties":{"error":{"type":"string"}}}}}},
  "Validation":{"description":"Validation error (every problem listed)","content":{"application/json":{"schema":{"type":"object","properties":{"error":{"const":"validation"},
   "detail":{"type":"array","items":{"type":"object","properties":{"loc":{"type":"array","items":{"type":["string","integer"]}},"msg":{"type":"string"},"type":{"type":"string"}}}}}}}}}},
 "schemas":{
  "Row":{"type":"object","description":"Named features: numbers for numeric features, strings for categorical ones, null for missing. No other keys.","additionalProperties":{"type":["number","string","null"]}},
  "Batch":{"type":"object","required":["instances"],"additionalProperties":false,"properties":{"instances":{"type":"array","minItems":1,"items":{"$ref":"#/components/schemas/Row"}}}},
  "ModelRef":{"type":"object","properties":{"name":{"type":"string"},"version":{"type":"string"}}},
  "Prediction":{"type":"object","properties":{"prediction":{"type":"number"},"model":{"$ref":"#/components/schemas/ModelRef"},"request_id":{"type":"string"}}},
  "BatchPrediction":{"type":"object","properties":{"predictions":{"type":"array","items":{"type":"number"}},"model":{"$ref":"#/components/schemas/ModelRef"},"request_ids":{"type":"array","items":{"type":"string"},"description":"One id per row, in order (usable with /feedback)"}}},
  "ModelInfo":{"type":"object","properties":{"name":{"type":"string"},"version":{"type":"string"},"kind":{"type":"string"},"source":{"type":"string"},"loaded_at":{"type":"string"},
   "features":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"type":{"enum":["numeric","categorical"]},"levels":{"type":"array","items":{"type":"string"}}}}},
   "metrics":{"type":"object","additionalProperties":{"type":"number"}},"shadow":{"type":"object"}}},
  "OIPTensorMetadata":{"type":"object","properties":{"name":{"type":"string"},"datatype":{"type":"string"},"shape":{"type":"array","items":{"type":"integer"}}}},
  "OIPModelMetadata":{"type":"object","properties":{"name":{"type":"string"},"versions":{"type":"array","items":{"type":"string"}},"platform":{"type":"string"},
   "inputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPTensorMetadata"}},"outputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPTensorMetadata"}}}},
  "OIPTensor":{"type":"object","required":["name","shape","datatype","data"],"properties":{"name":{"type":"string"},"shape":{"type":"array","items":{"type":"integer"}},"datatype":{"type":"string"},"data":{"type":"array"}}},
  "OIPInferRequest":{"type":"object","required":["inputs"],"properties":{"id":{"type":"string"},"inputs":{"type":"array","minItems":1,"items":{"$ref":"#/components/schemas/OIPTensor"}},"outputs":{"type":"array"},"parameters":{"type":"object"}}},
  "OIPInferResponse":{"type":"object","properties":{"model_name":{"type":"string"},"model_version":{"type":"string"},"id":{"type":"string"},"parameters":{"type":"object"},"outputs":{"type":"array","items":{"$ref":"#/components/schemas/OIPTensor"}}}}
 }}}
"""#
}

extension OpenAPIDocument {
    /// The document for a classifier: /predict answers a label and one probability per class
    /// (a batch, one such object per row under `predictions`), /feedback takes a class label,
    /// /model lists task, classes and threshold, and the OIP outputs are `label` and
    /// `probabilities`. Built from `json` when the model is loaded.
    static func classifier(_ spec: ClassifierSpec) -> String {
        // `json` is a constant that the tests parse; were it ever unreadable, serve it as it is.
        guard var doc = try? JSONValue.parse(json) else { return json }
        setPredictionSchemas(&doc, spec)
        setModelInfo(&doc, spec)
        setFeedback(&doc, spec)
        setOpenInference(&doc, spec)
        var w = JSONWriter(capacity: json.utf8.count + 4096)
        w.value(doc)
        return String(buffer: w.buffer)
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
                                  ("request_id", object(["type": .string("string")]))]),
        ]))
        doc.set(schemas + ["BatchPrediction"], object([
            "type": .string("object"), "required": .array([.string("predictions"), .string("model"), .string("request_ids")]),
            "properties": object([
                ("predictions", object(["type": .string("array"), "items": ref("ClassPrediction"), "description": .string("One per row, in order")])),
                ("model", ref("ModelRef")),
                ("request_ids", object(["type": .string("array"), "items": object(["type": .string("string")]),
                                        "description": .string("One id per row, in order (usable with /feedback)")])),
            ]),
        ]))
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
        doc.set(feedback + ["requestBody", "content", "application/json", "schema", "properties", "actual"], object([
            "description": .string("The true class label; a number names the class written as that number (1 or 1.0: \"1\")"),
            "oneOf": .array([object(["type": .string("string"), "enum": classEnum(spec)]), object(["type": .string("number")])]),
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
