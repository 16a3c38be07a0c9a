"""Shared by the Tests/Interop/check_*.py cross-checks: small generated data sets, models trained
on them with the built `plumb`, `plumb predict`'s answers, and a `plumb serve` on a free port.

Nothing here builds: `plumb` is $PLUMB, else .build/debug/plumb at the package root.
"""
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PLUMB = os.environ.get("PLUMB") or str(ROOT / ".build" / "debug" / "plumb")

REGRESSION_FEATURES = ["a", "b", "c", "color"]      # color is categorical
CLASSIFIER_FEATURES = ["a", "b", "c", "d"]          # all numeric
CLASSES = ["alpha", "beta", "gamma"]
COLORS = ["red", "green", "blue"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def plumb(args, cwd):
    """Runs `plumb ARGS` in `cwd`; stops the check with its output when it fails."""
    p = subprocess.run([PLUMB, *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"plumb {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def _grid(rng, n):
    # Multiples of 1/64 in [-4, 4]: exact in float32, so FP32 and FP64 tensors carry the same values.
    return rng.integers(-256, 257, size=n) / 64.0


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


class Workspace:
    """A temporary folder with a regression model (numeric a, b, c and categorical color) and a
    three-class classifier (numeric a, b, c, d), each with rows to score and `plumb predict`'s
    answers for them."""

    def __init__(self, rows=24, seed=7):
        self._tmp = tempfile.TemporaryDirectory(prefix="plumb-interop-")
        self.dir = Path(self._tmp.name)
        rng = np.random.default_rng(seed)
        n = 600
        a, b, c, d = (_grid(rng, n + rows) for _ in range(4))
        color = rng.choice(COLORS, size=n + rows)
        y = 2 * a - b + 0.5 * c * c + np.select([color == "red", color == "green"], [1.0, -1.0], 0.0) + rng.normal(0, 0.1, n + rows)
        scores = np.stack([a + b, b - c + 0.3, c - a + 0.2 * d])
        label = np.array(CLASSES)[scores.argmax(axis=0)]
        fmt = lambda x: repr(float(x))
        _write_csv(self.dir / "reg_train.csv", REGRESSION_FEATURES + ["y"],
                   [[fmt(a[i]), fmt(b[i]), fmt(c[i]), color[i], fmt(y[i])] for i in range(n)])
        _write_csv(self.dir / "cls_train.csv", CLASSIFIER_FEATURES + ["kind"],
                   [[fmt(a[i]), fmt(b[i]), fmt(c[i]), fmt(d[i]), label[i]] for i in range(n)])
        r = range(n, n + rows)
        self.reg_rows = {"a": a[r.start:], "b": b[r.start:], "c": c[r.start:], "color": color[r.start:]}
        self.cls_rows = {"a": a[r.start:], "b": b[r.start:], "c": c[r.start:], "d": d[r.start:]}
        _write_csv(self.dir / "reg_rows.csv", REGRESSION_FEATURES,
                   [[fmt(a[i]), fmt(b[i]), fmt(c[i]), color[i]] for i in r])
        _write_csv(self.dir / "cls_rows.csv", CLASSIFIER_FEATURES,
                   [[fmt(a[i]), fmt(b[i]), fmt(c[i]), fmt(d[i])] for i in r])
        common = ["--model", "gbm", "--rounds", "30", "--seed", "1", "--quiet", "--no-track"]
        plumb(["train", "reg_train.csv", "--target", "y", "--test-fraction", "0.2", "--out", "reg.plumb", *common], self.dir)
        plumb(["train", "cls_train.csv", "--target", "kind", "--test-fraction", "0.2", "--out", "cls.plumb", *common], self.dir)
        self.regression_model = str(self.dir / "reg.plumb")
        self.classifier_model = str(self.dir / "cls.plumb")
        plumb(["predict", "--model", "reg.plumb", "reg_rows.csv", "--out", "reg_pred.csv"], self.dir)
        plumb(["predict", "--model", "cls.plumb", "cls_rows.csv", "--out", "cls_pred.csv"], self.dir)
        with open(self.dir / "reg_pred.csv") as f:
            self.reg_expected = np.array([float(row["prediction"]) for row in csv.DictReader(f)])
        with open(self.dir / "cls_pred.csv") as f:
            table = list(csv.DictReader(f))
        self.cls_labels = [row["label"] for row in table]
        self.cls_probabilities = np.array([[float(row[f"prob_{k}"]) for k in CLASSES] for row in table])

    def close(self):
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Server:
    """`plumb serve --model MODEL --port 0` in the workspace; `url` once it listens."""

    def __init__(self, workspace, model, extra=()):
        self.lines = []
        self.proc = subprocess.Popen([PLUMB, "serve", "--model", model, "--port", "0", "--store", str(workspace.dir / "store.db"), *extra],
                                     cwd=workspace.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        port = threading.Event()
        self.port = None

        def read():
            for line in self.proc.stdout:
                self.lines.append(line)
                m = re.search(r"listening on [^ ]*?:(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    port.set()
        threading.Thread(target=read, daemon=True).start()
        if not port.wait(60) or self.port is None:
            self.stop()
            fail("plumb serve did not report its port within 60 s:\n" + "".join(self.lines))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/ready") as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                fail("plumb serve was not ready within 30 s:\n" + "".join(self.lines))
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def expect(condition, message):
    if not condition:
        fail(message)


def expect_equal(actual, expected, what, rtol=0.0):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        fail(f"{what}: shape {actual.shape}, expected {expected.shape}")
    if rtol == 0.0:
        ok = np.array_equal(actual, expected)
    else:
        ok = np.allclose(actual, expected, rtol=rtol, atol=0)
    if not ok:
        worst = np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300))
        fail(f"{what}: differs from plumb predict (max relative difference {worst:.3g})\n got {actual.ravel()[:6]}\n expected {expected.ravel()[:6]}")
