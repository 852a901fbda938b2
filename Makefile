# Two commands for a fresh machine with Python >= 3.10 and make:
#   make report   create .venv, install fmtrials, write ./report/ for the bundled data
#   make test     create .venv if needed, install with test extras, run the whole suite (notebooks included)
#   make mutants  the mutation gate (not part of make test): apply each curated mutation of tools/mutants.py to a
#                 temporary copy of src/, run its test files, print the caught/survived table; fails if one survives

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fmtrials-installed
TSTAMP := $(VENV)/.fmtrials-test-installed

.PHONY: report test venv clean bench mutants

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/fmtrials report --out report

test: $(TSTAMP)
	$(BIN)/python -m pytest

mutants: $(TSTAMP)
	$(BIN)/python tools/mutants.py

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) report build dist src/*.egg-info .pytest_cache .hypothesis
