"""The repository as a dbt package on Apache Spark, with raw tables of the Spark metastore (issue 18).

A throwaway host project (dbt-spark, method: session) adds this repository with ``packages.yml``; a
``dbt run-operation`` of the host loads the generator's files as metastore tables of schema ``shop`` (orders
under another identifier); ``dbt build`` reads them as relations (products from its file: sources mixed) and
must give the same ``kpi_overview`` and ``dim_customer_360`` as the standalone DuckDB build of the same data.
Runs in .venv-spark (``make test-spark``); skipped where pyspark is not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_package_host import run_host_dbt, write_host_project
from dbt_project_runner import run_dbt
from spark_support import SKIP_REASON, SUMMARY, canonical, dbt_lines, spark_table_path

from customer_intelligence.ml.frames import to_pandas

pytest.importorskip("pyspark", reason=SKIP_REASON)

ORDERS = 2000
SEED = 7
HOST_SCHEMA = "analytics"
MARTS = f"{HOST_SCHEMA}_ciq_marts"
RELATION_NAMES = {"customers": "customers", "orders": "shop_orders", "order_lines": "order_lines"}
PACKAGE_VARS = {"raw_schema": "shop", "raw_relations": {"orders": {"identifier": "shop_orders"}, "products": "file"}}

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


def spark_profile(spark_dir: Path) -> dict:
    """The project's Spark output (profiles.yml), with its warehouse and metastore under ``spark_dir``."""
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


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    from customer_intelligence.tools.generate import generate

    root = tmp_path_factory.mktemp("package_spark_data")
    generate(orders=ORDERS, seed=SEED, out_dir=root / "raw", truth_dir=root / "truth", progress=False)
    files = root / "files"  # only products is read from a file
    files.mkdir()
    shutil.copy(root / "raw" / "products.parquet", files / "products.parquet")
    return {"root": root, "raw": root / "raw", "files": files}


@pytest.fixture(scope="module")
def standalone(data):
    build = run_dbt(["build"], data["raw"], data["root"] / "standalone")
    assert build.ok, build.output[-5000:]
    return build


@pytest.fixture(scope="module")
def spark_host(data) -> dict:
    root = data["root"] / "host"
    spark_dir = root / "spark"
    project = write_host_project(root / "project", spark_profile(spark_dir), PACKAGE_VARS,
                                 macros={"load_raw_tables.sql": LOAD_MACRO}, package_dispatch=True)
    env = {"SPARK_LOCAL_IP": "127.0.0.1"}
    deps = run_host_dbt(project, ["deps"], data["files"], env)
    assert deps.returncode == 0, deps.stdout + deps.stderr
    load = run_host_dbt(project, ["run-operation", "load_raw_tables", "--args", f"{{raw_dir: '{data['raw']}'}}"],
                        data["files"], env)
    assert load.returncode == 0, dbt_lines(load.stdout + load.stderr)
    build = run_host_dbt(project, ["build"], data["files"], env)
    assert build.returncode == 0, dbt_lines(build.stdout + build.stderr)
    return {"spark_dir": spark_dir, "build": build}


def test_spark_package_build_is_clean_and_read_the_metastore_tables(spark_host):
    out = spark_host["build"].stdout
    summary = SUMMARY.search(out)
    assert summary, dbt_lines(out)
    assert summary.group(2, 3, 4) == ("0", "0", "0"), dbt_lines(out)
    unquoted = out.replace("`", "")
    assert "raw orders: shop.shop_orders" in unquoted
    assert "raw customers: shop.customers" in unquoted
    assert "products.parquet" in out


@pytest.mark.parametrize("table", ["kpi_overview", "dim_customer_360", "dq_raw_row_accounting"])
def test_spark_package_build_equals_the_standalone_duckdb_build(spark_host, standalone, spark, table):
    path = spark_table_path(spark_host["spark_dir"], MARTS, table)
    assert path.is_dir(), f"the Spark host build wrote no {MARTS}.{table} (looked in {path})"
    on_spark = canonical(to_pandas(spark.read.parquet(str(path))))
    with duckdb.connect(str(standalone.warehouse), read_only=True) as con:  # both sides through frames.to_pandas
        on_duckdb = canonical(to_pandas(con.sql(f"select * from marts.{table}")))
    assert list(on_spark.columns) == list(on_duckdb.columns)
    assert len(on_spark) > 0
    pd.testing.assert_frame_equal(on_spark, on_duckdb, obj=table)
