"""End to end: the customer marts equal an independent pandas recomputation from the raw generated files.

The expected figures come from the raw files minus the dirt the generator recorded
(planted_truth.expected_figures) and the documented rules re-implemented in pandas
(expected_marts); nothing is copied from the warehouse.
"""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest
from dbt_project_runner import PROJECT_DIR, run_dbt
from expected_marts import bands, customer_metrics, default_as_of, kpis
from planted_truth import clean_table, expected_figures

MART_KPIS = "select * from marts.kpi_overview"
BACK_DATED_AS_OF = "2023-07-01"


@pytest.fixture(scope="module")
def clean(generated_data) -> dict:
    """Clean orders (with net amounts) and clean customers of the generated data."""
    figures = expected_figures(generated_data["raw"], generated_data["truth"])
    manifest = pd.read_parquet(generated_data["truth"] / "dirt_manifest.parquet")
    customers = clean_table(generated_data["raw"], manifest, "customers")
    return {"orders": figures["clean_orders"], "customers": customers}


@pytest.fixture(scope="module")
def expected(clean) -> dict:
    as_of = default_as_of(clean["orders"])
    metrics = customer_metrics(clean["orders"], as_of)
    return {"as_of": as_of, "metrics": metrics, "kpis": kpis(metrics, clean["orders"], clean["customers"], as_of)}


def assert_kpis_equal(got: pd.Series, want: dict) -> None:
    for name, value in want.items():
        if isinstance(value, int):
            assert int(got[name]) == value, name
        else:
            assert got[name] == pytest.approx(value, rel=1e-9), name


def test_kpis_equal_independent_recomputation(built, expected):
    got = built.query(MART_KPIS).iloc[0]
    assert pd.Timestamp(got["as_of_date"]) == expected["as_of"]
    assert_kpis_equal(got, expected["kpis"])
    assert got["repeat_rate_target"] == pytest.approx(0.40)
    # the planted personas give every kind of customer: the rates are neither 0 nor 1
    assert 0 < got["at_risk_rate"] < 1 and 0 < got["churn_rate"] < 1


def test_frequency_bands_equal_independent_recomputation(built, expected):
    got = built.query("select frequency_band, customers, net_revenue from marts.agg_customers_by_frequency_band")
    got = got.set_index("frequency_band").sort_index()
    want = bands(expected["metrics"]).sort_index()
    assert got["customers"].tolist() == want["customers"].tolist()
    assert got["net_revenue"].tolist() == pytest.approx(want["net_revenue"].tolist(), rel=1e-9)
    assert got["customers"].sum() == expected["kpis"]["total_customers"]


def test_rfm_per_customer_equals_independent_recomputation(built, expected):
    got = built.query(
        "select customer_id, recency_days, completed_orders, net_revenue, recency_score, frequency_score, "
        "monetary_score, spending_score, frequency_band from marts.dim_customer_360 where is_purchaser"
    ).set_index("customer_id")
    want = expected["metrics"]
    assert set(got.index) == set(want.index)
    got = got.loc[want.index]
    columns = ["recency_days", "completed_orders", "recency_score", "frequency_score", "monetary_score",
               "spending_score"]
    for column in columns:
        mismatched = (got[column].astype("int64") != want[column].astype("int64")).sum()
        assert mismatched == 0, column
    assert (got["net_revenue"] == want["net_revenue"]).all()
    assert (got["frequency_band"] == want["frequency_band"]).all()
    # the rank-based tie rule really meets ties: one-order customers share one frequency score
    assert got.loc[got["completed_orders"] == 1, "frequency_score"].nunique() == 1


def test_rfm_segments_follow_the_seed_grid(built, expected):
    with open(PROJECT_DIR / "seeds" / "rfm_segments.csv", newline="") as handle:
        grid = {(int(row["r_score"]), int(row["f_score"])): row["rfm_segment"] for row in csv.DictReader(handle)}
    assert len(grid) == 25
    got = built.query("select customer_id, rfm_segment from marts.dim_customer_360 where is_purchaser")
    want = expected["metrics"].apply(lambda row: grid[(row["recency_score"], row["frequency_score"])], axis=1)
    assert (got.set_index("customer_id")["rfm_segment"].loc[want.index] == want).all()


def test_planted_vip_persona_is_the_vip_loyalty_tier(built, generated_data):
    """The generator's VIP persona (20-40 orders, top spend) is what the VIP tier rule finds."""
    personas = pd.read_parquet(generated_data["truth"] / "personas.parquet").set_index("customer_id")["persona"]
    tiers = built.query("select customer_id, loyalty_tier from marts.dim_customer_360 where is_purchaser")
    tiers = tiers.set_index("customer_id")["loyalty_tier"]
    vip_persona = set(personas[personas == "vip"].index)
    vip_tier = set(tiers[tiers == "VIP"].index)
    assert len(vip_tier & vip_persona) >= 0.9 * len(vip_persona)
    assert len(vip_tier - vip_persona) <= 0.1 * len(vip_tier)
    one_time = personas[personas == "one_time"].index.intersection(tiers.index)
    assert (tiers.loc[one_time] == "One-time").all()


def test_back_dated_as_of_reproduces_history(built, clean, tmp_path_factory):
    """A run with an earlier as-of date ignores later orders: the KPIs equal the recomputation at that date."""
    workdir = tmp_path_factory.mktemp("back_dated")
    warehouse = workdir / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    run = run_dbt(
        ["run", "--select", "int_as_of_date+", "--vars", f"{{as_of_date: '{BACK_DATED_AS_OF}'}}"],
        built.raw_dir,
        workdir,
        warehouse=warehouse,
    )
    assert run.ok, run.output[-4000:]
    as_of = pd.Timestamp(BACK_DATED_AS_OF)
    metrics = customer_metrics(clean["orders"], as_of)
    got = run.query(MART_KPIS).iloc[0]
    assert pd.Timestamp(got["as_of_date"]) == as_of
    assert_kpis_equal(got, kpis(metrics, clean["orders"], clean["customers"], as_of))
    last_day = run.scalar("select max(date_day) from marts.fct_active_customers_daily")
    assert last_day == (as_of - pd.Timedelta(days=1)).date()


def test_customer_marts_hold_no_pii(built):
    columns = set(built.query("select column_name from information_schema.columns where table_schema = 'marts'")[
        "column_name"
    ])
    assert not columns & {"customer_name", "email", "email_hash"}
