# One command surface. Fresh machine: `make demo` (real output on the embedded data) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench dataset clean

$(BIN)/rotascope: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/rotascope
	$(BIN)/rotascope init
	$(BIN)/rotascope monitor

test: $(BIN)/rotascope
	$(BIN)/pytest -q

lint: $(BIN)/rotascope
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy

bench: $(BIN)/rotascope
	$(BIN)/python benchmarks/run.py

dataset: $(BIN)/rotascope
	$(BIN)/python scripts/build_dataset.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
