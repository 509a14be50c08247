"""End-to-end scenarios (issue 13): generate a real-shaped export, let the inspector write the config, build
through the config CLI (the `make build` path, docs skipped) and compare the marts with figures computed
independently in pandas from the raw rows under row_rules.md (python_tests/scenario_truth.py).

One build per scenario (about 30-60 s each on an idle machine).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from scenario_truth import BANDS, FileSpec, Truth, compute

from customer_intelligence.tools import inspect as inspector
from customer_intelligence.tools.scenarios import write_scenario

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED = 1

# How each scenario's file is read, stated by hand from the scenario's description (not from the inspector).
SPECS = {
    "cohort": FileSpec({"customer_id": "CustomerID", "order_ts": "Date", "quantity": "Units", "amount": "Amount"},
                       "%Y%m%d"),
    "gift_shop": FileSpec({"order_id": "InvoiceNo", "customer_id": "CustomerID", "order_ts": "InvoiceDate",
                           "product_id": "StockCode", "quantity": "Quantity", "unit_price": "UnitPrice"},
                          "%m/%d/%Y %H:%M"),
    "grocery": FileSpec({"order_id": "ReceiptId", "customer_id": "MemberId", "order_ts": "Timestamp",
                         "product_id": "ProductCode", "quantity": "Qty", "unit_price": "Price"},
                        "%Y-%m-%d %H:%M:%S"),
    "event_log": FileSpec({"customer_id": "CustomerID", "order_ts": "PurchaseDate"}, "%Y-%m-%d"),
}


@dataclass(frozen=True)
class ScenarioBuild:
    """One scenario built through the config CLI."""

    name: str
    raw_dir: Path
    config: Path
    warehouse: Path
    output: str
    returncode: int

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()


def build_scenario(name: str, root: Path) -> ScenarioBuild:
    """Generate, inspect (writing the config, unedited), then build through the CLI into ``root``."""
    raw = write_scenario(name, SEED, root / "raw", root / "truth")
    config = root / "ciq.yml"
    assert inspector.main(["--raw-dir", str(raw), "--write", str(config)]) == 0
    # where this test's outputs go: paths only, no rule or mapping is edited
    with open(config, "a", encoding="utf-8") as handle:
        handle.write(f"warehouse_path: {root / 'warehouse' / 'ciq.duckdb'}\nreports_dir: {root / 'reports'}\n")
    env = dict(os.environ, DBT_TARGET_PATH=str(root / "target"), DBT_LOG_PATH=str(root / "logs"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    env.pop("CIQ_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-m", "customer_intelligence.tools.cli", "build", "--config", str(config), "--skip-docs"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    return ScenarioBuild(name, raw, config, root / "warehouse" / "ciq.duckdb", result.stdout + result.stderr,
                         result.returncode)


def failure_summary(output: str) -> str:
    """The lines of a failed build that say why (errors, failures, refusals), then its last lines."""
    why = [line for line in output.splitlines()
           if any(word in line for word in ("Failure in", "ERROR", "Error", "STOPPED", "CONFIG ERROR", "Got "))]
    return "\n".join(why[:40]) + "\n...\n" + output[-2000:]


@pytest.fixture(scope="module", params=list(SPECS))
def scenario(request, tmp_path_factory) -> tuple[ScenarioBuild, Truth]:
    """Each orders-only scenario built once, with its independent truth."""
    built = build_scenario(request.param, tmp_path_factory.mktemp(request.param))
    assert built.returncode == 0, failure_summary(built.output)
    raw = pd.read_csv(built.raw_dir / "orders.csv", dtype=str, keep_default_na=False)
    return built, compute(raw, SPECS[request.param])


def money(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 2)


def test_kpis_equal_the_independent_figures(scenario):
    built, truth = scenario
    kpis = built.query("select * from marts.kpi_overview").iloc[0]
    assert pd.Timestamp(kpis.as_of_date) == truth.as_of
    for column in ("total_customers", "total_orders", "repeat_customers"):
        assert int(kpis[column]) == truth.kpis[column], column
    assert kpis.repeat_purchase_rate == pytest.approx(truth.kpis["repeat_purchase_rate"])
    for column in ("net_revenue", "average_order_value", "gross_revenue", "returns"):
        assert column in kpis.index, f"kpi_overview has no column {column} (row_rules R6)"
        assert money(kpis[column]) == truth.kpis[column], column


def test_customer_rfm_equal_the_independent_figures(scenario):
    built, truth = scenario
    marts = built.query(
        "select customer_id, recency_days, completed_orders as frequency, net_revenue as monetary "
        "from marts.dim_customer_360 where is_purchaser order by customer_id").set_index("customer_id")
    expected = truth.customers.sort_index()
    assert marts.index.tolist() == expected.index.tolist()
    assert marts["recency_days"].astype(int).tolist() == expected["recency_days"].astype(int).tolist()
    assert marts["frequency"].astype(int).tolist() == expected["frequency"].astype(int).tolist()
    got = marts["monetary"].astype(float).round(2)
    want = expected["monetary"].astype(float).round(2)
    if want.isna().all():
        assert got.isna().all(), "no amounts in the file: monetary must be NULL, not 0 (row_rules R8)"
    else:
        mismatched = (got - want).abs() > 0.005
        assert not mismatched.any(), pd.DataFrame({"mart": got, "truth": want})[mismatched].head(10)


def test_frequency_bands_equal_the_independent_figures(scenario):
    built, truth = scenario
    bands = built.query("select frequency_band, customers, net_revenue from marts.agg_customers_by_frequency_band")
    bands = bands.set_index("frequency_band").reindex(list(BANDS))
    expected = truth.bands.reindex(list(BANDS))
    assert bands["customers"].fillna(0).astype(int).tolist() == expected["customers"].fillna(0).astype(int).tolist()
    if expected["net_revenue"].isna().all():
        assert bands["net_revenue"].isna().all(), "no amounts: band revenue must be NULL (row_rules R8)"
    else:
        got = bands["net_revenue"].fillna(0).astype(float).round(2).tolist()
        assert got == expected["net_revenue"].fillna(0).astype(float).round(2).tolist()


def test_every_raw_row_is_accounted_for(scenario):
    built, truth = scenario
    row = built.query("select * from marts.dq_raw_row_accounting where source_table = 'orders'").iloc[0]
    raw_rows = sum(truth.row_fates.values())
    assert int(row.raw_rows) == raw_rows
    superseded = int(row.superseded_rows) if "superseded_rows" in row.index else 0
    assert int(row.staged_rows) + int(row.rejected_rows) + int(row.duplicate_rows) + superseded == raw_rows
    assert superseded == truth.row_fates.get("superseded", 0)
    assert int(row.staged_rows) == truth.row_fates.get("kept", 0)
    assert int(row.duplicate_rows) == truth.row_fates.get("duplicate", 0)
    assert int(row.rejected_rows) == truth.row_fates.get("rejected", 0)


def test_the_build_output_counts_the_rules_that_touched_rows(scenario):
    """No rule removes a row without a count in the build output: duplicates and rejections are printed."""
    built, truth = scenario
    for fate, word in (("duplicate", "duplicate"), ("rejected", "reject")):
        count = truth.row_fates.get(fate, 0)
        if count:
            pattern = rf"(?<![\d,.]){count:,}(?![\d,.]|\.\d)|(?<![\d,.]){count}(?![\d,.])"
            lines = [line for line in built.output.splitlines()
                     if word in line.lower() and re.search(pattern, line)]
            assert lines, f"no line of the build output counts the {count} {fate} rows"


def test_the_report_states_money_only_with_amounts(scenario):
    """R8: without amounts the findings report has no money cards or findings (never "$0" or "nan%"), and a
    data note says why; R4: order lines kept above the caps get a data note with their number."""
    built, truth = scenario
    report = (built.warehouse.parents[1] / "reports" / "insights.md").read_text()
    assert "nan%" not in report and "$nan" not in report
    if truth.kpis["net_revenue"] is None:
        assert "$" not in report and "The data has no amounts" in report
    else:
        assert "| Net revenue | $" in report and "The data has no amounts" not in report
    outliers = int(built.query("select count(*) as n from marts.fct_order_lines where is_outlier")["n"].iloc[0])
    if outliers:
        assert f"{outliers:,} order line" in report and "flagged `outlier_*`" in report
    else:
        assert "above the caps" not in report


def test_the_dashboard_money_cards_say_when_there_are_no_amounts(scenario, monkeypatch):
    """R8: the overview's money cards show "no amounts in the data" instead of $0 on data without amounts."""
    from streamlit.testing.v1 import AppTest

    built, truth = scenario
    monkeypatch.setenv("CIQ_PUBLISHED_PATH", str(built.warehouse.parent / "published" / "customer_intelligence.duckdb"))
    app = AppTest.from_file(str(PROJECT_DIR / "dashboard" / "app.py"), default_timeout=180)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    shown = {m.label: m.value for m in app.metric}
    assert shown["Customers"] == f"{truth.kpis['total_customers']:,}"
    for label in ("Revenue", "Average order value", "Lifetime value"):
        if truth.kpis["net_revenue"] is None:
            assert shown[label] == "no amounts in the data", label
        else:
            assert shown[label].startswith("$"), label


@pytest.fixture(scope="module")
def default_scenario(tmp_path_factory) -> ScenarioBuild:
    """(e) The default generated data (no dirt), through the inspector's config and the CLI."""
    built = build_scenario("default", tmp_path_factory.mktemp("default"))
    assert built.returncode == 0, failure_summary(built.output)
    return built


def test_default_scenario_equals_the_planted_figures(default_scenario):
    from expected_marts import bands, customer_metrics, default_as_of, kpis
    from planted_truth import clean_table, expected_figures

    built = default_scenario
    truth_dir = built.raw_dir.parent / "truth"
    figures = expected_figures(built.raw_dir, truth_dir)
    as_of = default_as_of(figures["clean_orders"])
    metrics = customer_metrics(figures["clean_orders"], as_of)
    customers = clean_table(built.raw_dir, pd.read_parquet(truth_dir / "dirt_manifest.parquet"), "customers")
    want = kpis(metrics, figures["clean_orders"], customers, as_of)
    got = built.query("select * from marts.kpi_overview").iloc[0]
    for column in ("total_customers", "total_orders", "repeat_customers"):
        assert int(got[column]) == want[column], column
    assert round(float(got.net_revenue), 2) == round(want["net_revenue"], 2)
    marts = built.query("select customer_id, recency_days, completed_orders, net_revenue from marts.dim_customer_360 "
                        "where is_purchaser order by customer_id").set_index("customer_id")
    assert marts["completed_orders"].tolist() == metrics.sort_index()["completed_orders"].tolist()
    assert marts["recency_days"].tolist() == metrics.sort_index()["recency_days"].tolist()
    assert marts["net_revenue"].round(2).tolist() == metrics.sort_index()["net_revenue"].round(2).tolist()
    band_mart = built.query("select frequency_band, customers from marts.agg_customers_by_frequency_band")
    assert band_mart.set_index("frequency_band")["customers"].reindex(list(BANDS), fill_value=0).tolist() == \
        bands(metrics)["customers"].tolist()
