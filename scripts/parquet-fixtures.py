#!/usr/bin/env python3
"""Writes the Parquet (and Arrow IPC) fixtures of Tests/ParquetTests/Fixtures and their expected values.

Run with a Python that has pyarrow==26.0.1, polars==2.1.0 and duckdb==2.0.0 (the test target
creates one in .venv-interop/):

    .venv-interop/bin/python scripts/parquet-fixtures.py            # keeps existing Spark fixtures
    PYSPARK_PYTHON=VENV/bin/python VENV/bin/python scripts/parquet-fixtures.py --spark

Every fixture is small (the folder stays well under 1 MB). `expected.json` maps each fixture (a
file, or a folder of part files) to its columns as Plumb should read them, computed from what
pyarrow reads back:
  numbers: a string holding the float's shortest repr (exact whatever the JSON parser),
  null for a null, or "nan" / "inf" / "-inf";
  booleans 0/1; DATE days since 1970-01-01; TIMESTAMP and TIME in seconds (ticks / ticks per
  second, one float division, as Plumb does); DECIMAL float(unscaled) / 10**scale;
  strings: a JSON string or null (kind "categorical").
Fixtures Plumb must refuse are listed under "errors" with the error code expected.
"""
import datetime as dt
import decimal
import json
import math
import os
import random
import shutil
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ParquetTests", "Fixtures")

rng = random.Random(21)


def maybe_null(values, every=7, offset=3):
    return [None if (i + offset) % every == 0 else v for i, v in enumerate(values)]


WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "é-accent", "日本語", "", "with space", "quote\"d", "comma,sep"]


def base_table(n, with_nulls=True):
    """Every type Plumb reads, n rows, nulls in every optional column."""
    nul = maybe_null if with_nulls else (lambda v, *a, **k: v)
    ints = [rng.randint(-1000, 1000) for _ in range(n)]
    cols = {
        "b": pa.array(nul([i % 3 == 0 for i in range(n)]), pa.bool_()),
        "i8": pa.array(nul([rng.randint(-128, 127) for _ in range(n)]), pa.int8()),
        "i16": pa.array(nul([rng.randint(-32768, 32767) for _ in range(n)]), pa.int16()),
        "i32": pa.array(nul([rng.randint(-2**31, 2**31 - 1) for _ in range(n)]), pa.int32()),
        "i64": pa.array(nul([rng.randint(-2**62, 2**62) for _ in range(n)]), pa.int64()),
        "u8": pa.array(nul([rng.randint(0, 255) for _ in range(n)]), pa.uint8()),
        "u16": pa.array(nul([rng.randint(0, 65535) for _ in range(n)]), pa.uint16()),
        "u32": pa.array(nul([rng.randint(0, 2**32 - 1) for _ in range(n)]), pa.uint32()),
        "u64": pa.array(nul([rng.randint(0, 2**64 - 1) for _ in range(n)]), pa.uint64()),
        "f32": pa.array(nul([rng.uniform(-1e6, 1e6) for _ in range(n)]), pa.float32()),
        "f64": pa.array(nul([rng.gauss(0, 1e3) for _ in range(n)]), pa.float64()),
        "small_int": pa.array(nul([x % 5 for x in ints]), pa.int64()),
        "date": pa.array(nul([dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(-20000, 30000)) for _ in range(n)]), pa.date32()),
        "ts_ms": pa.array(nul([rng.randint(-2**40, 2**41) for _ in range(n)]), pa.timestamp("ms")),
        "ts_us_utc": pa.array(nul([rng.randint(-2**50, 2**51) for _ in range(n)]), pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array(nul([rng.randint(-2**60, 2**61) for _ in range(n)]), pa.timestamp("ns")),
        "time_ms": pa.array(nul([rng.randint(0, 86_399_999) for _ in range(n)]), pa.time32("ms")),
        "time_us": pa.array(nul([rng.randint(0, 86_399_999_999) for _ in range(n)]), pa.time64("us")),
        "dec_9_2": pa.array(nul([decimal.Decimal(rng.randint(-10**8, 10**8)).scaleb(-2) for _ in range(n)]), pa.decimal128(9, 2)),
        "dec_18_4": pa.array(nul([decimal.Decimal(rng.randint(-10**15, 10**15)).scaleb(-4) for _ in range(n)]), pa.decimal128(18, 4)),
        "dec_30_6": pa.array(nul([decimal.Decimal(rng.randint(-10**29, 10**29)).scaleb(-6) for _ in range(n)]), pa.decimal128(30, 6)),
        "s_dict": pa.array(nul([rng.choice(WORDS) for _ in range(n)]), pa.string()),
        "s_plain": pa.array(nul([f"v{rng.randint(0, n)}" for _ in range(n)]), pa.string()),
        "s_large": pa.array(nul([rng.choice(WORDS) * 3 for _ in range(n)]), pa.large_string()),
        "f16": pa.array(nul([float(rng.randint(-2048, 2048)) / 8 for _ in range(n)]), pa.float16()),
    }
    if not with_nulls:
        # A NaN in a float column that is not null: Plumb reads it as missing too.
        f = cols["f64"].to_pylist()
        f[1] = float("nan")
        f[2] = float("inf")
        cols["f64"] = pa.array(f, pa.float64())
    return pa.table(cols)


# --- expected values -----------------------------------------------------------------------

def number(v):
    """A number as the shortest string that round-trips (JSON parsers differ in rounding)."""
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def expected_column(name, arr):
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_binary(t):
        vals = arr.to_pylist()
        vals = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in vals]
        return {"name": name, "kind": "categorical", "values": vals}
    if pa.types.is_boolean(t):
        vals = [None if v is None else (1.0 if v else 0.0) for v in arr.to_pylist()]
    elif pa.types.is_timestamp(t) or pa.types.is_time(t) or pa.types.is_duration(t):
        per = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[t.unit]
        ticks = pc.cast(arr, pa.int32() if t.bit_width == 32 else pa.int64()).to_pylist()
        vals = [None if v is None else v / per for v in ticks]
    elif pa.types.is_date32(t):
        vals = pc.cast(arr, pa.int32()).to_pylist()
    elif pa.types.is_date64(t):
        vals = [None if v is None else v // 86_400_000 for v in pc.cast(arr, pa.int64()).to_pylist()]
    elif pa.types.is_decimal(t):
        vals = [None if v is None else float(int(v.scaleb(t.scale))) / float(10 ** t.scale) for v in arr.to_pylist()]
    else:
        vals = arr.to_pylist()
    return {"name": name, "kind": "numeric", "values": [number(v) for v in vals]}


def expected_for(path):
    if path.endswith(".arrow"):
        import pyarrow.ipc as ipc
        table = ipc.open_file(path).read_all()
    else:
        table = pq.read_table(path)
    return {"rows": table.num_rows,
            "columns": [expected_column(n, table.column(n).combine_chunks()) for n in table.column_names]}


expected = {}
errors = {}


def record(name):
    e = expected_for(os.path.join(OUT, name))
    # Fixtures that hold the same values (one table in several codecs) share one entry.
    for other, v in expected.items():
        if v == e:
            expected[name] = {"same_as": other}
            return
    expected[name] = e


# --- pyarrow -------------------------------------------------------------------------------

def pyarrow_fixtures():
    t = base_table(60)
    for version in ["1.0", "2.0"]:
        for codec in ["none", "snappy", "gzip", "zstd", "lz4"]:
            name = f"pyarrow_types_v{version[0]}_{codec}.parquet"
            pq.write_table(t, os.path.join(OUT, name), compression=codec, data_page_version=version,
                           use_dictionary=["s_dict", "s_large", "small_int", "i16", "f64"],
                           store_decimal_as_integer=True)
            record(name)
    # Decimals as FIXED_LEN_BYTE_ARRAY (pyarrow's default), REQUIRED columns, NaN and inf.
    req = base_table(40, with_nulls=False)
    schema = pa.schema([pa.field(f.name, f.type, nullable=False) for f in req.schema])
    pq.write_table(req.cast(schema), os.path.join(OUT, "pyarrow_required_flba.parquet"), compression="snappy")
    record("pyarrow_required_flba.parquet")
    # REQUIRED and OPTIONAL PLAIN doubles, uncompressed, pages v1 and v2 (copied straight into
    # the rows by the reader).
    plain = pa.table({"req": req.column("f64").cast(pa.float64()), "opt": req.column("f32").cast(pa.float64())})
    plain = plain.cast(pa.schema([pa.field("req", pa.float64(), nullable=False), pa.field("opt", pa.float64())]))
    for version in ["1.0", "2.0"]:
        name = f"pyarrow_plain_doubles_v{version[0]}.parquet"
        pq.write_table(plain, os.path.join(OUT, name), compression="none", use_dictionary=False, data_page_version=version,
                       data_page_size=64, write_batch_size=8)
        record(name)

    # Legacy INT96 timestamps (Spark's and Impala's), and a file with a page index and bloom
    # filters (structures between the data and the footer that a reader must step over).
    ts = pa.table({"ts": pa.array(maybe_null([rng.randint(-2**60, 2**61) for _ in range(50)]), pa.timestamp("ns")),
                   "x": pa.array([float(i) for i in range(50)])})
    pq.write_table(ts, os.path.join(OUT, "pyarrow_int96.parquet"), use_deprecated_int96_timestamps=True)
    record("pyarrow_int96.parquet")
    assert pq.ParquetFile(os.path.join(OUT, "pyarrow_int96.parquet")).schema.column(0).physical_type == "INT96"
    extras = dict(write_page_index=True)
    try:
        pq.write_table(t.slice(0, 1), "/tmp/_plumb_bloom_probe.parquet", bloom_filter_options={"s_dict": True})
        extras["bloom_filter_options"] = {"s_dict": True, "i32": True}
    except TypeError:
        print("this pyarrow writes no bloom filters")
    pq.write_table(t, os.path.join(OUT, "pyarrow_page_index.parquet"), compression="snappy", store_decimal_as_integer=True,
                   use_dictionary=["s_dict", "s_large", "small_int", "i16", "f64"], **extras)
    record("pyarrow_page_index.parquet")

    # Delta and byte-stream-split encodings, pages v1 and v2.
    n = 300
    enc = pa.table({
        "i32": pa.array(maybe_null([rng.randint(-10**6, 10**6) for _ in range(n)]), pa.int32()),
        "i64": pa.array(maybe_null([2**40 + i * 1000 + rng.randint(0, 999) for i in range(n)]), pa.int64()),
        "i64_wide": pa.array([rng.randint(-2**63, 2**63 - 1) for _ in range(n)], pa.int64()),
        "i32_sorted": pa.array(list(range(0, 3 * n, 3)), pa.int32()),
        "s_len": pa.array(maybe_null([rng.choice(WORDS) + str(i % 11) for i in range(n)]), pa.string()),
        "s_prefix": pa.array(maybe_null([f"prefix/common/{i // 7:05d}/{rng.choice(WORDS)}" for i in range(n)]), pa.string()),
        "f32": pa.array(maybe_null([rng.uniform(-1, 1) for _ in range(n)]), pa.float32()),
        "f64": pa.array(maybe_null([rng.gauss(5, 2) for _ in range(n)]), pa.float64()),
        "bss_i32": pa.array(maybe_null([rng.randint(-2**31, 2**31 - 1) for _ in range(n)]), pa.int32()),
        "bss_i64": pa.array(maybe_null([rng.randint(-2**63, 2**63 - 1) for _ in range(n)]), pa.int64()),
        "bss_dec": pa.array(maybe_null([decimal.Decimal(rng.randint(-10**20, 10**20)).scaleb(-3) for _ in range(n)]), pa.decimal128(25, 3)),
        "b": pa.array(maybe_null([rng.random() < 0.3 for _ in range(n)]), pa.bool_()),
    })
    encodings = {"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "i64_wide": "DELTA_BINARY_PACKED",
                 "i32_sorted": "DELTA_BINARY_PACKED", "s_len": "DELTA_LENGTH_BYTE_ARRAY",
                 "s_prefix": "DELTA_BYTE_ARRAY", "f32": "BYTE_STREAM_SPLIT", "f64": "BYTE_STREAM_SPLIT",
                 "bss_i32": "BYTE_STREAM_SPLIT", "bss_i64": "BYTE_STREAM_SPLIT", "bss_dec": "BYTE_STREAM_SPLIT",
                 "b": "RLE"}
    for version in ["1.0", "2.0"]:
        name = f"pyarrow_encodings_v{version[0]}.parquet"
        pq.write_table(enc, os.path.join(OUT, name), compression="zstd", data_page_version=version,
                       use_dictionary=False, column_encoding=encodings)
        record(name)

    # Many row groups and many pages per chunk; a tiny dictionary limit makes chunks fall back
    # from dictionary to PLAIN pages part-way.
    n = 1000
    many = pa.table({
        "x": pa.array(maybe_null([rng.gauss(0, 1) for _ in range(n)], every=13), pa.float64()),
        "k": pa.array(maybe_null([rng.randint(0, 40) for _ in range(n)], every=11), pa.int32()),
        "s": pa.array(maybe_null([f"level-{rng.randint(0, 120)}" for _ in range(n)], every=5), pa.string()),
    })
    for version in ["1.0", "2.0"]:
        name = f"pyarrow_many_pages_v{version[0]}.parquet"
        pq.write_table(many, os.path.join(OUT, name), compression="snappy", data_page_version=version,
                       row_group_size=230, data_page_size=200, write_batch_size=16, dictionary_pagesize_limit=300)
        record(name)
    meta = pq.ParquetFile(os.path.join(OUT, "pyarrow_many_pages_v1.parquet")).metadata
    assert meta.num_row_groups == 5, meta.num_row_groups

    # No rows; only nulls.
    empty = pa.table({"x": pa.array([], pa.float64()), "s": pa.array([], pa.string())})
    pq.write_table(empty, os.path.join(OUT, "pyarrow_empty.parquet"))
    record("pyarrow_empty.parquet")
    nulls = pa.table({"n": pa.array([None] * 9, pa.null()), "x": pa.array([None] * 9, pa.float64()),
                      "s": pa.array([None] * 9, pa.string())})
    pq.write_table(nulls, os.path.join(OUT, "pyarrow_all_null.parquet"))
    record("pyarrow_all_null.parquet")

    # A folder of part files with _SUCCESS, _common_metadata and a hidden checksum file.
    folder = os.path.join(OUT, "pyarrow_parts")
    os.makedirs(folder)
    part_table = pa.table({"id": pa.array(range(90), pa.int64()),
                           "v": pa.array(maybe_null([rng.gauss(0, 1) for _ in range(90)]), pa.float64()),
                           "city": pa.array(maybe_null([rng.choice(WORDS[:6]) for _ in range(90)]), pa.string())})
    for p in range(3):
        pq.write_table(part_table.slice(30 * p, 30), os.path.join(folder, f"part-{p:05d}-c000.snappy.parquet"))
    open(os.path.join(folder, "_SUCCESS"), "w").close()
    open(os.path.join(folder, ".part-00000-c000.snappy.parquet.crc"), "wb").write(b"\x00crc")
    pq.write_metadata(part_table.schema, os.path.join(folder, "_common_metadata"))
    pq.write_table(part_table, "/tmp/_plumb_parts_all.parquet")
    expected["pyarrow_parts"] = expected_for("/tmp/_plumb_parts_all.parquet")

    # A folder whose second part has a different column: an error naming that file and column.
    bad = os.path.join(OUT, "mismatch_parts")
    os.makedirs(bad)
    pq.write_table(part_table.slice(0, 10), os.path.join(bad, "part-00000.parquet"))
    pq.write_table(part_table.slice(10, 10).rename_columns(["id", "value", "city"]), os.path.join(bad, "part-00001.parquet"))
    errors["mismatch_parts"] = {"code": "schemaMismatch", "column": "value", "file": "part-00001.parquet"}

    # Nested columns: an error naming the column.
    nested = pa.table({"ok": [1.0, 2.0], "tags": pa.array([[1, 2], [3]], pa.list_(pa.int32()))})
    pq.write_table(nested, os.path.join(OUT, "nested_list.parquet"))
    errors["nested_list.parquet"] = {"code": "unsupported", "column": "tags"}
    nested = pa.table({"ok": [1.0, 2.0], "point": pa.array([{"x": 1, "y": 2}, {"x": 3, "y": 4}])})
    pq.write_table(nested, os.path.join(OUT, "nested_struct.parquet"))
    errors["nested_struct.parquet"] = {"code": "unsupported", "column": "point"}


# --- polars and DuckDB ------------------------------------------------------------------------

def polars_fixtures():
    import polars as pl
    n = 80
    df = pl.DataFrame({
        "i": pl.Series(maybe_null([rng.randint(-10**9, 10**9) for _ in range(n)]), dtype=pl.Int64),
        "u": pl.Series(maybe_null([rng.randint(0, 200) for _ in range(n)]), dtype=pl.UInt8),
        "f": pl.Series(maybe_null([rng.uniform(-5, 5) for _ in range(n)]), dtype=pl.Float64),
        "f32": pl.Series(maybe_null([rng.uniform(-5, 5) for _ in range(n)]), dtype=pl.Float32),
        "b": pl.Series(maybe_null([rng.random() < 0.5 for _ in range(n)]), dtype=pl.Boolean),
        "s": pl.Series(maybe_null([rng.choice(WORDS) for _ in range(n)]), dtype=pl.String),
        "cat": pl.Series(maybe_null([rng.choice(["lo", "mid", "hi"]) for _ in range(n)]), dtype=pl.Categorical),
        "d": pl.Series(maybe_null([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]), dtype=pl.Date),
        "t": pl.Series(maybe_null([dt.datetime(2021, 5, 1) + dt.timedelta(seconds=37 * i, microseconds=i) for i in range(n)]), dtype=pl.Datetime("us")),
        "dec": pl.Series(maybe_null([decimal.Decimal(rng.randint(-99999, 99999)).scaleb(-2) for _ in range(n)]), dtype=pl.Decimal(10, 2)),
    })
    for codec in ["zstd", "snappy", "uncompressed", "lz4"]:
        name = f"polars_{codec}.parquet"
        df.write_parquet(os.path.join(OUT, name), compression=codec)
        record(name)
    name = "polars_row_groups.parquet"
    df.write_parquet(os.path.join(OUT, name), compression="zstd", row_group_size=16, data_page_size=64)
    record(name)


def duckdb_fixtures():
    import duckdb
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE t AS SELECT
            i::INTEGER AS i32,
            (i * 1000003)::BIGINT AS i64,
            CASE WHEN i % 6 = 0 THEN NULL ELSE i / 7.0 END AS dbl,
            (i / 3.0)::FLOAT AS flt,
            CASE WHEN i % 5 = 0 THEN NULL ELSE 'name-' || (i % 13)::VARCHAR END AS s,
            (i % 2 = 0) AS b,
            DATE '2000-01-01' + i::INTEGER AS d,
            TIMESTAMP '2010-06-01 12:00:00' + INTERVAL (i * 61) SECOND AS ts,
            (i * 3.25)::DECIMAL(9,2) AS dec9,
            (i * 12345.678)::DECIMAL(18,3) AS dec18,
            (i * 98765432.1)::DECIMAL(30,1) AS dec30,
            i::UTINYINT AS u8,
            (i * 1000)::UBIGINT AS u64,
            i::SMALLINT AS i16
        FROM range(0, 120) r(i)
    """)
    for codec in ["snappy", "zstd", "uncompressed", "gzip"]:
        name = f"duckdb_{codec}.parquet"
        con.execute(f"COPY t TO '{os.path.join(OUT, name)}' (FORMAT parquet, COMPRESSION {codec})")
        record(name)
    name = "duckdb_lz4.parquet"
    con.execute(f"COPY t TO '{os.path.join(OUT, name)}' (FORMAT parquet, COMPRESSION lz4_raw)")
    record(name)
    name = "duckdb_v2_row_groups.parquet"
    con.execute(f"COPY t TO '{os.path.join(OUT, name)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 32, PARQUET_VERSION v2)")
    record(name)


def spark_fixtures():
    """Spark in local mode, when pyspark is installed (it is optional)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        print("pyspark not installed: no Spark fixtures")
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("plumb-fixtures")
             .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    df = spark.sql("""
        SELECT id, CAST(id * 1.5 AS DOUBLE) AS x,
               CASE WHEN id % 4 = 0 THEN NULL ELSE concat('c', CAST(id % 5 AS STRING)) END AS cat,
               CAST(id AS INT) AS i,
               CAST(id * 100.25 AS DECIMAL(12,2)) AS dec,
               timestamp_seconds(1600000000 + id * 3601) AS ts,
               date_add(DATE'2015-03-01', CAST(id AS INT)) AS d
        FROM range(0, 50)
    """)
    folder = os.path.join(OUT, "spark_parts")
    df.repartition(2).write.mode("overwrite").parquet(folder)
    spark.stop()
    all_rows = pq.read_table(folder).sort_by("id")
    # Spark writes part files in any order; Plumb reads them in name order, like pyarrow.
    table = pa.concat_tables(pq.read_table(os.path.join(folder, f)) for f in sorted(os.listdir(folder))
                             if not f.startswith((".", "_")))
    pq.write_table(table, "/tmp/_plumb_spark_all.parquet")
    expected["spark_parts"] = expected_for("/tmp/_plumb_spark_all.parquet")
    del all_rows


def arrow_fixtures():
    """Arrow IPC files (Feather v2): several record batches, uncompressed, ZSTD and LZ4."""
    import pyarrow.feather as feather
    t = base_table(70)
    n = t.num_rows
    t = t.append_column("s_dictionary", pa.array(maybe_null([rng.choice(WORDS) for _ in range(n)])).dictionary_encode())
    t = t.append_column("d64", pa.array(maybe_null([rng.randint(-10**12, 10**12) // 86_400_000 * 86_400_000 for _ in range(n)]), pa.date64()))
    t = t.append_column("dur_us", pa.array(maybe_null([rng.randint(-10**12, 10**12) for _ in range(n)]), pa.duration("us")))
    t = t.append_column("nothing", pa.array([None] * n, pa.null()))
    for codec in ["uncompressed", "zstd", "lz4"]:
        name = f"arrow_{codec}.arrow"
        feather.write_feather(t, os.path.join(OUT, name), compression=codec, chunksize=25)
        record(name)
    nested = pa.table({"ok": [1.0, 2.0], "tags": pa.array([[1, 2], [3]], pa.list_(pa.int32()))})
    feather.write_feather(nested, os.path.join(OUT, "arrow_nested.arrow"), compression="uncompressed")
    errors["arrow_nested.arrow"] = {"code": "unsupported", "column": "tags"}


def main():
    spark = "--spark" in sys.argv
    kept = None
    if not spark and os.path.exists(os.path.join(OUT, "spark_parts")):
        # Without --spark, the committed Spark fixture and its expected values stay as they are.
        with open(os.path.join(OUT, "expected.json")) as f:
            kept = json.load(f)["files"].get("spark_parts")
        shutil.move(os.path.join(OUT, "spark_parts"), "/tmp/_plumb_spark_parts")
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    if kept is not None:
        shutil.move("/tmp/_plumb_spark_parts", os.path.join(OUT, "spark_parts"))
        expected["spark_parts"] = kept
    pyarrow_fixtures()
    polars_fixtures()
    duckdb_fixtures()
    arrow_fixtures()
    if spark:
        spark_fixtures()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"files": expected, "errors": errors}, f, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"{len(expected)} fixtures, {len(errors)} error fixtures, {size:,} bytes in {OUT}")


if __name__ == "__main__":
    main()
