# One command surface. Fresh machine: `make demo` (real output on the embedded data) and `make test`.
# `make demo` installs only what the README's commands need; `make check`/`make test` add the dev tools.
# Both install against constraints.txt (the versions the tests were run with), so a fresh clone gets them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: demo check test lint bench dataset lock clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip

$(VENV)/.demo: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $(VENV)/.demo $@

demo: $(VENV)/.demo
	$(BIN)/rotascope init
	$(BIN)/rotascope monitor

# the fast tier: lint, types and the unit tests (no loaded store, subprocess, browser, server or long replay)
check: $(VENV)/.dev
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/python scripts/timed.py "make check, unit tier" $(BIN)/pytest -q -n 2 -m "not slow and not heavy and not store"

# two workers, tests dealt one by one (`--dist loadgroup`, which keeps a module with a module-scoped
# fixture on one worker, measured 17 min 22 s against 13 min 31 s for this on a quiet clean clone);
# prints the wall time and peak RSS at the end
test: $(VENV)/.dev
	$(BIN)/python scripts/timed.py "make test" $(BIN)/pytest -q -n 2

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py

dataset: $(VENV)/.dev
	$(BIN)/python scripts/build_dataset.py

# rewrite constraints.txt from the dev environment as installed now (after changing a dependency)
lock: $(VENV)/.dev
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check | LC_ALL=C sort > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
