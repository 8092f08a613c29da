# The README's two commands are `make run` and `make test`; the rest are the usual chores.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: run test install install-dev lint fmt bench bench-quick lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) install --quiet -c constraints.txt -e .

install-dev: $(BIN)/python
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	./scripts/ensure-test-tools

run: install ## install, then serve on ./chronicle.db (http://127.0.0.1:8080, docs at /docs)
	$(BIN)/chronicle serve

test: install-dev ## install, then run every test on SQLite and PostgreSQL
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

fmt: install-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install-dev ## the full benchmark suite (1M events; see docs/benchmarks.md)
	./scripts/ensure-bench-tools
	$(BIN)/python -m bench

bench-quick: install-dev
	./scripts/ensure-bench-tools
	$(BIN)/python -m bench --quick

lock: $(BIN)/python ## re-pin every dependency after changing pyproject.toml
	$(PIP) freeze --exclude-editable | grep -v '^pip==' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
