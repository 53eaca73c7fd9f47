PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean generic

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/monocyte demo

test: setup
	$(BIN)/python -m pytest

# The generic types' table, from the pinned cfn-lint's CloudFormation schemas.
generic: setup
	$(BIN)/monocyte generate-generic

bench: setup
	$(BIN)/python bench/event_path.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
