"""Alerts for high-value customers who newly crossed into high churn risk (seed 004's "automated alerts").

After each build, ``python -m customer_intelligence.reporting.alerts`` writes the customers who are **high value and at
high churn risk now, but were not at the previous alert run**, to ``reports/alerts/<as_of_date>.csv`` and
``.json`` (one row per customer: reason, recommended action, figures, the churn drivers), ready for a CRM
import.

Definitions
-----------
* **High churn risk**: ``churn_risk_tier = 'high'`` in ``ml_customer_actions`` (churn probability >= 0.7,
  see ``ml_customer_churn_scores``).
* **High value**: in the top quintile of *historical net revenue* (``monetary_score = 5`` in
  ``dim_customer_360``, the RFM M score) **or** of *predicted 12-month value* (``predicted_clv_12m``, scored
  with the same rank-based quintile rule, :func:`quintile_score`). Either basis is enough; the row says which
  (``high_value_basis``).
* The **flagged set** of a build is every customer meeting both (:func:`flag_high_value_high_risk`); the
  ``high_value_customers_at_high_risk`` analysis lists the same set in SQL.

"Fires exactly once": the state file
------------------------------------
The flagged set of the last alert run is kept in ``reports/alerts/state.json`` (customer ids, as-of date).
A run alerts ``flagged now - flagged at the last run`` (:func:`new_alerts`), writes the batch, then replaces
the state with the current flagged set (written to a temporary file and renamed, so it is never half
written). Hence:

* a customer alerts once when they cross into the set, and not again on a rebuild with unchanged data (or
  any later build in which they stay in the set);
* a customer who leaves the set (risk fell, or value fell) and crosses into it again later alerts again:
  that is a new crossing;
* the first run (no state file) alerts every currently flagged customer, since none was alerted before;
  ``--baseline`` records the current set without alerting.

Why a state file rather than a diff against the previously *published* warehouse: a publication can be
refused (red build) or the alert step re-run, and a diff against the same old publication would then fire
the same alerts again; the state file advances only when a batch has been written. `make build` stops before
this step when `dbt build` fails, so a red build never advances the state. If the process dies between
writing the batch and the state, the next run repeats that batch once; ``alert_id`` (customer id + as-of
date) lets the CRM de-duplicate it.

Files
-----
A batch is written only when there are new alerts: ``<as_of_date>.csv`` and ``<as_of_date>.json``, or
``<as_of_date>_2.csv`` ... when a batch for that date exists already (a rebuild on the same data date that
flagged someone new). CSV columns: :data:`ALERT_COLUMNS`. The JSON holds the same rows under ``alerts``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

__all__ = [
    "ALERT_COLUMNS",
    "AlertRun",
    "CUSTOMER_RISK_SQL",
    "flag_high_value_high_risk",
    "load_customer_risk",
    "new_alerts",
    "quintile_score",
    "run_alerts",
]

HIGH_RISK_TIER = "high"
TOP_QUINTILE = 5
STATE_FILE = "state.json"

#: One row per purchasing customer: churn risk and value (ml_customer_actions) with the RFM monetary score.
CUSTOMER_RISK_SQL = """
select
    actions.customer_id,
    actions.segment,
    actions.churn_probability,
    actions.churn_risk_tier,
    actions.net_revenue,
    customers.monetary_score,
    actions.predicted_clv_12m,
    actions.revenue_at_risk,
    actions.recency_days,
    cast(actions.last_order_date as date) as last_order_date,
    actions.recommended_action,
    concat_ws('; ', actions.churn_driver_1, actions.churn_driver_2, actions.churn_driver_3) as churn_drivers,
    customers.as_of_date
from marts.ml_customer_actions as actions
inner join marts.dim_customer_360 as customers
    on actions.customer_id = customers.customer_id
order by actions.customer_id
"""

ALERT_COLUMNS: list[str] = [
    "alert_id",
    "as_of_date",
    "customer_id",
    "reason",
    "recommended_action",
    "segment",
    "high_value_basis",
    "churn_probability",
    "churn_risk_tier",
    "net_revenue",
    "predicted_clv_12m",
    "revenue_at_risk",
    "recency_days",
    "last_order_date",
    "churn_drivers",
]


def quintile_score(values: pd.Series) -> pd.Series:
    """Quintile score 1-5 of each value, ``1 + floor(5 * (rank - 1) / n)``, rank = 1 + values strictly below.

    The same rank-based tie rule as the RFM scores of the marts: equal values get the same score, 5 = top.
    """
    n = len(values)
    if n == 0:
        return pd.Series([], dtype="int64", index=values.index)
    below = values.rank(method="min").to_numpy(dtype=np.float64) - 1
    return pd.Series(1 + (TOP_QUINTILE * below.astype(np.int64)) // n, index=values.index, dtype="int64")


def flag_high_value_high_risk(customers: pd.DataFrame) -> pd.DataFrame:
    """The customers at high churn risk who are high value, with ``high_value_basis``; sorted by customer_id.

    ``customers``: one row per purchasing customer with ``customer_id``, ``churn_risk_tier``,
    ``monetary_score`` and ``predicted_clv_12m`` (and any other columns, carried through). The predicted-value
    quintile is computed over all rows given, so pass the whole population, not a subset.
    """
    value_score = quintile_score(customers["predicted_clv_12m"].astype("float64"))
    by_revenue = customers["monetary_score"].fillna(0).astype("int64") == TOP_QUINTILE
    by_prediction = value_score == TOP_QUINTILE
    high_risk = customers["churn_risk_tier"].astype("str") == HIGH_RISK_TIER
    flagged = customers.assign(predicted_value_score=value_score)[high_risk & (by_revenue | by_prediction)].copy()
    basis = np.where(
        by_revenue[flagged.index] & by_prediction[flagged.index],
        "historical revenue and predicted value",
        np.where(by_revenue[flagged.index], "historical revenue", "predicted value"),
    )
    flagged["high_value_basis"] = basis
    return flagged.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


def _money(value: float) -> str:
    """Whole dollars with thousands separators."""
    return f"${value:,.0f}"


def alert_reason(row: pd.Series) -> str:
    """Why the customer is alerted, with the figures."""
    parts = [f"churn risk now high ({row['churn_probability']:.0%})"]
    basis = row["high_value_basis"]
    if "historical revenue" in basis:
        parts.append(f"top-quintile revenue to date ({_money(row['net_revenue'])})")
    if "predicted value" in basis:
        parts.append(f"top-quintile predicted 12-month value ({_money(row['predicted_clv_12m'])})")
    return "High-value customer at high churn risk: " + "; ".join(parts)


def new_alerts(flagged: pd.DataFrame, previously_flagged: set[str], as_of_date: str) -> pd.DataFrame:
    """Alert rows (:data:`ALERT_COLUMNS`) for the flagged customers not in ``previously_flagged``.

    Most revenue at risk first (ties by customer_id). ``flagged`` comes from :func:`flag_high_value_high_risk`.
    """
    fresh = flagged[~flagged["customer_id"].astype("str").isin(previously_flagged)].copy()
    fresh["as_of_date"] = as_of_date
    fresh["alert_id"] = fresh["customer_id"].astype("str") + "-" + as_of_date
    fresh["reason"] = [alert_reason(row) for _, row in fresh.iterrows()] if len(fresh) else []
    fresh["last_order_date"] = pd.to_datetime(fresh["last_order_date"]).dt.strftime("%Y-%m-%d")
    for column in ("net_revenue", "predicted_clv_12m", "revenue_at_risk"):
        fresh[column] = fresh[column].astype("float64").round(2)
    fresh["churn_probability"] = fresh["churn_probability"].astype("float64").round(4)
    fresh = fresh.sort_values(["revenue_at_risk", "customer_id"], ascending=[False, True], kind="mergesort")
    return fresh[ALERT_COLUMNS].reset_index(drop=True)


def load_customer_risk(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The per-customer risk and value frame (:data:`CUSTOMER_RISK_SQL`) from a warehouse connection."""
    return con.execute(CUSTOMER_RISK_SQL).df()


def read_state(alerts_dir: Path) -> dict | None:
    """The state of the last alert run, or None before the first run."""
    path = alerts_dir / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half written)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _batch_stem(alerts_dir: Path, as_of_date: str) -> str:
    """``<as_of_date>``, or ``<as_of_date>_<n>`` when a batch of that date exists."""
    stem, n = as_of_date, 1
    while (alerts_dir / f"{stem}.csv").exists() or (alerts_dir / f"{stem}.json").exists():
        n += 1
        stem = f"{as_of_date}_{n}"
    return stem


@dataclass(frozen=True)
class AlertRun:
    """What one alert run found and wrote."""

    as_of_date: str
    flagged: int
    alerts: pd.DataFrame
    files: tuple[Path, ...]


def run_alerts(database: Path, alerts_dir: Path, baseline: bool = False) -> AlertRun:
    """Read the marts (read-only), write the batch of new alerts, then advance the state. See the module doc."""
    with duckdb.connect(str(database), read_only=True) as con:
        customers = load_customer_risk(con)
    as_of_date = str(pd.Timestamp(customers["as_of_date"].iloc[0]).date()) if len(customers) else ""
    flagged = flag_high_value_high_risk(customers)
    state = read_state(alerts_dir)
    previously = set() if state is None else set(state["flagged_customer_ids"])
    alerts = new_alerts(flagged, previously, as_of_date)
    if baseline:
        alerts = alerts.iloc[0:0]
    alerts_dir.mkdir(parents=True, exist_ok=True)
    files: tuple[Path, ...] = ()
    if len(alerts):
        stem = _batch_stem(alerts_dir, as_of_date)
        csv_path, json_path = alerts_dir / f"{stem}.csv", alerts_dir / f"{stem}.json"
        _write_atomically(csv_path, alerts.to_csv(index=False))
        payload = {
            "as_of_date": as_of_date,
            "alert_count": len(alerts),
            "definition": "high value (top quintile of revenue to date or of predicted 12-month value) and "
            "newly at high churn risk (churn_risk_tier = high) since the previous alert run",
            "alerts": json.loads(alerts.to_json(orient="records")),
        }
        _write_atomically(json_path, json.dumps(payload, indent=2))
        files = (csv_path, json_path)
    new_state = {
        "as_of_date": as_of_date,
        "flagged_customer_ids": sorted(flagged["customer_id"].astype("str")),
        "last_batch": files[0].name if files else (state or {}).get("last_batch"),
    }
    _write_atomically(alerts_dir / STATE_FILE, json.dumps(new_state, indent=1))
    return AlertRun(as_of_date, len(flagged), alerts, files)


def default_database(env: dict[str, str] | None = None) -> Path:
    """The warehouse to read: CIQ_INSIGHTS_DATABASE, else CIQ_WAREHOUSE_PATH (as the build writes it)."""
    env = dict(os.environ if env is None else env)
    return Path(env.get("CIQ_INSIGHTS_DATABASE") or env.get("CIQ_WAREHOUSE_PATH")
                or "warehouse/customer_intelligence.duckdb")


def default_reports_dir(env: dict[str, str] | None = None) -> Path:
    """Where reports go: CIQ_REPORTS_DIR, default ``reports``."""
    env = dict(os.environ if env is None else env)
    return Path(env.get("CIQ_REPORTS_DIR") or "reports")


def main(argv: list[str] | None = None) -> int:
    """CLI: write the new alerts of this build and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=default_database(), help="warehouse or published file")
    parser.add_argument("--alerts-dir", type=Path, default=default_reports_dir() / "alerts")
    parser.add_argument("--baseline", action="store_true", help="record the current flagged set without alerting")
    args = parser.parse_args(argv)
    if not args.database.exists():
        print(f"no warehouse at {args.database}: run `dbt build` first", file=sys.stderr)
        return 1
    run = run_alerts(args.database, args.alerts_dir, baseline=args.baseline)
    if run.files:
        print(f"alerts:    {len(run.alerts):,} new high-value customers at high churn risk "
              f"(of {run.flagged:,} flagged) -> {run.files[0]} (+ .json)")
    else:
        print(f"alerts:    no new alert ({run.flagged:,} flagged, all alerted before)"
              + (" [baseline recorded]" if args.baseline else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
