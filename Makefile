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

.PHONY: demo test test-all lint bench clean
demo: $(STAMP)
	$(BIN)/planner validate instances/uk-baseline
	$(BIN)/planner solve instances/uk-baseline --out runs/uk-baseline --force --report

# the wheel check (a wheel installed outside the checkout solves the bundled instances), then
# the tests, leaving out those marked slow (long end-to-end runs covered by faster ones)
test: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks
	bash tests/setup-browser.sh
	PYTHON=$(PYTHON) bash tests/wheel-check.sh
	$(BIN)/pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks
	bash tests/setup-browser.sh
	PYTHON=$(PYTHON) bash tests/wheel-check.sh
	$(BIN)/pytest -q

# the whole benchmark suite (about an hour on 2 cores): benchmarks/latest.md
bench: $(STAMP)
	$(BIN)/python benchmarks/suite.py

clean:
	rm -rf $(VENV) runs .pytest_cache
