# The two commands of the README: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint benchmark clean

run: $(VENV)/.installed  ## serve the strategy graph at http://127.0.0.1:8000
	$(BIN)/udsyn serve

test: $(VENV)/.installed-test  ## set up everything the tests need, then run them all
	bash scripts/install-chromium
	bash scripts/install-virtuoso
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

benchmark: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/stores.py --servers 10000 100000
	$(BIN)/python benchmarks/service.py
	$(BIN)/python benchmarks/serving.py
	$(BIN)/python benchmarks/register_check.py
	$(BIN)/python benchmarks/records.py

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .udsyn dist build
