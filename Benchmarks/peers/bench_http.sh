#!/usr/bin/env bash
# plumb bench --url vs wrk: the same server, the same single-row body, the same connection count,
# one after the other, so the two load generators' figures can be compared on an idle machine.
# (Not run by CI or the harness: on 2 shared cores both generators compete with the server.)
#
#   Benchmarks/peers/bench_http.sh --url http://127.0.0.1:8080            # a server already running
#   Benchmarks/peers/bench_http.sh --model out/model.plumb                # starts plumb serve itself
#   Benchmarks/peers/bench_http.sh --model models:/california@champion --rows test.csv --connections 16 --seconds 10
#
# Options: --url URL | --model MODEL (then --store STORE, --port PORT), --rows FILE (its first data
# row is the body; default: a row drawn from GET /model's features), --connections N (default 16),
# --seconds S (default 10), --threads T (wrk threads, default 2). PLUMB_BIN: the plumb binary
# (default .build/release/plumb). wrk is Debian's package: apt-get install wrk.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PLUMB="${PLUMB_BIN:-$ROOT/.build/release/plumb}"
URL="" MODEL="" STORE="" PORT=18080 ROWS="" CONNS=16 SECONDS_=10 WRK_THREADS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --model) MODEL="$2"; shift 2 ;;
    --store) STORE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --rows) ROWS="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --threads) WRK_THREADS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
[ -n "$URL" ] || [ -n "$MODEL" ] || { echo "give --url URL or --model MODEL" >&2; exit 64; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -x "$PLUMB" ] || { echo "$PLUMB is missing: swift build -c release --static-swift-stdlib" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "$URL" ]; then
  URL="http://127.0.0.1:$PORT"
  "$PLUMB" serve --model "$MODEL" --port "$PORT" ${STORE:+--store "$STORE"} >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "$URL/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "$URL/ready" >/dev/null || { echo "plumb serve did not become ready:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
fi

# One body for both generators: the first row of --rows (or a drawn one), as a one-row CSV for
# plumb bench and as wrk's body.
curl -fs "$URL/model" >"$WORK/model.json"
python3 - "$WORK" "$ROWS" <<'PY'
import csv, json, random, sys
work, rows = sys.argv[1], sys.argv[2]
features = json.load(open(f"{work}/model.json"))["features"]
if rows:
    with open(rows, newline="") as f:
        first = next(csv.DictReader(f))
    row = {}
    for ft in features:
        v = first.get(ft["name"], "")
        row[ft["name"]] = None if v == "" else (float(v) if ft["type"] == "numeric" else v)
else:
    rng = random.Random(42)
    row = {ft["name"]: (rng.random() if ft["type"] == "numeric" else rng.choice(ft.get("levels") or ["x"])) for ft in features}
with open(f"{work}/row.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(row.keys())
    w.writerow(["" if v is None else v for v in row.values()])
body = json.dumps(row, separators=(",", ":"))
with open(f"{work}/body.lua", "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write("wrk.body = " + json.dumps(body) + "\n")
print("body:", body, file=sys.stderr)
PY

echo "== plumb bench --url $URL --concurrency $CONNS --seconds $SECONDS_ (closed loop)"
"$PLUMB" bench --url "$URL" --rows "$WORK/row.csv" --concurrency "$CONNS" --seconds "$SECONDS_"
echo
echo "== wrk -t$WRK_THREADS -c$CONNS -d${SECONDS_}s --latency $URL/predict"
wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_}s" --latency -s "$WORK/body.lua" "$URL/predict"
