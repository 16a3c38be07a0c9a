#!/usr/bin/env bash
# Runs the Parquet mutation fuzz test with many cases (default 100,000; ~2-10 minutes in a debug
# build on a 2-core machine): every mutated file must read or throw a ParquetError, never crash.
#   scripts/parquet-fuzz.sh [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
PLUMB_PARQUET_FUZZ_CASES="${1:-100000}" PLUMB_PARQUET_FUZZ_SEED="${2:-1}" \
  swift test --skip-build --filter ParquetTests.FuzzTests
