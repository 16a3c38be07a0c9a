#!/usr/bin/env bash
# Runs the README's command examples in an empty folder and prints each command with its output,
# so the README can be checked (and refreshed) against the real thing:
#   make release && ./scripts/readme-examples.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PLUMB="${PLUMB:-$ROOT/.build/release/plumb}"
export PLUMB_DATA_MIRROR="${PLUMB_DATA_MIRROR:-$ROOT/../shared/data}"
DIR="$(mktemp -d)"
trap 'kill %1 2>/dev/null || true; rm -rf "$DIR"' EXIT
cd "$DIR"
plumb() { "$PLUMB" "$@"; }
run() { printf '$ %s\n' "$*"; eval "$@" || printf '(exit code %d)\n' "$?"; }

run plumb data fetch california-housing
run plumb split .plumb/data/california_housing.csv --target MedHouseVal --test-fraction 0.2 --seed 42 --out out/split
run plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model linear --register california
run plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model gbm --rounds 500 --learning-rate 0.05 --register california --quiet
run plumb models promote california
run plumb data fetch spam
run plumb split .plumb/data/spam.csv --target type --test-fraction 0.25 --seed 42 --out out/spam
run plumb train out/spam/train.csv --test out/spam/test.csv --target type --model gbm --rounds 200 --learning-rate 0.1 --register spam --quiet
run plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model gbm --rounds 500 --learning-rate 0.05 --streaming --no-track --quiet
run plumb predict --model models:/california@champion out/split/test.csv --out out/predictions.csv
run plumb predict --model models:/spam/1 out/spam/test.csv --out out/spam-predictions.parquet
run "plumb runs list --filter \"metrics.r2 > 0.7 and params.model = 'gbm'\""
run plumb models list
run plumb models history california
"$PLUMB" serve --model models:/california@champion --port 18765 > serve.log 2>&1 &
for _ in $(seq 50); do curl -sf localhost:18765/ready >/dev/null && break; sleep 0.2; done
run "curl -s localhost:18765/predict -H 'content-type: application/json' -d '{\"MedInc\":8.3,\"HouseAge\":41,\"AveRooms\":6.98,\"AveBedrms\":1.02,\"Population\":322,\"AveOccup\":2.56,\"Latitude\":37.88,\"Longitude\":-122.23}'"; echo
run "curl -s localhost:18765/predict -H 'content-type: application/json' -d '{\"MedInc\":\"x\",\"HouseAge\":41}'"; echo
kill -TERM %1; wait %1 || true
run plumb monitor --model models:/california@champion --current out/split/test.csv --report out/drift.html
# Performance by segment (ocean_proximity from the raw census file) and gated promotion.
run plumb data fetch california-housing-raw
run plumb split .plumb/data/housing.csv --target median_house_value --test-fraction 0.2 --seed 42 --out split
run plumb train split/train.csv --target median_house_value --test split/test.csv --model gbm --exclude ocean_proximity --register housing --quiet
run plumb evaluate --model models:/housing/1 split/test.csv --segment-by ocean_proximity --segment-by median_income
run plumb evaluate --model models:/housing/1 split/test.csv --segment-by ocean_proximity --record
echo '{"metric": "r2", "staging": "> 0.7", "production": "> 0.75", "segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25, "min_rows": 30}, "require_approval": true}' > policy.json
sed 's/0.25/0.30/' policy.json > policy30.json
run plumb models promote housing --policy policy.json
run plumb models promote housing --policy policy30.json
run "plumb models approve housing/1 --reason 'NEAR OCEAN reviewed: 25.5 % above overall RMSE, within 30 %' --by 'A. Chen'"
run plumb models promote housing --policy policy30.json
