"""The repository as a dbt package on Apache Spark, with raw tables of the Spark metastore (issue 18).

The Spark build of ``make test-spark`` is a throwaway host project that adds this repository with
``packages.yml`` (conftest.py ``spark_builds``, spark_support.build_package_on_spark): a ``dbt run-operation``
of the host loads the generator's files as metastore tables of schema ``shop`` (orders under another
identifier); ``dbt build`` reads them as relations (products from its file: sources mixed) and must give the
same ``kpi_overview``, ``dim_customer_360`` and row accounting as the standalone DuckDB build of the same
data. test_spark_build.py compares every other table of the same two builds.
Runs in .venv-spark (``make test-spark``); skipped where pyspark is not installed.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from spark_support import SKIP_REASON, SUMMARY, canonical, dbt_lines, spark_schema, spark_table_path

from customer_intelligence.ml.frames import to_pandas

pytest.importorskip("pyspark", reason=SKIP_REASON)

MARTS = spark_schema("marts")


def test_spark_package_build_is_clean_and_read_the_metastore_tables(spark_builds):
    out = spark_builds["spark_output"]
    summary = SUMMARY.search(out)
    assert summary, dbt_lines(out)
    assert summary.group(2, 3, 4) == ("0", "0", "0"), dbt_lines(out)
    unquoted = out.replace("`", "")
    assert "raw orders: shop.shop_orders" in unquoted
    assert "raw customers: shop.customers" in unquoted
    assert "products.parquet" in out


def test_package_models_live_in_their_own_databases_beside_the_host_models(spark_builds):
    """The package writes its tables to analytics_ciq_<schema>; the host's own models (a view named
    fct_orders, and host_kpis reading a package mart by a two-argument ref) stay in analytics."""
    out = spark_builds["spark_output"]
    assert (spark_builds["spark_dir"] / "tables" / f"{MARTS}.db" / "fct_orders").is_dir()
    assert "created sql view model analytics.fct_orders" in out
    assert "created sql view model analytics.host_kpis" in out
    assert f"model {MARTS}.fct_orders" in out


@pytest.mark.parametrize("table", ["kpi_overview", "dim_customer_360", "dq_raw_row_accounting"])
def test_spark_package_build_equals_the_standalone_duckdb_build(spark_builds, spark, table):
    path = spark_table_path(spark_builds["spark_dir"], MARTS, table)
    assert path.is_dir(), f"the Spark host build wrote no {MARTS}.{table} (looked in {path})"
    on_spark = canonical(to_pandas(spark.read.parquet(str(path))))
    with duckdb.connect(str(spark_builds["duckdb"].warehouse), read_only=True) as con:  # both through to_pandas
        on_duckdb = canonical(to_pandas(con.sql(f"select * from marts.{table}")))
    assert list(on_spark.columns) == list(on_duckdb.columns)
    assert len(on_spark) > 0
    pd.testing.assert_frame_equal(on_spark, on_duckdb, obj=table)
