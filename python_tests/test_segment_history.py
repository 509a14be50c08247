"""Segment history and migrations (issue 15.4).

The pure parts (month-end dates of the backfill, the "who moved" finding) on hand-made inputs; then,
on a copy of the shared build's warehouse, the backfill of the last two month-ends before the
as-of date, its final run made with ``--full-refresh``: the history must keep every recorded date,
its figures must match the order facts, and the migrations must add up to the customers present at
both dates of each period (checked against a pandas crosstab of the history).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pandas as pd
import pytest
from dbt_project_runner import run_dbt

from customer_intelligence.reporting.insights import segment_downgrade_finding
from customer_intelligence.tools.backfill_segment_history import (
    HISTORY_SELECTOR,
    MIGRATIONS,
    backfill_as_of_dates,
    next_month,
    order_date_range,
    run_backfill,
)

D = dt.date


def test_next_month():
    assert next_month(D(2024, 1, 31)) == D(2024, 2, 1)
    assert next_month(D(2024, 12, 5)) == D(2025, 1, 1)


def test_backfill_dates_are_the_days_after_each_month_end_before_the_current_as_of_date():
    # orders from 2024-01-17, current as-of date 2024-04-10: month-ends Jan, Feb, Mar
    assert backfill_as_of_dates(D(2024, 1, 17), D(2024, 4, 10)) == [D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1)]
    # the current as-of date itself is the final run's, not a backfill date
    assert backfill_as_of_dates(D(2024, 1, 17), D(2024, 4, 1)) == [D(2024, 2, 1), D(2024, 3, 1)]
    assert backfill_as_of_dates(D(2024, 1, 17), D(2024, 4, 10), start=D(2024, 3, 1)) == [D(2024, 4, 1)]
    assert backfill_as_of_dates(D(2024, 1, 17), D(2024, 4, 10), end=D(2024, 1, 1)) == [D(2024, 2, 1)]


def _migrations(rows: list[tuple]) -> pd.DataFrame:
    columns = ["from_date", "to_date", "segment_type", "from_segment", "to_segment", "is_downgrade", "customers",
               "net_revenue"]
    return pd.DataFrame(rows, columns=columns)


def test_the_who_moved_finding_names_the_latest_largest_downgrade():
    jan, feb, mar = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")
    frame = _migrations([
        (jan, feb, "customer_status", "Active", "Churned", True, 50, 9000.0),  # older period: ignored
        (feb, mar, "rfm_segment", "Champions", "Champions", False, 5, 5000.0),
        (feb, mar, "rfm_segment", "Loyal Customers", "At Risk", True, 3, 900.0),
        (feb, mar, "rfm_segment", "Champions", "Loyal Customers", True, 2, 1000.0),
        (feb, mar, "rfm_segment", "At Risk", "Champions", False, 1, 100.0),
        (feb, mar, "customer_status", "Active", "Active", False, 7, 6200.0),
        (feb, mar, "customer_status", "Active", "At Risk", True, 4, 800.0),
        (feb, mar, "loyalty_tier", "Loyal", "Periodic", True, 9, 1.0),  # not a considered segment type
    ])
    [finding] = segment_downgrade_finding(frame)
    assert finding.key == "segment_downgrade" and finding.category == "threats"
    assert finding.sentence == ("4 Active customers moved to At Risk between 2024-02-01 and 2024-03-01; "
                                "they brought $800 to date.")
    assert finding.importance == pytest.approx(4 / 11)  # 5 + 3 + 2 + 1 customers present at both dates


def test_no_finding_without_a_downgrade_or_a_period():
    feb, mar = pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")
    assert segment_downgrade_finding(_migrations([])) == []
    assert segment_downgrade_finding(_migrations([(feb, mar, "rfm_segment", "Promising", "Champions", False, 3,
                                                   9.0)])) == []


# --------------------------------------------------------------------------------------------------
# On the shared build: backfill two month-ends, the final run with --full-refresh.
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history_case(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("segment_history")
    warehouse = root / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(built.warehouse, warehouse)
    first, current = order_date_range(warehouse)
    dates = backfill_as_of_dates(first, current)[-2:]
    runs = []

    def invoke(args: list[str]) -> bool:
        final = "--vars" not in args
        result = run_dbt([*args, *(["--full-refresh"] if final else [])], built.raw_dir, root / f"run{len(runs)}",
                         warehouse=warehouse)
        runs.append(result)
        return result.ok

    run_backfill(dates, invoke, log=lambda _: None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute("select * from marts.fct_customer_segment_history").df()
        migrations = con.execute("select * from marts.agg_segment_migrations").df()
        orders = con.execute("select customer_id, order_date, is_completed, net_revenue from marts.fct_orders").df()
        marts_as_of = con.execute("select distinct as_of_date from marts.dim_customer_360").fetchall()
    return {"dates": dates, "current": current, "runs": runs, "history": history, "migrations": migrations,
            "orders": orders, "marts_as_of": marts_as_of}


def test_the_backfill_ran_once_per_month_end_and_once_more(history_case):
    assert len(history_case["dates"]) == 2
    assert [r.ok for r in history_case["runs"]] == [True, True, True], history_case["runs"][-1].output[-3000:]
    assert "--full-refresh" in history_case["runs"][-1].result.args
    assert json.dumps({"as_of_date": history_case["dates"][0].isoformat()}) in history_case["runs"][0].result.args
    assert HISTORY_SELECTOR in history_case["runs"][0].result.args
    assert MIGRATIONS in history_case["runs"][-1].result.args


def test_history_survives_a_full_refresh(history_case):
    recorded = sorted(pd.to_datetime(history_case["history"]["as_of_date"]).dt.date.unique())
    assert recorded == [*history_case["dates"], history_case["current"]]
    # the customer marts are back at the current as-of date
    assert [pd.Timestamp(d).date() for (d,) in history_case["marts_as_of"]] == [history_case["current"]]


def test_history_figures_match_the_order_facts_at_each_date(history_case):
    history, orders = history_case["history"], history_case["orders"]
    for as_of in [*history_case["dates"], history_case["current"]]:
        done = orders[orders["is_completed"] & (pd.to_datetime(orders["order_date"]).dt.date < as_of)]
        expected = done.groupby("customer_id").agg(completed_orders=("order_date", "size"),
                                                   net_revenue=("net_revenue", "sum"))
        got = history[pd.to_datetime(history["as_of_date"]).dt.date == as_of].set_index("customer_id")
        assert sorted(got.index) == sorted(expected.index), as_of
        assert (got["completed_orders"] == expected.loc[got.index, "completed_orders"]).all(), as_of
        assert got["net_revenue"].to_numpy() == pytest.approx(expected.loc[got.index, "net_revenue"].to_numpy()), as_of


def test_migrations_add_up_to_the_customers_present_at_both_dates(history_case):
    history, migrations = history_case["history"], history_case["migrations"]
    history = history.assign(as_of_date=pd.to_datetime(history["as_of_date"]).dt.date)
    migrations = migrations.assign(from_date=pd.to_datetime(migrations["from_date"]).dt.date,
                                   to_date=pd.to_datetime(migrations["to_date"]).dt.date)
    dates = [*history_case["dates"], history_case["current"]]
    assert sorted(set(zip(migrations["from_date"], migrations["to_date"], strict=True))) == list(
        zip(dates[:-1], dates[1:], strict=True))
    for before_date, after_date in zip(dates[:-1], dates[1:], strict=True):
        before = history[history["as_of_date"] == before_date].set_index("customer_id")
        after = history[history["as_of_date"] == after_date].set_index("customer_id")
        both = before.index.intersection(after.index)
        assert len(both) > 0
        period = migrations[migrations["to_date"] == after_date]
        for segment_type in ("rfm_segment", "loyalty_tier", "customer_status", "spending_quadrant"):
            mine = period[period["segment_type"] == segment_type]
            assert mine["customers"].sum() == len(both), (after_date, segment_type)
            crosstab = (pd.DataFrame({"from": before.loc[both, segment_type], "to": after.loc[both, segment_type]})
                        .value_counts().to_dict())
            assert dict(zip(zip(mine["from_segment"], mine["to_segment"], strict=True), mine["customers"],
                            strict=True)) == crosstab, (after_date, segment_type)
        moved = period[period["is_migration"]]
        assert (moved["from_segment"] != moved["to_segment"]).all()
