#!/usr/bin/env bash
# `make demo`: the main job on the default data with embedded defaults.
# Fetch (from $PLUMB_DATA_MIRROR when set) → describe → split → train → score.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUMB=${PLUMB:-.build/release/plumb}
OUT=${OUT:-.plumb/demo}
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "fetch California Housing"
$PLUMB data fetch california-housing --to .plumb/data/california_housing.csv

step "describe"
$PLUMB data describe .plumb/data/california_housing.csv | head -16

step "split 80/20 (seed 42)"
$PLUMB split .plumb/data/california_housing.csv --target MedHouseVal --test-fraction 0.2 --seed 42 --out "$OUT/split"

step "train linear regression"
$PLUMB train "$OUT/split/train.csv" --test "$OUT/split/test.csv" --target MedHouseVal --model linear --out "$OUT/linear.plumb"

step "batch-score the test file"
$PLUMB predict --model "$OUT/linear.plumb" "$OUT/split/test.csv" --out "$OUT/predictions.csv"
