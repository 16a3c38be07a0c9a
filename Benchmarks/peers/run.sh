#!/usr/bin/env bash
# Plumb vs its Python peers (numpy, pandas, polars, pyarrow, scipy, scikit-learn, LightGBM, XGBoost,
# lleaves, TL2cgen, YDF, Evidently, FastAPI+uvicorn) on identical files, both sides on 2 threads.
# Prints one table; every figure also goes to WORK/results.json.
#
#   ./Benchmarks/peers/run.sh                       # the default set (tens of minutes on 2 idle cores)
#   ./Benchmarks/peers/run.sh --only csv,drift-1m   # some scenarios
#   ./Benchmarks/peers/run.sh --skip serve --repeats 5
#   ./Benchmarks/peers/run.sh --only big            # the 10M-row rows (generates ~2 GB once; long)
#
# compare.py refuses to start timing while the 1-minute load is above 0.5 (it waits up to 120 s
# for it to settle first); --force runs anyway and marks the results as forced.
#
#   ./Benchmarks/peers/run.sh --only classification # spam, letter, 1M binary fit and scoring
#
# Environment: PLUMB_DATA_MIRROR (folder holding california_housing.csv, spam.csv and letter.csv;
# default ../shared/data),
# PEERS_SKIP_BUILD=1 (use the binaries already built), PLUMB_BIN / PLUMB_BENCH_BIN (other binaries),
# PEERS_PYTHON (python3 used to create the venv), PEERS_VENV (use this existing venv instead of
# creating Benchmarks/peers/.venv; it must hold requirements.txt), PEERS_WORK (work folder for the
# generated files, models and results; default Benchmarks/peers/work), PEERS_ROWS (rows of the
# generated "1M" files, for a quick check of the harness: use a work folder of its own, as files
# already there are kept whatever their size).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS="$ROOT/Benchmarks/peers"
WORK="${PEERS_WORK:-$PEERS/work}"
VENV="${PEERS_VENV:-$PEERS/.venv}"
PY="${PEERS_PYTHON:-python3}"
PLUMB="${PLUMB_BIN:-$ROOT/.build/release/plumb}"
PLUMB_BENCH="${PLUMB_BENCH_BIN:-$ROOT/Benchmarks/.build/release/plumb-bench}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Kill whatever this script started if it is interrupted (compare.py also stops its own servers).
CHILD=""
cleanup() { if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. system tools: python3-venv and wrk (Debian packages), installed only when missing.
need=""
"$PY" -c 'import venv, ensurepip' >/dev/null 2>&1 || need="$need python3-venv"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -x /usr/bin/time ] || need="$need time"   # GNU time: peak RSS of the whole-process rows
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" != none ]; then
    log "installing:$need"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null || log "apt-get failed; continuing"
  else
    log "missing:$need (not root, no sudo): the scenarios needing them will be n/a"
  fi
fi

# 2. the peers' virtual environment, reinstalled when requirements.txt changes (PEERS_VENV: as is).
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$PEERS/requirements.txt" | cut -d' ' -f1)"
if [ -n "${PEERS_VENV:-}" ]; then
  [ -x "$VENV/bin/python" ] || { echo "error: PEERS_VENV=$VENV has no bin/python" >&2; exit 1; }
elif [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PEERS/requirements.txt"
  echo "$want" > "$stamp"
fi

mkdir -p "$WORK"
# 3. Plumb binaries (release). A failed build leaves the binary missing: its rows become n/a.
if [ "${PEERS_SKIP_BUILD:-0}" != 1 ]; then
  log "building plumb (release)"
  (cd "$ROOT" && swift build -c release ${RELEASE_FLAGS---static-swift-stdlib} --product plumb > "$WORK/build-plumb.log" 2>&1) \
    || log "plumb release build failed (see $WORK/build-plumb.log)"
  log "building plumb-bench (release)"
  (cd "$ROOT/Benchmarks" && swift build -c release --product plumb-bench > "$WORK/build-plumb-bench.log" 2>&1) \
    || log "plumb-bench release build failed (see $WORK/build-plumb-bench.log)"
fi

# 4. data, generated once.
MIRROR="${PLUMB_DATA_MIRROR:-$ROOT/../shared/data}"
CAL="$MIRROR/california_housing.csv"
if [ ! -f "$CAL" ]; then echo "error: $CAL not found (set PLUMB_DATA_MIRROR)" >&2; exit 1; fi
mkdir -p "$WORK"
# The 10M-row files (~2 GB) only when the big rows are asked for: `--only big` or `--only=…,big`.
big=""
prev=""
for a in "$@"; do
  case "$prev,$a" in --only,*big*|*,--only=*big*) big="--big" ;; esac
  prev="$a"
done
rows=""
if [ -n "${PEERS_ROWS:-}" ]; then rows="--rows $PEERS_ROWS"; fi
# spam and letter: split 75/25 (seed 42) into WORK/spam, WORK/letter when the mirror holds them.
"$VENV/bin/python" "$PEERS/gen_data.py" --work "$WORK" --california "$CAL" --spam "$MIRROR/spam.csv" \
  --letter "$MIRROR/letter.csv" $rows $big
# A split made by the numpy fallback (marker file) is redone as soon as plumb split works.
if [ ! -f "$WORK/california/train.csv" ] || [ ! -f "$WORK/california/test.csv" ] || [ -f "$WORK/california/.numpy-fallback" ]; then
  log "splitting California Housing with plumb split (seed 42)"
  if "$PLUMB" split "$CAL" --target MedHouseVal --test-fraction 0.2 --seed 42 --out "$WORK/california" >&2; then
    rm -f "$WORK/california/.numpy-fallback" "$WORK/models/"california_* "$WORK/models/fastapi_model.joblib"
  elif [ ! -f "$WORK/california/.numpy-fallback" ]; then
    # Without a working plumb split, fall back to a seeded split so the peer side still runs.
    log "plumb split unavailable: seeded numpy split instead"
    "$VENV/bin/python" - "$CAL" "$WORK/california" <<'EOF'
import os, sys, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1]); os.makedirs(sys.argv[2], exist_ok=True)
idx = np.random.default_rng(42).permutation(len(df)); n_test = round(len(df) * 0.2)
df.iloc[np.sort(idx[n_test:])].to_csv(os.path.join(sys.argv[2], "train.csv"), index=False)
df.iloc[np.sort(idx[:n_test])].to_csv(os.path.join(sys.argv[2], "test.csv"), index=False)
open(os.path.join(sys.argv[2], ".numpy-fallback"), "w").close()
EOF
  fi
fi

# 5. the comparison.
cd "$PEERS"
"$VENV/bin/python" "$PEERS/compare.py" --work "$WORK" --plumb "$PLUMB" --plumb-bench "$PLUMB_BENCH" \
  --json-out "$WORK/results.json" "$@" &
CHILD=$!
wait "$CHILD"
