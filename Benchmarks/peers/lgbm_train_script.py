#!/usr/bin/env python3
"""The whole-process peer of `plumb train FILE --target Y --test TEST --model gbm ...`.

What a user would write to do the same job in Python, run as its own process: read the training
and test CSVs, fit LightGBM (same rounds / learning rate / leaves, 2 threads), score the test rows
and save the model. compare.py times the whole process (interpreter start-up and imports
included, as `plumb train` pays its own start-up) and reads its peak RSS.

CSVs are read with pyarrow.csv (multi-threaded; of pandas, polars and pyarrow the fastest to hand
LightGBM its data here) and given to LightGBM as Arrow tables, which LightGBM ≥ 4.3 bins without a
numpy copy. The Arrow table is dropped once the Dataset is built, as a careful user would.

Prints one JSON line: {"read_seconds", "fit_seconds", "r2", "train_rows", "test_rows"}.

  python lgbm_train_script.py --train T.csv --test V.csv --target y --rounds 200 --learning-rate 0.1 \
      --leaves 31 --out model.txt [--quantized]
"""
import os

THREADS = os.environ.get("PEERS_THREADS", "2")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import lightgbm as lgb  # noqa: E402


def read(path: str, target: str):
    table = pacsv.read_csv(path)
    return table.drop_columns([target]), table.column(target).to_numpy()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--learning-rate", type=float, required=True)
    ap.add_argument("--leaves", type=int, default=31)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quantized", action="store_true", help="use_quantized_grad=True")
    args = ap.parse_args()
    threads = int(THREADS)
    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)

    t0 = time.perf_counter()
    x, y = read(args.train, args.target)
    xt, yt = read(args.test, args.target)
    t1 = time.perf_counter()
    params = {"objective": "regression", "num_leaves": args.leaves, "learning_rate": args.learning_rate,
              "num_threads": threads, "seed": 42, "verbose": -1}
    if args.quantized:
        params["use_quantized_grad"] = True
    train_rows = len(y)
    data = lgb.Dataset(x, label=y, params=params).construct()
    del x  # the Dataset holds the binned copy; the raw table is no longer needed
    booster = lgb.train(params, data, num_boost_round=args.rounds)
    t2 = time.perf_counter()
    p = booster.predict(xt, num_threads=threads)
    r2 = 1.0 - float(np.sum((yt - p) ** 2) / np.sum((yt - yt.mean()) ** 2))
    booster.save_model(args.out)
    print(json.dumps({"read_seconds": t1 - t0, "fit_seconds": t2 - t1, "r2": r2, "train_rows": train_rows,
                      "test_rows": len(yt)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
