"""The kserve package's REST client (InferenceRESTClient, V2 protocol), unmodified, against
`plumb serve`: live, ready, model ready, and inference with JSON and with binary tensor data
(inputs sent as application/octet-stream with Inference-Header-Content-Length, outputs asked for
with binary_data), for a regression and a three-class classifier; values equal to
`plumb predict`'s on the same rows."""
import asyncio
import json
import logging
import urllib.request

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

from plumbinterop import Server, Workspace, expect, expect_equal


def model_name(url):
    with urllib.request.urlopen(url + "/model") as r:
        return json.load(r)["name"]


def tensor(name, values, datatype, binary):
    t = InferInput(name=name, shape=list(values.shape), datatype=datatype)
    t.set_data_from_numpy(values, binary_data=binary)
    return t


def text(values):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in np.asarray(values).ravel()]


async def check_health(client, url, name):
    expect(await client.is_server_live(url), "is_server_live")
    expect(await client.is_server_ready(url), "is_server_ready")
    expect(await client.is_model_ready(url, name), "is_model_ready")
    expect(not await client.is_model_ready(url, name + "-absent"), "an absent model is not ready")


async def check_regression(ws, client):
    with Server(ws, ws.regression_model) as server:
        name = model_name(server.url)
        await check_health(client, server.url, name)
        rows = ws.reg_rows
        colors = np.array([c.encode() for c in rows["color"]], dtype=np.object_)
        for binary in (False, True):
            inputs = [tensor(f, rows[f], "FP64", binary) for f in ("a", "b", "c")]
            inputs.append(tensor("color", colors, "BYTES", binary))
            request = InferRequest(model_name=name, infer_inputs=inputs, request_id="kserve-1",
                                   request_outputs=[RequestedOutput("predictions", parameters={"binary_data": binary})])
            headers = {}
            response = await client.infer(server.url, request, model_name=name, response_headers=headers)
            expect(response.id == "kserve-1", f"response id {response.id}")
            # kserve decodes binary outputs into data; the header says the answer was binary.
            expect(("inference-header-content-length" in headers) == binary, f"binary={binary}: response headers {headers}")
            out = response.outputs[0]
            expect(out.name == "predictions", f"output {out}")
            expect_equal(out.as_numpy(), ws.reg_expected, f"kserve regression, binary={binary}")


async def check_classifier(ws, client):
    with Server(ws, ws.classifier_model) as server:
        name = model_name(server.url)
        await check_health(client, server.url, name)
        rows = ws.cls_rows
        matrix = np.stack([rows[f] for f in ("a", "b", "c", "d")], axis=1).astype(np.float32)
        for binary in (False, True):
            for layout, inputs in (("per feature", [tensor(f, rows[f], "FP64", binary) for f in ("a", "b", "c", "d")]),
                                   ("matrix FP32", [tensor("input", matrix, "FP32", binary)])):
                request = InferRequest(model_name=name, infer_inputs=inputs, parameters={"binary_data_output": binary})
                response = await client.infer(server.url, request, model_name=name)
                outputs = {o.name: o for o in response.outputs}
                expect(set(outputs) == {"label", "probabilities"}, f"outputs {list(outputs)}")
                expect(text(outputs["label"].as_numpy()) == ws.cls_labels, f"labels ({layout}, binary={binary})")
                expect_equal(outputs["probabilities"].as_numpy().reshape(-1, 3), ws.cls_probabilities,
                             f"kserve probabilities ({layout}, binary={binary})")


async def run():
    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0, timeout=30))
    try:
        with Workspace() as ws:
            await check_regression(ws, client)
            await check_classifier(ws, client)
    finally:
        await client.close()


def main():
    logging.getLogger("kserve").setLevel(logging.WARNING)
    asyncio.run(run())
    print("kserve InferenceRESTClient: live/ready/model ready, JSON and binary infer (octet-stream requests, binary outputs) match plumb predict")


if __name__ == "__main__":
    main()
