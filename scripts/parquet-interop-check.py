#!/usr/bin/env python3
"""Reads Parquet files that Plumb wrote with pyarrow, polars and DuckDB and compares every value
with the expected JSON written next to each by the test (Tests/ParquetTests/InteropTests.swift).

    python scripts/parquet-interop-check.py FILE.parquet [FILE.parquet ...]

expects FILE.parquet.json beside each: {"columns": [{"name", "kind", "values"}]} with numbers
(null for NaN, which Plumb writes as null) or strings (null for a missing category).
Prints one line per file and reader; exits 1 on the first difference.
"""
import json
import math
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, float):
        return isinstance(a, float) and (a == b or (math.isnan(a) and math.isnan(b))) and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def decode(v):
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    return v


def check(reader, path, columns, got):
    for c in columns:
        if c["name"] not in got:
            sys.exit(f"{path}: {reader} has no column {c['name']!r}")
        values = got[c["name"]]
        want = [decode(v) for v in c["values"]] if c["kind"] == "numeric" else c["values"]
        if len(values) != len(want):
            sys.exit(f"{path}: {reader}: {c['name']} has {len(values)} values, expected {len(want)}")
        for i, (a, b) in enumerate(zip(values, want)):
            if c["kind"] == "numeric" and a is not None:
                a = float(a)
            if not same(a, b):
                sys.exit(f"{path}: {reader}: {c['name']}[{i}] = {a!r}, expected {b!r}")
    print(f"{path}: {reader} ok ({len(columns)} columns)")


def main():
    for path in sys.argv[1:]:
        with open(path + ".json") as f:
            columns = json.load(f)["columns"]
        table = pq.read_table(path)
        for c in columns:
            t = table.schema.field(c["name"]).type
            ok = pa.types.is_float64(t) if c["kind"] == "numeric" else (pa.types.is_string(t) or pa.types.is_large_string(t))
            if not ok:
                sys.exit(f"{path}: pyarrow reads {c['name']} as {t}")
        check("pyarrow", path, columns, {n: table.column(n).to_pylist() for n in table.column_names})
        # Statistics: each row group's min/max/null count agree with its values.
        meta = pq.ParquetFile(path).metadata
        if meta.created_by != "plumb":
            sys.exit(f"{path}: created_by is {meta.created_by!r}")
        start = 0
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for j in range(rg.num_columns):
                col = rg.column(j)
                vals = [v for v in table.column(j).slice(start, rg.num_rows).to_pylist()]
                present = [v for v in vals if v is not None]
                s = col.statistics
                if s is None or s.null_count != len(vals) - len(present):
                    sys.exit(f"{path}: row group {g} column {col.path_in_schema}: null count {s and s.null_count}")
                if present and (s.min != min(present) or s.max != max(present)):
                    if not (isinstance(s.min, float) and s.min == min(present) and s.max == max(present)):
                        sys.exit(f"{path}: row group {g} column {col.path_in_schema}: min/max {s.min}/{s.max}")
            start += rg.num_rows
        df = pl.read_parquet(path)
        for c in columns:
            want = pl.Float64 if c["kind"] == "numeric" else pl.String
            if df.schema[c["name"]] != want:
                sys.exit(f"{path}: polars reads {c['name']} as {df.schema[c['name']]}")
        check("polars", path, columns, {n: df[n].to_list() for n in df.columns})
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
        rows = rel.fetchall()
        check("duckdb", path, columns, {n: [r[i] for r in rows] for i, n in enumerate(rel.columns)})


if __name__ == "__main__":
    main()
