# Two commands: `make run` (the whole system with demo data) and `make test` (the suite).
# `make check` = `make lint` + `make typecheck`, the same gate as CI and the pre-commit hooks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per requirements file: `make run` installs the runtime only, `make test`/`check` the dev tools too.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format typecheck check messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

run: $(RUNTIME_STAMP)
	$(BIN)/python -m govservice.stack run

test: $(DEV_STAMP)
	$(BIN)/python -m govservice.stack test $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Apply the safe fixes and the formatting (then review the diff).
format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check: lint typecheck

# Refresh the translation catalogues after changing user-visible strings (needs gettext).
messages: $(RUNTIME_STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf var
