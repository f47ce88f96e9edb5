PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: sandbox run test lint migrate bench-delivery bench-needs bench-digest bench-updates bench-overview clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

sandbox: $(STAMP)
	$(BIN)/coalition-bot sandbox

run: $(STAMP)
	$(BIN)/coalition-bot run

migrate: $(STAMP)
	$(BIN)/coalition-bot migrate

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench-delivery: $(STAMP)
	$(BIN)/python -m benchmarks.delivery

bench-needs: $(STAMP)
	$(BIN)/python -m benchmarks.needs

bench-digest: $(STAMP)
	$(BIN)/python -m benchmarks.digest

bench-updates: $(STAMP)
	$(BIN)/python -m benchmarks.updates

bench-overview: $(STAMP)
	$(BIN)/python -m benchmarks.overview

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info
