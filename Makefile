# Two commands for a fresh machine with Python >= 3.10 and make:
#   make report   create .venv, install fmtrials, write ./report/ for the bundled data
#   make test     create .venv if needed, install with test extras, run the whole suite (notebooks included) in
#                 TEST_WORKERS pytest-xdist processes (default 2, one per core of the 2-core machines it is
#                 planned for; a test file stays in one process; `make test TEST_WORKERS=0` runs it in one)
#   make docs     install the docs extra, build the Sphinx site into docs/_build/html (warnings are errors)
#   make lint     install the lint extra, run ruff (lint and format check) and mypy on src/
#   make mutants  the mutation gate (not part of make test): apply each curated mutation of tools/mutants.py to a
#                 temporary copy of src/, run its test files, print the caught/survived table and the caught
#                 share per package; fails if one survives

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fmtrials-installed
TSTAMP := $(VENV)/.fmtrials-test-installed
DSTAMP := $(VENV)/.fmtrials-docs-installed
LSTAMP := $(VENV)/.fmtrials-lint-installed
TEST_WORKERS ?= 2

.PHONY: report test venv clean bench docs lint mutants

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

$(DSTAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(STAMP) $@

$(LSTAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	touch $(STAMP) $@

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/fmtrials report --out report

test: $(TSTAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# notebooks execute once; docs/_build/.jupyter_cache re-runs only the ones that changed
docs: $(DSTAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

lint: $(LSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

mutants: $(TSTAMP)
	$(BIN)/python tools/mutants.py

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) report build dist src/*.egg-info .pytest_cache .hypothesis docs/_build docs/notebooks docs/data .mypy_cache .ruff_cache
