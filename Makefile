# journey — developer entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint format install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Install into .venv and run the whole pipeline on built-in sample data.
demo: $(STAMP)
	$(BIN)/journey demo

## Install into .venv (with dev tools) and run the test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## Install into .venv (with dev tools) and run the benchmark against the DuckDB peer
## (benchmarks/README.md). BENCH holds its arguments, e.g.
## make bench BENCH="--accounts 50000 --events 50000000 --incremental"
BENCH ?= --accounts 50000 --events 50000000
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH)

## ruff (lint + format check) and mypy.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) journey-demo .pytest_cache .mypy_cache .ruff_cache
