"""Spark for the tests: a local session in the test process, the Spark build's environment, and table reads.

The Spark tests run in ``.venv-spark`` (``make test-spark``); in the default venv pyspark is absent and
they are skipped with :data:`SKIP_REASON`. The test process's own session uses Spark's in-memory catalog,
so it never opens the Derby metastore of a dbt build (Derby allows one process at a time); it reads the
tables a build wrote straight from the build's warehouse folder.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

SKIP_REASON = (
    "pyspark is not installed in this venv: the Spark tests run with `make test-spark` "
    "(which creates .venv-spark with dbt-spark and pyspark; needs Java 17)"
)

# The wall times of the DuckDB and Spark builds of test_spark_build.py, for the terminal summary.
BUILD_TIMES = pytest.StashKey[dict]()


def local_spark_session() -> Any:
    """A small local SparkSession (2 cores, UTC, no UI, in-memory catalog), created once per process."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("customer-intelligence-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    return session


def spark_build_env(spark_dir: Path) -> dict[str, str]:
    """Environment of a dbt build on the Spark target, with its warehouse and metastore in ``spark_dir``."""
    return {"CIQ_TARGET": "spark", "CIQ_SPARK_DIR": str(spark_dir), "SPARK_LOCAL_IP": "127.0.0.1"}


def spark_table_path(spark_dir: Path, schema: str, table: str) -> Path:
    """Where Spark keeps a managed table of a build: ``<CIQ_SPARK_DIR>/tables/<schema>.db/<table>``."""
    return spark_dir / "tables" / f"{schema}.db" / table


# --- The one Spark build of `make test-spark` -------------------------------------------------------------
# The project built on Spark as a dbt package of a throwaway host project (issue 18), reading orders,
# customers and order lines from metastore tables (orders under another identifier) and products from its
# file: one build proves the Spark SQL of every model, both raw readers (relations and files) and the
# package mode, and test_spark_build.py compares every table of it with the standalone DuckDB build.
HOST_SCHEMA = "analytics"
RELATION_NAMES = {"customers": "customers", "orders": "shop_orders", "order_lines": "order_lines"}
PACKAGE_VARS = {"raw_schema": "shop", "raw_relations": {"orders": {"identifier": "shop_orders"}, "products": "file"}}
SUMMARY = re.compile(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)")

# A host macro that loads the raw files into the metastore, as an ingestion tool would have.
LOAD_MACRO = """
{% macro load_raw_tables(raw_dir) %}
    {% do run_query('create schema if not exists shop') %}
    {% for table, name in """ + repr(RELATION_NAMES) + """.items() %}
        {% do run_query('drop table if exists shop.' ~ name) %}
        {% do run_query('create table shop.' ~ name ~ ' using parquet as select * from parquet.`'
            ~ raw_dir ~ '/' ~ table ~ '.parquet`') %}
    {% endfor %}
{% endmacro %}
"""


def spark_schema(schema: str) -> str:
    """The Spark database of a standalone schema's tables in the host build: ``analytics_ciq_<schema>``."""
    return f"{HOST_SCHEMA}_ciq_{schema}"


def spark_profile(spark_dir: Path) -> dict:
    """The host's Spark output (as the project's profiles.yml), its warehouse and metastore under ``spark_dir``."""
    return {
        "type": "spark",
        "method": "session",
        "host": "NA",
        "schema": HOST_SCHEMA,
        "threads": 2,
        "server_side_parameters": {
            "spark.master": "local[2]",
            "spark.driver.memory": "2g",
            "spark.sql.warehouse.dir": f"{spark_dir}/tables",
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true"
            ),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir}",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": "4",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.log.level": "ERROR",
        },
    }


def dbt_lines(output: str, limit: int = 6000) -> str:
    """dbt's own lines of a build's output, without the JSON error logs and JVM stack traces PySpark adds."""
    kept = [line for line in output.splitlines() if not line.startswith('{"ts"') and "\tat " not in line]
    return "\n".join(kept)[-limit:]


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order (row order is not part of a table); doubles to 1e-9 (summation order differs)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(9)
    return frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)


def build_package_on_spark(raw: Path, root: Path) -> dict:
    """Write the host project under ``root``, load ``raw``'s files as metastore tables (``dbt run-operation``),
    then ``dbt build`` it without the data tests (each is a Spark job of ~1 s: they are most of a Spark build's time;
    they run on DuckDB in ``make test``, and every table they test is compared with the DuckDB build here);
    products are read from a folder holding only its file. Returns the build's
    completed process, its wall time, and ``spark_dir`` (the warehouse folder of the host's tables)."""
    from dbt_package_host import run_host_dbt, write_host_project

    files = root / "files"
    files.mkdir(parents=True)
    shutil.copy(raw / "products.parquet", files / "products.parquet")
    spark_dir = root / "spark"
    project = write_host_project(root / "project", spark_profile(spark_dir), PACKAGE_VARS,
                                 macros={"load_raw_tables.sql": LOAD_MACRO}, package_dispatch=True)
    env = {"SPARK_LOCAL_IP": "127.0.0.1"}
    deps = run_host_dbt(project, ["deps"], files, env)
    assert deps.returncode == 0, deps.stdout + deps.stderr
    load = run_host_dbt(project, ["run-operation", "load_raw_tables", "--args", f"{{raw_dir: '{raw}'}}"], files, env)
    assert load.returncode == 0, dbt_lines(load.stdout + load.stderr)
    start = time.perf_counter()
    build = run_host_dbt(project, ["build", "--exclude-resource-type", "test"], files, env)
    seconds = time.perf_counter() - start
    assert build.returncode == 0, dbt_lines(build.stdout + build.stderr)
    return {"build": build, "seconds": seconds, "spark_dir": spark_dir, "project": project}
