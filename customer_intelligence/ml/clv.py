"""Predicted 12-month customer value (CLV) and its held-back check.

Candidates and choice
---------------------
Four candidates (:data:`CANDIDATES`): ``bgnbd_gamma_gamma`` (:func:`predict_bgnbd`: BG/NBD expected
purchases x Gamma-Gamma spend per purchase, :mod:`customer_intelligence.ml.btyd`), ``mbgnbd_gamma_gamma``
(the same with MBG/NBD, in which a customer can also leave right after the first purchase, so one-time
buyers are not certainly alive), the heuristic ``decayed_rate_x_aov`` below, and ``naive_rate_x_aov``
(:func:`predict_naive`). Each predicts at the start of a validation period and of the last held-back
period of the same length (:func:`holdout_plan`). The method that scores the customers is chosen on the
validation period by error and ranking together (:func:`choose_method`, :data:`SELECTION_CRITERION`):
the smallest sum of its rank by MAE and its rank by Spearman correlation, ties to the lower MAE. MAE
alone rewards a method that predicts everyone near the mean; Spearman alone ignores the level, which
the value totals need. Every candidate is reported on the held-back period, where nothing was chosen. Without amounts
(every ``net_revenue`` null) the value columns are NaN and the candidates are compared on completed orders.

Heuristic (``method = "decayed_rate_x_aov"``)
---------------------------------------------
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

Kept fit
--------
:func:`clv_fit` also returns the fit as JSON-ready data (the chosen method, the BG/NBD or MBG/NBD and the
Gamma-Gamma parameters at ``as_of``, the horizon); :func:`clv_score` scores a later day with it and
fits nothing (the model registry's cadence, :mod:`customer_intelligence.ml.model_runs`).

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

``customer_clv`` also carries ``clv_method`` (the chosen candidate), ``p_alive`` (probability of being
active, from the chosen purchase model, BG/NBD when the heuristic or the naive rate is chosen) and
``expected_purchases_horizon`` (that model's purchases within the churn horizon); NaN when BG/NBD is
not identifiable (fewer than 50 customers or no repeat purchase).

``clv_metrics`` (one row per candidate and period, :data:`CLV_METRIC_COLUMNS`; held-back rows first, the
chosen method first): ``method``, ``chosen``, ``period`` (``validation`` / ``held_back``), the period's
dates and length, ``metric_basis`` (``net_revenue`` or ``completed_orders``), ``customers``,
``pearson_r``, ``spearman_r``, ``predicted_total``, ``actual_total``, ``total_ratio`` (predicted /
actual), ``mae`` (per customer), ``top_decile_capture`` (share of actual spend from the 10% highest
predictions), ``selection_criterion`` and ``note`` (why metrics are missing or the choice was a default).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from typing import Any

import numpy as np
import pandas as pd

from customer_intelligence.ml.btyd import BgNbdParams, GammaGammaParams, KeptParams, btyd_scores
from customer_intelligence.ml.features import (
    DATE_DTYPE,
    NAT_DAY,
    OrderArrays,
    aggregate_period,
    day_to_timestamp,
    has_amounts,
    prepare_orders,
    resolve_as_of,
    window_counts,
)

__all__ = [
    "METHOD",
    "MIN_TRAIN_DAYS",
    "PRIOR_DAYS",
    "PRIOR_ORDERS",
    "TAU_DAYS",
    "clv_fit",
    "clv_holdout_metrics",
    "clv_score",
    "clv_table",
    "predict_clv",
]

log = logging.getLogger(__name__)

METHOD = "decayed_rate_x_aov"
BGNBD = "bgnbd_gamma_gamma"
MBGNBD = "mbgnbd_gamma_gamma"
NAIVE = "naive_rate_x_aov"
#: The candidates, in tie-break order.
CANDIDATES: tuple[str, ...] = (BGNBD, MBGNBD, METHOD, NAIVE)
#: The purchase-model variant (:mod:`customer_intelligence.ml.btyd`) of each BTYD candidate.
BTYD_VARIANTS: dict[str, str] = {BGNBD: "bgnbd", MBGNBD: "mbgnbd"}
#: Used when no validation period fits before the held-back one.
DEFAULT_METHOD = BGNBD
SELECTION_CRITERION = (
    "smallest rank by MAE + rank by Spearman on the validation period (the period before the held-back one); "
    "ties: lower MAE"
)
NAIVE_MIN_EXPOSURE_DAYS: float = 30.0
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


def predict_naive(prep: OrderArrays, as_of_day: int, days_ahead: float = 365.0) -> pd.DataFrame:
    """Naive baseline: historical order rate x historical AOV.

    ``rate = orders / max(days since the first order, NAIVE_MIN_EXPOSURE_DAYS)``; the value is
    ``rate x days_ahead x aov``. Columns as :func:`predict_clv`'s ``code``, ``expected_orders``,
    ``expected_order_value``, ``predicted_value``.
    """
    agg = aggregate_period(prep, as_of_day)
    codes = np.flatnonzero(agg.count > 0)
    n = agg.count[codes].astype(np.float64)
    exposure = np.maximum((as_of_day - agg.first_day[codes]).astype(np.float64), NAIVE_MIN_EXPOSURE_DAYS)
    aov = agg.net[codes] / n
    expected = n / exposure * days_ahead
    return pd.DataFrame(
        {"code": codes, "expected_orders": expected, "expected_order_value": aov, "predicted_value": expected * aov}
    )


def predict_bgnbd(
    prep: OrderArrays,
    as_of_day: int,
    days_ahead: float = 365.0,
    horizon_days: float = 90.0,
    with_spend: bool = True,
    random_state: int = 42,
    variant: str = "bgnbd",
) -> pd.DataFrame | None:
    """BG/NBD (or MBG/NBD, ``variant``) purchases x Gamma-Gamma spend per purchase
    (:mod:`customer_intelligence.ml.btyd`).

    Fitted on the completed orders before ``as_of_day``; columns ``code``, ``expected_orders`` (over
    ``days_ahead``), ``expected_order_value``, ``predicted_value``, ``p_alive`` and
    ``expected_purchases_horizon`` (over ``horizon_days``). ``None`` when the fit is not identifiable
    (fewer than two customers or no repeat purchase).
    """
    return _bgnbd_prediction(prep, as_of_day, days_ahead, horizon_days, with_spend, random_state, variant)[0]


def _bgnbd_prediction(
    prep: OrderArrays,
    as_of_day: int,
    days_ahead: float,
    horizon_days: float,
    with_spend: bool,
    random_state: int = 42,
    variant: str = "bgnbd",
    kept: KeptParams | None = None,
) -> tuple[pd.DataFrame | None, KeptParams]:
    """:func:`predict_bgnbd` and the parameters it scored with; with ``kept`` (parameters an earlier
    call returned) nothing is fitted."""
    hi = int(np.searchsorted(prep.day, as_of_day, side="left"))
    scores, params, gg = btyd_scores(
        prep.code[:hi],
        prep.day[:hi],
        prep.net[:hi],
        as_of_day,
        prep.n_customers,
        {"ahead": days_ahead, "horizon": horizon_days},
        with_spend=with_spend,
        random_state=random_state,
        variant=variant,
        kept=kept,
    )
    if params is None:
        return None, (None, None)
    value = scores["expected_ahead"] * scores["expected_spend"]
    frame = pd.DataFrame(
        {
            "code": scores["code"].to_numpy(),
            "expected_orders": scores["expected_ahead"].to_numpy(),
            "expected_order_value": scores["expected_spend"].to_numpy(),
            "predicted_value": value.to_numpy(),
            "p_alive": scores["p_alive"].to_numpy(),
            "expected_purchases_horizon": scores["expected_horizon"].to_numpy(),
        }
    )
    return frame, (params, gg)


def candidate_predictions(
    prep: OrderArrays, as_of_day: int, days_ahead: float, with_spend: bool, random_state: int = 42
) -> dict[str, pd.DataFrame | None]:
    """Every candidate's prediction at ``as_of_day`` (``None`` for a candidate that cannot fit)."""
    heuristic = predict_clv(prep, as_of_day, days_ahead)
    btyd = {
        m: predict_bgnbd(prep, as_of_day, days_ahead, with_spend=with_spend, random_state=random_state, variant=v)
        for m, v in BTYD_VARIANTS.items()
    }
    return {
        **btyd,
        METHOD: heuristic[["code", "expected_orders", "expected_order_value", "predicted_value"]],
        NAIVE: predict_naive(prep, as_of_day, days_ahead),
    }


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def evaluate_prediction(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Pearson, Spearman, totals, total ratio, MAE and top-decile capture of a held-back prediction."""
    p, a = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    out = {
        "customers": len(p),
        "pearson_r": _corr(p, a),
        "spearman_r": _corr(pd.Series(p).rank().to_numpy(), pd.Series(a).rank().to_numpy()),
        "predicted_total": float(np.round(p.sum(), 2)),
        "actual_total": float(np.round(a.sum(), 2)),
        "mae": float(np.abs(p - a).mean()) if len(p) else float("nan"),
        "top_decile_capture": float("nan"),
    }
    out["total_ratio"] = out["predicted_total"] / out["actual_total"] if out["actual_total"] > 0 else float("nan")
    if len(p) and a.sum() > 0:
        top = np.argsort(-p, kind="stable")[: int(np.ceil(0.1 * len(p)))]
        out["top_decile_capture"] = float(a[top].sum() / a.sum())
    return out


def holdout_plan(history_days: int, holdout_days: int | None = None) -> tuple[int, bool]:
    """``(holdout_days, has_validation)``: the length of the held-back period and whether an earlier
    validation period of the same length fits before it (both need :data:`MIN_TRAIN_DAYS` of history
    before their cutoff). Default length: 365 days, shortened to what the history allows; a held-back
    period shorter than :data:`MIN_HOLDOUT_DAYS` means no metrics."""
    if holdout_days is not None:
        return int(holdout_days), history_days - 2 * int(holdout_days) >= MIN_TRAIN_DAYS
    two = min(365, (history_days - MIN_TRAIN_DAYS) // 2)
    if two >= MIN_HOLDOUT_DAYS:
        return int(two), True
    return int(min(365, history_days - MIN_TRAIN_DAYS)), False


def _period_rows(
    prep: OrderArrays, cutoff: int, days: int, period: str, with_spend: bool, random_state: int
) -> list[dict]:
    """One metrics row per candidate for the period ``[cutoff, cutoff + days)``, predicted at ``cutoff``."""
    preds = candidate_predictions(prep, cutoff, float(days), with_spend, random_state)
    end = cutoff + days
    if with_spend:
        actual_all = aggregate_period(prep, end, cutoff).net
    else:
        actual_all = window_counts(prep, end, cutoff)[0].astype(np.float64)
    rows = []
    for method, pred in preds.items():
        row = {"method": method, "period": period, "holdout_start_date": day_to_timestamp(cutoff)}
        row.update(holdout_end_date=day_to_timestamp(end), holdout_days=int(days))
        if pred is None:
            row.update(evaluate_prediction(np.empty(0), np.empty(0)), note="not identifiable: no repeat purchase")
        else:
            column = "predicted_value" if with_spend else "expected_orders"
            actual = actual_all[pred["code"].to_numpy()]
            row.update(evaluate_prediction(pred[column].to_numpy(), actual), note="")
        rows.append(row)
    return rows


def choose_method(validation_rows: list[dict]) -> str:
    """:data:`SELECTION_CRITERION`: the smallest sum of ranks by validation MAE (lowest first) and by
    validation Spearman (highest first); ties go to the lower MAE, then to the candidate order.

    A candidate without a finite MAE is not eligible; a NaN Spearman (e.g. constant predictions) ranks
    last. Ranks are competition ranks on values rounded to 9 digits (equal values share a rank).
    """
    rows = {r["method"]: r for r in validation_rows if r["method"] in CANDIDATES and np.isfinite(r["mae"])}
    if not rows:
        return DEFAULT_METHOD
    maes = {m: round(float(r["mae"]), 9) for m, r in rows.items()}
    rhos = {m: round(float(r["spearman_r"]), 9) if np.isfinite(r["spearman_r"]) else -np.inf for m, r in rows.items()}

    def rank(values: dict[str, float], m: str, better) -> int:
        return 1 + sum(better(v, values[m]) for v in values.values())

    key = {
        m: (rank(maes, m, lambda v, w: v < w) + rank(rhos, m, lambda v, w: v > w), maes[m], CANDIDATES.index(m))
        for m in rows
    }
    return min(rows, key=key.__getitem__)


def clv_holdout_metrics(
    prep: OrderArrays,
    as_of_day: int,
    holdout_days: int | None = None,
    with_spend: bool = True,
    random_state: int = 42,
    method: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Every candidate on the validation and the held-back period; returns ``(metrics, chosen method)``.

    The method is chosen on the validation period (:func:`choose_method`; ``method`` forces one), then
    every candidate is reported on the held-back period ``[as_of - holdout, as_of)``. Without room for a
    validation period the default (:data:`DEFAULT_METHOD`) is used and the note says so.
    """
    history = as_of_day - prep.min_day if prep.min_day != NAT_DAY else 0
    days, has_validation = holdout_plan(history, holdout_days)
    basis = "net_revenue" if with_spend else "completed_orders"
    if days < MIN_HOLDOUT_DAYS:
        note = (
            f"history of {history} days is too short for a held-back period "
            f"({MIN_TRAIN_DAYS} + {MIN_HOLDOUT_DAYS} days needed)"
        )
        log.warning("clv: %s", note)
        chosen = method or DEFAULT_METHOD
        rows = [
            {
                "method": m,
                "period": "held_back",
                "holdout_start_date": pd.NaT,
                "holdout_end_date": pd.NaT,
                "holdout_days": 0,
                **evaluate_prediction(np.empty(0), np.empty(0)),
                "note": note,
            }
            for m in CANDIDATES
        ]
        for r in rows:
            r["holdout_end_date"] = day_to_timestamp(as_of_day)
    else:
        rows = _period_rows(prep, as_of_day - days, days, "held_back", with_spend, random_state)
        validation = []
        if has_validation:
            validation = _period_rows(prep, as_of_day - 2 * days, days, "validation", with_spend, random_state)
        chosen = method or (choose_method(validation) if validation else DEFAULT_METHOD)
        if not validation and method is None:
            for r in rows:
                r["note"] = (r["note"] + "; " if r["note"] else "") + (
                    f"no room for a validation period before the held-back one: {DEFAULT_METHOD} used by default"
                )
        rows += validation
    metrics = pd.DataFrame(rows)
    metrics.insert(1, "chosen", metrics["method"] == chosen)
    metrics["as_of_date"] = day_to_timestamp(as_of_day)
    metrics["metric_basis"] = basis
    metrics["selection_criterion"] = SELECTION_CRITERION if method is None else f"forced: {method}"
    return _ordered(metrics), chosen


def _ordered(metrics: pd.DataFrame) -> pd.DataFrame:
    """Held-back rows first, the chosen method first in each period, then the candidate order."""
    keys = pd.DataFrame(
        {
            "p": metrics["period"].map({"held_back": 0, "validation": 1}),
            "c": ~metrics["chosen"],
            "m": metrics["method"].map({m: i for i, m in enumerate(CANDIDATES)}),
        }
    )
    order = keys.sort_values(["p", "c", "m"], kind="mergesort").index
    return metrics.loc[order, CLV_METRIC_COLUMNS].reset_index(drop=True)


CLV_METRIC_COLUMNS: list[str] = [
    "method",
    "chosen",
    "period",
    "as_of_date",
    "holdout_start_date",
    "holdout_end_date",
    "holdout_days",
    "metric_basis",
    "customers",
    "pearson_r",
    "spearman_r",
    "predicted_total",
    "actual_total",
    "total_ratio",
    "mae",
    "top_decile_capture",
    "selection_criterion",
    "note",
]


def clv_table(
    orders: pd.DataFrame, as_of: _dt.date | str | pd.Timestamp | None = None, **options: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entry point for the dbt model: ``(customer_clv, clv_metrics)`` at ``as_of`` (see module docstring);
    ``options`` are those of :func:`clv_fit` (``holdout_days``, ``horizon_days``, ``random_state``, ``method``)."""
    customer_clv, metrics, _ = clv_fit(orders, as_of, **options)
    return customer_clv, metrics


def clv_fit(
    orders: pd.DataFrame,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    holdout_days: int | None = None,
    horizon_days: int = 90,
    random_state: int = 42,
    method: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``(customer_clv, clv_metrics, fitted)`` at ``as_of``: every candidate checked, the scoring method
    chosen (module docstring), the purchase and spend models fitted at ``as_of``.

    ``method=None`` chooses the scoring method on the validation period; a name from
    :data:`CANDIDATES` forces it. Without amounts (every ``net_revenue`` null) value columns are NaN.
    ``fitted`` is JSON-ready data :func:`clv_score` scores a later day with: the chosen method, the
    BG/NBD (or MBG/NBD, its ``variant``) and Gamma-Gamma parameters fitted at ``as_of`` (null when not
    identifiable), and the horizon.
    """
    if method is not None and method not in CANDIDATES:
        raise ValueError(f"unknown CLV method {method!r}; expected one of {', '.join(CANDIDATES)}")
    with_spend = has_amounts(orders)
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    metrics, chosen = clv_holdout_metrics(prep, A, holdout_days, with_spend, random_state, method)
    # P(alive) and the horizon purchases come from the chosen purchase model, BG/NBD when a non-BTYD
    # candidate scores
    variant = BTYD_VARIANTS.get(chosen, "bgnbd")
    bg, (params, gg) = _bgnbd_prediction(prep, A, 365.0, float(horizon_days), with_spend, random_state, variant)
    if chosen in BTYD_VARIANTS and bg is None:
        log.warning("clv: BG/NBD is not identifiable on this data (no repeat purchase): %s used", METHOD)
        chosen = METHOD
        metrics["chosen"] = metrics["method"] == METHOD
        metrics["note"] = [
            (n + "; " if n else "") + f"BG/NBD not identifiable at the as-of date: {METHOD} used" if c else n
            for n, c in zip(metrics["note"], metrics["chosen"], strict=True)
        ]
        metrics = _ordered(metrics)
    fitted = {
        "chosen": chosen,
        "horizon_days": int(horizon_days),
        "bgnbd": None if params is None else dataclasses.asdict(params),
        "gamma_gamma": None if gg is None else dataclasses.asdict(gg),
    }
    return _customer_clv(prep, A, chosen, bg, with_spend), _typed_metrics(metrics), fitted


def clv_score(
    orders: pd.DataFrame, as_of: _dt.date | str | pd.Timestamp | None, fitted: dict[str, Any]
) -> pd.DataFrame:
    """``customer_clv`` at ``as_of`` with a fit :func:`clv_fit` kept: the chosen method, and P(alive), the
    expected purchases and spend from the kept BG/NBD and Gamma-Gamma parameters (no validation, no held-back
    period, no fit). On the fit's own data it equals the fit's ``customer_clv`` exactly."""
    with_spend = has_amounts(orders)
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    bg = None
    if fitted["bgnbd"] is not None:
        gg = None if fitted["gamma_gamma"] is None else GammaGammaParams(**fitted["gamma_gamma"])
        kept = (BgNbdParams(**fitted["bgnbd"]), gg)
        bg = _bgnbd_prediction(prep, A, 365.0, float(fitted["horizon_days"]), with_spend, kept=kept)[0]
    return _customer_clv(prep, A, str(fitted["chosen"]), bg, with_spend)


def _customer_clv(prep: OrderArrays, A: int, chosen: str, bg: pd.DataFrame | None, with_spend: bool) -> pd.DataFrame:
    """The ``customer_clv`` table (module docstring), scored by ``chosen``; ``bg`` is the purchase model's
    prediction (:func:`_bgnbd_prediction`), ``None`` when BG/NBD is not identifiable."""
    base = predict_clv(prep, A, 365.0)
    scored = bg if chosen in BTYD_VARIANTS else {METHOD: base, NAIVE: predict_naive(prep, A, 365.0)}[chosen]
    scored = scored.set_index("code").reindex(base["code"].to_numpy())
    bg_idx = bg.set_index("code").reindex(base["code"].to_numpy()) if bg is not None else None
    value = scored["predicted_value"].to_numpy(dtype=np.float64)
    n = len(base)
    return pd.DataFrame(
        {
            "customer_id": base["customer_id"],
            "as_of_date": np.full(n, np.datetime64(day_to_timestamp(A))).astype(DATE_DTYPE),
            "historical_ltv": base["historical_ltv"].astype(np.float64) if with_spend else np.full(n, np.nan),
            "orders_count": base["orders_count"].astype(np.int64),
            "aov": base["aov"].astype(np.float64) if with_spend else np.full(n, np.nan),
            "expected_orders_12m": scored["expected_orders"].to_numpy(dtype=np.float64),
            "expected_order_value": (
                scored["expected_order_value"].to_numpy(dtype=np.float64) if with_spend else np.full(n, np.nan)
            ),
            "predicted_clv_12m": np.round(value, 2) if with_spend else np.full(n, np.nan),
            "last_order_date": day_to_timestamp(base["last_day"].to_numpy()),
            "clv_method": pd.array(np.full(n, chosen, dtype=object), dtype="str"),
            "p_alive": bg_idx["p_alive"].to_numpy(dtype=np.float64) if bg_idx is not None else np.full(n, np.nan),
            "expected_purchases_horizon": (
                bg_idx["expected_purchases_horizon"].to_numpy(dtype=np.float64)
                if bg_idx is not None
                else np.full(n, np.nan)
            ),
        }
    )


def _typed_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Column types of the metrics table (dates as datetime64[us], counts int64, floats, strings str)."""
    metrics = metrics.copy()
    for c in ("as_of_date", "holdout_start_date", "holdout_end_date"):
        metrics[c] = pd.to_datetime(metrics[c]).astype(DATE_DTYPE)
    for c in ("holdout_days", "customers"):
        metrics[c] = metrics[c].astype(np.int64)
    for c in ("pearson_r", "spearman_r", "predicted_total", "actual_total", "total_ratio", "mae", "top_decile_capture"):
        metrics[c] = metrics[c].astype(np.float64)
    metrics["chosen"] = metrics["chosen"].astype(bool)
    for c in ("method", "period", "metric_basis", "selection_criterion", "note"):
        metrics[c] = metrics[c].astype("str")
    return metrics
