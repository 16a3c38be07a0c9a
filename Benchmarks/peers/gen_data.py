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
  classif_train.csv     1,000,000 rows of scikit-learn's make_classification: 28 features (14
                        informative, 6 redundant, 8 noise), 2 classes, 4 clusters per class, 5 %
                        labels flipped; target y (0/1), features %.6f (binary GBM fit and scoring).
  classif_test.csv      250,000 further rows of the same draw (the held-out file).
  spam/train.csv, spam/test.csv      --spam split 75/25 (seed 42), lines copied byte for byte.
  letter/train.csv, letter/test.csv  --letter split the same way.
  (--spam / --letter are checked against the SHA-256s pinned below; a missing or different file
  is skipped with a message, and only the rows using it become n/a.)

With --big only (the opt-in `--only big` rows; ~2 GB, never committed):
  friedman_10m.csv      --big-rows (default 10,000,000) rows of the same Friedman generator
                        (x0..x19 ~ U(0,1), %.6f), written in 1M-row chunks to bound memory.
  friedman_10m_test.csv 200,000 further rows of the same generator (the held-out file).

--rows shrinks the regular files for quick tests (the names keep their "1m"; classif_test.csv
gets a quarter of --rows).

Usage: python gen_data.py --work DIR --california PATH/california_housing.csv [--spam PATH/spam.csv]
           [--letter PATH/letter.csv] [--rows N] [--big [--big-rows N]]
"""
import argparse
import hashlib
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


def classif(path_train: str, path_test: str, rows: int, test_rows: int) -> None:
    """One make_classification draw, so both files come from the same distribution (same clusters)."""
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=rows + test_rows, n_features=28, n_informative=14, n_redundant=6,
                               n_repeated=0, n_classes=2, n_clusters_per_class=4, flip_y=0.05, class_sep=1.0,
                               shuffle=True, random_state=SEED + 5)
    df = pd.DataFrame(x, columns=[f"f{j}" for j in range(28)])
    df["y"] = y.astype(np.int64)
    write_csv(df.iloc[:rows], path_train, "%.6f")
    write_csv(df.iloc[rows:], path_test, "%.6f")


# The classification data sets of $PLUMB_DATA_MIRROR (UCI, R-package forms; see its README.md).
PINNED = {"spam": "eda6f048183b06c6f7dc530d09549e1cf7932a23f879a1f33e6589140260532b",
          "letter": "b63c465dbba15552b15f1932b259704e5547c1b5a7a39fd9a15ef94c2ba99114"}
TEST_FRACTION = 0.25
SPLIT_SEED = 42


def split_lines(source: str, folder: str) -> None:
    """75/25 split, seed 42: the header, then the data lines in file order on each side.

    Lines are copied as written (quoted labels, number spellings), so Plumb and the peers read
    exactly the source's values. test = the first round(n × 0.25) indices of
    numpy.random.default_rng(42).permutation(n); train = the rest."""
    with open(source, newline="") as f:
        lines = f.read().splitlines()
    header, body = lines[0], [ln for ln in lines[1:] if ln.strip()]
    idx = np.random.default_rng(SPLIT_SEED).permutation(len(body))
    n_test = round(len(body) * TEST_FRACTION)
    os.makedirs(folder, exist_ok=True)
    for name, part in (("train.csv", np.sort(idx[n_test:])), ("test.csv", np.sort(idx[:n_test]))):
        tmp = os.path.join(folder, name + ".tmp")
        with open(tmp, "w", newline="") as f:
            f.write("\n".join([header] + [body[i] for i in part]) + "\n")
        os.replace(tmp, os.path.join(folder, name))


def pinned_source(name: str, path: str | None) -> str | None:
    """The path when it holds the pinned file, else None (after saying why)."""
    if not path:
        return None
    if not os.path.exists(path):
        print(f"{name}: {path} not found (set PLUMB_DATA_MIRROR): its classification rows will be n/a",
              file=sys.stderr)
        return None
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != PINNED[name]:
        print(f"{name}: {path} has sha256 {digest}, not the pinned {PINNED[name]}: not used", file=sys.stderr)
        return None
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--california", required=True)
    ap.add_argument("--spam", help="spam.csv (target type) to split 75/25 into WORK/spam/")
    ap.add_argument("--letter", help="letter.csv (target lettr) to split 75/25 into WORK/letter/")
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
        ([p("classif_train.csv"), p("classif_test.csv")],
         lambda: classif(p("classif_train.csv"), p("classif_test.csv"), rows, rows // 4)),
    ]
    for name in ("spam", "letter"):
        source = pinned_source(name, getattr(args, name))
        if source:
            steps.append(([p(f"{name}/train.csv"), p(f"{name}/test.csv")],
                          lambda source=source, name=name: split_lines(source, p(name))))
    if args.big:
        steps.append(([p("friedman_10m.csv"), p("friedman_10m_test.csv")],
                      lambda: friedman_big(p("friedman_10m.csv"), p("friedman_10m_test.csv"), args.big_rows,
                                           args.big_test_rows)))
    for outputs, make in steps:
        if all(os.path.exists(o) for o in outputs):
            continue
        t0 = time.perf_counter()
        make()
        print(f"generated {', '.join(os.path.relpath(o, w) for o in outputs)} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
