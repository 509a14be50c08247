"""The same project on Apache Spark: one small generated dataset built on DuckDB and on Spark (dbt-spark,
method: session), every table compared, the key figures compared, and Spark's figures checked against an
independent pandas recomputation from the raw files. Runs in .venv-spark (`make test-spark`).

Size: CIQ_SPARK_TEST_ORDERS orders (default 5,000): Spark's cost is per model, not per row, at this size.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from dbt_project_runner import PROJECT_DIR, Build, run_dbt
from planted_truth import expected_figures
from spark_support import (
    RELATION_NAMES,
    SKIP_REASON,
    SUMMARY,
    canonical,
    dbt_lines,
    spark_build_env,
    spark_schema,
    spark_table_path,
)

from customer_intelligence.ml.frames import to_arrow, to_pandas

pytest.importorskip("pyspark", reason=SKIP_REASON)


@pytest.fixture(scope="module")
def builds(spark_builds) -> dict:
    """The standalone DuckDB build and the Spark build (as a package) of the same data (conftest.py)."""
    return spark_builds


def duckdb_tables(build: Build) -> list[tuple[str, str]]:
    """Every table (not view) the DuckDB build wrote, as (schema, table)."""
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        return con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()


def python_model_tables(build: Build) -> set[tuple[str, str]]:
    """(schema, table) of the Python models and of the SQL models built on them (ml_alert_history ...):
    dbt-spark runs Python models on Databricks only, so Spark skips them and disables their dependants."""
    manifest = json.loads((build.target_dir / "manifest.json").read_text())
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    skipped = {uid for uid, node in models.items() if node.get("language") == "python"}
    grew = True
    while grew:
        dependants = {uid for uid, node in models.items() if set(node["depends_on"]["nodes"]) & skipped}
        grew = not dependants <= skipped
        skipped |= dependants
    return {(models[uid]["schema"], models[uid]["alias"]) for uid in skipped}


@pytest.fixture(scope="module")
def read_both(builds, spark):
    """read_both(schema, table): the table from each build, (DuckDB, Spark), through frames.to_pandas."""
    cache: dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame]] = {}

    def read(schema: str, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        if (schema, table) not in cache:
            with duckdb.connect(str(builds["duckdb"].warehouse), read_only=True) as con:
                from_duckdb = to_pandas(con.sql(f"select * from {schema}.{table}"))
            path = spark_table_path(builds["spark_dir"], spark_schema(schema), table)
            assert path.is_dir(), f"the Spark build wrote no table {schema}.{table} (looked in {path})"
            cache[(schema, table)] = (from_duckdb, to_pandas(spark.read.parquet(str(path))))
        return cache[(schema, table)]

    return read


def comparable(value):
    """A figure as compared: floats to 6 decimals (summation order differs between engines), NaN as None."""
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    return value


def key_figures(read, tables: set[tuple[str, str]]) -> dict:
    """The figures a reader of the marts looks at first, computed the same way from either engine's tables."""
    orders = read("marts", "fct_orders")
    completed = orders[orders["is_completed"]]
    per_customer = completed.groupby("customer_id").size()
    figures = {
        "customers": len(read("marts", "dim_customers")),
        "orders": len(orders),
        "completed_orders": len(completed),
        "net_revenue": round(float(orders["net_revenue"].sum()), 2),
        "repeat_purchase_rate": comparable(float((per_customer >= 2).mean())),
        "rejected_rows": read("marts", "dq_raw_row_accounting").set_index("source_table")["rejected_rows"].to_dict(),
    }
    if ("marts", "dim_customer_360") in tables:
        purchasers = read("marts", "dim_customer_360").query("is_purchaser")
        figures["frequency_band_counts"] = purchasers["frequency_band"].value_counts().sort_index().to_dict()
        figures["rfm_score_distribution"] = purchasers["rfm_code"].value_counts().sort_index().to_dict()
        figures["rfm_segment_counts"] = purchasers["rfm_segment"].value_counts().sort_index().to_dict()
    if ("marts", "kpi_overview") in tables:
        kpis = read("marts", "kpi_overview").iloc[0].to_dict()
        figures["kpi_overview"] = {k: comparable(v) for k, v in kpis.items()}
    return figures


def test_spark_build_is_clean(builds):
    summary = SUMMARY.search(builds["spark_output"])
    assert summary, dbt_lines(builds["spark_output"])
    passed, warned, errored, skipped = map(int, summary.groups())
    assert (warned, errored, skipped) == (0, 0, 0), dbt_lines(builds["spark_output"])
    assert passed > 50


def test_the_standalone_spark_target_selects_the_models_the_package_build_built(builds, tmp_path):
    """The Spark build above runs as a package (one Spark build for CI time); the standalone Spark target
    (`make spark-build`, CIQ_TARGET=spark) must enable exactly the same models: `dbt ls` resolves the
    project's configs for that target without starting Spark."""
    listed = run_dbt(["ls", "--resource-type", "model", "--output", "name", "--quiet"], builds["duckdb"].raw_dir,
                     tmp_path / "ls", extra_env=spark_build_env(tmp_path / "spark"))
    assert listed.ok, dbt_lines(listed.output)
    standalone = set(listed.result.stdout.split())
    results = json.loads((builds["spark_project"] / "target" / "run_results.json").read_text())
    built = {r["unique_id"].split(".")[-1] for r in results["results"]
             if r["unique_id"].startswith("model.customer_intelligence.") and r["status"] == "success"}
    assert standalone == built
    assert {"fct_orders", "dim_customer_360", "kpi_overview"} <= built


def test_every_table_is_identical_on_both_engines(builds, read_both):
    """Every SQL-built table (seeds, base tables, marts): same columns, same rows. Marts have enforced
    contracts, so their dtypes must be equal too; elsewhere an integer may be 32-bit on one engine
    (Spark's row_number() is an int) and 64-bit on the other."""
    skipped = python_model_tables(builds["duckdb"])
    compared = []
    for schema, table in duckdb_tables(builds["duckdb"]):
        if (schema, table) in skipped or schema == "dbt_meta":  # dbt_meta: each build's own invocation id
            continue
        if (schema, table) == ("staging", "base_raw__load_log"):  # each build's own load events and times
            continue
        if schema == "ml_registry":  # written by the Python models, which Spark skips (python_model_tables)
            continue
        from_duckdb, from_spark = read_both(schema, table)
        assert list(from_spark.columns) == list(from_duckdb.columns), f"{schema}.{table}"
        on_spark, on_duckdb = canonical(as_read_from_files(from_spark)), canonical(from_duckdb)
        if FINGERPRINT in on_duckdb.columns:
            on_spark, on_duckdb = without_fingerprints(on_spark, on_duckdb, f"{schema}.{table}")
        pd.testing.assert_frame_equal(on_spark, on_duckdb, check_dtype=schema == "marts", obj=f"{schema}.{table}")
        compared.append(f"{schema}.{table}")
    assert {"marts.fct_orders", "marts.fct_order_lines", "marts.dim_customers"} <= set(compared)


FINGERPRINT = "orders_fingerprint"


def without_fingerprints(on_spark: pd.DataFrame, on_duckdb: pd.DataFrame, name: str) -> tuple:
    """Both tables without ``orders_fingerprint``, after checking that it tells the same rows apart on both.

    The fingerprint is a row-set hash (macro ``row_set_fingerprint``): DuckDB's ``hash()`` on one engine and
    Spark's ``xxhash64()`` on the other, so its values are engine-specific by design; what the incremental build
    relies on is only which rows share a value. The rows are aligned on every other column (canonical order,
    ignoring the fingerprint), then the pairs (DuckDB value, Spark value) must be a one-to-one mapping."""
    rest = [column for column in on_duckdb.columns if column != FINGERPRINT]
    on_spark = on_spark.sort_values(rest, na_position="first", kind="stable").reset_index(drop=True)
    on_duckdb = on_duckdb.sort_values(rest, na_position="first", kind="stable").reset_index(drop=True)
    assert not on_duckdb.duplicated(rest).any(), f"{name}: rows are not told apart by the other columns"
    pairs = pd.DataFrame({"duckdb": on_duckdb[FINGERPRINT].to_numpy(), "spark": on_spark[FINGERPRINT].to_numpy()})
    assert pairs["duckdb"].notna().all() and pairs["spark"].notna().all(), name
    distinct = pairs.drop_duplicates()
    assert len(distinct) == pairs["duckdb"].nunique() == pairs["spark"].nunique(), (
        f"{name}: the fingerprints group rows differently on the two engines")
    return on_spark.drop(columns=FINGERPRINT), on_duckdb.drop(columns=FINGERPRINT)


def as_read_from_files(frame: pd.DataFrame) -> pd.DataFrame:
    """A Spark table with its row lineage as if every raw table had been read from its file: the Spark build
    reads orders, customers and order lines from metastore tables, so their rows' ``_raw_file`` names the
    relation (``shop.shop_orders``) where the standalone DuckDB build names the file (``orders.parquet``)."""
    if "_raw_file" not in frame.columns:
        return frame
    files = {f"shop.{name}": f"{table}.parquet" for table, name in RELATION_NAMES.items()}
    return frame.assign(_raw_file=frame["_raw_file"].replace(files))


def test_the_spark_load_log_lists_the_file_it_read(read_both):
    """The load log of the Spark build: one 'loaded' event, for products, the one table read from its file
    (the metastore tables are not files); the DuckDB build logs its four files."""
    from_duckdb, from_spark = read_both("staging", "base_raw__load_log")
    assert sorted(from_duckdb["file_name"]) == ["customers.parquet", "order_lines.parquet", "orders.parquet",
                                                "products.parquet"]
    assert from_spark[["source_table", "file_name", "status"]].values.tolist() == [
        ["products", "products.parquet", "loaded"]]
    assert from_spark["size_bytes"].tolist() == from_duckdb.query("source_table == 'products'")["size_bytes"].tolist()


def test_key_figures_are_equal(builds, read_both):
    tables = set(duckdb_tables(builds["duckdb"]))
    on_duckdb = key_figures(lambda schema, table: read_both(schema, table)[0], tables)
    on_spark = key_figures(lambda schema, table: read_both(schema, table)[1], tables)
    assert on_spark == on_duckdb
    assert on_spark["orders"] > 0 and on_spark["net_revenue"] > 0


def test_spark_figures_equal_an_independent_recomputation(read_both, spark_data):
    """Not only equal to DuckDB: equal to pandas straight from the raw files (planted_truth)."""
    expected = expected_figures(spark_data["raw"], spark_data["truth"])
    orders = read_both("marts", "fct_orders")[1]
    assert len(orders) == expected["orders"]
    assert len(read_both("marts", "dim_customers")[1]) == expected["customers"]
    assert int(orders["is_completed"].sum()) == expected["completed_orders"]
    assert round(float(orders["net_revenue"].sum()), 2) == round(expected["net_revenue"], 2)


def python_models(build: Build) -> dict[str, dict]:
    """The Python models of the DuckDB build's manifest: name -> manifest node."""
    manifest = json.loads((build.target_dir / "manifest.json").read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("language") == "python"
    }


class SparkRefs:
    """Stands in for dbt inside a Python model: ref() gives a Spark DataFrame of the DuckDB build's table,
    as dbt-spark would hand the model on Databricks; config.get() gives the model's configured values."""

    def __init__(self, build: Build, spark, node: dict):
        manifest = json.loads((build.target_dir / "manifest.json").read_text())
        # models and seeds (segment_definitions, segment_catalog): what a Python model may ref
        models = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
        self.relations = {n["name"]: f"{n['schema']}.{n['alias']}" for n in models}
        self.build, self.spark, self.node = build, spark, node
        self.config = self.Config(node["config"])
        # dbt.this: the model's own relation (the ML models read its schema to place the model registry)
        self.this = SimpleNamespace(database=node["database"], schema=node["schema"], identifier=node["alias"])

    class Config:
        def __init__(self, values: dict):
            self.values = values

        def __call__(self, **kwargs) -> None:
            """dbt.config(materialized=...) inside the model: nothing to do here."""

        def get(self, key: str, default=None):
            return self.values.get(key, default)

    def ref(self, name: str):
        with duckdb.connect(str(self.build.warehouse), read_only=True) as con:
            table = to_arrow(con.sql(f"select * from {self.relations[name]}"))
        return self.spark.createDataFrame(table)


def load_model_function(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


def test_python_models_give_the_same_tables_from_spark_inputs(builds, spark):
    """Every Python model file, run unchanged with Spark DataFrames as its dbt.ref() inputs (what dbt-spark
    gives it on Databricks) and a SparkSession as its session, returns a Spark DataFrame equal to the table
    the DuckDB build wrote: the frames edge makes the models engine-agnostic."""
    models = python_models(builds["duckdb"])
    assert len(models) >= 5
    for name, node in sorted(models.items()):
        model = load_model_function(PROJECT_DIR / node["original_file_path"])
        result = model(SparkRefs(builds["duckdb"], spark, node), spark)
        assert hasattr(result, "sparkSession"), f"{name} returned {type(result).__qualname__}, not a Spark DataFrame"
        with duckdb.connect(str(builds["duckdb"].warehouse), read_only=True) as con:
            expected = to_pandas(con.sql(f"select * from {node['schema']}.{node['alias']}"))
        pd.testing.assert_frame_equal(canonical(to_pandas(result)), canonical(expected), obj=name)
