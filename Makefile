# ncert developer entry points. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PORT   ?= 8000
HOST   ?= 127.0.0.1
export NCERT_DATA_DIR ?= $(CURDIR)/instance

# pip's and setuptools' chatter goes to a log, shown only when an install fails.
PIP_LOG := $(VENV)/pip.log
PIP     = $(VENV)/bin/pip install --disable-pip-version-check --quiet
QUIETLY = >>$(PIP_LOG) 2>&1 || { cat $(PIP_LOG); exit 1; }

.PHONY: run test bench install install-test clean translations

install: $(VENV)/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip $(QUIETLY)

# Serving needs only the package itself.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	@echo "Installing ncert into $(VENV) (log: $(PIP_LOG))"
	@$(PIP) -e . $(QUIETLY)
	@touch $@

# The test suite adds its tools and the real clients it drives.
install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	@echo "Installing ncert with its test tools into $(VENV) (log: $(PIP_LOG))"
	@$(PIP) -e ".[test]" $(QUIETLY)
	@touch $@ $(VENV)/.installed

run: install
	@$(VENV)/bin/ncert init
	@$(VENV)/bin/ncert demo
	@echo
	@echo "ncert console: http://$(HOST):$(PORT)/  (log in with one of the accounts above)"
	@echo
	@$(VENV)/bin/ncert serve --host $(HOST) --port $(PORT)

test: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest

# The console's catalogues (README, Languages): extract the marked strings, merge them into the az and ru
# catalogues (new ones come in empty, for a translator), and compile the .mo files the wheel ships.
# tests/test_translations.py fails while any message is untranslated, stale, fuzzy or not compiled.
translations: install-test
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --omit-header \
		-o ncert/translations/messages.pot .
	$(VENV)/bin/pybabel update -i ncert/translations/messages.pot -d ncert/translations -w 120 \
		--ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile -d ncert/translations --statistics
	$(VENV)/bin/pybabel compile -d ncert/translations -D wtforms --statistics  # WTForms' own messages, az only
	rm ncert/translations/messages.pot

# Benchmarks (not part of the test suite): writes bench/results.json.
bench: install-test
	@$(PIP) -e ".[test,bench]" $(QUIETLY)
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
