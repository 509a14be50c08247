"""Each customer rule is defined once: change it in its one place and every consumer follows.

One small build of a copy of the project in which two rules are changed, each in its one place only:
- the frequency bands' bounds, in seed ``frequency_bands.csv`` (1 / 2-4 / 5-9 / 10+ instead of 1 / 2-3 / 4-5 / 6+);
- the repeat-customer threshold, var ``repeat_customer_min_orders`` (3 instead of 2).
Then the marts (dim_customer_360, kpi_overview, agg_customers_by_frequency_band, agg_customers_by_loyalty_tier),
the semantic layer's repeat measure, the dashboard's figures and the insights' findings must all use the new
definitions. The expected labels and counts are recomputed here from each customer's completed orders with
the new rules written out by hand, not read from the code under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_project_runner import PROJECT_DIR, run_dbt

from customer_intelligence.reporting.insights import one_time_buyer_finding, repeat_rate_finding
from dashboard import data as dd

NEW_BANDS_CSV = """frequency_band,sort_order,min_orders,max_orders,description
1 order,1,1,1,Exactly one completed order.
2-4 orders,2,2,4,Two to four completed orders.
5-9 orders,3,5,9,Five to nine completed orders.
10+ orders,4,10,,Ten or more completed orders.
"""
NEW_REPEAT_MIN_ORDERS = 3


# The changed band rule, written out by hand: (label, fewest orders, most orders).
NEW_BANDS = (("1 order", 1, 1), ("2-4 orders", 2, 4), ("5-9 orders", 5, 9), ("10+ orders", 10, 10**9))


def new_band(orders: int) -> str:
    """The band of ``orders`` completed orders under the changed rule."""
    return next(label for label, low, high in NEW_BANDS if low <= orders <= high)


def copy_project(destination: Path) -> Path:
    """The dbt project's files (not the venv, data or outputs) copied to ``destination``."""
    for name in ("models", "macros", "seeds", "tests", "analyses", "docs"):
        shutil.copytree(PROJECT_DIR / name, destination / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, destination / name)
    return destination


@pytest.fixture(scope="module")
def changed_build(tmp_path_factory):
    """The customer marts built with the two rules changed in their one place each."""
    from customer_intelligence.tools.generate import generate

    root = tmp_path_factory.mktemp("one_rule")
    generate(orders=3000, seed=11, out_dir=root / "raw", truth_dir=root / "truth", progress=False)
    project = copy_project(root / "project")
    (project / "seeds" / "frequency_bands.csv").write_text(NEW_BANDS_CSV)
    select = "+kpi_overview +agg_customers_by_frequency_band +agg_customers_by_loyalty_tier"
    build = run_dbt(
        ["build", "--project-dir", str(project), "--select", select,
         "--exclude", "path:models/marts/ml", "test_type:unit",
         "--indirect-selection", "cautious",  # data tests of the selected nodes; unit tests pin the default rules
         "--vars", json.dumps({"repeat_customer_min_orders": NEW_REPEAT_MIN_ORDERS})],
        root / "raw", root / "build",
    )
    assert build.ok, build.output[-5000:]
    return build


@pytest.fixture(scope="module")
def customers(changed_build):
    return changed_build.query(
        "select customer_id, completed_orders, spending_score, frequency_band, is_repeat_customer, loyalty_tier "
        "from marts.dim_customer_360 where is_purchaser"
    )


def test_customer_marts_follow_the_changed_bands_and_threshold(changed_build, customers):
    assert (customers["completed_orders"] >= 10).any() and (customers["completed_orders"].between(4, 5)).any()
    assert (customers["frequency_band"] == customers["completed_orders"].map(new_band)).all()
    assert (customers["is_repeat_customer"] == (customers["completed_orders"] >= NEW_REPEAT_MIN_ORDERS)).all()
    # Periodic tier = a repeat customer below the Loyal tier (8 orders by default, score rule aside):
    two_orders = customers[customers["completed_orders"] == 2]
    assert len(two_orders) and (two_orders["loyalty_tier"] == "One-time").all()
    three_to_seven = customers[customers["completed_orders"].between(3, 7)]
    assert (three_to_seven["loyalty_tier"] == "Periodic").all()

    kpi = changed_build.query("select * from marts.kpi_overview").iloc[0]
    assert kpi["repeat_customer_min_orders"] == NEW_REPEAT_MIN_ORDERS
    assert kpi["repeat_customers"] == (customers["completed_orders"] >= NEW_REPEAT_MIN_ORDERS).sum()

    bands = changed_build.query("select * from marts.agg_customers_by_frequency_band order by sort_order")
    assert list(bands["frequency_band"]) == ["1 order", "2-4 orders", "5-9 orders", "10+ orders"]
    assert list(bands["min_orders"]) == [1, 2, 5, 10]
    want = customers["completed_orders"].map(new_band).value_counts().reindex(bands["frequency_band"], fill_value=0)
    assert list(bands["customers"]) == list(want)
    two_to_four = customers[customers["frequency_band"] == "2-4 orders"]
    got_repeat = bands.set_index("frequency_band").loc["2-4 orders", "repeat_customers"]
    assert got_repeat == (two_to_four["completed_orders"] >= NEW_REPEAT_MIN_ORDERS).sum()


def test_semantic_layer_repeat_measure_reads_the_rule_column():
    spec = yaml.safe_load((PROJECT_DIR / "models/marts/semantic_layer/_semantic_layer__models.yml").read_text())
    measures = {m["name"]: m for model in spec["semantic_models"] for m in model.get("measures", [])}
    expr = measures["repeat_customer_count"]["expr"]
    assert "is_repeat_customer" in expr and "completed_orders" not in expr


def test_dashboard_and_insights_follow(changed_build, customers):
    with duckdb.connect(str(changed_build.warehouse), read_only=True) as con:
        kpis = dd.kpis(con, dd.Filters())
        bands = dd.frequency_bands(con, dd.Filters())
        by_band = dd.by_segment(con, dd.Filters(), "frequency_band")
        marts_bands = con.execute("select * from marts.agg_customers_by_frequency_band order by sort_order").df()
        marts_kpis = con.execute("select * from marts.kpi_overview").df().iloc[0]
    # With no filter the dashboard's period is the whole history: its figures are the marts'.
    assert kpis["repeat_customers"] == (customers["completed_orders"] >= NEW_REPEAT_MIN_ORDERS).sum()
    assert list(bands["segment"]) == ["1 order", "2-4 orders", "5-9 orders", "10+ orders"]
    assert list(bands["customers"]) == list(marts_bands["customers"])
    assert list(bands["repeat_customers"]) == list(marts_bands["repeat_customers"])
    assert set(by_band["segment"]) == set(customers["frequency_band"])

    (one_time,) = one_time_buyer_finding(marts_bands)
    share = (customers["completed_orders"] == 1).mean()
    assert one_time.figures["customer_share"] == pytest.approx(share)
    (repeat,) = repeat_rate_finding(marts_kpis)
    assert f"({int(kpis['repeat_customers']):,} of" in repeat.sentence
