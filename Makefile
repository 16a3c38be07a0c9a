# Plumb — every target installs what it needs (apt packages when missing), then builds.
# `make demo` runs the closed loop on California Housing; `make test` runs the test suite.
SHELL := /bin/bash
APT_PACKAGES := libopenblas-dev liblapacke-dev libsqlite3-dev zlib1g-dev libcurl4 libsnappy-dev libzstd-dev liblz4-dev python3 python3-venv openjdk-17-jre-headless
SHARED_DATA := $(abspath ../shared/data)
# Point the dataset mirror at ../shared/data when it exists and nothing else was chosen.
ifeq ($(origin PLUMB_DATA_MIRROR), undefined)
  ifneq ($(wildcard $(SHARED_DATA)/*.csv),)
    export PLUMB_DATA_MIRROR := $(SHARED_DATA)
  endif
endif
SWIFT_BUILD_FLAGS ?=
# Release builds link the Swift runtime and Foundation statically: `plumb` starts in ~14 ms
# instead of ~38 ms (dynamic loading of a dozen Swift libraries dominated short commands).
RELEASE_FLAGS ?= --static-swift-stdlib
RELEASE := .build/release/plumb
# The interop checks' Python (Tests/Interop): a venv made from Tests/Interop/requirements.txt,
# rebuilt only when it is missing or the requirements changed (.venv/requirements.stamp).
PYTHON ?= python3
VENV := .venv
INTEROP_REQUIREMENTS := Tests/Interop/requirements.txt

.PHONY: deps build release libplumb test venv interop demo bench bench-peers clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

# The binary only: a shared library cannot link the static Swift runtime (see `libplumb`).
release: deps
	swift build -c release $(RELEASE_FLAGS) --product plumb $(SWIFT_BUILD_FLAGS)

# libPlumbC.so, the C ABI that python/plumb (and so Spark and Ray) loads: .build/release/libPlumbC.so.
libplumb: deps
	swift build -c release --product PlumbC $(SWIFT_BUILD_FLAGS)

test: deps venv
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build
	./Tests/Interop/run.sh

venv:
	@if [ ! -x $(VENV)/bin/python ]; then \
	  echo "creating $(VENV) (interop checks' Python)"; \
	  $(PYTHON) -m venv $(VENV) || { echo "cannot create $(VENV) with $(PYTHON) -m venv (set PYTHON=, or install python3-venv)" >&2; exit 1; }; \
	fi; \
	if ! cmp -s $(INTEROP_REQUIREMENTS) $(VENV)/requirements.stamp; then \
	  echo "installing $(INTEROP_REQUIREMENTS) into $(VENV)"; \
	  $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(INTEROP_REQUIREMENTS) \
	    && cp $(INTEROP_REQUIREMENTS) $(VENV)/requirements.stamp; \
	fi

# The interop checks alone, against the debug build (or PLUMB=path).
interop: venv
	./Tests/Interop/run.sh

demo: release
	./scripts/demo.sh

# BENCH_ARGS: extra arguments, e.g. "--target TreeBenchmarks" or "baseline update main"
# (baselines live in Benchmarks/.benchmarkBaselines/, ignored by git).
bench: release
	cd Benchmarks && swift package --allow-writing-to-package-directory benchmark $(BENCH_ARGS)

# PEERS_ARGS: passed to Benchmarks/peers/compare.py, e.g. "--only csv,drift-1m" or "--skip serve".
bench-peers: release
	./Benchmarks/peers/run.sh $(PEERS_ARGS)

clean:
	rm -rf .build .plumb out
