# make demo : set up, then run the main job on the embedded default (DuckDB + local Hindsight)
# make test : set up, then run the tests
# make dev  : the Dagster UI against the demo warehouse and the local Hindsight server

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
DBT_SOURCES := $(shell find dbt_sql/models dbt_sql/macros -type f) dbt_sql/dbt_project.yml dbt_sql/profiles.yml

.PHONY: setup demo test test-fast dev local-server lint typecheck bench clean

setup: $(VENV)/.installed dbt_sql/target/manifest.json

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip check
	touch $@

# The dbt manifest is prepared once here, not at every definitions load.
dbt_sql/target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/python -m hindsight_pipeline.dbt.prepare

demo: setup
	$(BIN)/python -m hindsight_pipeline.demo

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

dev: setup
	$(BIN)/python -m hindsight_pipeline.demo.dev

local-server: setup
	$(BIN)/hindsight-local-server --port 8765 --plan enterprise --deals-file data/hindsight_deals.json

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/rate_limit_bench.py
	$(BIN)/python bench/pipeline_overhead_bench.py
	$(BIN)/python bench/demo_data_bench.py

clean:
	rm -rf $(VENV) dbt_sql/target data
