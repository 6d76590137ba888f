# The two commands of the README: `make demo` and `make test`. Both build .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint typecheck contracts pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[earth]'
	touch $@

$(TEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

demo: $(STAMP)
	$(BIN)/oresight demo

test: $(TEST_STAMP) lint typecheck contracts pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src/oresight

contracts: $(TEST_STAMP)
	$(BIN)/lint-imports

pytest: $(TEST_STAMP)
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) oresight-workspace
