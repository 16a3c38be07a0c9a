"""Score a Parquet folder with a Plumb model inside Spark executors (DataFrame.mapInArrow).

    export PLUMB_LIBRARY=$PWD/.build/release/libPlumbC.so   # executors load it too
    python examples/spark_predict.py --model models:/house@champion --store .plumb/plumb.db \
        data/rows_parquet out/scored_parquet

Each Python worker opens the model once per partition and scores Arrow batches in-process; the
output folder holds the input columns plus `prediction` (or `label`, `prob_<class>`…).
"""
import argparse
import os
import sys

from pyspark.sql import SparkSession

import plumb.spark

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("input", help="Parquet file or folder of part files")
parser.add_argument("output", help="Parquet folder to write")
parser.add_argument("--model", required=True, help="model file or models:/NAME@ALIAS")
parser.add_argument("--store", help="tracking store for a registry URI (default: $PLUMB_STORE or .plumb/plumb.db)")
parser.add_argument("--master", default="local[2]")
args = parser.parse_args()

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (SparkSession.builder.master(args.master).appName("plumb-predict").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(args.input)
scored = plumb.spark.predict(df, args.model, store=args.store)
scored.write.mode("overwrite").parquet(args.output)
written = spark.read.parquet(args.output)
print(f"scored {written.count()} rows in {df.rdd.getNumPartitions()} partitions → {args.output}")
written.show(5)
spark.stop()
