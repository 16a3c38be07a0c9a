#!/usr/bin/env bash
# `make demo`: the main job on the default data with embedded defaults — the closed loop.
# Train candidates on southern California, promote a champion, serve it, replay northern California
# through /predict with ground truth on /feedback, monitor the prediction log, detect drift and the
# error increase, retrain, compare challenger and champion on one holdout, promote, hot-swap.
# Then the same loop for a classifier (data/pipelines/spam.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
PLUMB=${PLUMB:-.build/release/plumb}
export PLUMB_STORE=${PLUMB_STORE:-.plumb/plumb.db}
# As `make` does: use ../shared/data as the dataset mirror when nothing else was chosen.
if [ -z "${PLUMB_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then export PLUMB_DATA_MIRROR="$(cd ../shared/data && pwd)"; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "plumb data fetch california-housing && plumb data describe"
$PLUMB data fetch california-housing
$PLUMB data describe .plumb/data/california_housing.csv | head -n 11

step "plumb split → plumb train --model all → plumb predict (80/20 split, seed 42)"
$PLUMB split .plumb/data/california_housing.csv --target MedHouseVal --test-fraction 0.2 --seed 42 --out .plumb/split
$PLUMB train .plumb/split/train.csv --test .plumb/split/test.csv --target MedHouseVal --model all \
  --rounds 500 --learning-rate 0.05 --trees 100 --quiet --experiment demo-compare --out .plumb/models/compare.plumb
$PLUMB predict --model .plumb/models/compare-linear.plumb .plumb/split/test.csv --out .plumb/split/predictions.csv
$PLUMB predict --model .plumb/models/compare-gbm.plumb .plumb/split/test.csv --out .plumb/split/predictions-gbm.csv

step "plumb pipeline run (embedded California Housing spec)"
$PLUMB pipeline run

step "plumb runs list --experiment california-housing --limit 8"
$PLUMB runs list --experiment california-housing --limit 8 --order-by "attributes.start_time DESC" | cut -c1-150

step "plumb models history california-housing (last 8 changes)"
$PLUMB models history california-housing | tail -n 8

step "plumb lineage models:/california-housing@champion"
$PLUMB lineage models:/california-housing@champion

step "plumb pipeline run data/pipelines/spam.yaml (the same loop for a classifier: UCI Spambase)"
$PLUMB pipeline run data/pipelines/spam.yaml

step "plumb models history spam (last 6 changes)"
$PLUMB models history spam | tail -n 6
