#!/usr/bin/env python3
"""Alternates Plumb's Parquet reader/writer with pyarrow and polars on the same files and prints
min and median wall seconds per side, and the median CPU seconds (user + system, all threads), which
the load of a shared machine disturbs less (warm: each block starts with one untimed run).

    python3 compare.py [--rounds 5] [--csv numeric_1m.csv] [--work /tmp/plumb-parquet-bench]

Needs pyarrow and polars (any venv: the interop venv .venv-interop/ of the package root works)
and a release build of this package (`swift build -c release`). Creates the 1M x 21 file from
Benchmarks/peers/work/numeric_1m.csv with pyarrow.csv + pq.write_table (SNAPPY, ZSTD, none).
"""
import argparse
import os
import resource
import statistics
import subprocess
import time

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, ".build", "release", "parquet-bench")


def plumb(mode, args, repeat):
    """(wall, cpu) seconds per timed run of parquet-bench."""
    out = subprocess.run([BENCH, mode, *args, "--repeat", str(repeat)], check=True, capture_output=True, text=True).stdout
    return [(float(line.split()[0]), float(line.split()[2])) for line in out.splitlines() if not line.startswith("#")]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, repeat):
    """(wall, cpu) seconds per run, after one untimed run."""
    fn()
    times = []
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu()
        fn()
        times.append((time.perf_counter() - t, cpu() - c))
    return times


def report(name, results):
    for side, runs in results.items():
        wall = [w for w, _ in runs]
        used = [c for _, c in runs]
        print(f"{name:<16} {side:<8} wall min {min(wall):.4f} median {statistics.median(wall):.4f}"
              f"   cpu median {statistics.median(used):.4f}  ({len(runs)} runs)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per block")
    p.add_argument("--csv", default=os.path.join(HERE, "..", "peers", "work", "numeric_1m.csv"))
    p.add_argument("--work", default="/tmp/plumb-parquet-bench")
    p.add_argument("--skip-write", action="store_true")
    a = p.parse_args()
    pa.set_cpu_count(2)
    pa.set_io_thread_count(2)
    os.makedirs(a.work, exist_ok=True)
    files = {c: os.path.join(a.work, f"numeric_1m_{c}.parquet") for c in ["snappy", "zstd", "none"]}
    if not all(os.path.exists(f) for f in files.values()):
        table = pacsv.read_csv(a.csv)
        for c, f in files.items():
            pq.write_table(table, f, compression=c)
    print(os.popen("uptime").read().strip())
    for codec, f in files.items():
        results = {"plumb": [], "pyarrow": [], "polars": []}
        for _ in range(a.rounds):
            results["plumb"] += plumb("read", [f], a.repeat)
            results["pyarrow"] += timed(lambda: pq.read_table(f), a.repeat)
            results["polars"] += timed(lambda: pl.read_parquet(f), a.repeat)
        report(f"read {codec}", results)
    if not a.skip_write:
        table = pq.read_table(files["snappy"])
        out = os.path.join(a.work, "out.parquet")
        for codec in ["snappy", "zstd", "none"]:
            results = {"plumb": [], "pyarrow": []}
            for _ in range(a.rounds):
                results["plumb"] += plumb("write", [files["snappy"], out, "--codec", codec], a.repeat)
                results["pyarrow"] += timed(lambda: pq.write_table(table, out, compression=codec), a.repeat)
            report(f"write {codec}", results)
    print(os.popen("uptime").read().strip())


if __name__ == "__main__":
    main()
