# Two commands on a fresh machine: `make demo` (solve the bundled UK instance) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: demo test lint bench clean
demo: $(STAMP)
	$(BIN)/planner validate instances/uk-baseline
	$(BIN)/planner solve instances/uk-baseline --out runs/uk-baseline --force --report

test: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks
	bash tests/setup-browser.sh
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache
