# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: install run test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Serve the app on 127.0.0.1:$(PORT) with a migrated SQLite file in instance/ (or DATABASE_URL).
run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

# The whole test suite. PostgreSQL tests skip when the server is unreachable (REQUIRE_POSTGRES=1 fails instead).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/sql_and_throughput.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
