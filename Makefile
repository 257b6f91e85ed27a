# Two commands: `make run` (the whole system with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint messages clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	cp requirements.txt $(STAMP)

run: $(STAMP)
	$(BIN)/python -m govservice.stack run

test: $(STAMP)
	$(BIN)/python -m govservice.stack test $(ARGS)

lint: $(STAMP)
	$(BIN)/python -m ruff check .

# Refresh the translation catalogues after changing user-visible strings (needs gettext).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf var
