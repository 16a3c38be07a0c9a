#!/usr/bin/env bash
# `make demo`: the main job on the default data with embedded defaults — the closed loop.
# Train candidates on southern California, promote a champion, serve it, replay northern California
# through /predict with ground truth on /feedback, monitor the prediction log, detect drift and the
# error increase, retrain, compare challenger and champion on one holdout, promote, hot-swap.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUMB=${PLUMB:-.build/release/plumb}
export PLUMB_STORE=${PLUMB_STORE:-.plumb/plumb.db}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "plumb data fetch california-housing && plumb data describe"
$PLUMB data fetch california-housing
$PLUMB data describe .plumb/data/california_housing.csv | head -n 11

step "plumb pipeline run (embedded California Housing spec)"
$PLUMB pipeline run

step "plumb runs list --experiment california-housing --limit 8"
$PLUMB runs list --experiment california-housing --limit 8 --order-by "attributes.start_time DESC" | cut -c1-150

step "plumb models history california-housing (last 8 changes)"
$PLUMB models history california-housing | tail -n 8

step "plumb lineage models:/california-housing@champion"
$PLUMB lineage models:/california-housing@champion
