# pip needs: numpy onnxruntime lightgbm
"""`plumb models export` writes models ONNX Runtime and LightGBM load and score as `plumb predict` does.

Trains GBM and random-forest regressors, binary and three-class classifiers with the plumb CLI on
rows with missing values (median imputation, which the export folds into the splits), exports
each to ONNX (all six) and LightGBM text (all but the forest classifiers, which the export
refuses), then scores held-out rows, with missing values and values on the integer thresholds of
column c, in ONNX Runtime (double input X) and LightGBM (Booster(model_file=).predict) and
compares with `plumb predict`. ONNX Runtime sums in float64 (double thresholds and weights) but
returns float32 and applies the sigmoid and softmax in float32: regressions are compared within
2.4e-7 relative, probabilities within 2.4e-7 absolute. LightGBM computes in float64 like Plumb:
within 1e-7 relative.
"""
import csv
import subprocess
import tempfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnxruntime as ort

from plumbinterop import PLUMB, fail, plumb

FEATURES = ["a", "b", "c", "d"]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def cell(x):
    return "" if np.isnan(x) else repr(float(x))


def main():
    rng = np.random.default_rng(11)
    n, m = 800, 200
    x = np.column_stack([rng.uniform(-2, 2, n + m), rng.uniform(-1, 1, n + m), rng.integers(0, 10, n + m).astype(float),
                         rng.uniform(0, 1, n + m)])
    x[rng.uniform(size=n + m) < 0.2, 1] = np.nan
    x[rng.uniform(size=n + m) < 0.05, 3] = np.nan
    y = np.sin(2 * x[:, 0]) + np.nan_to_num(x[:, 1], nan=0.7) ** 2 + 0.3 * x[:, 2] + np.nan_to_num(x[:, 3]) + rng.normal(0, 0.1, n + m)
    cut = np.quantile(y, [1 / 3, 2 / 3])
    binary = np.where(y > cut[0], "yes", "no")
    three = np.array(["low", "mid", "high"])[np.digitize(y, cut)]
    with tempfile.TemporaryDirectory(prefix="plumb-export-") as tmp:
        d = Path(tmp)
        rows = x[n:]
        write_csv(d / "rows.csv", FEATURES, [[cell(v) for v in r] for r in rows])
        for name, target in [("reg", y), ("bin", binary), ("multi", three)]:
            write_csv(d / f"{name}.csv", FEATURES + ["y"], [[cell(v) for v in x[i]] + [target[i] if name != "reg" else repr(float(target[i]))] for i in range(n)])
        worst = {}
        for kind in ["gbm", "forest"]:
            for name in ["reg", "bin", "multi"]:
                model = f"{kind}_{name}.plumb"
                extra = ["--rounds", "25", "--max-leaves", "8"] if kind == "gbm" else ["--trees", "12", "--max-depth", "8"]
                plumb(["train", f"{name}.csv", "--target", "y", "--model", kind, *extra, "--seed", "1", "--quiet", "--no-track",
                       "--out", model], d)
                plumb(["predict", "--model", model, "rows.csv", "--out", f"{model}.csv"], d)
                with open(d / f"{model}.csv") as f:
                    table = list(csv.DictReader(f))
                if name == "reg":
                    expected = np.array([[float(r["prediction"])] for r in table])
                else:
                    classes = sorted(k[len("prob_"):] for k in table[0] if k.startswith("prob_"))
                    expected = np.array([[float(r[f"prob_{c}"]) for c in classes] for r in table])
                plumb(["models", "export", model, "--format", "onnx", "--out", f"{model}.onnx"], d)
                session = ort.InferenceSession(str(d / f"{model}.onnx"), providers=["CPUExecutionProvider"])
                outputs = session.run(None, {"X": rows.astype(np.float64)})
                got = np.asarray(outputs[0] if name == "reg" else outputs[1], dtype=np.float64).reshape(expected.shape)
                diff = np.abs(got - expected)
                # Regression: float32 rounding of a float64 sum. Classifiers: ONNX Runtime applies the
                # sigmoid and softmax in float32 (1 − v for a negative score), so within 2.4e-7 of 1.
                bad = diff > (2.4e-7 * np.abs(expected) if name == "reg" else 2.4e-7)
                if bad.any():
                    i = np.argwhere(bad)[0]
                    fail(f"{model}: ONNX Runtime {got[tuple(i)]!r} vs plumb predict {expected[tuple(i)]!r} at row {i[0]} (max |diff| {diff.max():.3g})")
                worst[f"{kind} {name} onnxruntime"] = (float((diff / np.maximum(np.abs(expected), 1e-6)).max()), float(diff.max()))
                if kind == "forest" and name != "reg":
                    p = subprocess.run([PLUMB, "models", "export", model, "--format", "lightgbm", "--out", f"{model}.txt"],
                                       cwd=d, capture_output=True, text=True)
                    if p.returncode == 0 or "--format onnx" not in p.stderr:
                        fail(f"{model}: LightGBM export of a forest classifier should be refused naming --format onnx, got {p.returncode}: {p.stderr}")
                    continue
                plumb(["models", "export", model, "--format", "lightgbm", "--out", f"{model}.txt"], d)
                booster = lgb.Booster(model_file=str(d / f"{model}.txt"))
                got = np.asarray(booster.predict(rows), dtype=np.float64)
                if name == "bin":   # LightGBM: the second class's probability
                    got = np.column_stack([1 - got, got])
                got = got.reshape(expected.shape)
                rel = np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)
                if (rel > 1e-7).any():
                    i = np.argwhere(rel > 1e-7)[0]
                    fail(f"{model}: LightGBM {got[tuple(i)]!r} vs plumb predict {expected[tuple(i)]!r} at row {i[0]}")
                worst[f"{kind} {name} lightgbm"] = (float((np.abs(got - expected) / np.maximum(np.abs(expected), 1e-6)).max()),
                                                     float(np.abs(got - expected).max()))
        for k, (r, a) in worst.items():
            print(f"   {k}: max difference {r:.3g} relative (of max(|y|, 1e-6)), {a:.3g} absolute")


if __name__ == "__main__":
    main()
