"""Predicted 12-month customer value (CLV) and its held-back check.

Method (``method = "decayed_rate_x_aov"``)
------------------------------------------
``predicted_clv_12m = 365 x expected_daily_order_rate x expected_order_value`` where, at ``as_of``:

* **Order rate**: an exponentially time-weighted order rate with Gamma-Poisson shrinkage. Each completed
  order before ``as_of`` has weight ``w = exp(-age_days / TAU_DAYS)`` (``TAU_DAYS = 180``), so recent
  behaviour counts most and a lapsed customer's rate decays. The customer's weighted exposure is
  ``e = TAU_DAYS x (1 - exp(-T / TAU_DAYS))`` with ``T`` the days since the first completed order. The
  rate is the posterior mean ``(x + m x PRIOR_DAYS) / (e + PRIOR_DAYS)`` with ``x`` the summed weights,
  ``m`` the population rate ``sum(x) / sum(e)`` and ``PRIOR_DAYS = 90`` the prior's weight in days of
  exposure: short histories are pulled towards the population rate, long ones keep their own.
* **Order value**: the customer's AOV shrunk to the population AOV with ``PRIOR_ORDERS = 2`` pseudo
  orders: ``(n x aov + PRIOR_ORDERS x aov_pop) / (n + PRIOR_ORDERS)``.

This is a transparent heuristic rather than BG/NBD: it assumes the weighted recent rate continues for a
year and does not model a separate "dead" state; the decay plays that role.

Held-back check (:func:`clv_holdout_metrics`): predict at ``cutoff = as_of - holdout_days`` from data
before the cutoff (the prediction scaled to the holdout length), and compare with what each of those
customers actually spent (completed net revenue) in ``[cutoff, as_of)``. ``holdout_days`` is 365 when
the history allows at least :data:`MIN_TRAIN_DAYS` (180) before the cutoff, otherwise the history minus
180 days (at least 60 days; below that the metrics are NaN with a note).

Outputs
-------
``customer_clv`` (one row per customer with a completed order before ``as_of``, sorted by id):

======================  ==============  ===========================================================
customer_id             str
as_of_date              datetime64[us]
historical_ltv          float64         completed net revenue to date
orders_count            int64           completed orders to date
aov                     float64         historical average order value
expected_orders_12m     float64         365 x shrunk decayed order rate
expected_order_value    float64         shrunk AOV
predicted_clv_12m       float64         expected_orders_12m x expected_order_value (rounded to cents)
last_order_date         datetime64[us]
======================  ==============  ===========================================================

``clv_metrics`` (one row):

======================  ==============  ===========================================================
method                  str             ``decayed_rate_x_aov``
as_of_date              datetime64[us]
holdout_start_date      datetime64[us]  the held-back cutoff (NaT if not computable)
holdout_end_date        datetime64[us]  ``as_of``
holdout_days            int64           0 if not computable
customers               int64           customers scored at the cutoff
pearson_r               float64         correlation of predicted and actual held-back spend
spearman_r              float64         rank correlation
predicted_total         float64         sum of predictions over the holdout
actual_total            float64         sum of actual held-back spend
total_ratio             float64         predicted_total / actual_total
mae                     float64         mean absolute error per customer
top_decile_capture      float64         share of actual spend from the 10% highest predictions
note                    str             why metrics are missing, or ""
======================  ==============  ===========================================================
"""

from __future__ import annotations

import datetime as _dt
import logging

import numpy as np
import pandas as pd

from customer_intelligence.features import (
    DATE_DTYPE,
    NAT_DAY,
    OrderArrays,
    aggregate_period,
    day_to_timestamp,
    prepare_orders,
    resolve_as_of,
)

__all__ = [
    "METHOD",
    "MIN_TRAIN_DAYS",
    "PRIOR_DAYS",
    "PRIOR_ORDERS",
    "TAU_DAYS",
    "clv_holdout_metrics",
    "clv_table",
    "predict_clv",
]

log = logging.getLogger(__name__)

METHOD = "decayed_rate_x_aov"
TAU_DAYS: float = 180.0
PRIOR_DAYS: float = 90.0
PRIOR_ORDERS: float = 2.0
MIN_TRAIN_DAYS: int = 180
MIN_HOLDOUT_DAYS: int = 60


def predict_clv(prep: OrderArrays, as_of_day: int, days_ahead: float = 365.0) -> pd.DataFrame:
    """Per-customer prediction at ``as_of_day`` from prepared orders (only data before it is read).

    Returns a frame with ``code`` (customer code), ``customer_id``, ``historical_ltv``, ``orders_count``,
    ``aov``, ``expected_orders`` (over ``days_ahead``), ``expected_order_value``, ``predicted_value`` and
    ``last_day``, one row per customer with a completed order before ``as_of_day``.
    """
    agg = aggregate_period(prep, as_of_day)
    codes = np.flatnonzero(agg.count > 0)
    hi = int(np.searchsorted(prep.day, as_of_day, side="left"))  # orders are sorted by day
    age = (as_of_day - prep.day[:hi]).astype(np.float64)
    w = np.exp(-age / TAU_DAYS)
    x_all = np.bincount(prep.code[:hi], weights=w, minlength=prep.n_customers)
    x = x_all[codes]
    n = agg.count[codes].astype(np.float64)
    net = agg.net[codes]
    T = (as_of_day - agg.first_day[codes]).astype(np.float64)
    e = TAU_DAYS * (1.0 - np.exp(-T / TAU_DAYS))
    m = x.sum() / e.sum() if e.sum() > 0 else 0.0
    rate = (x + m * PRIOR_DAYS) / (e + PRIOR_DAYS)
    aov = net / n
    aov_pop = net.sum() / n.sum() if n.sum() > 0 else 0.0
    aov_shrunk = (n * aov + PRIOR_ORDERS * aov_pop) / (n + PRIOR_ORDERS)
    expected_orders = rate * days_ahead
    return pd.DataFrame(
        {
            "code": codes,
            "customer_id": pd.array(prep.customer_ids[codes], dtype="str"),
            "historical_ltv": net,
            "orders_count": n.astype(np.int64),
            "aov": aov,
            "expected_orders": expected_orders,
            "expected_order_value": aov_shrunk,
            "predicted_value": expected_orders * aov_shrunk,
            "last_day": agg.last_day[codes],
        }
    )


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def clv_holdout_metrics(prep: OrderArrays, as_of_day: int, holdout_days: int | None = None) -> dict:
    """Held-back check of :func:`predict_clv` (see the module docstring); returns one metrics row."""
    history = as_of_day - prep.min_day if prep.min_day != NAT_DAY else 0
    if holdout_days is None:
        holdout_days = int(min(365, history - MIN_TRAIN_DAYS))
    row: dict = {
        "method": METHOD,
        "as_of_date": day_to_timestamp(as_of_day),
        "holdout_start_date": pd.NaT,
        "holdout_end_date": day_to_timestamp(as_of_day),
        "holdout_days": 0,
        "customers": 0,
        "pearson_r": float("nan"),
        "spearman_r": float("nan"),
        "predicted_total": float("nan"),
        "actual_total": float("nan"),
        "total_ratio": float("nan"),
        "mae": float("nan"),
        "top_decile_capture": float("nan"),
        "note": "",
    }
    if holdout_days < MIN_HOLDOUT_DAYS:
        row["note"] = (
            f"history of {history} days is too short for a held-back period "
            f"({MIN_TRAIN_DAYS} + {MIN_HOLDOUT_DAYS} days needed)"
        )
        log.warning("clv: %s", row["note"])
        return row
    cutoff = as_of_day - holdout_days
    pred = predict_clv(prep, cutoff, days_ahead=float(holdout_days))
    actual_all = aggregate_period(prep, as_of_day, cutoff).net
    actual = actual_all[pred["code"].to_numpy()]
    p = pred["predicted_value"].to_numpy()
    row.update(
        holdout_start_date=day_to_timestamp(cutoff),
        holdout_days=int(holdout_days),
        customers=len(p),
        pearson_r=_corr(p, actual),
        spearman_r=_corr(pd.Series(p).rank().to_numpy(), pd.Series(actual).rank().to_numpy()),
        predicted_total=float(np.round(p.sum(), 2)),
        actual_total=float(np.round(actual.sum(), 2)),
        mae=float(np.abs(p - actual).mean()) if len(p) else float("nan"),
    )
    row["total_ratio"] = row["predicted_total"] / row["actual_total"] if row["actual_total"] > 0 else float("nan")
    if len(p) and actual.sum() > 0:
        top = np.argsort(-p, kind="stable")[: int(np.ceil(0.1 * len(p)))]
        row["top_decile_capture"] = float(actual[top].sum() / actual.sum())
    return row


def clv_table(
    orders: pd.DataFrame,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    holdout_days: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entry point for the dbt model: ``(customer_clv, clv_metrics)`` at ``as_of`` (see module docstring)."""
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    pred = predict_clv(prep, A, 365.0)
    customer_clv = pd.DataFrame(
        {
            "customer_id": pred["customer_id"],
            "as_of_date": np.full(len(pred), np.datetime64(day_to_timestamp(A))).astype(DATE_DTYPE),
            "historical_ltv": pred["historical_ltv"].astype(np.float64),
            "orders_count": pred["orders_count"].astype(np.int64),
            "aov": pred["aov"].astype(np.float64),
            "expected_orders_12m": pred["expected_orders"].astype(np.float64),
            "expected_order_value": pred["expected_order_value"].astype(np.float64),
            "predicted_clv_12m": np.round(pred["predicted_value"].to_numpy(dtype=np.float64), 2),
            "last_order_date": day_to_timestamp(pred["last_day"].to_numpy()),
        }
    )
    m = clv_holdout_metrics(prep, A, holdout_days)
    metrics = pd.DataFrame([m])
    for c in ("as_of_date", "holdout_start_date", "holdout_end_date"):
        metrics[c] = pd.to_datetime(metrics[c]).astype(DATE_DTYPE)
    for c in ("holdout_days", "customers"):
        metrics[c] = metrics[c].astype(np.int64)
    for c in (
        "pearson_r",
        "spearman_r",
        "predicted_total",
        "actual_total",
        "total_ratio",
        "mae",
        "top_decile_capture",
    ):
        metrics[c] = metrics[c].astype(np.float64)
    for c in ("method", "note"):
        metrics[c] = metrics[c].astype("str")
    return customer_clv, metrics
