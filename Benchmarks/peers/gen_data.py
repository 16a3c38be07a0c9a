"""Generate the benchmark input files once (idempotent: existing files are kept).

Files, all under WORK (default Benchmarks/peers/work):
  numeric_1m.csv        1,000,000 rows x 21 numeric columns (CSV-read scenario): mixed magnitudes,
                        integers, negatives, 6-decimal floats, a few exponents.
  friedman_1m.csv       Friedman #1 with 15 extra noise features: x0..x19 ~ U(0,1), target y =
                        10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1); 1,000,000 rows.
  friedman_train.csv    its first 800,000 rows;  friedman_test.csv  the last 200,000 rows.
  drift_ref_1m.csv      1,000,000 rows x 8 numeric columns (reference sample).
  drift_cur_1m.csv      1,000,000 rows x 8 numeric columns, some columns shifted/scaled (current sample).
  california_1m.csv     1,000,000 California Housing feature rows resampled with replacement from
                        --california (the batch-scoring input of the California model).

With --big only (the opt-in `--only big` rows; ~2 GB, never committed):
  friedman_10m.csv      --big-rows (default 10,000,000) rows of the same Friedman generator
                        (x0..x19 ~ U(0,1), %.6f), written in 1M-row chunks to bound memory.
  friedman_10m_test.csv 200,000 further rows of the same generator (the held-out file).

--rows shrinks the regular files for quick tests (the names keep their "1m").

Usage: python gen_data.py --work DIR --california PATH/california_housing.csv [--rows N] [--big [--big-rows N]]
"""
import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

SEED = 20261123


def write_csv(df: pd.DataFrame, path: str, float_format: str | None = None) -> None:
    tmp = path + ".tmp"
    df.to_csv(tmp, index=False, float_format=float_format)
    os.replace(tmp, path)


def numeric_1m(path: str, rows: int) -> None:
    rng = np.random.default_rng(SEED)
    cols = {}
    for j in range(21):
        kind = j % 7
        if kind == 0:
            cols[f"c{j}"] = rng.integers(0, 100_000, rows).astype(np.float64)          # integers
        elif kind == 1:
            cols[f"c{j}"] = np.round(rng.normal(0, 1, rows), 6)                        # signed, 6 decimals
        elif kind == 2:
            cols[f"c{j}"] = np.round(rng.uniform(-1000, 1000, rows), 3)
        elif kind == 3:
            cols[f"c{j}"] = np.round(rng.lognormal(3, 1.5, rows), 4)                   # wide magnitudes
        elif kind == 4:
            cols[f"c{j}"] = np.round(rng.uniform(0, 1, rows), 8)
        elif kind == 5:
            cols[f"c{j}"] = rng.integers(-50, 50, rows).astype(np.float64)
        else:
            cols[f"c{j}"] = np.round(rng.normal(1e6, 2e5, rows), 2)
    df = pd.DataFrame(cols)
    # Integers print as integers; the rest with repr-shortest digits (pandas' default float format).
    for j in range(21):
        if j % 7 in (0, 5):
            df[f"c{j}"] = df[f"c{j}"].astype(np.int64)
    write_csv(df, path)


def friedman_frame(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Friedman #1 (x0..x4) plus 15 noise features, all U(0,1); y with N(0,1) noise."""
    x = rng.uniform(0.0, 1.0, (rows, 20))
    y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4]
         + rng.normal(0.0, 1.0, rows))
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(20)])
    df["y"] = y
    return df


def friedman(path_all: str, path_train: str, path_test: str, rows: int, train_rows: int) -> None:
    df = friedman_frame(np.random.default_rng(SEED + 1), rows)
    write_csv(df, path_all, "%.6f")
    write_csv(df.iloc[:train_rows], path_train, "%.6f")
    write_csv(df.iloc[train_rows:], path_test, "%.6f")


def drift(path_ref: str, path_cur: str, rows: int) -> None:
    rng = np.random.default_rng(SEED + 2)
    names = [f"f{j}" for j in range(8)]
    ref = pd.DataFrame({n: rng.normal(0, 1, rows) for n in names})
    cur = pd.DataFrame({n: rng.normal(0, 1, rows) for n in names})
    cur["f0"] = cur["f0"] * 1.2            # scale change
    cur["f1"] = cur["f1"] + 0.1            # small shift
    cur["f2"] = rng.exponential(1.0, rows)  # different shape
    cur["f3"] = rng.uniform(-2, 2, rows)
    write_csv(ref, path_ref, "%.6f")
    write_csv(cur, path_cur, "%.6f")


def friedman_big(path_train: str, path_test: str, rows: int, test_rows: int, chunk: int = 1_000_000) -> None:
    """The big training file in chunks (a 10M x 21 frame would take ~1.7 GB plus pandas' copies),
    then the test file from the same random stream, so no row appears in both."""
    rng = np.random.default_rng(SEED + 4)
    tmp = path_train + ".tmp"
    for start in range(0, rows, chunk):
        friedman_frame(rng, min(chunk, rows - start)).to_csv(tmp, index=False, float_format="%.6f",
                                                             mode="w" if start == 0 else "a", header=start == 0)
    os.replace(tmp, path_train)
    write_csv(friedman_frame(rng, test_rows), path_test, "%.6f")


def california_1m(source: str, path: str, rows: int) -> None:
    df = pd.read_csv(source)
    features = [c for c in df.columns if c != "MedHouseVal"]
    rng = np.random.default_rng(SEED + 3)
    idx = rng.integers(0, len(df), rows)
    write_csv(df.loc[idx, features].reset_index(drop=True), path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--california", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="also the 10M-row Friedman files of the `big` rows")
    ap.add_argument("--big-rows", type=int, default=10_000_000)
    ap.add_argument("--big-test-rows", type=int, default=200_000)
    args = ap.parse_args()
    w = args.work
    os.makedirs(w, exist_ok=True)
    p = lambda name: os.path.join(w, name)  # noqa: E731
    rows, train_rows = args.rows, args.rows * 4 // 5
    steps = [
        ([p("numeric_1m.csv")], lambda: numeric_1m(p("numeric_1m.csv"), rows)),
        ([p("friedman_1m.csv"), p("friedman_train.csv"), p("friedman_test.csv")],
         lambda: friedman(p("friedman_1m.csv"), p("friedman_train.csv"), p("friedman_test.csv"), rows, train_rows)),
        ([p("drift_ref_1m.csv"), p("drift_cur_1m.csv")], lambda: drift(p("drift_ref_1m.csv"), p("drift_cur_1m.csv"), rows)),
        ([p("california_1m.csv")], lambda: california_1m(args.california, p("california_1m.csv"), rows)),
    ]
    if args.big:
        steps.append(([p("friedman_10m.csv"), p("friedman_10m_test.csv")],
                      lambda: friedman_big(p("friedman_10m.csv"), p("friedman_10m_test.csv"), args.big_rows,
                                           args.big_test_rows)))
    for outputs, make in steps:
        if all(os.path.exists(o) for o in outputs):
            continue
        t0 = time.perf_counter()
        make()
        print(f"generated {', '.join(os.path.basename(o) for o in outputs)} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
