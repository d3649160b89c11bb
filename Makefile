# ncert developer entry points. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PORT   ?= 8000
HOST   ?= 127.0.0.1
export NCERT_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test bench install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

run: install
	$(VENV)/bin/ncert init
	$(VENV)/bin/ncert demo
	@echo
	@echo "ncert console: http://$(HOST):$(PORT)/  (log in with one of the accounts above)"
	@echo
	$(VENV)/bin/ncert serve --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest

# Benchmarks (not part of the test suite): writes bench/results.json.
bench: install
	$(VENV)/bin/pip install --quiet -e ".[test,bench]"
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
