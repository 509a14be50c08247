# Customer intelligence as code. `make build` builds the warehouse; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
ORDERS ?= 100000
SEED ?= 42
# make bench runs three scales unless ORDERS is given on the command line or in the environment
BENCH_ORDERS := $(if $(filter command line environment,$(origin ORDERS)),$(ORDERS),100000,1000000,10000000)

export DBT_PROFILES_DIR ?= $(CURDIR)
export CIQ_RAW_DIR ?= data/raw
export CIQ_TRUTH_DIR ?= data/truth
export CIQ_WAREHOUSE_PATH ?= warehouse/customer_intelligence.duckdb
export CIQ_DUCKDB_TEMP_DIR ?= warehouse/.tmp
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false
export CIQ_REPORTS_DIR ?= reports
export CIQ_PUBLISHED_PATH ?= $(dir $(CIQ_WAREHOUSE_PATH))published/customer_intelligence.duckdb
DASHBOARD_PORT ?= 8501

STAMP := $(VENV)/.installed

.PHONY: help setup data build inspect publish dashboard test lint docs clean bench spark-setup spark-build test-spark

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/python -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'customer_intelligence_project.pth').write_text('$(CURDIR)\n')"
	touch $@

setup: $(STAMP)  ## create .venv and install the pinned requirements

data: $(STAMP)  ## generate the default raw data into $CIQ_RAW_DIR if it is not there
	@if ls $(CIQ_RAW_DIR)/orders.* >/dev/null 2>&1; then \
		echo "raw data found in $(CIQ_RAW_DIR)"; \
	else \
		$(BIN)/python -m customer_intelligence.tools.generate --orders $(ORDERS) --seed $(SEED) \
			--out $(CIQ_RAW_DIR) --truth-out $(CIQ_TRUTH_DIR); \
	fi

# The whole job (dbt build, publish, insights, alerts, docs) from the config file: ciq.yml, $(CIQ_CONFIG) or
# CONFIG=path; VARS='{...}' overrides its dbt vars. Without a config it generates the default data if needed.
build: $(STAMP)  ## build everything from ciq.yml (CONFIG=..., VARS='{...}'); no config: the default generated data
	$(BIN)/python -m customer_intelligence.tools.cli build --orders $(ORDERS) --seed $(SEED) \
		$(if $(CONFIG),--config $(CONFIG)) $(if $(VARS),--vars '$(VARS)')

inspect: $(STAMP)  ## profile the raw files (RAW_DIR=..., default $CIQ_RAW_DIR) and propose a config (WRITE=ciq.yml)
	$(BIN)/python -m customer_intelligence.tools.inspect --raw-dir $(or $(RAW_DIR),$(CIQ_RAW_DIR)) \
		$(if $(WRITE),--write $(WRITE))

# Runs after a green `dbt build` only (it reads target/run_results.json and refuses anything else).
publish: $(STAMP)  ## publish the marts of the last green build for BI (atomic, read-only copy)
	$(BIN)/python -m customer_intelligence.reporting.publish

dashboard: $(STAMP)  ## start the Streamlit dashboard on the published marts (after make build)
	@test -f $(CIQ_PUBLISHED_PATH) || { echo "no publication at $(CIQ_PUBLISHED_PATH): run make build first"; exit 1; }
	$(BIN)/streamlit run dashboard/app.py --server.port $(DASHBOARD_PORT) --server.headless true \
		--browser.gatherUsageStats false

# The lint runs beside pytest (the builds leave a core idle part of the time); its output follows pytest's, and
# either one failing fails the target.
PYTEST_TARGETS ?= python_tests
test: $(STAMP)  ## set up and run every test (pytest incl. end-to-end dbt builds, SQL and Python lint)
	@mkdir -p warehouse/lint
	@$(MAKE) --no-print-directory lint > warehouse/lint/lint.log 2>&1 & lint_pid=$$!; \
	$(BIN)/python -m pytest $(PYTEST_TARGETS) -n 2 --dist loadfile --durations=15; pytest_rc=$$?; \
	wait $$lint_pid; lint_rc=$$?; echo "--- make lint (ran beside pytest; exit $$lint_rc) ---"; \
	cat warehouse/lint/lint.log; test $$pytest_rc -eq 0 -a $$lint_rc -eq 0

# SQL lint compiles the models with dbt against the small committed sample in tests/fixtures.
lint: $(STAMP)  ## lint SQL (sqlfluff, dbt templater) and Python (ruff)
	$(BIN)/ruff check customer_intelligence python_tests models dashboard
	@mkdir -p warehouse/lint
	CIQ_RAW_DIR=tests/fixtures/raw_minimal CIQ_WAREHOUSE_PATH=warehouse/lint/lint.duckdb \
		$(BIN)/sqlfluff lint models analyses --processes 2

docs: $(STAMP)  ## write the self-contained docs site target/static_index.html
	$(BIN)/dbt docs generate --static

clean:  ## remove build outputs (keeps .venv and data)
	rm -rf target logs warehouse dbt_packages

# --- benchmark (issue 5) ---
# make bench                       100k, 1M and 10M orders (data generated once under bench/work/data)
# make bench ORDERS=10000000       one scale; ROUNDS=3 repeats each scale and reports medians
bench: $(STAMP)  ## benchmark: build vs floor, compiled SQL, pandas peer, incremental; writes bench/results/*.json
	$(BIN)/python -m customer_intelligence.tools.bench --orders $(BENCH_ORDERS) --seed $(SEED) $(if $(ROUNDS),--rounds $(ROUNDS))

# --- Apache Spark (dbt-spark, method: session) --------------------------------------------------------
# A second venv, so that `make setup` never pulls pyspark (about 450 MB). Needs Java 17 (java on PATH).
SPARK_VENV ?= .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
SPARK_STAMP := $(SPARK_VENV)/.installed
export CIQ_SPARK_DIR ?= warehouse/spark
export SPARK_LOCAL_IP ?= 127.0.0.1

$(SPARK_STAMP): requirements.txt requirements-spark.txt pyproject.toml
	@command -v java >/dev/null 2>&1 || { echo "Spark needs Java 17: apt-get install -y openjdk-17-jre-headless"; exit 1; }
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/pip install --quiet --upgrade pip
	$(SPARK_BIN)/pip install --quiet -r requirements-spark.txt
	$(SPARK_BIN)/python -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'customer_intelligence_project.pth').write_text('$(CURDIR)\n')"
	touch $@

spark-setup: $(SPARK_STAMP)  ## create .venv-spark: the pinned requirements plus dbt-spark and pyspark
	$(SPARK_BIN)/pip check

spark-build: data $(SPARK_STAMP)  ## dbt build on Spark (in-process) into $CIQ_SPARK_DIR
	CIQ_TARGET=spark $(SPARK_BIN)/dbt build --target-path target/spark

# One Spark build serves every Spark test: the project as a dbt package of a throwaway host project, raw
# tables read from the Spark metastore (products from its file), compared table by table with the standalone
# DuckDB build of the same data (python_tests/conftest.py spark_builds; DECISIONLOG "One Spark build").
test-spark: $(SPARK_STAMP)  ## build the same small data on DuckDB and on Spark (as a package), compare every table
	$(SPARK_BIN)/python -m pytest python_tests/test_spark_frames.py python_tests/test_spark_build.py \
		python_tests/test_dbt_package_spark.py

# --- BI clients (issue 16) ---------------------------------------------------------------------------
# DuckDB 1.4 in its own venv: python_tests/test_publish_clients.py opens the publication with it (the test
# creates the same venv itself when the stamp is missing; `make duckdb-compat-setup` only does it ahead).
DUCKDB14_VENV ?= .venv-duckdb14
DUCKDB14_VERSION := 1.4.5
DUCKDB14_STAMP := $(DUCKDB14_VENV)/.installed

$(DUCKDB14_STAMP):
	$(PYTHON) -m venv --clear $(DUCKDB14_VENV)
	$(DUCKDB14_VENV)/bin/pip install --quiet duckdb==$(DUCKDB14_VERSION)
	echo $(DUCKDB14_VERSION) > $@

.PHONY: duckdb-compat-setup
duckdb-compat-setup: $(DUCKDB14_STAMP)  ## create .venv-duckdb14 (DuckDB 1.4, to check the publication opens in 1.x clients)

# --- dashboard benchmark (issue 16) ---
# make bench-dashboard                    100k, 1M and 10M orders (data, build and publication made once under bench/work)
# make bench-dashboard ORDERS=1000000     one scale
DASHBOARD_BENCH_ORDERS := $(if $(filter command line environment,$(origin ORDERS)),$(ORDERS),100000,1000000,10000000)

.PHONY: bench-dashboard
bench-dashboard: $(STAMP)  ## dashboard in real Chromium: per page first-load and filter-change seconds
	$(BIN)/python -m customer_intelligence.tools.dashboard_bench --orders $(DASHBOARD_BENCH_ORDERS) --seed $(SEED)
