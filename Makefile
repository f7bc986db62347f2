# altrollup — one idempotent set-up step that both README commands depend on.
#
#   make devnet   install what is missing, then run the devnet (the main job)
#   make test     install what is missing, then run every test (forge + pytest)
#
# Everything comes from PyPI and npm; the Solidity compiler is solc-js wrapped as a
# native-looking `solc` (tools/solc) so that forge, ape and py-solc-x work offline.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.37
SOLCX_DIR := $(HOME)/.solcx
# Tools from node_modules and the venv are found first by every recipe.
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup browser devnet test build lint bench clean

setup: $(VENV)/.installed node_modules/.installed
	@# Links are refreshed every time: a clone elsewhere may have repointed them.
	@# py-solc-x (and through it ape-solidity) looks for `solc-v<version>` in ~/.solcx.
	@mkdir -p $(SOLCX_DIR)
	@ln -sfn $(CURDIR)/tools/solc $(SOLCX_DIR)/solc-v$(SOLC_VERSION)
	@# anvil/forge/cast/solc inside the venv so an activated venv (and ape) finds them.
	@for tool in anvil forge cast; do ln -sfn $(CURDIR)/node_modules/.bin/$$tool $(BIN)/$$tool; done
	@ln -sfn $(CURDIR)/tools/solc $(BIN)/solc

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# ape-foundry 0.8.11 pins evm-trace<0.3 while eth-ape 0.8.52 needs 0.3; 0.8.11 works
	# with 0.3 at run time, 0.8.12 fails to import (HashBytes32). Hence --no-deps.
	$(BIN)/python -m pip install --quiet --no-deps 'ape-foundry==0.8.11'
	touch $@

# Headless Chromium + chromedriver (Debian packages) for the dashboard's browser test
# (only `make test` needs them; the devnet does not).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver >/dev/null; }

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

build: setup
	forge build

devnet: setup build
	$(BIN)/altrollup devnet $(DEVNET_ARGS)

test: setup build browser
	forge test
	@# The EVM recurses per call frame (1024 deep): give the pytest workers a large C stack.
	ulimit -s unlimited 2>/dev/null || ulimit -s 1048576 2>/dev/null || true; \
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check agents tests scripts benchmarks
	$(BIN)/ruff format --check agents tests scripts benchmarks

bench: setup build
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf out cache .build .pytest_cache
