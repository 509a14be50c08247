"""Spark for the tests: a local session in the test process, the Spark build's environment, and table reads.

The Spark tests run in ``.venv-spark`` (``make test-spark``); in the default venv pyspark is absent and
they are skipped with :data:`SKIP_REASON`. The test process's own session uses Spark's in-memory catalog,
so it never opens the Derby metastore of a dbt build (Derby allows one process at a time); it reads the
tables a build wrote straight from the build's warehouse folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

SKIP_REASON = (
    "pyspark is not installed in this venv: the Spark tests run with `make test-spark` "
    "(which creates .venv-spark with dbt-spark and pyspark; needs Java 17)"
)

# The summary line of a dbt build: PASS, WARN, ERROR, SKIP counts.
SUMMARY = re.compile(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)")

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
