# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench venv clean system

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(STAMP)

system:
	scripts/system-packages.sh

demo: $(STAMP) system
	$(BIN)/ecredit demo

test: $(STAMP) system
	$(BIN)/ruff check src tests bench
	ECREDIT_TEST_POSTGRES_URL=$$(scripts/services.sh) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	ECREDIT_BENCH_POSTGRES_URL=$$(scripts/services.sh) $(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var demo-world
