PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/monocyte demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/event_path.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
