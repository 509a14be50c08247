"""Churn risk: a supervised model on point-in-time features, a recency-rule baseline, and a fallback.

Definitions
-----------
* **Churn label** at a cutoff ``c``: a customer (at least one completed order before ``c``) is churned
  (``1``) when they place **no completed order in** ``[c, c + horizon_days)``.
* **Features** at a cutoff ``c`` (:func:`churn_features`) use only completed orders dated strictly
  before ``c`` (plus the signup date when it is before ``c``); nothing on or after ``c`` is read, so the
  training features cannot leak the label (tested in ``python_tests/test_churn.py``).

Timeline (``A`` = ``as_of``, ``h`` = ``horizon_days``) and the choice of method
-----------------------------------------------------------------------------
Three candidates score churn: the supervised model (``method``, default ``hist_gradient_boosting``),
the recency rule, and ``bgnbd_p_no_purchase`` (a BG/NBD fit on the orders before the cutoff, probability
of no purchase in the horizon, :mod:`customer_intelligence.ml.btyd`). Each is evaluated on two splits:

1. **Selection**: the model trains on snapshots ending at ``A - 3h`` and every candidate is evaluated
   at ``A - 2h`` (labels from ``[A - 2h, A - h)``). The method with the highest ROC AUC here scores
   the customers (:data:`SELECTION_CRITERION`; ties go to the simpler method, rule before BG/NBD
   before the model).
2. **Held back**: the model trains on snapshots ending at ``A - 2h`` and every candidate is evaluated
   at ``A - h`` (labels from ``[A - h, A)``). These are the reported figures; nothing is chosen on them.
3. **Scoring**: the chosen method scores every current customer at ``A`` (the model is refitted with
   ``A - h`` as its last training cutoff, BG/NBD is refitted on all orders before ``A``).

:func:`churn_fit` also returns the fit as JSON-ready data (the chosen method, the scoring classifier's
parameters, the BG/NBD parameters at ``A``); :func:`churn_score` scores later days with it, without a
split, a training or a BG/NBD fit (the refit cadence of :mod:`customer_intelligence.ml.model_runs`).

Without room for a selection split (history shorter than ``3h + MIN_FEATURE_DAYS``) the model is used
when it trains and the note says it is a default; ``scoring=`` forces a method.

Training snapshots: the training set stacks ``training_snapshots`` (default 4) cutoffs one horizon apart
ending at the training cutoff, so that seasonal buyers are seen in every season. All their label
windows end by the evaluation cutoff, so evaluation stays out of sample. A snapshot needs
:data:`MIN_FEATURE_DAYS` of history before it; earlier ones are skipped.

Model: ``HistGradientBoostingClassifier`` (60 trees of at most 15 leaves, fixed ``random_state``, no
early stopping, one OpenMP thread) on :data:`MODEL_FEATURES`.
One of them, ``bgnbd_p_no_purchase``, is BG/NBD's probability of no purchase in the horizon from a fit on the orders
before the same cutoff as the other features (one fit per cutoff, shared by the splits; its summary is
read from the feature frame: ``x = orders - 1``, ``t_x = T - recency``), so the model can use P(alive)
and learn where it is wrong; NaN (read natively by the boosting) where BG/NBD is not identifiable.

Caps: each snapshot contributes a seeded sample of at most ``ceil(train_sample_size / training_snapshots)``
customers (``train_sample_size`` default 200,000) and the evaluation metrics use a seeded sample of at
most ``validation_sample_size`` customers (default 250,000). ``method="logistic_regression"`` uses a standardised
``LogisticRegression`` on the ``log1p``-transformed features instead.

Fallback: when the order history is shorter than ``2 * horizon_days + MIN_FEATURE_DAYS`` (270 days for
the default horizon), or a training / evaluation set has fewer than :data:`MIN_CLASS_COUNT` churned or
retained customers, the model is not trained and every customer is scored with the recency rule; a
``WARNING`` log line says why. The ``scoring_method`` column records which method scored each customer.

Recency rule probability: ``p = 1 - exp(-recency_days / horizon_days)`` (a customer silent for one
horizon gets 0.63, for two horizons 0.86).

Risk tiers (documented thresholds on the churn probability, :data:`TIER_THRESHOLDS`):
``low`` if ``p < 0.4``, ``medium`` if ``0.4 <= p < 0.7``, ``high`` if ``p >= 0.7``.

Outputs
-------
``customer_churn`` (one row per current customer, sorted by ``customer_id``):

==========================  ==============  ======================================================
customer_id                 str
as_of_date                  datetime64[us]  the scoring date ``A``
churn_probability           float64         probability of no completed order in ``[A, A + h)``
churn_risk_tier             str             low / medium / high
scoring_method              str             ``hist_gradient_boosting`` / ``logistic_regression`` /
                                            ``recency_rule``
recency_rule_probability    float64         the rule's probability (always filled)
recency_days                int64
orders_count                int64           completed orders before ``A``
net_revenue                 float64         completed net revenue before ``A``
last_order_date             datetime64[us]
==========================  ==============  ======================================================

``churn_model_metrics`` (one row per candidate and split, :data:`METRIC_COLUMNS`: the held-back rows
first, then the selection rows; model, rule, BG/NBD in each): ``method``, ``period`` (``held_back`` /
``selection``), ``used_for_scoring`` (both rows of the chosen method), ``horizon_days``, the model's
training cutoffs, snapshots and rows (NaT / 0 for the rule and BG/NBD), ``validation_cutoff_date`` and
``validation_end_date`` (the split's label window), ``scoring_train_cutoff_date`` (the refit used for
scoring, on the model's held-back row), ``validation_rows``, ``base_rate``, ``roc_auc``, ``pr_auc``,
``precision_top_decile``, ``baseline_roc_auc`` (the rule's, same split), ``selection_criterion``,
``note``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from customer_intelligence.ml.btyd import DAYS_PER_UNIT, BgNbdParams, bgnbd_p_no_purchase, fit_at_cutoff, rfm_summary
from customer_intelligence.ml.drivers import baseline_frame, contributions, driver_table
from customer_intelligence.ml.features import (
    DATE_DTYPE,
    NAT_DAY,
    OrderArrays,
    day_to_timestamp,
    features_from_arrays,
    has_amounts,
    prepare_orders,
    resolve_as_of,
    sample_index,
    signup_days_for,
    to_day_number,
    window_counts,
)
from customer_intelligence.ml.fitted import classifier_from_data, classifier_to_data

__all__ = [
    "MIN_CLASS_COUNT",
    "MIN_FEATURE_DAYS",
    "MODEL_FEATURES",
    "TIER_THRESHOLDS",
    "churn_features",
    "churn_fit",
    "churn_labels",
    "churn_score",
    "churn_tables",
    "evaluate_scores",
    "recency_rule_probability",
    "risk_tier",
    "training_frame",
]

log = logging.getLogger(__name__)

#: Minimum days of history before the first training cutoff.
MIN_FEATURE_DAYS: int = 90
#: Minimum number of churned and of retained customers in each training / validation set.
MIN_CLASS_COUNT: int = 20
#: (medium_from, high_from) churn-probability thresholds for the risk tiers.
TIER_THRESHOLDS: tuple[float, float] = (0.4, 0.7)

#: Model inputs (columns of :func:`churn_features`).
MODEL_FEATURES: list[str] = [
    "recency_days",
    "orders_count",
    "net_revenue",
    "aov",
    "tenure_days",
    "discount_share",
    "orders_last_horizon",
    "orders_prev_horizon",
    "orders_same_window_last_year",
    "net_revenue_last_horizon",
    "mean_gap_days",
    "recency_gap_ratio",
    "bgnbd_p_no_purchase",
]
#: The BG/NBD feature of the model: P(no purchase in the horizon) from a fit at the same cutoff.
BGNBD_FEATURE = "bgnbd_p_no_purchase"
_LOG_MODEL_FEATURES = {
    "recency_days",
    "orders_count",
    "net_revenue",
    "aov",
    "tenure_days",
    "orders_last_horizon",
    "orders_prev_horizon",
    "orders_same_window_last_year",
    "net_revenue_last_horizon",
    "mean_gap_days",
    "recency_gap_ratio",
}

RULE = "recency_rule"


# --------------------------------------------------------------------------------------------------
# features and labels
# --------------------------------------------------------------------------------------------------
def churn_features(
    prep: OrderArrays,
    cutoff_day: int,
    horizon_days: int,
    signup_day: np.ndarray | None = None,
    include_ids: bool = True,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Point-in-time features at ``cutoff_day`` (only orders strictly before it are read).

    On top of the base features (:func:`~customer_intelligence.ml.features.features_from_arrays`,
    without category breadth, which is not time-stamped) adds: ``orders_last_horizon`` and
    ``net_revenue_last_horizon`` (completed orders / revenue in ``[c - h, c)``), ``orders_prev_horizon``
    (in ``[c - 2h, c - h)``), ``orders_same_window_last_year`` (in ``[c - 365, c - 365 + h)``, capturing
    seasonal buyers), ``mean_gap_days`` (mean days between completed orders; the tenure for a
    single-order customer) and ``recency_gap_ratio`` (recency / mean gap). Returns the frame and the
    customer codes of its rows.
    """
    base, codes = features_from_arrays(prep, cutoff_day, signup_day, include_ids=include_ids)
    last_n, last_net = window_counts(prep, cutoff_day, cutoff_day - horizon_days, with_net=True)
    prev_n, _ = window_counts(prep, cutoff_day - horizon_days, cutoff_day - 2 * horizon_days)
    year_until = min(cutoff_day - 365 + horizon_days, cutoff_day)
    year_n, _ = window_counts(prep, year_until, cutoff_day - 365)
    base["orders_last_horizon"] = last_n[codes]
    base["orders_same_window_last_year"] = year_n[codes]
    base["net_revenue_last_horizon"] = last_net[codes]
    base["orders_prev_horizon"] = prev_n[codes]
    n = base["orders_count"].to_numpy(dtype=np.float64)
    span = (base["last_order_date"] - base["first_order_date"]).dt.days.to_numpy(dtype=np.float64)
    tenure = base["tenure_days"].to_numpy(dtype=np.float64)
    gap = np.where(n > 1, span / np.maximum(n - 1, 1), tenure)
    gap = np.maximum(gap, 1.0)
    base["mean_gap_days"] = gap
    base["recency_gap_ratio"] = base["recency_days"].to_numpy(dtype=np.float64) / gap
    return base, codes


def churn_labels(prep: OrderArrays, codes: np.ndarray, cutoff_day: int, horizon_days: int) -> np.ndarray:
    """1 where the customer (code) has no completed order in ``[cutoff, cutoff + horizon)``, else 0."""
    count, _ = window_counts(prep, cutoff_day + horizon_days, cutoff_day)
    return (count[codes] == 0).astype(np.int64)


def training_frame(
    orders: pd.DataFrame,
    cutoff: _dt.date | str | pd.Timestamp,
    horizon_days: int = 90,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features at ``cutoff`` plus the ``churned`` label from ``[cutoff, cutoff + horizon)``.

    One row per customer with a completed order before ``cutoff``, sorted by ``customer_id``.
    """
    prep = prepare_orders(orders)
    cutoff_day = resolve_as_of(prep, cutoff)
    signup = signup_days_for(prep.customer_ids, customers)
    frame, codes = churn_features(prep, cutoff_day, horizon_days, signup)
    frame[BGNBD_FEATURE] = bgnbd_feature(bgnbd_params_at(prep, cutoff_day), frame, cutoff_day, horizon_days)
    frame["churned"] = churn_labels(prep, codes, cutoff_day, horizon_days)
    return frame


# --------------------------------------------------------------------------------------------------
# rule, tiers, metrics
# --------------------------------------------------------------------------------------------------
def recency_rule_probability(recency_days: np.ndarray | pd.Series, horizon_days: int = 90) -> np.ndarray:
    """Rule-based churn probability ``1 - exp(-recency_days / horizon_days)`` (float64)."""
    r = np.asarray(recency_days, dtype=np.float64)
    return 1.0 - np.exp(-np.clip(r, 0.0, None) / float(horizon_days))


def risk_tier(probability: np.ndarray | pd.Series) -> np.ndarray:
    """Map churn probabilities to ``low`` / ``medium`` / ``high`` using :data:`TIER_THRESHOLDS`."""
    p = np.asarray(probability, dtype=np.float64)
    medium, high = TIER_THRESHOLDS
    return np.where(p >= high, "high", np.where(p >= medium, "medium", "low")).astype(object)


def evaluate_scores(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), precision in the top decile and base rate.

    Top decile: the ``ceil(10%)`` highest scores; ties are broken by row order (callers pass rows
    sorted by ``customer_id``). AUCs are NaN when only one class is present.
    """
    y = np.asarray(y, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    n = len(y)
    out = {"base_rate": float(y.mean()) if n else float("nan")}
    if n == 0 or y.min() == y.max():
        out.update(roc_auc=float("nan"), pr_auc=float("nan"))
    else:
        out.update(roc_auc=float(roc_auc_score(y, score)), pr_auc=float(average_precision_score(y, score)))
    if n:
        top = int(np.ceil(0.1 * n))
        order = np.argsort(-score, kind="stable")[:top]
        out["precision_top_decile"] = float(y[order].mean())
    else:
        out["precision_top_decile"] = float("nan")
    return out


# --------------------------------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------------------------------
def _model_matrix(frame: pd.DataFrame, method: str) -> np.ndarray:
    cols = []
    for c in MODEL_FEATURES:
        v = frame[c].to_numpy(dtype=np.float64)
        if method == "logistic_regression" and c in _LOG_MODEL_FEATURES:
            v = np.log1p(np.clip(v, 0.0, None))
        if method == "logistic_regression" and c == BGNBD_FEATURE:
            v = np.nan_to_num(v, nan=0.5)  # not identifiable: uninformative (boosting reads NaN itself)
        cols.append(v)
    return np.column_stack(cols)


def _make_model(method: str, random_state: int):
    if method == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=60,
            learning_rate=0.1,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=random_state,
        )
    if method == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    raise ValueError(f"unknown churn method {method!r}")


def _fit(frame: pd.DataFrame, y: np.ndarray, method: str, random_state: int):
    X = _model_matrix(frame, method)
    # one OpenMP thread: deterministic, and immune to the heavy slowdown of spinning OpenMP threads on a
    # busy 2-core machine
    with threadpool_limits(limits=1, user_api="openmp"):
        return _make_model(method, random_state).fit(X, y)


def _predict(model, frame: pd.DataFrame, method: str) -> np.ndarray:
    if len(frame) == 0:
        return np.empty(0)
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.predict_proba(_model_matrix(frame, method))[:, 1].astype(np.float64)


@dataclass
class _Window:
    frame: pd.DataFrame
    y: np.ndarray
    cutoffs: list[int]
    rows_available: int
    codes: np.ndarray | None = None


def _window(
    prep: OrderArrays,
    cutoff: int,
    horizon: int,
    signup: np.ndarray | None,
    sample_size: int | None = None,
    random_state: int = 0,
    bg: Callable[[int], BgNbdParams | None] | None = None,
) -> _Window:
    """Features and labels at one cutoff, optionally on a seeded sample of the customers; with ``bg``
    (cutoff -> fitted BG/NBD parameters) the :data:`BGNBD_FEATURE` column from a fit at the cutoff."""
    frame, codes = churn_features(prep, cutoff, horizon, signup, include_ids=False)
    frame[BGNBD_FEATURE] = bgnbd_feature(bg(cutoff) if bg is not None else None, frame, cutoff, horizon)
    y = churn_labels(prep, codes, cutoff, horizon)
    n = len(y)
    if sample_size is not None and n > sample_size:
        idx = sample_index(n, sample_size, random_state)
        frame, y, codes = frame.iloc[idx].reset_index(drop=True), y[idx], codes[idx]
    return _Window(frame, y, [cutoff], n, codes)


def _stacked(
    prep: OrderArrays,
    last_cutoff: int,
    horizon: int,
    signup: np.ndarray | None,
    snapshots: int,
    sample_size: int,
    random_state: int,
    bg: Callable[[int], BgNbdParams | None] | None = None,
) -> _Window | None:
    """Training snapshots at ``last_cutoff - j * horizon`` (j = 0..snapshots-1) with enough history.

    Each snapshot contributes a seeded sample of at most ``ceil(sample_size / snapshots)`` customers.
    """
    snapshots = max(int(snapshots), 1)
    per = int(np.ceil(sample_size / snapshots))
    parts = []
    for j in range(snapshots):
        c = last_cutoff - j * horizon
        if prep.min_day == NAT_DAY or c - prep.min_day < MIN_FEATURE_DAYS:
            break
        parts.append(_window(prep, c, horizon, signup, per, random_state + j, bg))
    if not parts:
        return None
    return _Window(
        pd.concat([p.frame for p in parts], ignore_index=True),
        np.concatenate([p.y for p in parts]),
        [p.cutoffs[0] for p in parts],
        sum(p.rows_available for p in parts),
    )


def _enough(y: np.ndarray) -> bool:
    pos = int(y.sum())
    return pos >= MIN_CLASS_COUNT and (len(y) - pos) >= MIN_CLASS_COUNT


def _ts(day: int | None) -> pd.Timestamp:
    return pd.NaT if day is None or day == NAT_DAY else day_to_timestamp(day)


METRIC_COLUMNS: list[str] = [
    "method",
    "period",
    "used_for_scoring",
    "horizon_days",
    "train_first_cutoff_date",
    "train_cutoff_date",
    "training_snapshots",
    "validation_cutoff_date",
    "validation_end_date",
    "scoring_train_cutoff_date",
    "training_rows",
    "training_rows_used",
    "validation_rows",
    "base_rate",
    "roc_auc",
    "pr_auc",
    "precision_top_decile",
    "baseline_roc_auc",
    "selection_criterion",
    "note",
]

#: The BG/NBD candidate: P(no purchase in the horizon) from a BG/NBD fit at the cutoff.
BGNBD = "bgnbd_p_no_purchase"
#: Tie-break order of the candidates when their selection ROC AUC is equal: simplest first.
SIMPLICITY_ORDER: tuple[str, ...] = (RULE, BGNBD)
SELECTION_CRITERION = (
    "highest ROC AUC on the selection split (labels [as_of - 2h, as_of - h)); ties go to the simpler method"
)


def bgnbd_no_purchase_scores(
    prep: OrderArrays,
    cutoff: int,
    horizon: int,
    codes: np.ndarray,
    bg: Callable[[int], BgNbdParams | None] | None = None,
    params: BgNbdParams | None = None,
):
    """BG/NBD probability of no purchase in ``[cutoff, cutoff + horizon)`` for customer ``codes``,
    fitted on the orders before ``cutoff`` (None when BG/NBD is not identifiable). ``bg`` (cutoff ->
    parameters) reuses a fit made for the model's feature at the same cutoff; ``params`` scores with
    given parameters instead of a fit."""
    hi = int(np.searchsorted(prep.day, cutoff, side="left"))
    if params is None:
        params = bg(cutoff) if bg is not None else bgnbd_params_at(prep, cutoff)
    if params is None:
        return None
    s = rfm_summary(prep.code[:hi], prep.day[:hi], prep.net[:hi], cutoff, prep.n_customers)
    by_code = np.full(prep.n_customers, np.nan)
    by_code[s["code"].to_numpy()] = bgnbd_p_no_purchase(
        params, s["x"], s["t_x"] / DAYS_PER_UNIT, s["T"] / DAYS_PER_UNIT, horizon / DAYS_PER_UNIT
    )
    return by_code[codes]


def _bgnbd_frame_score(params, as_of_day: int, horizon: int) -> Callable[[pd.DataFrame], np.ndarray]:
    """BG/NBD P(no purchase) from a churn feature frame, for the drivers: ``x = orders - 1``, ``T`` from
    the first order, ``t_x = T - recency`` (an approximation of the purchase-day summary)."""

    def score(frame: pd.DataFrame) -> np.ndarray:
        first = to_day_number(frame["first_order_date"]).astype(np.float64)
        T = (as_of_day - first) / DAYS_PER_UNIT
        t_x = np.clip(T - frame["recency_days"].to_numpy(dtype=np.float64) / DAYS_PER_UNIT, 0.0, T)
        x = np.maximum(frame["orders_count"].to_numpy(dtype=np.float64) - 1.0, 0.0)
        return bgnbd_p_no_purchase(params, x, t_x, T, horizon / DAYS_PER_UNIT)

    return score


def bgnbd_params_at(prep: OrderArrays, cutoff: int) -> BgNbdParams | None:
    """A BG/NBD fit on the completed orders before ``cutoff`` (None when not identifiable)."""
    hi = int(np.searchsorted(prep.day, cutoff, side="left"))
    return fit_at_cutoff(prep.code[:hi], prep.day[:hi], prep.net[:hi], cutoff, prep.n_customers)[1]


def bgnbd_feature(params: BgNbdParams | None, frame: pd.DataFrame, cutoff: int, horizon: int) -> np.ndarray:
    """:data:`BGNBD_FEATURE` of a churn feature frame at ``cutoff``: BG/NBD P(no purchase in the horizon)
    from the frame's own columns (:func:`_bgnbd_frame_score`), so a driver that moves recency or frequency
    moves it too; NaN without a fit."""
    if params is None or len(frame) == 0:
        return np.full(len(frame), np.nan)
    return _bgnbd_frame_score(params, cutoff, horizon)(frame)


def _cached_fits(prep: OrderArrays) -> Callable[[int], BgNbdParams | None]:
    """cutoff -> :func:`bgnbd_params_at`, each cutoff fitted once (snapshots of the splits overlap)."""
    fits: dict[int, BgNbdParams | None] = {}

    def at(cutoff: int) -> BgNbdParams | None:
        if cutoff not in fits:
            fits[cutoff] = bgnbd_params_at(prep, cutoff)
        return fits[cutoff]

    return at


@dataclass
class _Split:
    """One evaluation of every candidate: trained before ``train_cutoff``, evaluated on the labels of
    ``[eval_cutoff, eval_cutoff + h)``."""

    period: str
    train: _Window | None
    valid: _Window | None
    train_cutoff: int
    eval_cutoff: int
    metrics: dict[str, dict[str, float]]
    note: str


def _evaluate_split(
    prep: OrderArrays,
    period: str,
    train_cutoff: int,
    h: int,
    signup: np.ndarray | None,
    method: str,
    random_state: int,
    training_snapshots: int,
    train_sample_size: int,
    validation_sample_size: int,
    bg: Callable[[int], BgNbdParams | None] | None = None,
) -> _Split:
    """The model, the recency rule and BG/NBD on one split (see :func:`churn_tables`)."""
    eval_cutoff = train_cutoff + h
    empty = evaluate_scores(np.empty(0), np.empty(0))
    metrics = {method: dict(empty), RULE: dict(empty), BGNBD: dict(empty)}
    if prep.min_day == NAT_DAY or eval_cutoff <= prep.min_day:
        return _Split(period, None, None, train_cutoff, eval_cutoff, metrics, "no customers before the cutoff")
    valid = _window(prep, eval_cutoff, h, signup, validation_sample_size, random_state, bg)
    note = ""
    if len(valid.y):
        metrics[RULE] = evaluate_scores(valid.y, valid.frame["recency_days"].to_numpy())
        none_p = bgnbd_no_purchase_scores(prep, eval_cutoff, h, valid.codes, bg=bg)
        if none_p is not None:
            metrics[BGNBD] = evaluate_scores(valid.y, none_p)
    train = None
    if eval_cutoff - prep.min_day < h + MIN_FEATURE_DAYS:
        end = eval_cutoff + h
        note = (
            f"history of {end - prep.min_day} days to {_ts(end).date()} is shorter than the "
            f"{2 * h + MIN_FEATURE_DAYS} needed (2 x horizon + {MIN_FEATURE_DAYS})"
        )
    else:
        train = _stacked(prep, train_cutoff, h, signup, training_snapshots, train_sample_size, random_state, bg)
        if train is None or not _enough(train.y):
            note = f"training set at {_ts(train_cutoff).date()} has fewer than {MIN_CLASS_COUNT} churned or retained"
        elif not _enough(valid.y):
            note = f"validation set at {_ts(eval_cutoff).date()} has fewer than {MIN_CLASS_COUNT} churned or retained"
        else:
            model = _fit(train.frame, train.y, method, random_state)
            metrics[method] = evaluate_scores(valid.y, _predict(model, valid.frame, method))
    return _Split(period, train, valid, train_cutoff, eval_cutoff, metrics, note)


def choose_method(selection: _Split, method: str) -> str:
    """:data:`SELECTION_CRITERION`: the highest selection ROC AUC (ties and NaN: simplest first)."""
    best, best_auc = RULE, -np.inf
    for m in (*SIMPLICITY_ORDER, method):
        auc = selection.metrics[m]["roc_auc"]
        if m == method and selection.note:
            continue
        if np.isfinite(auc) and round(auc, 9) > round(best_auc, 9):
            best, best_auc = m, auc
    return best


def _split_rows(split: _Split, method: str, chosen: str, h: int, selection_note: str) -> list[dict]:
    """Metrics rows of one split, one per candidate."""
    rule_auc = float(split.metrics[RULE]["roc_auc"])
    n_valid = split.valid.rows_available if split.valid is not None else 0
    rows = []
    for m in (method, RULE, BGNBD):
        trained = m == method and split.train is not None
        note = split.note if m == method else ""
        if m == BGNBD and not np.isfinite(split.metrics[m]["roc_auc"]) and n_valid:
            note = "BG/NBD not identifiable (fewer than 50 customers or no repeat purchase), or one class only"
        if selection_note and split.period == "held_back":
            note = "; ".join(x for x in (note, selection_note) if x)
        rows.append(
            {
                "method": m,
                "period": split.period,
                "used_for_scoring": m == chosen,
                "horizon_days": h,
                "train_first_cutoff_date": _ts(min(split.train.cutoffs)) if trained else pd.NaT,
                "train_cutoff_date": _ts(split.train_cutoff) if m == method else pd.NaT,
                "training_snapshots": len(split.train.cutoffs) if trained else 0,
                "validation_cutoff_date": _ts(split.eval_cutoff),
                "validation_end_date": _ts(split.eval_cutoff + h),
                "scoring_train_cutoff_date": pd.NaT,
                "training_rows": split.train.rows_available if trained else 0,
                "training_rows_used": len(split.train.y) if trained else 0,
                "validation_rows": n_valid,
                **split.metrics[m],
                "baseline_roc_auc": rule_auc,
                "note": note,
            }
        )
    return rows


def _current(
    prep: OrderArrays, A: int, h: int, signup: np.ndarray | None, params: BgNbdParams | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The current customers' features at ``A`` with the :data:`BGNBD_FEATURE` column from ``params``."""
    current, codes = churn_features(prep, A, h, signup)
    current[BGNBD_FEATURE] = bgnbd_feature(params, current, A, h)
    return current, codes


def _params_from_data(data: dict[str, Any] | None) -> BgNbdParams | None:
    return None if data is None else BgNbdParams(**data)


def churn_tables(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    **options: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entry point for the dbt model: ``(customer_churn, churn_model_metrics)`` at ``as_of``; ``options`` are
    those of :func:`churn_fit` (horizon, method, seed, sample sizes, ``scoring``).

    See the module docstring for the timeline, the choice of method and the output columns.
    """
    churn, metrics, _ = churn_fit(orders, customers, as_of, **options)
    return churn, metrics


def churn_fit(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    method: str = "hist_gradient_boosting",
    random_state: int = 42,
    train_sample_size: int = 200_000,
    training_snapshots: int = 4,
    validation_sample_size: int = 250_000,
    scoring: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`churn_tables` (``scoring`` forces the scoring method: one of ``method``, ``recency_rule``,
    ``bgnbd_p_no_purchase``) and the fitted scoring model as JSON-ready data (what :func:`churn_score` scores
    with): ``method`` (the model candidate), ``chosen`` (the scoring method), ``selection_note``,
    ``horizon_days``, ``model`` (the scoring classifier, :func:`~customer_intelligence.ml.fitted.classifier_to_data`,
    or None unless the model scores) and ``bgnbd`` (the BG/NBD parameters fitted on the orders before the
    as-of date, or None: the model's :data:`BGNBD_FEATURE` and the BG/NBD candidate's scores)."""
    if horizon_days < 1:
        raise ValueError("horizon_days must be >= 1")
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    h = int(horizon_days)
    signup = signup_days_for(prep.customer_ids, customers)
    bg = _cached_fits(prep)
    args = (h, signup, method, random_state, training_snapshots, train_sample_size, validation_sample_size, bg)
    selection = _evaluate_split(prep, "selection", A - 3 * h, *args)
    report = _evaluate_split(prep, "held_back", A - 2 * h, *args)

    selection_note = ""
    has_selection = selection.valid is not None and np.isfinite(selection.metrics[RULE]["roc_auc"])
    if scoring is not None:
        chosen, selection_note = scoring, f"scoring method forced: {scoring}"
    elif has_selection:
        chosen = choose_method(selection, method)
    else:  # no earlier split to choose on: the model when it trains, else the rule
        chosen = method if not report.note else RULE
        why = f"{report.note}; " if report.note else ""
        selection_note = f"{why}no selection split before the held-back one: {chosen} used by default"
    if chosen == method and report.note:
        chosen, selection_note = RULE, report.note
    model, scoring_cutoff, params = None, None, bg(A)
    if chosen == method:
        scoring_train = _stacked(prep, A - h, h, signup, training_snapshots, train_sample_size, random_state, bg)
        if scoring_train is not None and _enough(scoring_train.y):
            model = classifier_to_data(_fit(scoring_train.frame, scoring_train.y, method, random_state), method)
            scoring_cutoff = A - h
        else:
            chosen, selection_note = RULE, "the scoring refit has too few churned or retained customers"
    elif chosen == BGNBD and params is None:
        chosen, selection_note = RULE, "BG/NBD not identifiable at the as-of date"
    fitted = {
        "method": method,
        "chosen": chosen,
        "selection_note": selection_note,
        "horizon_days": h,
        "model": model,
        "bgnbd": None if params is None else dataclasses.asdict(params),
    }
    current, codes = _current(prep, A, h, signup, params)
    customer_churn = _customer_churn(prep, A, current, codes, fitted, has_amounts(orders))
    log.info(
        "churn: held-back ROC AUC %s; scoring with %s",
        {m: round(v["roc_auc"], 3) for m, v in report.metrics.items()},
        chosen,
    )
    rows = _split_rows(report, method, chosen, h, selection_note) + _split_rows(selection, method, chosen, h, "")
    for r in rows:
        if r["method"] == method and r["period"] == "held_back" and scoring_cutoff is not None:
            r["scoring_train_cutoff_date"] = _ts(scoring_cutoff)
    metrics = pd.DataFrame(rows)
    metrics["selection_criterion"] = SELECTION_CRITERION if scoring is None else f"forced: {scoring}"
    return customer_churn, _typed_metrics(metrics[METRIC_COLUMNS]), fitted


def churn_score(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None,
    as_of: _dt.date | str | pd.Timestamp | None,
    fitted: dict[str, Any],
) -> pd.DataFrame:
    """``customer_churn`` at ``as_of`` with a fit :func:`churn_fit` kept (``fitted``): the current customers'
    features, then the kept scoring method (no split, no training, no BG/NBD fit). On the fit's own data it
    equals the fit's ``customer_churn`` exactly."""
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    h = int(fitted["horizon_days"])
    signup = signup_days_for(prep.customer_ids, customers)
    current, codes = _current(prep, A, h, signup, _params_from_data(fitted["bgnbd"]))
    return _customer_churn(prep, A, current, codes, fitted, has_amounts(orders))


def _scoring(
    prep: OrderArrays, A: int, current: pd.DataFrame, codes: np.ndarray, fitted: dict[str, Any]
) -> tuple[np.ndarray, Callable[[pd.DataFrame], np.ndarray]]:
    """The churn probability of the current customers and the score function of their drivers, by the
    ``fitted`` scoring method (:func:`churn_fit`)."""
    h, chosen = int(fitted["horizon_days"]), fitted["chosen"]
    params = _params_from_data(fitted["bgnbd"])
    if chosen == fitted["method"]:
        method, predict = chosen, classifier_from_data(fitted["model"])

        def score_fn(f: pd.DataFrame) -> np.ndarray:  # the BG/NBD feature follows the moved columns
            if len(f) == 0:
                return np.empty(0)
            return predict(_model_matrix(f.assign(**{BGNBD_FEATURE: bgnbd_feature(params, f, A, h)}), method))

        return score_fn(current), score_fn
    if chosen == BGNBD:
        return bgnbd_no_purchase_scores(prep, A, h, codes, params=params), _bgnbd_frame_score(params, A, h)

    def rule(f: pd.DataFrame) -> np.ndarray:
        return recency_rule_probability(f["recency_days"], h)

    return rule(current), rule


def _customer_churn(
    prep: OrderArrays, A: int, current: pd.DataFrame, codes: np.ndarray, fitted: dict[str, Any], with_amounts: bool
) -> pd.DataFrame:
    """The ``customer_churn`` table (module docstring) of the current customers scored by ``fitted``."""
    h, chosen = int(fitted["horizon_days"]), fitted["chosen"]
    prob, score_fn = _scoring(prep, A, current, codes, fitted)
    drivers = _drivers(current, score_fn, with_amounts)
    if chosen == RULE:
        log.warning("churn: scoring every customer with the recency rule (%s)", fitted["selection_note"] or "chosen")
    customer_churn = pd.DataFrame(
        {
            "customer_id": current["customer_id"],
            "as_of_date": np.full(len(current), _ts(A).to_datetime64()).astype(DATE_DTYPE),
            "churn_probability": np.asarray(prob, dtype=np.float64),
            "churn_risk_tier": pd.array(risk_tier(prob), dtype="str"),
            "scoring_method": pd.array(np.full(len(current), chosen, dtype=object), dtype="str"),
            "recency_rule_probability": recency_rule_probability(current["recency_days"], h).astype(np.float64),
            "recency_days": current["recency_days"].astype(np.int64),
            "orders_count": current["orders_count"].astype(np.int64),
            "net_revenue": current["net_revenue"].astype(np.float64),
            "last_order_date": current["last_order_date"].astype(DATE_DTYPE),
        }
    )
    return pd.concat([customer_churn, drivers], axis=1)


def _drivers(current: pd.DataFrame, score_fn: Callable[[pd.DataFrame], np.ndarray], with_amounts: bool) -> pd.DataFrame:
    """The top three churn drivers of every current customer (:mod:`customer_intelligence.ml.drivers`)."""
    if len(current) == 0:
        return driver_table(current, pd.DataFrame(index=current.index))
    baseline = baseline_frame(current)
    contrib = contributions(score_fn, current, with_amounts, baseline)
    return driver_table(current, contrib, baseline)


def _typed_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Column types of the metrics table (dates as datetime64[us], counts int64, strings str)."""
    metrics = metrics.copy()
    for c in (
        "train_first_cutoff_date",
        "train_cutoff_date",
        "validation_cutoff_date",
        "validation_end_date",
        "scoring_train_cutoff_date",
    ):
        metrics[c] = pd.to_datetime(metrics[c]).astype(DATE_DTYPE)
    for c in ("training_rows", "training_rows_used", "validation_rows", "horizon_days", "training_snapshots"):
        metrics[c] = metrics[c].astype(np.int64)
    for c in ("base_rate", "roc_auc", "pr_auc", "precision_top_decile", "baseline_roc_auc"):
        metrics[c] = metrics[c].astype(np.float64)
    metrics["used_for_scoring"] = metrics["used_for_scoring"].astype(bool)
    for c in ("method", "period", "selection_criterion", "note"):
        metrics[c] = metrics[c].astype("str")
    return metrics
