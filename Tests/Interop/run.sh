#!/usr/bin/env bash
# Runs every Tests/Interop/check_*.py with the interop venv's Python against the built `plumb`
# (debug build, or $PLUMB). Builds nothing: `make test` builds first and creates the venv
# (`make venv`). Fails, naming them, when any check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PLUMB="${PLUMB:-$ROOT/.build/debug/plumb}"
PYTHON="${INTEROP_PYTHON:-$ROOT/.venv/bin/python}"
if [ ! -x "$PLUMB" ]; then echo "interop: no plumb binary at $PLUMB (run swift build first, or set PLUMB)" >&2; exit 1; fi
if [ ! -x "$PYTHON" ]; then echo "interop: no Python at $PYTHON (run make venv, or set INTEROP_PYTHON)" >&2; exit 1; fi
failed=()
start=$SECONDS
for check in Tests/Interop/check_*.py; do
  [ -e "$check" ] || continue
  name=$(basename "$check" .py)
  t0=$SECONDS
  echo "== interop: $name"
  if PYTHONPATH="$ROOT/Tests/Interop${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$check"; then
    echo "   ok ($((SECONDS - t0)) s)"
  else
    echo "   FAILED: $name ($((SECONDS - t0)) s)"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "interop: ${#failed[@]} check(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "interop: all checks passed in $((SECONDS - start)) s"
