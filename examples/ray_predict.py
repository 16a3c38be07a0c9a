"""Score a Parquet folder with a Plumb model in Ray Data actors (map_batches, pyarrow batches).

    export PLUMB_LIBRARY=$PWD/.build/release/libPlumbC.so
    python examples/ray_predict.py --model out/model.plumb data/rows_parquet out/scored_parquet

Each actor opens the model once and scores every batch it gets; the output folder holds the
input columns plus `prediction` (or `label`, `prob_<class>`…).
"""
import argparse
import os

import ray

import plumb.ray

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("input", help="Parquet file or folder of part files")
parser.add_argument("output", help="folder to write Parquet part files into")
parser.add_argument("--model", required=True, help="model file or models:/NAME@ALIAS")
parser.add_argument("--store", help="tracking store for a registry URI (default: $PLUMB_STORE or .plumb/plumb.db)")
parser.add_argument("--actors", type=int, default=2)
args = parser.parse_args()

env = {k: os.environ[k] for k in ("PLUMB_LIBRARY", "PLUMB_STORE", "PYTHONPATH") if k in os.environ}
# One logical CPU per actor, and one for the Parquet read and write tasks.
ray.init(num_cpus=args.actors + 1, logging_level="warning", include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
ds = ray.data.read_parquet(args.input)
scored = plumb.ray.predict(ds, args.model, store=args.store, concurrency=args.actors)
scored.write_parquet(args.output)
result = ray.data.read_parquet(args.output)
print(f"scored {result.count()} rows with {args.actors} actors → {args.output}")
print(result.limit(5).to_pandas())
ray.shutdown()
