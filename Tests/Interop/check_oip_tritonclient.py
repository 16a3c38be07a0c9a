"""tritonclient.http, unmodified, against `plumb serve`: server and model health and metadata, and
inference with JSON and with binary tensor data (inputs and outputs), for a regression with a
categorical feature and a three-class classifier; every value equal to `plumb predict`'s on the
same rows."""
import json
import urllib.request

import numpy as np
import tritonclient.http as httpclient

from plumbinterop import CLASSES, Server, Workspace, expect, expect_equal


def model_ref(url):
    with urllib.request.urlopen(url + "/model") as r:
        m = json.load(r)
    return m["name"], m["version"]


def tensor(name, values, datatype, binary):
    t = httpclient.InferInput(name, list(values.shape), datatype)
    t.set_data_from_numpy(values, binary_data=binary)
    return t


def check_common(client, name, version):
    expect(client.is_server_live(), "is_server_live")
    expect(client.is_server_ready(), "is_server_ready")
    expect(client.is_model_ready(name), "is_model_ready")
    expect(client.is_model_ready(name, version), "is_model_ready with version")
    meta = client.get_server_metadata()
    expect("binary_tensor_data" in meta["extensions"], f"server metadata lists binary_tensor_data: {meta}")
    model = client.get_model_metadata(name)
    expect(model["name"] == name and model["versions"] == [version], f"model metadata: {model}")
    return model


def check_regression(ws):
    with Server(ws, ws.regression_model) as server:
        client = httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))
        name, version = model_ref(server.url)
        meta = check_common(client, name, version)
        expect([i["name"] for i in meta["inputs"]] == ["a", "b", "c", "color"], f"inputs: {meta['inputs']}")
        expect([o["name"] for o in meta["outputs"]] == ["predictions"], f"outputs: {meta['outputs']}")
        rows = ws.reg_rows
        colors = np.array([c.encode() for c in rows["color"]], dtype=np.object_)
        for binary in (False, True):
            for datatype, dtype in (("FP64", np.float64), ("FP32", np.float32)):
                inputs = [tensor(f, rows[f].astype(dtype), datatype, binary) for f in ("a", "b", "c")]
                inputs.append(tensor("color", colors, "BYTES", binary))
                # binary outputs: by default (tritonclient sets binary_data_output); JSON: asked by name.
                outputs = None if binary else [httpclient.InferRequestedOutput("predictions", binary_data=False)]
                result = client.infer(name, inputs, outputs=outputs, model_version=version if binary else "")
                expect_equal(result.as_numpy("predictions"), ws.reg_expected, f"regression, {datatype}, binary={binary}")
                response = result.get_response()
                out = response["outputs"][0]
                expect(("binary_data_size" in out.get("parameters", {})) == binary and ("data" in out) != binary,
                       f"binary={binary}: output {out}")
        # INT64 values of integral rows are accepted too (JSON and binary), and BOOL as 1/0.
        ints = {f: np.round(rows[f]).astype(np.int64) for f in ("a", "b", "c")}
        for binary in (False, True):
            inputs = [tensor(f, ints[f], "INT64", binary) for f in ("a", "b")]
            inputs.append(tensor("c", ints["c"] != 0, "BOOL", binary))
            inputs.append(tensor("color", colors, "BYTES", binary))
            first = client.infer(name, inputs).as_numpy("predictions")
            again = [tensor(f, ints[f].astype(np.float64), "FP64", False) for f in ("a", "b")]
            again.append(tensor("c", (ints["c"] != 0).astype(np.float64), "FP64", False))
            again.append(tensor("color", colors, "BYTES", False))
            expect_equal(first, client.infer(name, again).as_numpy("predictions"), f"INT64/BOOL, binary={binary}")


def check_classifier(ws):
    with Server(ws, ws.classifier_model) as server:
        client = httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))
        name, version = model_ref(server.url)
        meta = check_common(client, name, version)
        expect([o["name"] for o in meta["outputs"]] == ["label", "probabilities"], f"outputs: {meta['outputs']}")
        rows = ws.cls_rows
        matrix = np.stack([rows[f] for f in ("a", "b", "c", "d")], axis=1)
        for binary in (False, True):
            layouts = {
                "per feature": [tensor(f, rows[f], "FP64", binary) for f in ("a", "b", "c", "d")],
                "matrix FP32": [tensor("input", matrix.astype(np.float32), "FP32", binary)],
            }
            for layout, inputs in layouts.items():
                outputs = [httpclient.InferRequestedOutput("label", binary_data=binary),
                           httpclient.InferRequestedOutput("probabilities", binary_data=not binary)]
                result = client.infer(name, inputs, outputs=outputs)
                labels = [x.decode() if isinstance(x, bytes) else x for x in result.as_numpy("label")]
                expect(labels == ws.cls_labels, f"labels ({layout}, binary={binary}): {labels[:5]} vs {ws.cls_labels[:5]}")
                expect_equal(result.as_numpy("probabilities"), ws.cls_probabilities, f"probabilities ({layout}, binary={not binary})")
                probabilities = next(o for o in result.get_response()["outputs"] if o["name"] == "probabilities")
                expect(probabilities["parameters"]["classes"] == CLASSES, f"classes: {probabilities}")
        # Only one output asked for: only that one comes back.
        result = client.infer(name, [tensor("input", matrix, "FP64", True)], outputs=[httpclient.InferRequestedOutput("label")])
        expect([o["name"] for o in result.get_response()["outputs"]] == ["label"], "only the label")


def main():
    with Workspace() as ws:
        check_regression(ws)
        check_classifier(ws)
    print("tritonclient.http: live/ready/metadata, JSON and binary infer (FP64, FP32, INT64, BOOL, BYTES; per-feature and matrix) match plumb predict")


if __name__ == "__main__":
    main()
