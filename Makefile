PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast bench clean generic

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/monocyte demo

# Both cores, one test file per worker (module fixtures are built once per file).
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The edit-run loop: stop at the first failure, the last failures first.
test-fast: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile -x --ff

# The generic types' table, from the pinned cfn-lint's CloudFormation schemas.
generic: setup
	$(BIN)/monocyte generate-generic

bench: setup
	$(BIN)/python bench/event_path.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
