#!/usr/bin/env python3
"""Run each benchmark scenario on Plumb and on its Python peers, on identical files, and print ONE table.

Timing scheme (harness.alternate): each side is called once cold, then --repeats times warm, the
sides taking turns (P A B, P A B, ...). The table shows each side's warm minimum ("best") and
median, and the cold call in its own column; ratio and pass/fail use warm minimums only.

ratio = Plumb time / fastest counted peer's time (for throughputs: peer / Plumb), so lower is better
for Plumb and every goal reads "ratio <= bound" (plus checks such as R²). Peers marked (i) are
shown for information and never chosen as the one compared.

Both sides are held to 2 threads (OMP/OPENBLAS/MKL_NUM_THREADS=2, POLARS_MAX_THREADS=2 in the
environment of every process; n_jobs / num_threads / nthread = 2 for the peers). A side that is
missing or fails turns only its own cell into "n/a (reason)"; it never stops the run.

Before anything is timed the 1-minute load must be <= --max-load (waiting up to --settle s for it);
otherwise the run is refused, unless --force (then the results are marked as forced).

Usage (normally through run.sh, which builds the binaries and generates the files):
  python compare.py --work DIR --plumb PATH --plumb-bench PATH [--only a,b] [--skip c] [--repeats N] [--force]
"""
import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS", "POLARS_MAX_THREADS", "RAYON_NUM_THREADS")
for _v in THREAD_VARS:  # before numpy / polars read them at import
    os.environ[_v] = "2"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import numpy as np  # noqa: E402

import peer_models as pm  # noqa: E402
from harness import (Contender, Row, Sample, Side, Unavailable, alternate, comparison, contender,  # noqa: E402
                     environment, failed_row, kill_children, last_json, load_gate, print_accuracy, print_table,
                     reason, run_process, start_process, stop_process)

THREADS = pm.THREADS
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CAL_TARGET = "MedHouseVal"
R2_SLACK = 0.003


def count_label(n: int) -> str:
    """1000000 -> "1M", 800000 -> "800k": row titles follow the files actually used."""
    return f"{n / 1e6:.3g}M" if n >= 1_000_000 else f"{n / 1e3:.3g}k" if n >= 1000 else str(n)


def r2_score(y, p) -> float:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64).reshape(-1)
    return float(1.0 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))


# ----------------------------------------------------------------------------------------------
# the context shared by the scenarios


class Ctx:
    def __init__(self, args):
        self.args = args
        self.repeats = args.repeats
        self.work = os.path.abspath(args.work)
        self.plumb = os.path.abspath(args.plumb)
        self.bench = os.path.abspath(args.plumb_bench)
        self.models = os.path.join(self.work, "models")
        self.tmp = os.path.join(self.work, "tmp")
        os.makedirs(self.models, exist_ok=True)
        os.makedirs(self.tmp, exist_ok=True)
        # plumb train logs every run: keep that tracking store inside the work folder.
        os.environ.setdefault("PLUMB_STORE", os.path.join(self.tmp, "plumb.db"))
        self._cache: dict = {}
        cal = os.path.join(self.work, "california")
        self.tasks = {
            "california": pm.GbmTask("california", "California", os.path.join(cal, "train.csv"),
                                     os.path.join(cal, "test.csv"), CAL_TARGET, 500, 0.05),
            "friedman": pm.GbmTask("friedman", "Friedman", self.path("friedman_train.csv"),
                                   self.path("friedman_test.csv"), "y", 200, 0.1),
            "friedman10m": pm.GbmTask("friedman10m", "Friedman", self.path("friedman_10m.csv"),
                                      self.path("friedman_10m_test.csv"), "y", 200, 0.1),
        }
        self.cls_tasks = {
            "spam": pm.ClsTask("spam", "spam", self.path("spam/train.csv"), self.path("spam/test.csv"), "type",
                               "binary", CLS_ROUNDS),
            "letter": pm.ClsTask("letter", "letter", self.path("letter/train.csv"), self.path("letter/test.csv"),
                                 "lettr", "multiclass", CLS_ROUNDS),
            "binary1m": pm.ClsTask("binary1m", "binary", self.path("classif_train.csv"), self.path("classif_test.csv"),
                                   "y", "binary", BINARY_1M_ROUNDS),
        }
        # --max-rounds (a quick check of the harness itself) caps every boosted model, both sides alike.
        if args.max_rounds:
            for tasks in (self.tasks, self.cls_tasks):
                for k, t in tasks.items():
                    tasks[k] = dataclasses.replace(t, rounds=min(t.rounds, args.max_rounds))

    def path(self, name: str) -> str:
        return name if os.path.isabs(name) else os.path.join(self.work, name)

    def memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def forget(self, *keys) -> None:
        for k in keys:
            self._cache.pop(k, None)

    def frame(self, name: str):
        """pandas DataFrame of a work file, read once (pyarrow engine for the multi-GB big files)."""
        import pandas as pd
        engine = "pyarrow" if os.path.getsize(self.path(name)) > 1e9 else None
        return self.memo(("frame", name), lambda: pd.read_csv(self.path(name), engine=engine))

    def xy(self, name: str, target: str):
        """Features (every column but target, file order) as C-contiguous float64, and the target."""
        def split():
            df = self.frame(name)
            return (np.ascontiguousarray(df.drop(columns=[target]).to_numpy(dtype=np.float64)),
                    df[target].to_numpy(dtype=np.float64))
        return self.memo(("xy", name), split)

    def features(self, task: pm.GbmTask) -> list[str]:
        return [c for c in self.frame(task.train).columns if c != task.target]

    def plumb_run(self, *args: str, timeout: float = 3600, ok_codes: tuple = (0,)):
        """(parsed JSON, Finished) of one `plumb ...` process."""
        done = run_process([self.plumb, *args], timeout, f"plumb {args[0]}", ok_codes)
        return last_json(done.stdout, f"plumb {args[0]}"), done

    def plumb_has(self, *subcommand: str) -> bool:
        """True when `plumb SUBCOMMAND --help` succeeds (the command exists in this build)."""
        if not os.access(self.plumb, os.X_OK):
            return False
        r = subprocess.run([self.plumb, *subcommand, "--help"], capture_output=True, text=True, timeout=60)
        return r.returncode == 0

    def model_path(self, task: pm.GbmTask) -> str:
        return os.path.join(self.models, f"{task.key}_gbm{task.rounds}.plumb")

    def plumb_model(self, task: pm.GbmTask) -> str:
        """The CLI model file of a task, trained now if its fit row was skipped."""
        path = self.model_path(task)
        if not os.path.exists(path):
            self.plumb_run("train", task.train, "--target", task.target, "--test", task.test, *task.plumb_flags(),
                           "--out", path, "--json")
        return path

    def peer_model(self, task: pm.GbmTask, name: str):
        """A peer's fitted model of a task: the one its fit row left, or fitted now."""
        def fit():
            x, y = self.xy(task.train, task.target)
            return (pm.lgbm(task) if name == "LightGBM" else pm.xgbm(task)).fit(x, y)
        return self.memo(("model", task.key, name), fit)


# ----------------------------------------------------------------------------------------------
# Plumb sides. Each Plumb repetition is one process: plumb-bench or the plumb CLI. The first
# process is the cold call; later ones find binary and input files in the page cache.


def bench_side(ctx: Ctx, scenario: str, *flags: str, keep: tuple = ()):
    """`plumb-bench SCENARIO ...` processes; the `seconds` each prints is the sample.

    plumb-bench prints only the best of its --repeats calls, so: the cold sample is the only call
    of the first process (--repeats 1); each warm sample is the faster of a new process's two
    calls (--repeats 2) — in practice the second, since the first pays in-process first-touch
    costs (fresh memory, caches) that the peers' warm calls in this long-lived process no longer
    pay. Figures from the CLI (plumb train / predict) are always a process's first call."""
    calls = ["1"]

    def run():
        repeats, calls[0] = calls[0], "2"
        done = run_process([ctx.bench, scenario, *flags, "--repeats", repeats], 1800, f"plumb-bench {scenario}")
        o = last_json(done.stdout, f"plumb-bench {scenario}")
        if "seconds" not in o:
            raise Unavailable(f"plumb-bench {scenario}: no seconds in JSON")
        return Sample(float(o["seconds"]), {"process_seconds": done.seconds, "calls_in_process": int(repeats),
                                            **{k: o.get(k) for k in keep}})
    return run


def process_side(cmd: list[str], what: str, ok_codes: tuple = (0,), keep: tuple = (), timeout: float = 3600):
    """A whole process (start-up, reading, work, exit): its wall time is the sample; its peak RSS
    and the `keep` fields of the JSON it prints go along."""
    def run():
        done = run_process(cmd, timeout, what, ok_codes)
        o = last_json(done.stdout, what) if keep else {}
        return Sample(done.seconds, {"peak_rss_mb": done.peak_rss_mb, **{k: o.get(k) for k in keep}})
    return run


def plumb_fit_side(ctx: Ctx, train: str, test: str, target: str, out: str, flags: list[str]):
    """`plumb train --json`: fit_seconds (the fit alone; CSV reading is outside it) and test R²."""
    def run():
        o, done = ctx.plumb_run("train", train, "--target", target, "--test", test, *flags, "--out", out, "--json")
        try:
            return Sample(float(o["fit_seconds"]), {"r2": float(o["metrics"]["r2"]), "process_seconds": done.seconds})
        except (KeyError, TypeError, ValueError):
            raise Unavailable("plumb train: unexpected JSON")
    return run


def summarise(sides: list[Side], key: str, how=max) -> None:
    """Copy a per-run figure into the side's table figure (e.g. the largest peak RSS of its warm runs)."""
    for s in sides:
        values = s.info_values(key)
        if values:
            s.extra[key] = how(values)


# ----------------------------------------------------------------------------------------------
# linear algebra


def gemm_row(ctx: Ctx, dtype: str) -> Row:
    n = 2048
    npdt = np.float64 if dtype == "double" else np.float32
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((n, n)).astype(npdt) for _ in range(2))
    c = np.empty((n, n), dtype=npdt)
    sides = alternate([
        Contender("plumb", bench_side(ctx, "gemm", "--n", str(n), "--type", dtype), "plumb"),
        Contender("numpy", lambda: np.matmul(a, b, out=c)),
    ], max(ctx.repeats, 4))  # 0.1–0.2 s a call and a 5 % goal: a few more turns are cheap
    key = "dgemm" if dtype == "double" else "sgemm"
    return Row(key, f"{key} {n}²", sides, goal="GFLOPS ≥ 0.95× numpy", bound=1 / 0.95, unit="GFLOPS",
               work=2 * n ** 3 / 1e9)


def lstsq_rows(ctx: Ctx) -> list[Row]:
    rows_n, cols = 1_000_000, 30
    rng = np.random.default_rng(2)
    a = rng.standard_normal((rows_n, cols))
    b = a @ rng.standard_normal(cols) + rng.standard_normal(rows_n)
    af = np.asfortranarray(a)
    numpy_lstsq = Contender("numpy lstsq", lambda: np.linalg.lstsq(a, b, rcond=None))
    shape = ["--rows", str(rows_n), "--cols", str(cols)]
    qr = alternate([Contender("plumb", bench_side(ctx, "lstsq", *shape, "--method", "qr"), "plumb"), numpy_lstsq],
                   ctx.repeats)
    ne = alternate([Contender("plumb", bench_side(ctx, "lstsq", *shape, "--method", "normal"), "plumb"), numpy_lstsq,
                    Contender("numpy AᵀA+solve", lambda: np.linalg.solve(af.T @ af, af.T @ b), "info")], ctx.repeats)
    return [Row("lstsq", "lstsq 1M×30 QR", qr, goal="time ≤ 1.05× numpy", bound=1.05),
            Row("lstsq", "lstsq 1M×30 normal equations", ne, goal="report (vs numpy lstsq)")]


# ----------------------------------------------------------------------------------------------
# CSV and describe


def polars_reader(path: str):
    import polars as pl  # POLARS_MAX_THREADS=2 is set above, before this import
    return lambda: pl.read_csv(path)


def pyarrow_reader(path: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    pa.set_cpu_count(THREADS)
    pa.set_io_thread_count(THREADS)
    return lambda: pacsv.read_csv(path)


def csv_row(ctx: Ctx) -> Row:
    import pandas as pd
    f = ctx.path("numeric_1m.csv")
    sides = alternate([
        Contender("plumb", bench_side(ctx, "csv", "--file", f, keep=("rows", "columns")), "plumb"),
        Contender("pandas", lambda: pd.read_csv(f)),
        contender("polars", lambda: polars_reader(f)),
        contender("pyarrow", lambda: pyarrow_reader(f)),
    ], ctx.repeats)
    rows, cols = sides[1].result.shape if sides[1].ok else (None, None)
    plumb = sides[0]
    if plumb.ok and rows is not None:
        got = {(s.info.get("rows"), s.info.get("columns")) for s in plumb.warm} - {(None, None)}
        if got and got != {(rows, cols)}:
            plumb.error = f"read {sorted(got)}, expected {rows}×{cols}"
    title = f"CSV read {count_label(rows)}×{cols}" if rows else "CSV read"
    return Row("csv", title, sides, goal="≥ 1.5× faster than the best of pandas, polars, pyarrow", bound=1 / 1.5,
               notes=[f"{os.path.getsize(f) / 1e6:.0f} MB; polars and pyarrow on 2 threads"])


def describe_row(ctx: Ctx) -> Row:
    import pandas as pd
    f = ctx.path("numeric_1m.csv")

    def pandas_describe():
        df = pd.read_csv(f)
        return df.describe(), df.corr()

    sides = alternate([
        Contender("plumb", process_side([ctx.plumb, "data", "describe", f, "--json"], "plumb data describe"), "plumb"),
        Contender("pandas", pandas_describe),
    ], ctx.repeats)
    shape = ""
    if sides[1].ok:
        summary, corr = sides[1].result
        shape = f" {count_label(int(summary.loc['count'].iloc[0]))}×{corr.shape[0]}"
    return Row("describe", f"data describe{shape}", sides, goal="time ≤ 0.15× pandas", bound=0.15,
               notes=["plumb: whole process `plumb data describe FILE --json`; pandas: read_csv + describe() + "
                      "corr() in-process (warm)"])


# ----------------------------------------------------------------------------------------------
# trees: fits


def gbm_fit_row(ctx: Ctx, task: pm.GbmTask, key: str, repeats: int, with_xgboost: bool = True) -> Row:
    xtr, ytr = ctx.xy(task.train, task.target)
    xte, yte = ctx.xy(task.test, task.target)
    contenders = [
        Contender("plumb", plumb_fit_side(ctx, task.train, task.test, task.target, ctx.model_path(task),
                                          task.plumb_flags()), "plumb"),
        Contender("LightGBM", lambda: pm.lgbm(task).fit(xtr, ytr)),
        Contender("LightGBM quant.", lambda: pm.lgbm(task, quantized=True).fit(xtr, ytr)),
    ]
    if with_xgboost:
        contenders.append(Contender("XGBoost hist", lambda: pm.xgbm(task).fit(xtr, ytr), "info"))
    sides = alternate(contenders, repeats)
    for s in sides:
        if s.role == "plumb":
            summarise([s], "r2", how=lambda v: v[-1])
        elif s.ok:
            s.extra["r2"] = r2_score(yte, s.result.predict(xte))
    # The scoring rows score models of the same shape: hand them the ones just fitted.
    for side_name, model_name in (("LightGBM", "LightGBM"), ("XGBoost hist", "XGBoost")):
        s = next((s for s in sides if s.name == side_name and s.ok), None)
        if s:
            ctx.memo(("model", task.key, model_name), lambda s=s: s.result)
    row = Row(key, f"GBM fit {task.title} {count_label(len(ytr))} {task.rounds}r", sides,
              goal=f"time ≤ 0.5× the faster LightGBM, R² ≥ its R² − {R2_SLACK}", bound=0.5, other="r2",
              notes=[f"plumb: fit_seconds of `plumb train` (fit only); peers: .fit on numpy arrays in-process; "
                     f"{task.rounds} rounds, lr {task.lr}, {task.leaves} leaves; LightGBM quant. = use_quantized_grad=True"
                     + ("; XGBoost hist lossguide max_leaves for information" if with_xgboost else "")])
    plumb, versus = row.plumb, row.versus
    if plumb.ok and versus and "r2" in plumb.extra:
        row.checks[f"R² ≥ {versus.name} − {R2_SLACK}"] = plumb.extra["r2"] >= versus.extra["r2"] - R2_SLACK
    return row


def train_process_row(ctx: Ctx, task: pm.GbmTask, key: str, repeats: int, goal: str = "report",
                      bound: float | None = None, rss_goal: bool = False, plumb_extra: tuple[str, ...] = ()) -> Row:
    """`plumb train` vs lgbm_train_script.py, each a whole process: what a user waits for, and peak RSS."""
    common = ["--target", task.target, "--test", task.test]
    plumb_cmd = [ctx.plumb, "train", task.train, *common, *task.plumb_flags(), *plumb_extra,
                 "--out", os.path.join(ctx.tmp, f"{task.key}_whole.plumb"), "--json"]
    script_cmd = [sys.executable, os.path.join(HERE, "lgbm_train_script.py"), "--train", task.train, *common,
                  "--rounds", str(task.rounds), "--learning-rate", str(task.lr), "--leaves", str(task.leaves),
                  "--out", os.path.join(ctx.tmp, f"{task.key}_whole_lgbm.txt")]
    sides = alternate([
        Contender("plumb train", process_side(plumb_cmd, "plumb train", keep=("fit_seconds", "metrics")), "plumb"),
        Contender("python+LightGBM", process_side(script_cmd, "lgbm_train_script.py",
                                                  keep=("read_seconds", "fit_seconds", "r2", "train_rows"))),
    ], repeats)
    summarise(sides, "peak_rss_mb")
    rows_n = next(iter(sides[1].info_values("train_rows")), None)
    row = Row(key, f"Train {task.title} {count_label(rows_n) if rows_n else ''} {task.rounds}r, whole process", sides,
              goal=goal, bound=bound, other="peak_rss_mb",
              notes=["whole process: start-up, read train + test CSV, fit, score test, write model; peak RSS = the "
                     "largest of the warm runs (GNU time); python side: lgbm_train_script.py (pyarrow.csv + LightGBM)"])
    if rss_goal and all(s.ok and "peak_rss_mb" in s.extra for s in sides):
        row.checks["peak RSS ≤ LightGBM's"] = sides[0].extra["peak_rss_mb"] <= sides[1].extra["peak_rss_mb"]
    elif rss_goal:
        row.notes.append("no peak RSS figure (GNU time missing?): the RSS goal is not judged")
    return row


def gbm_california(ctx: Ctx) -> list[Row]:
    return [gbm_fit_row(ctx, ctx.tasks["california"], "gbm-california", ctx.repeats)]


def gbm_friedman(ctx: Ctx) -> list[Row]:
    return [gbm_fit_row(ctx, ctx.tasks["friedman"], "gbm-friedman", ctx.repeats)]


def train_california(ctx: Ctx) -> list[Row]:
    return [train_process_row(ctx, ctx.tasks["california"], "train-california", ctx.repeats)]


def train_friedman(ctx: Ctx) -> list[Row]:
    return [train_process_row(ctx, ctx.tasks["friedman"], "train-friedman", ctx.repeats)]


def big_rows(ctx: Ctx) -> list[Row]:
    task = ctx.tasks["friedman10m"]
    for f in (task.train, task.test):
        if not os.path.exists(f):
            raise Unavailable(f"{os.path.basename(f)} missing: run.sh generates it for --only big "
                              f"(gen_data.py --big)")
    reps = ctx.args.big_repeats
    # Whole processes first, while the harness process is still small; then the in-process fits,
    # which hold the 1.6 GB feature matrix here.
    # --streaming: the file is read in passes and only its bins are kept (the Float64 table never exists).
    whole = train_process_row(ctx, task, "big", reps, goal="time ≤ 0.5× python+LightGBM, peak RSS ≤ its",
                              bound=0.5, rss_goal=True, plumb_extra=("--streaming",))
    fit = gbm_fit_row(ctx, task, "big", reps, with_xgboost=False)
    ctx.forget(("frame", task.train), ("xy", task.train), ("frame", task.test), ("xy", task.test),
               ("model", task.key, "LightGBM"))
    return [fit, whole]


FOREST = {"trees": 200, "max-depth": 15, "min-split": 5}


def forest_california(ctx: Ctx) -> list[Row]:
    from sklearn.ensemble import RandomForestRegressor
    task = ctx.tasks["california"]
    xtr, ytr = ctx.xy(task.train, task.target)
    xte, yte = ctx.xy(task.test, task.target)
    flags = ["--model", "forest", *[x for k, v in FOREST.items() for x in (f"--{k}", str(v))], "--seed", "42"]

    def sklearn_fit():
        return RandomForestRegressor(n_estimators=FOREST["trees"], max_depth=FOREST["max-depth"],
                                     min_samples_split=FOREST["min-split"], n_jobs=THREADS, random_state=42).fit(xtr, ytr)

    sides = alternate([
        Contender("plumb", plumb_fit_side(ctx, task.train, task.test, task.target,
                                          os.path.join(ctx.models, "california_forest.plumb"), flags), "plumb"),
        Contender("sklearn RF", sklearn_fit),
    ], ctx.repeats)
    summarise(sides[:1], "r2", how=lambda v: v[-1])
    if sides[1].ok:
        sides[1].extra["r2"] = r2_score(yte, sides[1].result.predict(xte))
    row = Row("forest-california", "Forest fit California 200t", sides, goal="time ≤ 0.15×, R² ≥ 0.80", bound=0.15,
              other="r2")
    if sides[0].ok:
        row.checks["R² ≥ 0.80"] = sides[0].extra["r2"] >= 0.80
    return [row]


# ----------------------------------------------------------------------------------------------
# trees: batch scoring


def plumb_predict_side(ctx: Ctx, task: pm.GbmTask | None, data: str, n: int, model: str | None = None):
    """`plumb predict --json` processes; rows_per_second there times the scoring alone."""
    model = model or ctx.plumb_model(task)
    out = os.path.join(ctx.tmp, "predictions.csv")

    def run():
        # A whole-file read: in blocks, the next block is parsed while this one is scored, and that
        # parse would be charged to the scoring time compared here with in-memory predict calls.
        os.environ["PLUMB_CSV_STREAMING_BYTES"] = str(1 << 62)
        try:
            o, done = ctx.plumb_run("predict", "--model", model, data, "--out", out, "--json")
        finally:
            del os.environ["PLUMB_CSV_STREAMING_BYTES"]
        if not o.get("rows_per_second"):
            raise Unavailable("plumb predict: no rows_per_second in JSON")
        return Sample(n / float(o["rows_per_second"]), {"rows_per_second": o["rows_per_second"],
                                                         "process_seconds": done.seconds})
    return run


def score_row(ctx: Ctx, task: pm.GbmTask, key: str, data: str, times: float) -> Row:
    features = ctx.features(task)
    x = np.ascontiguousarray(ctx.frame(data)[features].to_numpy(dtype=np.float64))
    xtr, ytr = ctx.xy(task.train, task.target)
    n = x.shape[0]
    lightgbm = lambda: ctx.peer_model(task, "LightGBM")  # noqa: E731
    sides = alternate([
        contender("plumb", lambda: plumb_predict_side(ctx, task, ctx.path(data), n), "plumb"),
        contender("LightGBM", lambda: pm.score_lightgbm(lightgbm(), x)),
        contender("XGBoost", lambda: pm.score_xgboost(ctx.peer_model(task, "XGBoost"), x)),
        contender("lleaves", lambda: pm.score_lleaves(lightgbm(), x, ctx.tmp)),
        contender("TL2cgen", lambda: pm.score_tl2cgen(lightgbm(), x, ctx.tmp)),
        contender("YDF", lambda: pm.score_ydf(task, features, xtr, ytr, x)),
    ], ctx.repeats)
    return Row(key, f"Score {count_label(n)} {task.title} ({task.rounds}r)", sides, unit="rows/s", work=n,
               goal=f"≥ {times:g}× rows/s of the best peer", bound=1 / times,
               notes=[f"{task.rounds} trees × {task.leaves} leaves; plumb: rows_per_second of `plumb predict` "
                      "(scoring only); peers: one predict call on a numpy matrix already in memory; lleaves and "
                      "TL2cgen compile the LightGBM model, YDF trains its own of the same shape"])


def score_friedman(ctx: Ctx) -> list[Row]:
    return [score_row(ctx, ctx.tasks["friedman"], "score-friedman", "friedman_1m.csv", 3)]


def score_california(ctx: Ctx) -> list[Row]:
    return [score_row(ctx, ctx.tasks["california"], "score-california", "california_1m.csv", 5)]


def score_imported(ctx: Ctx) -> list[Row]:
    """A LightGBM model brought in with `plumb models import`, scored by Plumb and by the peers that
    read LightGBM models (issue 22): the same trees, the same 1M rows."""
    task = ctx.tasks["friedman"]
    features = ctx.features(task)
    data = "friedman_1m.csv"
    x = np.ascontiguousarray(ctx.frame(data)[features].to_numpy(dtype=np.float64))
    n = x.shape[0]
    lightgbm = ctx.peer_model(task, "LightGBM")
    text = os.path.join(ctx.tmp, "imported_lightgbm.txt")
    lightgbm.booster_.save_model(text)
    model = os.path.join(ctx.tmp, "imported_lightgbm.plumb")
    ctx.plumb_run("models", "import", text, "--format", "lightgbm", "--features", ",".join(features),
                  "--out", model, "--store", os.path.join(ctx.tmp, "import-store.db"), "--json")
    sides = alternate([
        contender("plumb", lambda: plumb_predict_side(ctx, None, ctx.path(data), n, model=model), "plumb"),
        contender("LightGBM", lambda: pm.score_lightgbm(lightgbm, x)),
        contender("lleaves", lambda: pm.score_lleaves(lightgbm, x, ctx.tmp)),
        contender("TL2cgen", lambda: pm.score_tl2cgen(lightgbm, x, ctx.tmp)),
        contender("ONNX Runtime", lambda: pm.score_onnxruntime(lightgbm, x)),
    ], ctx.repeats)
    # Parity: the predictions plumb just wrote against LightGBM's own.
    import pandas as pd
    ours = pd.read_csv(os.path.join(ctx.tmp, "predictions.csv"))["prediction"].to_numpy()
    theirs = lightgbm.booster_.predict(x, num_threads=pm.THREADS)
    rel = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)))
    row = Row("score-imported", f"Score {count_label(n)} Friedman, LightGBM model imported ({task.rounds}r)", sides,
              unit="rows/s", work=n, goal="≥ 5× rows/s of the best peer", bound=1 / 5,
              notes=[f"the LightGBM model of the gbm-friedman row, `plumb models import --format lightgbm`; plumb: "
                     f"rows_per_second of `plumb predict` (scoring only); max relative difference from LightGBM's "
                     f"predictions over the {count_label(n)} rows: {rel:.2g}"])
    row.checks["predictions within 1e-7 relative of LightGBM's"] = rel <= 1e-7
    return [row]


# ----------------------------------------------------------------------------------------------
# classification (issue 20): accuracy against LightGBM / scikit-learn on spam and letter, binary
# GBM fit and probability scoring on 1M generated rows

CLS_ROUNDS = 200                 # spam and letter: 200 rounds, lr 0.1, 31 leaves, min 20 rows a leaf
BINARY_1M_ROUNDS = 500
CLS_FOREST_TREES = 100
# Issue 20's accuracy bars: Plumb's GBM against LightGBM's, its forest against scikit-learn's.
GBM_BARS = (("log_loss", 0.005, True), ("accuracy", 0.003, False), ("roc_auc", 0.002, False))
FOREST_BARS = (("accuracy", 0.005, False),)
REPORT = (("log_loss", None, True), ("accuracy", None, False), ("roc_auc", None, False))
# No speed bound was set for these rows: their fit and scoring times are reported (ratio shown).
CLS_FIT_BOUND = None
CLS_SCORE_BOUND = None


def cls_data(ctx: Ctx, name: str, target: str):
    """Features (every column but target, file order) as float64 and the labels as written."""
    def split():
        df = ctx.frame(name)
        if target not in df.columns:
            raise Unavailable(f"{os.path.basename(name)}: no target column {target!r}")
        return (np.ascontiguousarray(df.drop(columns=[target]).to_numpy(dtype=np.float64)),
                df[target].to_numpy())
    return ctx.memo(("cls", name), split)


def need_files(*paths: str) -> None:
    for f in paths:
        if not os.path.exists(f):
            shown = os.path.join(os.path.basename(os.path.dirname(f)), os.path.basename(f))
            raise Unavailable(f"{shown} missing: run.sh makes it (gen_data.py; spam and letter from "
                              "$PLUMB_DATA_MIRROR)")


def cls_metrics(y: np.ndarray, labels: np.ndarray, proba: np.ndarray, classes: list) -> dict:
    """Held-out metrics by scikit-learn, the same code for every side: accuracy of the labels the side
    predicts, log loss of its probabilities (columns in `classes` order), ROC AUC of the second class
    when binary."""
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    ys = np.asarray(y).astype(str)
    names = [str(c) for c in classes]
    out = {"accuracy": float(accuracy_score(ys, np.asarray(labels).astype(str))),
           "log_loss": float(log_loss(ys, proba, labels=names))}
    if len(names) == 2:
        out["roc_auc"] = float(roc_auc_score(ys == names[1], proba[:, 1]))
    return out


def peer_cls_metrics(model, x: np.ndarray, y: np.ndarray) -> dict:
    return cls_metrics(y, model.predict(x), model.predict_proba(x), list(model.classes_))


def plumb_cls_metrics(ctx: Ctx, model: str, test: str, y: np.ndarray) -> dict:
    """`plumb predict` of the test file, then cls_metrics on its label and prob_<class> columns."""
    import pandas as pd
    out = os.path.join(ctx.tmp, "cls_predictions.csv")
    ctx.plumb_run("predict", "--model", model, test, "--out", out, "--json")
    pred = pd.read_csv(out, dtype={"label": str})
    classes = [c[len("prob_"):] for c in pred.columns if c.startswith("prob_")]
    if len(pred) != len(y) or not classes:
        raise Unavailable("plumb predict: unexpected output")
    order = sorted(classes)   # scikit-learn's order; the probabilities follow it
    proba = pred[[f"prob_{c}" for c in order]].to_numpy(dtype=np.float64)
    return cls_metrics(y, pred["label"].to_numpy(), proba, order)


def plumb_cls_side(ctx: Ctx, train: str, test: str, target: str, out: str, flags: list[str]):
    """`plumb train --json`: fit_seconds (the fit alone) and the held-out metrics it reports."""
    def run():
        o, done = ctx.plumb_run("train", train, "--target", target, "--test", test, *flags, "--out", out, "--json",
                                "--no-track", "--quiet")
        try:
            m = o["metrics"]
            return Sample(float(o["fit_seconds"]), {"process_seconds": done.seconds, "task": o.get("task"),
                                                    **{k: m.get(k) for k in ("log_loss", "accuracy", "roc_auc")}})
        except (KeyError, TypeError, ValueError):
            raise Unavailable("plumb train: unexpected JSON")
    return run


def cls_fit_row(ctx: Ctx, key: str, title: str, task: pm.ClsTask, plumb_flags: list[str], model_name: str,
                peers: list[Contender], bars, goal: str, bound: float | None = None, other: str = "metrics",
                notes: tuple = ()) -> Row:
    """A fit row with held-out metrics: Plumb (`plumb train` fit_seconds) against in-process peer fits
    on the same files. Bars (metric, slack, lower is better) compare Plumb with the first peer; a
    slack of None only reports the difference."""
    need_files(task.train, task.test)
    xte, yte = cls_data(ctx, task.test, task.target)
    model = os.path.join(ctx.models, model_name)
    sides = alternate([Contender("plumb", plumb_cls_side(ctx, task.train, task.test, task.target, model,
                                                         plumb_flags), "plumb"), *peers], ctx.repeats)
    row = Row(key, title, sides, goal=goal, bound=bound, other=other, notes=list(notes))
    plumb = sides[0]
    if plumb.ok:
        own = plumb.warm[-1].info
        try:
            mine = plumb_cls_metrics(ctx, model, task.test, yte)
            plumb.extra["metrics"] = mine
            gap = max(abs(mine[k] - own[k]) for k in mine if own.get(k) is not None)
            row.notes.append(f"plumb: metrics by scikit-learn from `plumb predict` on the test file; `plumb train "
                             f"--json`'s own agree to {gap:.1g}")
        except Exception as e:  # noqa: BLE001 — fall back to what plumb train reported
            plumb.extra["metrics"] = {k: own.get(k) for k in ("log_loss", "accuracy", "roc_auc") if own.get(k) is not None}
            row.notes.append(f"plumb: metrics as `plumb train --json` reports them ({reason(e)})")
        plumb.extra["log_loss"] = plumb.extra["metrics"].get("log_loss")
    for s in sides[1:]:
        if s.ok:
            s.extra["metrics"] = peer_cls_metrics(s.result, xte, yte)
            s.extra["log_loss"] = s.extra["metrics"].get("log_loss")
    peer = sides[1]
    for metric, slack, lower in bars:
        mine = plumb.extra.get("metrics", {}).get(metric) if plumb.ok else None
        theirs = peer.extra.get("metrics", {}).get(metric) if peer.ok else None
        if mine is None and theirs is None:
            continue   # e.g. ROC AUC of a multiclass row
        c = comparison(metric, mine, peer.name, theirs, slack, lower)
        row.accuracy.append(c)
        if c["passed"] is not None:
            row.checks[f"{c['metric']} {c['bar']}"] = c["passed"]
    return row


def cls_gbm_row(ctx: Ctx, key: str, task: pm.ClsTask, title: str, quantized: bool = False,
                bars=GBM_BARS, goal: str = "", notes: tuple = ()) -> Row:
    xtr, ytr = cls_data(ctx, task.train, task.target)
    if task.task != "binary":
        bars = tuple(b for b in bars if b[0] != "roc_auc")
    peers = [Contender("LightGBM", lambda: pm.lgbm_classifier(task).fit(xtr, ytr))]
    if quantized:
        peers.append(Contender("LightGBM quant.", lambda: pm.lgbm_classifier(task, quantized=True).fit(xtr, ytr)))
    row = cls_fit_row(ctx, key, title, task, task.plumb_flags(), f"{task.key}_gbm{task.rounds}.plumb", peers, bars,
                      goal or "; ".join(f"{pm_name(m)} {'≤ LGB +' if lower else '≥ LGB −'} {slack:g}"
                                        for m, slack, lower in bars), bound=CLS_FIT_BOUND,
                      notes=(f"GBM: {task.rounds} rounds, lr {task.lr}, {task.leaves} leaves, min {task.min_leaf} rows "
                             "a leaf, no bagging; plumb: fit_seconds of `plumb train` (fit only); peers: .fit on "
                             "numpy arrays in-process", *notes))
    lgb_side = next((s for s in row.sides if s.name == "LightGBM" and s.ok), None)
    if lgb_side:   # the scoring row scores a model of the same shape: hand it this one
        ctx.memo(("cls-model", task.key, "LightGBM"), lambda: lgb_side.result)
    return row


def pm_name(metric: str) -> str:
    return {"log_loss": "log loss", "accuracy": "acc", "roc_auc": "AUC"}.get(metric, metric)


def cls_forest_row(ctx: Ctx, key: str, task: pm.ClsTask) -> Row:
    xtr, ytr = cls_data(ctx, task.train, task.target)
    trees = CLS_FOREST_TREES
    flags = ["--task", task.task, "--model", "forest", "--trees", str(trees), "--feature-fraction", "sqrt",
             "--seed", "42"]
    return cls_fit_row(ctx, key, f"Forest {task.title} {trees}t", task, flags, f"{task.key}_forest{trees}.plumb",
                       [Contender("sklearn RFC", lambda: pm.forest_classifier(trees).fit(xtr, ytr))], FOREST_BARS,
                       "acc ≥ RFC − 0.005",
                       notes=(f"forest: {trees} trees, √features a split, bootstrap, no depth limit (scikit-learn's "
                              "RandomForestClassifier defaults, n_jobs 2); plumb --feature-fraction sqrt",))


def cls_logistic_row(ctx: Ctx, key: str, task: pm.ClsTask) -> Row:
    xtr, ytr = cls_data(ctx, task.train, task.target)

    def fit():
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # a ConvergenceWarning is reported in the notes instead
            return pm.logistic_classifier().fit(xtr, ytr)

    row = cls_fit_row(ctx, key, f"Logistic {task.title}", task, ["--task", task.task, "--model", "logistic"],
                      f"{task.key}_logistic.plumb", [Contender("sklearn LR", fit)], REPORT, "report",
                      notes=("logistic: L2, scikit-learn C = 1 (plumb's default α = 1/n), raw features; "
                             "scikit-learn solver newton-cholesky (same objective as its default lbfgs, which takes "
                             "~2,000 iterations here: ~100× the time)",))
    peer = row.sides[1]
    if peer.ok:
        iters = int(np.max(peer.result.n_iter_))
        if iters >= pm.LOGISTIC_MAX_ITER:
            row.notes.append(f"sklearn LR ({task.title}): stopped at max_iter {iters} without converging")
    return row


def cls_dataset_rows(ctx: Ctx, name: str) -> list[Row]:
    task = ctx.cls_tasks[name]
    need_files(task.train, task.test)
    n_train = len(cls_data(ctx, task.train, task.target)[1])
    classes = len(np.unique(cls_data(ctx, task.test, task.target)[1].astype(str)))
    what = "binary" if task.task == "binary" else f"{classes} classes"
    return [cls_gbm_row(ctx, f"cls-{name}", task, f"GBM {task.title} {count_label(n_train)} {what} {task.rounds}r"),
            cls_forest_row(ctx, f"cls-{name}", task),
            cls_logistic_row(ctx, f"cls-{name}", task)]


def cls_spam(ctx: Ctx) -> list[Row]:
    return cls_dataset_rows(ctx, "spam")


def cls_letter(ctx: Ctx) -> list[Row]:
    return cls_dataset_rows(ctx, "letter")


def cls_gbm_1m(ctx: Ctx) -> list[Row]:
    task = ctx.cls_tasks["binary1m"]
    need_files(task.train, task.test)
    n = len(cls_data(ctx, task.train, task.target)[1])
    x_cols = cls_data(ctx, task.train, task.target)[0].shape[1]
    return [cls_gbm_row(ctx, "cls-gbm-1m", task, f"GBM fit binary {count_label(n)}×{x_cols} {task.rounds}r",
                        quantized=True, bars=GBM_BARS[:1],
                        goal="report time; log loss ≤ LGB + 0.005",
                        notes=("binary data: sklearn make_classification (gen_data.py), test file = a further "
                               "quarter of the rows; LightGBM quant. = use_quantized_grad=True",))]


def cls_score_1m(ctx: Ctx) -> list[Row]:
    task = ctx.cls_tasks["binary1m"]
    need_files(task.train, task.test)
    x, y = cls_data(ctx, task.train, task.target)
    n = x.shape[0]
    plumb_model = os.path.join(ctx.models, f"{task.key}_gbm{task.rounds}.plumb")

    def plumb_side():
        if not os.path.exists(plumb_model):   # the fit row was skipped
            ctx.plumb_run("train", task.train, "--target", task.target, "--test", task.test, *task.plumb_flags(),
                          "--out", plumb_model, "--json", "--no-track", "--quiet")
        return plumb_predict_side(ctx, None, task.train, n, model=plumb_model)

    def model(name: str):
        fit = pm.lgbm_classifier if name == "LightGBM" else pm.xgb_classifier
        return ctx.memo(("cls-model", task.key, name), lambda: fit(task).fit(x, y))

    def lleaves_side():
        booster = model("LightGBM").booster_
        if booster.params.get("objective", "binary") not in ("binary", None):
            raise Unavailable(f"objective {booster.params.get('objective')}")
        return pm.score_lleaves(model("LightGBM"), x, ctx.tmp)

    sides = alternate([
        contender("plumb", plumb_side, "plumb"),
        contender("LightGBM", lambda: pm.score_lightgbm(model("LightGBM"), x)),
        contender("XGBoost", lambda: pm.score_xgboost(model("XGBoost"), x)),
        contender("lleaves", lleaves_side),
    ], ctx.repeats)
    # The 1M-row frames and the fitted models are not needed by later scenarios.
    ctx.forget(("frame", task.train), ("cls", task.train), ("cls-model", task.key, "LightGBM"),
               ("cls-model", task.key, "XGBoost"))
    return [Row("cls-score-1m", f"Score probabilities {count_label(n)} binary ({task.rounds}r)", sides,
                unit="rows/s", work=n, goal="report", bound=CLS_SCORE_BOUND,
                notes=[f"binary GBM, {task.rounds} trees × {task.leaves} leaves; plumb: rows_per_second of `plumb "
                       "predict` (scoring only; it writes label and prob_<class> columns); peers: one call giving "
                       "P(class 1) for a numpy matrix already in memory (LightGBM predict, XGBoost inplace_predict, "
                       "lleaves compiled from the LightGBM model); the models come from the fit row when it ran"])]


# ----------------------------------------------------------------------------------------------
# drift


def psi(ref: np.ndarray, cur: np.ndarray, bins: int = 10) -> float:
    """PSI on `bins` reference-quantile bins (outer edges open), eps 1e-4 on empty bins."""
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1]
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=bins) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=bins) / cur.size
    r = np.clip(r, 1e-4, None)
    c = np.clip(c, 1e-4, None)
    return float(np.sum((c - r) * np.log(c / r)))


def scipy_drift(ref, cur) -> dict:
    from scipy import stats
    out = {}
    for col in ref.columns:
        a = ref[col].to_numpy()
        b = cur[col].to_numpy()
        ks = stats.ks_2samp(a, b)
        out[col] = {"ks": float(ks.statistic), "ks_p": float(ks.pvalue),
                    "wasserstein": float(stats.wasserstein_distance(a, b)), "psi": psi(a, b)}
    return out


def drift_agreement(mine: dict, peer: dict) -> str:
    diffs = []
    for col, v in peer.items():
        m = mine.get(col)
        if m:
            diffs += [abs(m.get("ks", np.nan) - v["ks"]),
                      abs(m.get("wasserstein", np.nan) - v["wasserstein"]) / max(1e-12, v["wasserstein"]),
                      abs(m.get("psi", np.nan) - v["psi"]) / max(1e-12, v["psi"])]
    return f"max |ΔKS|, rel ΔW, rel ΔPSI vs scipy: {np.nanmax(diffs):.2g}" if diffs else ""


def drift_1m(ctx: Ctx) -> list[Row]:
    ref, cur = ctx.frame("drift_ref_1m.csv"), ctx.frame("drift_cur_1m.csv")
    sides = alternate([
        Contender("plumb", bench_side(ctx, "drift", "--reference", ctx.path("drift_ref_1m.csv"), "--current",
                                      ctx.path("drift_cur_1m.csv"), keep=("columns",)), "plumb"),
        Contender("scipy", lambda: scipy_drift(ref, cur)),
    ], ctx.repeats)
    row = Row("drift-1m", f"Drift {count_label(len(ref))} vs {count_label(len(cur))} ×8 (KS+W+PSI)", sides,
              goal="time ≤ 0.05× scipy", bound=0.05)
    if all(s.ok for s in sides):
        row.notes.append(drift_agreement(sides[0].warm[-1].info.get("columns") or {}, sides[1].result))
        for s in sides[0].warm + [sides[0].cold]:
            s.info.pop("columns", None)   # checked above; the per-run copies would only bloat results.json
    return [row]


def evidently_report(ref, cur, html: str):
    from evidently import Report
    from evidently.presets import DataDriftPreset

    def run():
        snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
        snap.save_html(html)
        return snap
    return run


def drift_report(ctx: Ctx) -> list[Row]:
    task = ctx.tasks["california"]
    ref, cur = ctx.frame(task.train), ctx.frame(task.test)
    out_html = os.path.join(ctx.tmp, "plumb_report.html")
    if ctx.plumb_has("monitor"):
        # exit 10 = "retraining recommended", a normal outcome of a monitor run.
        plumb = contender("plumb", lambda: process_side(
            [ctx.plumb, "monitor", "--model", ctx.plumb_model(task), "--current", task.test, "--report", out_html,
                  "--json"], "plumb monitor", ok_codes=(0, 10)), "plumb")
        how = "plumb monitor, whole process (reads both CSVs)"
    else:
        plumb = Contender("plumb", bench_side(ctx, "drift", "--reference", task.train, "--current", task.test,
                                              "--report", out_html), "plumb")
        how = "plumb-bench drift --report (no plumb monitor in this build)"
    sides = alternate([plumb, contender("Evidently", lambda: evidently_report(
        ref, cur, os.path.join(ctx.tmp, "evidently_report.html")))], ctx.repeats)
    if sides[0].ok and not (os.path.exists(out_html) and os.path.getsize(out_html) > 0):
        sides[0].error = "no HTML report written"
    return [Row("drift-report", "Drift report California (HTML)", sides, goal="time ≤ 0.05× Evidently", bound=0.05,
                notes=[how + "; Evidently 0.7 Report([DataDriftPreset()]) + save_html in-process"])]


# ----------------------------------------------------------------------------------------------
# serving


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return True
        except Exception:  # noqa: BLE001 — not up yet
            time.sleep(0.2)
    return False


def lua_script(path: str, body: str) -> str:
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = " + json.dumps(body) + "\n")
    return path


def run_wrk(url: str, script: str, connections: int, seconds: int) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise Unavailable(f"wrk failed: {r.stderr.strip()[:200]}")
    text = r.stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", text)
    if not m or float(m.group(1)) <= 0:
        raise Unavailable("wrk: no Requests/sec")
    out = {"rps": float(m.group(1))}
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if m:
        v = float(m.group(1))
        out["p99_ms"] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    out["errors"] = int(m.group(1)) if m else 0
    return out


def start_server(cmd: list[str], env: dict, health: str, log: str) -> subprocess.Popen:
    p = start_process(cmd, log, env=env, cwd=HERE)
    if not wait_http(health, 60, p):
        stop_process(p)
        with open(log) as lf:
            tail = lf.read().strip().splitlines()[-1:] or ["no output"]
        raise Unavailable(f"server did not come up: {tail[0][:100]}")
    return p


def fastapi_model(ctx: Ctx) -> str:
    """joblib bundle {scaler, model}: StandardScaler + LightGBM 500 rounds on the California train split."""
    import joblib
    from sklearn.preprocessing import StandardScaler
    path = os.path.join(ctx.models, "fastapi_model.joblib")
    if not os.path.exists(path):
        task = ctx.tasks["california"]
        xtr, ytr = ctx.xy(task.train, task.target)
        scaler = StandardScaler().fit(xtr)
        model = pm.lgbm(task).fit(scaler.transform(xtr), ytr)
        joblib.dump({"scaler": scaler, "model": model}, path)
    return path


def wrk_side(url: str, script: str, connections: int, seconds: int, per_request: int, strict: bool):
    """One wrk run: the sample is the time per request (1 / req/s), so 'best' is the highest req/s.
    Plumb answering non-2xx is a failure (strict); a peer's errors are only noted."""
    def run():
        r = run_wrk(url, script, connections, seconds)
        if strict and r["errors"]:
            raise Unavailable(f"{r['errors']} non-2xx answers")
        return Sample(1.0 / r["rps"], {"rps": r["rps"], "rows_per_second": r["rps"] * per_request,
                                       "p99_ms": r.get("p99_ms"), "errors": r["errors"]})
    return run


def serving_rows(ctx: Ctx) -> list[Row]:
    if shutil.which("wrk") is None:
        raise Unavailable("wrk not installed")
    task = ctx.tasks["california"]
    test = ctx.frame(task.test)
    features = ctx.features(task)
    one = {k: float(test.iloc[0][k]) for k in features}
    batch = {"instances": [{k: float(v) for k, v in r.items()} for r in test[features].iloc[:1000].to_dict("records")]}
    single_lua = lua_script(os.path.join(ctx.tmp, "predict1.lua"), json.dumps(one))
    batch_lua = lua_script(os.path.join(ctx.tmp, "predict1000.lua"), json.dumps(batch))
    secs = ctx.args.serve_seconds
    servers: list[subprocess.Popen] = []
    # The prediction log goes to a store of its own, new for every run: a run logs tens of millions
    # of rows (GBs), which must neither pile up in the shared store nor carry over between runs.
    log_dir = tempfile.mkdtemp(prefix="serve-log-", dir=ctx.tmp)
    peer_port, plumb_port = free_port(), free_port()

    def up(start) -> str:
        """Start one server; a server that does not come up makes only its own side n/a."""
        try:
            servers.append(start())
            return ""
        except Exception as e:  # noqa: BLE001
            return reason(e)

    try:
        peer_down = up(lambda: start_server(
            [sys.executable, "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", str(peer_port),
             "--workers", "1", "--log-level", "warning", "--no-access-log"],
            dict(os.environ, PEER_MODEL=fastapi_model(ctx)), f"http://127.0.0.1:{peer_port}/health",
            os.path.join(ctx.tmp, "fastapi.log")))
        plumb_down = "no plumb serve command" if not ctx.plumb_has("serve") else up(lambda: start_server(
            [ctx.plumb, "serve", "--model", ctx.plumb_model(task), "--port", str(plumb_port), "--store",
             os.path.join(log_dir, "plumb.db")], dict(os.environ), f"http://127.0.0.1:{plumb_port}/health",
            os.path.join(ctx.tmp, "plumb_serve.log")))
        # Both servers stay up and the wrk runs alternate between them (an idle server costs nothing).
        rows = []
        for title, path_peer, lua, conns, per_req in (("Serve single row (wrk c16)", "/predict", single_lua, 16, 1),
                                                      ("Serve batch 1000 rows (wrk c4)", "/predict_batch", batch_lua, 4, 1000)):
            plumb = Contender("plumb serve", wrk_side(f"http://127.0.0.1:{plumb_port}/predict", lua, conns, secs,
                                                      per_req, True), "plumb", error=plumb_down)
            peer = Contender("FastAPI", wrk_side(f"http://127.0.0.1:{peer_port}{path_peer}", lua, conns, secs,
                                                 per_req, False), error=peer_down)
            sides = alternate([plumb, peer], ctx.repeats)
            # p99 is judged on the median of the warm runs' p99s: the least favourable of the
            # per-run figures would be noise, the best an optimistic pick.
            summarise(sides, "p99_ms", how=lambda v: float(np.median(v)))
            if per_req == 1:
                row = Row("serve", title, sides, goal="≥ 30× req/s, p99 ≤ 3 ms", bound=1 / 30, unit="req/s",
                          other="p99_ms")
                if sides[0].ok:
                    row.checks["p99 ≤ 3 ms"] = sides[0].extra.get("p99_ms", float("inf")) <= 3.0
            else:
                row = Row("serve", title, sides, goal="≥ 1M rows/s", unit="rows/s", work=1000, other="p99_ms")
                if sides[0].ok:
                    row.checks["≥ 1M rows/s"] = 1000 / sides[0].best() >= 1e6
            errors = sum(s.info.get("errors", 0) for s in sides[1].warm)
            if errors:
                row.notes.append(f"FastAPI answered {errors} non-2xx in its warm runs")
            rows.append(row)
        rows[0].notes.append(f"each wrk run {secs} s, 2 wrk threads; servers on 127.0.0.1; p99 = median of the "
                             "warm runs' p99")
        return rows
    finally:
        for p in servers:
            stop_process(p)
        shutil.rmtree(log_dir, ignore_errors=True)


# ----------------------------------------------------------------------------------------------

# (name for --only/--skip, function, part of the default set)
SCENARIOS = [
    ("dgemm", lambda c: [gemm_row(c, "double")], True),
    ("sgemm", lambda c: [gemm_row(c, "float")], True),
    ("lstsq", lstsq_rows, True),
    ("csv", lambda c: [csv_row(c)], True),
    ("describe", lambda c: [describe_row(c)], True),
    ("gbm-california", gbm_california, True),
    ("gbm-friedman", gbm_friedman, True),
    ("train-california", train_california, True),
    ("train-friedman", train_friedman, True),
    ("forest-california", forest_california, True),
    ("score-friedman", score_friedman, True),
    ("score-california", score_california, True),
    ("score-imported", score_imported, True),
    ("drift-1m", drift_1m, True),
    ("drift-report", drift_report, True),
    ("serve", serving_rows, True),
    ("cls-spam", cls_spam, True),
    ("cls-letter", cls_letter, True),
    ("cls-gbm-1m", cls_gbm_1m, True),
    ("cls-score-1m", cls_score_1m, True),
    ("big", big_rows, False),
]
# Names for several scenarios at once in --only / --skip.
GROUPS = {"classification": ["cls-spam", "cls-letter", "cls-gbm-1m", "cls-score-1m"],
          "accuracy": ["cls-spam", "cls-letter"]}


_rows_so_far: list[Row] = []
_header: list[str] = []


def _on_signal(signum, _frame):
    kill_children()
    if _rows_so_far:
        print(f"\ninterrupted (signal {signum}); scenarios finished so far:")
        print_table(_rows_so_far, _header)
        print_accuracy(_rows_so_far, "\nAccuracy on held-out rows:")
    sys.exit(128 + signum)


def header_lines(env: dict, args) -> list[str]:
    forced = (f"  ** FORCED: load {env['load_1min']:.2f} > {args.max_load} — figures from a busy machine **"
              if env["forced"] else "")
    if args.max_rounds:
        forced += f"  ** boosting rounds capped at {args.max_rounds} (--max-rounds): a harness check, not the goals **"
    big = f" ({args.big_repeats} for big)" if any(n == "big" for n, _ in selected(args)) else ""
    return [
        f"Plumb vs peers · {env['time_utc']} · commit {env['git_commit']}",
        f"plumb {env['plumb_version']} ({env['plumb']}) · CPU {env['cpu']} · {env['cores']} cores · "
        f"1-min load {env['load_1min']:.2f} at start (limit {args.max_load})" + forced,
        f"Each side: 1 cold call (column 'cold', kept out of the warm figures), then {args.repeats} warm "
        f"repetitions{big}, sides taking turns (P A B, P A B, …).",
        "best = warm minimum time (highest rate). ratio = Plumb warm best / warm best of the fastest counted peer (*)",
        "(rates: peer / Plumb); lower is better for Plumb; pass/fail uses warm bests. (i) = peer for information only.",
        "",
    ]


def write_json(path: str, env: dict, args, rows: list[Row], done: bool) -> None:
    if not path:
        return
    out = {"environment": env, "settings": {k: getattr(args, k) for k in ("repeats", "big_repeats", "serve_seconds",
                                                                          "only", "skip", "max_load", "settle",
                                                                          "max_rounds")},
           "complete": done, "load_1min_now": os.getloadavg()[0], "rows": [r.to_json() for r in rows]}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, default=str, ensure_ascii=False)
    os.replace(tmp, path)


def parse_args():
    names = [n for n, _, _ in SCENARIOS]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--plumb", required=True)
    ap.add_argument("--plumb-bench", required=True)
    ap.add_argument("--only", default="", help="comma-separated scenario names (" + ", ".join(names) + ") or groups ("
                    + ", ".join(f"{g} = {'+'.join(m)}" for g, m in GROUPS.items()) + ")")
    ap.add_argument("--skip", default="", help="comma-separated scenario names to leave out")
    ap.add_argument("--repeats", type=int, default=3, help="warm repetitions per side, after one cold call (default 3)")
    ap.add_argument("--big-repeats", type=int, default=2,
                    help="warm repetitions of the `big` rows (default 2: each fit of 10M rows takes minutes)")
    ap.add_argument("--serve-seconds", type=int, default=10, help="duration of each wrk run")
    ap.add_argument("--max-rounds", type=int, default=0,
                    help="cap the boosting rounds of every GBM row, both sides alike (a quick check of the harness "
                         "itself: its figures do not answer the goals)")
    ap.add_argument("--force", action="store_true", help="run even when the machine is busy (marked in the results)")
    ap.add_argument("--max-load", type=float, default=0.5, help="highest 1-minute load average to start at")
    ap.add_argument("--settle", type=float, default=120,
                    help="seconds to wait for the load to drop before refusing (default 120)")
    ap.add_argument("--json-out", default="", help="write every figure as JSON here")
    args = ap.parse_args()
    if args.repeats < 1 or args.big_repeats < 1:
        ap.error("--repeats and --big-repeats must be ≥ 1")
    if args.max_rounds < 0:
        ap.error("--max-rounds must be ≥ 1 (0: no cap)")
    for s in [s for s in (args.only + "," + args.skip).split(",") if s]:
        if s not in names and s not in GROUPS:
            ap.error(f"unknown scenario {s!r}; known: {', '.join(names + list(GROUPS))}")
    return args


def expand(names: str) -> set:
    return {n for s in names.split(",") if s for n in GROUPS.get(s, [s])}


def selected(args) -> list:
    only = expand(args.only)
    skip = expand(args.skip)
    return [(n, fn) for n, fn, default in SCENARIOS if (n in only if only else default) and n not in skip]


def run_scenario(ctx: Ctx, name: str, fn) -> list[Row]:
    try:
        return fn(ctx)
    except Unavailable as e:
        return [failed_row(name, name, str(e))]
    except Exception as e:  # noqa: BLE001 — a harness-side failure: keep going, say what broke
        return [failed_row(name, name, f"error: {type(e).__name__}: {str(e)[:120]}")]


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    env = environment(REPO, os.path.abspath(args.plumb))
    env["load_1min"], env["forced"] = load_gate(args.max_load, args.settle, args.force)
    _header[:] = header_lines(env, args)
    print("\n".join(_header[:2]), file=sys.stderr, flush=True)
    ctx = Ctx(args)
    for name, fn in selected(args):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        print(f"[{time.strftime('%H:%M:%S')}] {name} (load {load:.2f}) …", file=sys.stderr, flush=True)
        for r in run_scenario(ctx, name, fn):
            r.load_before = load
            for s in r.sides:
                s.result = None   # fitted models, frames: not needed once the row is judged
            verdict = "n/a" if r.ratio is None else f"ratio {r.ratio:.3f} {'-' if r.passed is None else 'pass' if r.passed else 'FAIL'}"
            print(f"    {r.title}: {verdict}", file=sys.stderr, flush=True)
            _rows_so_far.append(r)
        print(f"    ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
        write_json(args.json_out, env, args, _rows_so_far, done=False)
    kill_children()
    print()
    print_table(_rows_so_far, _header)
    print_accuracy(_rows_so_far, "\nAccuracy on held-out rows (same train/test files for every side; metrics by "
                                 "scikit-learn; result against the issue's bar):")
    print(f"\n1-min load at the end: {os.getloadavg()[0]:.2f}")
    write_json(args.json_out, env, args, _rows_so_far, done=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
