# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
SIZE ?= small
export DO_NOT_TRACK := 1

.PHONY: demo test lint system-deps bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

# Debian's Chromium for the browser tests (needs root and apt; skipped elsewhere, and those tests say so).
system-deps:
	@bash scripts/install-system-deps.sh

demo: $(BIN)/.installed
	$(BIN)/incident-lake demo --size $(SIZE)

test: $(BIN)/.installed system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmark (BENCHMARKS.md): installs the `bench` extra (dlt, psutil, py-spy) on demand, writes bench/results.json.
BENCH_SIZES ?= small default large
$(BIN)/.bench-installed: pyproject.toml $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,bench]'
	touch $@

bench: $(BIN)/.bench-installed system-deps
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python -m bench

clean:
	rm -rf data dbt_project/target dbt_project/logs tests/artifacts
