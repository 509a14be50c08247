"""Incremental customer grain (issue 15.2): after one appended day, an incremental run of every SQL model
equals a full rebuild on every column of every SQL table, and it recomputes only the customers whose
orders changed.

Starts from the shared full build (``built``) and appends one day to a copy of its raw data with the
benchmark's ``append_day``: new orders, new customers, late orders and completed orders re-sent as
returned. Then every SQL model runs twice, on copies of the same warehouse: incrementally, and with
``--full-refresh``. The Python models are left out of both runs. Their tables are the same on both sides,
so the SQL models that read them get the same inputs.

Before the incremental run, one untouched customer's rows in ``int_customer_months`` get a stale
fingerprint and a wrong amount. The run must see the stale fingerprint and recompute that customer.
Afterwards, a wrong amount without a stale fingerprint must survive a run: untouched customers are not
recomputed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_project_runner import run_dbt

from customer_intelligence.tools.bench import append_day

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON_MODELS = sorted(path.stem for path in (PROJECT_DIR / "models").rglob("*.py"))
INCREMENTAL_CUSTOMER_MODELS = ("int_customer_months", "int_customer_activity_spells")
SCHEMAS = ("marts", "intermediate")
WRONG_AMOUNT = 1_000_000.0


def sql_tables(warehouse: Path) -> list[tuple[str, str]]:
    """(schema, table) of every table and view the SQL models wrote in SCHEMAS."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by 1, 2").fetchall()
    return [(schema, name) for schema, name in rows if name not in PYTHON_MODELS]


def read_sorted(warehouse: Path, schema: str, table: str) -> pd.DataFrame:
    """A whole table, rows sorted by every column (floating-point columns last), with a clean index."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(f'select * from "{schema}"."{table}"').df()
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    keys = [c for c in frame.columns if c not in floats] + floats
    return frame.sort_values(keys, na_position="first", kind="mergesort").reset_index(drop=True)


def untouched_purchaser(warehouse: Path, touched: set[str]) -> str:
    """A customer with several months of completed orders and no order in the appended day."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        candidates = con.execute(
            "select customer_id from intermediate.int_customer_months where completed_orders > 0 "
            "group by customer_id having count(*) >= 3 order by customer_id").fetchall()
    return next(c for (c,) in candidates if c not in touched)


@pytest.fixture(scope="module")
def customer_case(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental_customers")
    raw = root / "raw"
    append_day(built.raw_dir, raw, new_orders=14, status_updates=6, late_orders=3, new_customers=2, seed=11)
    old_orders = len(pd.read_parquet(built.raw_dir / "orders.parquet"))
    new_orders = pd.read_parquet(raw / "orders.parquet").iloc[old_orders:]
    touched = set(new_orders["customer_id"])

    warehouses = {}
    for name in ("incremental", "full"):
        warehouses[name] = root / name / "warehouse.duckdb"
        warehouses[name].parent.mkdir()
        shutil.copyfile(built.warehouse, warehouses[name])
    stale = untouched_purchaser(built.warehouse, touched)
    with duckdb.connect(str(warehouses["incremental"])) as con:
        con.execute("update intermediate.int_customer_months set orders_fingerprint = 0, "
                    f"net_revenue = {WRONG_AMOUNT} where customer_id = ?", [stale])

    exclude = ["--exclude", *PYTHON_MODELS]
    incremental = run_dbt(["run", *exclude], raw, root / "incremental", warehouse=warehouses["incremental"])
    assert incremental.ok, incremental.output[-5000:]
    full = run_dbt(["run", *exclude, "--full-refresh"], raw, root / "full", warehouse=warehouses["full"])
    assert full.ok, full.output[-5000:]
    return {"raw": raw, "root": root, "warehouses": warehouses, "touched": touched, "stale": stale,
            "incremental_build": incremental, "built": built}


def test_incremental_run_equals_full_rebuild_on_every_sql_table(customer_case):
    """Every column of every table and view of the SQL models, incremental against --full-refresh.

    Sums of doubles may differ in the last bits between any two builds (DuckDB adds partial sums in thread
    order), so floating-point columns are compared to a relative 1e-9; every other column exactly."""
    warehouses = customer_case["warehouses"]
    tables = sql_tables(warehouses["full"])
    assert sql_tables(warehouses["incremental"]) == tables
    names = {name for _, name in tables}
    assert {"dim_customer_360", "fct_active_customers_daily", "agg_bi_active_daily", "fct_segment_orders_monthly",
            "fct_cohort_retention", "kpi_overview", *INCREMENTAL_CUSTOMER_MODELS} <= names
    differing = []
    for schema, table in tables:
        incremental = read_sorted(warehouses["incremental"], schema, table)
        full = read_sorted(warehouses["full"], schema, table)
        try:
            pd.testing.assert_frame_equal(incremental, full, check_exact=False, rtol=1e-9, atol=1e-9)
        except AssertionError as error:
            differing.append(f"{schema}.{table}: {str(error)[:400]}")
    assert not differing, "\n".join(differing)
    assert len(tables) >= 40


def test_the_new_day_reached_the_customer_grain(customer_case):
    """The appended day's customers are in the incremental tables (not only carried over)."""
    with duckdb.connect(str(customer_case["warehouses"]["incremental"]), read_only=True) as con:
        months = set(r[0] for r in con.execute(
            "select distinct customer_id from intermediate.int_customer_months").fetchall())
        spells_max = con.execute("select max(active_from) from intermediate.int_customer_activity_spells").fetchone()[0]
    with duckdb.connect(str(customer_case["built"].warehouse), read_only=True) as con:
        before_max = con.execute("select max(active_from) from intermediate.int_customer_activity_spells").fetchone()[0]
    new_customers = {c for c in customer_case["touched"] if c.startswith("CN")}
    assert len(new_customers) == 2 and new_customers <= months
    assert spells_max > before_max


def test_a_stale_fingerprint_makes_the_customer_recomputed(customer_case):
    """The planted row (fingerprint 0, wrong amount) was replaced by the customer's real months."""
    stale = customer_case["stale"]
    with duckdb.connect(str(customer_case["warehouses"]["incremental"]), read_only=True) as con:
        rows = con.execute("select net_revenue, orders_fingerprint from intermediate.int_customer_months "
                           "where customer_id = ?", [stale]).fetchall()
    assert len(rows) >= 3
    assert all(revenue != WRONG_AMOUNT and fingerprint != 0 for revenue, fingerprint in rows)


def test_an_untouched_customer_is_not_recomputed(customer_case, tmp_path):
    """A wrong amount under a current fingerprint survives a run: the run did not recompute that customer,
    while a customer whose orders change in the raw files is recomputed."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(customer_case["warehouses"]["incremental"], warehouse)
    stale = customer_case["stale"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update intermediate.int_customer_months set net_revenue = {WRONG_AMOUNT} where customer_id = ?",
                    [stale])
        before = con.execute("select count(*) from intermediate.int_customer_months").fetchone()[0]
    result = run_dbt(["run", "--select", "int_customer_order_fingerprints", *INCREMENTAL_CUSTOMER_MODELS],
                     customer_case["raw"], tmp_path, warehouse=warehouse)
    assert result.ok, result.output[-3000:]
    assert "Full rebuild of" not in result.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        revenues = [r[0] for r in con.execute(
            "select net_revenue from intermediate.int_customer_months where customer_id = ?", [stale]).fetchall()]
        after = con.execute("select count(*) from intermediate.int_customer_months").fetchone()[0]
    assert revenues and all(np.isclose(r, WRONG_AMOUNT) for r in revenues)
    assert after == before


def test_the_customer_models_ran_incrementally(customer_case):
    """The compiled SQL of the incremental run computes only the customers the table does not hold, and a
    pre-hook deleted the stale ones first."""
    build = customer_case["incremental_build"]
    for model in INCREMENTAL_CUSTOMER_MODELS:
        compiled = next(build.target_dir.glob(f"compiled/**/{model}.sql")).read_text().lower()
        assert f'"intermediate"."{model}" as loaded' in compiled, model
        run_sql = next(build.target_dir.glob(f"run/**/{model}.sql")).read_text().lower()
        assert "insert into" in run_sql, model
    assert "Full rebuild of" not in build.output


def test_a_customer_table_with_other_columns_is_rebuilt_in_full(customer_case, tmp_path):
    """A customer-grain table built by an older version of the project (a column less) is rebuilt in full,
    and the build output says why."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(customer_case["warehouses"]["incremental"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table intermediate.int_customer_activity_spells drop column order_days")
    result = run_dbt(["run", "--select", "int_customer_activity_spells"], customer_case["raw"], tmp_path,
                     warehouse=warehouse)
    assert result.ok, result.output[-3000:]
    assert ("Full rebuild of int_customer_activity_spells: int_customer_activity_spells in the warehouse has other "
            "columns than the model (missing: order_days; not in the model: none)") in result.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'int_customer_activity_spells'").fetchall()]
    assert "order_days" in columns
