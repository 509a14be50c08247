"""Alerts: the high-value × high-risk rule, and an alert that fires exactly once per crossing.

Pure-function tests on hand-made frames, an end-to-end run on small hand-made warehouse files (a customer
crosses the threshold between two builds, then a rebuild with unchanged data), and a run on the session
build checked against the SQL analysis of the same population.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from customer_intelligence.reporting.alerts import (
    ALERT_COLUMNS,
    flag_high_value_high_risk,
    main,
    new_alerts,
    quintile_score,
    run_alerts,
)


def test_quintile_score_uses_the_rank_rule():
    assert quintile_score(pd.Series([10.0, 20, 30, 40, 50])).tolist() == [1, 2, 3, 4, 5]
    assert quintile_score(pd.Series([float(v) for v in range(1, 11)])).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share a score: rank = 1 + values strictly below
    assert quintile_score(pd.Series([7.0, 7, 7, 7, 1])).tolist() == [2, 2, 2, 2, 1]
    assert quintile_score(pd.Series([1.0, 1, 1, 1, 2])).tolist() == [1, 1, 1, 1, 5]


def customers_frame(rows: list[tuple]) -> pd.DataFrame:
    """(id, tier, monetary_score, predicted_clv_12m) -> the frame the rule reads."""
    frame = pd.DataFrame(rows, columns=["customer_id", "churn_risk_tier", "monetary_score", "predicted_clv_12m"])
    return frame.assign(
        segment="Loyal Regulars",
        churn_probability=frame["churn_risk_tier"].map({"high": 0.9, "medium": 0.5, "low": 0.1}),
        net_revenue=frame["monetary_score"] * 1000.0,
        revenue_at_risk=frame["predicted_clv_12m"] * 0.9,
        recency_days=30,
        last_order_date=pd.Timestamp("2024-12-01"),
        recommended_action="Cross-sell",
        churn_driver_1="no order for 30 days (usual gap 20 days; typical customer 45 days): +12 pts",
        churn_driver_2="1 order in the last horizon (typical 2 orders): +3 pts",
        churn_driver_3=None,
        churn_drivers="no order for 30 days (usual gap 20 days; typical customer 45 days): +12 pts; "
        "1 order in the last horizon (typical 2 orders): +3 pts",
    )


# ten customers: predicted values 1..10, so the top predicted quintile is C09 and C10
TEN = customers_frame(
    [
        ("C01", "high", 5, 1.0),  # high risk, top revenue quintile -> flagged (historical revenue)
        ("C02", "high", 4, 2.0),  # high risk, neither top quintile
        ("C03", "low", 5, 3.0),  # top revenue but low risk
        ("C04", "medium", 5, 4.0),
        ("C05", "high", 3, 5.0),
        ("C06", "high", 2, 6.0),
        ("C07", "high", 1, 7.0),
        ("C08", "high", 4, 8.0),
        ("C09", "high", 2, 9.0),  # high risk, top predicted quintile -> flagged (predicted value)
        ("C10", "high", 5, 10.0),  # both
    ]
)


def test_flag_high_value_high_risk():
    flagged = flag_high_value_high_risk(TEN)
    assert flagged["customer_id"].tolist() == ["C01", "C09", "C10"]
    assert flagged["high_value_basis"].tolist() == [
        "historical revenue",
        "predicted value",
        "historical revenue and predicted value",
    ]


def test_alert_fires_once_per_crossing():
    flagged = flag_high_value_high_risk(TEN)
    first = new_alerts(flagged, set(), "2025-01-01")
    assert list(first.columns) == ALERT_COLUMNS
    assert first["customer_id"].tolist() == ["C10", "C09", "C01"]  # most revenue at risk first
    assert first["alert_id"].tolist() == ["C10-2025-01-01", "C09-2025-01-01", "C01-2025-01-01"]
    assert "top-quintile revenue to date ($5,000)" in first.loc[2, "reason"]
    assert "top-quintile predicted 12-month value ($9)" in first.loc[1, "reason"]
    # rebuilt with unchanged data: the same flagged set, nothing new
    assert new_alerts(flagged, set(flagged["customer_id"]), "2025-01-01").empty
    # C09 was not flagged before: only C09 fires
    assert new_alerts(flagged, {"C01", "C10"}, "2025-01-01")["customer_id"].tolist() == ["C09"]


def write_warehouse(path: Path, customers: pd.DataFrame, as_of_date: str) -> None:
    """A minimal warehouse with the two marts the alerts read."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.register("actions", customers.drop(columns=["monetary_score", "churn_drivers"]))
        con.register("scores", customers[["customer_id", "monetary_score"]].assign(as_of_date=pd.Timestamp(as_of_date)))
        con.execute("create schema marts")
        con.execute("create table marts.ml_customer_actions as select * from actions")
        con.execute("create table marts.dim_customer_360 as select * from scores")


def batch_files(alerts_dir: Path) -> list[str]:
    return sorted(p.name for p in alerts_dir.iterdir() if p.name != "state.json")


def test_end_to_end_on_files_fires_exactly_once(tmp_path):
    warehouse, alerts_dir = tmp_path / "wh.duckdb", tmp_path / "alerts"
    # build 1: C09 is medium risk, so only C01 and C10 are flagged
    before = TEN.assign(churn_risk_tier=TEN["churn_risk_tier"].where(TEN["customer_id"] != "C09", "medium"))
    write_warehouse(warehouse, before, "2025-01-01")
    run = run_alerts(warehouse, alerts_dir)
    assert sorted(run.alerts["customer_id"]) == ["C01", "C10"]
    assert batch_files(alerts_dir) == ["2025-01-01.csv", "2025-01-01.json"]

    # build 2, a week later: C09 crossed into high risk -> one alert, for C09 only
    write_warehouse(warehouse, TEN, "2025-01-08")
    run = run_alerts(warehouse, alerts_dir)
    assert run.alerts["customer_id"].tolist() == ["C09"]
    written = pd.read_csv(alerts_dir / "2025-01-08.csv")
    assert written["customer_id"].tolist() == ["C09"] and list(written.columns) == ALERT_COLUMNS
    payload = json.loads((alerts_dir / "2025-01-08.json").read_text())
    assert payload["alert_count"] == 1 and payload["alerts"][0]["customer_id"] == "C09"
    # the drivers of the action table, joined in rank order (a missing third driver is skipped)
    assert payload["alerts"][0]["churn_drivers"] == TEN["churn_drivers"].iloc[0]

    # rebuild with unchanged data: nothing fires, no new file
    run = run_alerts(warehouse, alerts_dir)
    assert run.alerts.empty and run.files == ()
    assert batch_files(alerts_dir) == ["2025-01-01.csv", "2025-01-01.json", "2025-01-08.csv", "2025-01-08.json"]

    # C09 drops out, then crosses again: a new crossing alerts again, in a second batch of the same date
    write_warehouse(warehouse, before, "2025-01-08")
    assert run_alerts(warehouse, alerts_dir).alerts.empty
    write_warehouse(warehouse, TEN, "2025-01-08")
    run = run_alerts(warehouse, alerts_dir)
    assert run.alerts["customer_id"].tolist() == ["C09"]
    assert [p.name for p in run.files] == ["2025-01-08_2.csv", "2025-01-08_2.json"]


def test_baseline_records_without_alerting(tmp_path):
    warehouse, alerts_dir = tmp_path / "wh.duckdb", tmp_path / "alerts"
    write_warehouse(warehouse, TEN, "2025-01-01")
    assert main(["--database", str(warehouse), "--alerts-dir", str(alerts_dir), "--baseline"]) == 0
    assert batch_files(alerts_dir) == []
    assert run_alerts(warehouse, alerts_dir).alerts.empty


@pytest.fixture(scope="module")
def built_alerts(built, tmp_path_factory):
    """Two alert runs on the session build (a rebuild with unchanged data in between)."""
    alerts_dir = tmp_path_factory.mktemp("alerts")
    return run_alerts(built.warehouse, alerts_dir), run_alerts(built.warehouse, alerts_dir), alerts_dir


def test_alerts_on_a_build_match_the_analysis_and_fire_once(built, built_alerts):
    first, second, alerts_dir = built_alerts
    # the same population as the SQL analysis high_value_customers_at_high_risk, written independently
    expected = built.query(
        """
        with scored as (
            select a.customer_id, a.churn_risk_tier, c.monetary_score,
                   1 + floor(5 * (rank() over (order by a.predicted_clv_12m) - 1) / count(*) over ()) as value_score
            from marts.ml_customer_actions a join marts.dim_customer_360 c using (customer_id)
        )
        select customer_id from scored
        where churn_risk_tier = 'high' and (monetary_score = 5 or value_score = 5)
        """
    )
    assert len(expected) > 0
    assert sorted(first.alerts["customer_id"]) == sorted(expected["customer_id"])
    assert first.alerts["alert_id"].is_unique and first.alerts["reason"].str.len().gt(0).all()
    assert second.alerts.empty and second.files == ()
    assert batch_files(alerts_dir) == [f"{first.as_of_date}.csv", f"{first.as_of_date}.json"]
