#!/usr/bin/env bash
# `plumb train --streaming` on a CSV at least twice the size of the memory the process may use:
# the address space is capped with `ulimit -v` at half the file's size, so neither the file nor
# its Float64 table can ever be held; only the binned rows (rows × features bytes, twice) are.
#
#   ./Benchmarks/outofcore/run.sh                 # 10,000,000 rows × 20 features (~4.2 GB, generated once)
#   OOC_ROWS=2000000 ./Benchmarks/outofcore/run.sh
#
# Environment: PLUMB_BIN (default .build/release/plumb), OOC_WORK (default Benchmarks/outofcore/work),
# OOC_ROWS, OOC_ROUNDS (default 100), OOC_LIMIT_MB (default half the file).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${OOC_WORK:-$ROOT/Benchmarks/outofcore/work}"
PLUMB="${PLUMB_BIN:-$ROOT/.build/release/plumb}"
ROWS="${OOC_ROWS:-10000000}"
ROUNDS="${OOC_ROUNDS:-100}"
mkdir -p "$WORK"
CSV="$WORK/friedman_wide_${ROWS}.csv"
if [ ! -s "$CSV" ]; then
  echo "generating $CSV ($ROWS rows)…" >&2
  python3 "$ROOT/Benchmarks/outofcore/gen_wide_csv.py" "$CSV.tmp" "$ROWS" && mv "$CSV.tmp" "$CSV"
fi
[ -x "$PLUMB" ] || { echo "no $PLUMB: run make release first" >&2; exit 1; }
FILE_MB=$(( $(stat -c %s "$CSV") >> 20 ))
LIMIT_MB="${OOC_LIMIT_MB:-$(( FILE_MB / 2 ))}"
echo "file: $CSV, $FILE_MB MB; address space capped at $LIMIT_MB MB (ulimit -v); load: $(cut -d' ' -f1 /proc/loadavg)"
# glibc gives each thread that allocates its own 64 MB arena of address space; two are plenty.
export MALLOC_ARENA_MAX=2
set +e
( ulimit -v $(( LIMIT_MB * 1024 ))
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$PLUMB" train "$CSV" --target y --model gbm --rounds "$ROUNDS" \
    --streaming --no-track --quiet --out "$WORK/model.plumb" )
status=$?
set -e
echo "exit status $status"
exit $status
