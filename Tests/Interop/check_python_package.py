# pip needs: numpy pyarrow pandas pyspark "ray[data]"   (pyspark and ray are
#            required: the run fails when they cannot be imported, unless PLUMB_INTEROP_OPTIONAL=1 says to skip
#            them with the reason printed (a machine without Java 17 or those wheels); Spark needs Java 17)
"""The Python package python/plumb (ctypes over libPlumbC.so) scores exactly as `plumb predict`.

Trains a regression (numeric + categorical features, with nulls) and a binary classifier with the
plumb CLI, then checks that plumb.Model.predict gives the same values as `plumb predict` writes to
Parquet for the same rows — from a pyarrow Table, sliced RecordBatches, dictionary-encoded strings,
pandas and (numeric model) numpy — and that a registry URI opens the registered model. Then the same
comparison for plumb.spark.predict (PySpark local[2], a Parquet folder read as 3 partitions) and
plumb.ray.predict (Ray Data, 2 actors).

Environment: PLUMB = the plumb binary, PLUMB_LIBRARY = libPlumbC.so (else both are looked for
under .build/release, then .build/debug, of the repository).
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))


def find(env, name):
    if os.environ.get(env):
        return os.environ[env]
    for config in ("release", "debug"):
        p = REPO / ".build" / config / name
        if p.exists():
            return str(p)
    sys.exit(f"check_python_package: {name} not found: set {env} or build it (swift build)")


PLUMB = find("PLUMB", "plumb")
os.environ["PLUMB_LIBRARY"] = find("PLUMB_LIBRARY", "libPlumbC.so")
os.environ["PYTHONPATH"] = str(REPO / "python") + os.pathsep + os.environ.get("PYTHONPATH", "")

import plumb  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def run(*args, cwd=None):
    r = subprocess.run([PLUMB, *args], capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"plumb {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def make_rows(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    k = rng.integers(0, 5, n).astype(np.int64)
    city = rng.choice(["north", "south", "east", "west"], n)
    y = x + 2 * k + np.select([city == "north", city == "south"], [4.0, -3.0], 0.0) + rng.normal(0, 0.5, n)
    xs = [None if i % 17 == 3 else float(v) for i, v in enumerate(x)]
    cities = [None if i % 23 == 5 else str(v) for i, v in enumerate(city)]
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "x": pa.array(xs, type=pa.float64()),
        "k": pa.array(k),
        "city": pa.array(cities, type=pa.string()),
        "y": pa.array(y),
        "hot": pa.array(np.where(y > 11, "yes", "no")),
    })


def plumb_predict(model, table, workdir, name, store=None):
    """`plumb predict` on the table written as Parquet: the prediction columns it writes."""
    src, out = workdir / f"{name}-in.parquet", workdir / f"{name}-out.parquet"
    pq.write_table(table, src)
    args = ["predict", "--model", model, str(src), "--out", str(out), "--quiet"]
    if store:
        args += ["--store", store]
    run(*args)
    return pq.read_table(out)


def same(a, b):
    """Equal values, column by column (float columns bit-for-bit, NaN equal to NaN)."""
    if a.column_names != b.column_names or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        if x != y and not all((p == q) or (p != p and q != q) for p, q in zip(x, y)):
            return False
    return True


def main():
    work = Path(tempfile.mkdtemp(prefix="plumb-py-"))
    train = make_rows(1500, 1)
    rows = make_rows(600, 2)
    rows = rows.set_column(rows.schema.get_field_index("city"), "city",
                           pa.array([("mars" if i == 7 else c) for i, c in enumerate(rows.column("city").to_pylist())]))
    pq.write_table(train.drop(["hot"]), work / "train-reg.parquet")
    pq.write_table(train.drop(["y"]), work / "train-cls.parquet")
    store = str(work / "store.db")
    reg, cls = str(work / "reg.plumb"), str(work / "cls.plumb")
    run("train", str(work / "train-reg.parquet"), "--target", "y", "--model", "gbm", "--rounds", "40", "--exclude", "id",
        "--out", reg, "--register", "house", "--store", store, "--quiet")
    run("train", str(work / "train-cls.parquet"), "--target", "hot", "--model", "gbm", "--rounds", "40", "--exclude", "id",
        "--out", cls, "--store", store, "--quiet", "--no-track")
    run("models", "alias", "house", "champion", "1", "--store", store)
    features = rows.select(["id", "x", "k", "city"])

    print(f"libplumb {plumb.version()} at {plumb.library_path()}")
    m = plumb.Model(reg)
    print(repr(m))
    check(m.features == ["x", "k", "city"] and m.schema["city"] == "categorical", f"features {m.schema}")
    expected = plumb_predict(reg, features, work, "reg")
    got = m.predict(features)
    check(same(got, expected), "regression: Model.predict(pyarrow Table) == plumb predict")

    sliced = [features.slice(0, 250), features.slice(250, 100), features.slice(350)]
    parts = [m.predict(b.combine_chunks().to_batches()[0]) for b in sliced]
    check(same(pa.Table.from_batches(parts), expected), "regression: sliced RecordBatches (offsets) == plumb predict")
    encoded = features.set_column(3, "city", features.column("city").dictionary_encode())
    check(same(m.predict(encoded), expected), "regression: dictionary-encoded strings == plumb predict")
    check(same(m.predict(features.to_pandas()), expected), "regression: pandas DataFrame == plumb predict")
    kept = m.predict(features, keep_columns=True)
    check(kept.column_names == ["id", "x", "k", "city", "prediction"], f"keep_columns: {kept.column_names}")

    with plumb.Model("models:/house@champion", store=store) as champion:
        check(champion.version == "1" and same(champion.predict(features), expected), "registry URI models:/house@champion opens version 1, same predictions")
        check(champion.pinned_reference() == "models:/house/1", "an alias pins to its version")

    c = plumb.Model(cls)
    print(repr(c))
    expected_cls = plumb_predict(cls, features, work, "cls")
    got_cls = c.predict(features)
    check(c.outputs == ["label", "prob_no", "prob_yes"] and same(got_cls, expected_cls), "classifier: label and probabilities == plumb predict")

    numeric = train.select(["x", "k", "y"]).drop_null()
    pq.write_table(numeric, work / "train-num.parquet")
    num = str(work / "num.plumb")
    run("train", str(work / "train-num.parquet"), "--target", "y", "--model", "gbm", "--rounds", "30", "--out", num, "--quiet", "--no-track")
    nm = plumb.Model(num)
    dense = np.column_stack([np.array(features.column("x").to_pylist(), dtype=float),  # None → NaN (missing)
                             features.column("k").to_numpy().astype(float)])
    expected_num = plumb_predict(num, features.select(["x", "k"]), work, "num")
    check(np.array_equal(nm.predict(dense), expected_num.column("prediction").to_numpy(), equal_nan=True), "numpy dense == plumb predict")

    try:
        m.predict(features.drop(["k"]))
        check(False, "a missing column raises")
    except plumb.InputError as e:
        check('"k"' in str(e), f"missing column: {e}")
    try:
        m.predict(features.set_column(1, "x", pa.array([str(v) for v in features.column("x").to_pylist()])))
        check(False, "a string column for a numeric feature raises")
    except plumb.InputError as e:
        check(str(e) == 'column "x" holds strings, but the model\'s feature "x" is numeric', f"wrong type: {e}")
    try:
        plumb.Model(str(work / "nope.plumb"))
        check(False, "a missing model file raises")
    except plumb.ModelError as e:
        check("nope.plumb" in str(e), f"missing model: {e}")

    # Spark and Ray: a Parquet folder of the rows, scored by the helpers, compared by id.
    folder = work / "rows"
    folder.mkdir()
    for i, part in enumerate([features.slice(0, 200), features.slice(200, 200), features.slice(400)]):
        pq.write_table(part, folder / f"part-{i:05d}.parquet")
    spark_part(folder, cls, expected_cls, features)
    ray_part(folder, reg, expected, features)

    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    sys.exit(1 if failures else 0)


def by_id(table, ids, columns):
    order = np.argsort(np.asarray(table.column("id").to_pylist()))
    t = table.take(pa.array(order))
    check(t.column("id").to_pylist() == ids, "every row scored once")
    return t.select(columns)


def spark_part(folder, model, expected, features):
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError as e:
        if os.environ.get("PLUMB_INTEROP_OPTIONAL") != "1":
            raise SystemExit(f"FAIL Spark: pyspark is not importable ({e}); make venv installs it (PLUMB_INTEROP_OPTIONAL=1 skips it)")
        print(f"skip Spark: pyspark is not importable ({e})")
        return
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]").appName("plumb-check").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "3").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        import plumb.spark
        df = spark.read.parquet(str(folder)).repartition(3)
        check(df.rdd.getNumPartitions() >= 2, f"Spark DataFrame of {df.rdd.getNumPartitions()} partitions")
        scored = plumb.spark.predict(df, model)
        got = pa.Table.from_pandas(scored.toPandas(), preserve_index=False)
        check(scored.columns == ["id", "x", "k", "city", "label", "prob_no", "prob_yes"], f"Spark output columns {scored.columns}")
        got = by_id(got, features.column("id").to_pylist(), ["label", "prob_no", "prob_yes"])
        check(same(got, expected), "Spark mapInArrow (local[2]): predictions == plumb predict")
    finally:
        spark.stop()


def ray_part(folder, model, expected, features):
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        if os.environ.get("PLUMB_INTEROP_OPTIONAL") != "1":
            raise SystemExit(f"FAIL Ray: ray[data] is not importable ({e}); make venv installs it (PLUMB_INTEROP_OPTIONAL=1 skips it)")
        print(f"skip Ray: ray[data] is not importable ({e})")
        return
    # 3 logical CPUs: 2 scoring actors, and 1 for the read tasks (with 2, the actors take both
    # and the read never runs).
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, logging_level="warning",
             runtime_env={"env_vars": {"PLUMB_LIBRARY": os.environ["PLUMB_LIBRARY"], "PYTHONPATH": os.environ["PYTHONPATH"]}})
    try:
        import plumb.ray
        ray.data.DataContext.get_current().enable_progress_bars = False
        ds = ray.data.read_parquet(str(folder), override_num_blocks=3)
        scored = plumb.ray.predict(ds, model, concurrency=2, batch_size=128).to_arrow_refs()
        got = pa.concat_tables(ray.get(scored))
        got = by_id(got, features.column("id").to_pylist(), ["prediction"])
        check(same(got, expected), "Ray Data map_batches (2 actors): predictions == plumb predict")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
