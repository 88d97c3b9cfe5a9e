# Passerelle. `make run` serves the demo site with a worker; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test bench bench-smoke install install-test migrate demo messages clean

run: install migrate demo
	@echo ""
	@echo "Passerelle démarre sur http://127.0.0.1:8000 (administration : /admin/). Ctrl-C arrête tout."
	@echo ""
	honcho start -f Procfile

test: install-test
	python -m pytest

# Performance targets, as ratios against ceilings measured in the same run (README,
# "Performance"). bench-smoke: the same harness in under a minute, targets not enforced.
bench: install-test
	python scripts/bench.py

bench-smoke: install-test
	python scripts/bench.py --smoke

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt constraints.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/python -m pip install --quiet -r requirements-test.txt -c constraints.txt
	touch $@

migrate: install
	python manage.py migrate --noinput

demo: install
	python manage.py load_demo_course

# Regenerate the message catalogues after changing strings (needs GNU gettext); the
# compiled .mo files are committed so that a fresh machine needs no gettext.
messages: install
	python manage.py makemessages --locale en --no-obsolete --ignore '.venv/*' --ignore 'static/*' --ignore 'tests/*'
	python manage.py compilemessages --locale en --ignore '.venv/*'

clean:
	rm -rf var static test-results
