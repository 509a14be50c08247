"""Churn risk: a supervised model on point-in-time features, a recency-rule baseline, and a fallback.

Definitions
-----------
* **Churn label** at a cutoff ``c``: a customer (at least one completed order before ``c``) is churned
  (``1``) when they place **no completed order in** ``[c, c + horizon_days)``.
* **Features** at a cutoff ``c`` (:func:`churn_features`) use only completed orders dated strictly
  before ``c`` (plus the signup date when it is before ``c``); nothing on or after ``c`` is read, so the
  training features cannot leak the label (tested in ``python_tests/test_churn.py``).

Timeline (``A`` = ``as_of``, ``h`` = ``horizon_days``)
------------------------------------------------------
1. **Validation**: train at ``c1 = A - 2h`` (features before ``c1``, labels from ``[A - 2h, A - h)``),
   evaluate at ``c2 = A - h`` (features before ``c2``, labels from ``[A - h, A)``).
2. **Scoring**: refit the same model with ``c2`` as the last training cutoff (its labels end at ``A``) and
   score every current customer (completed order before ``A``) on features at ``A``.
3. **Baseline**: the recency rule (score = days since the last order) evaluated on the same validation
   set; both are reported in the metrics table.

Training snapshots: the training set stacks ``training_snapshots`` (default 4) cutoffs one horizon apart
ending at the training cutoff (``c1, c1 - h, c1 - 2h, c1 - 3h``; a year of quarterly snapshots for the
default horizon), so that seasonal buyers are seen in every season. All their label windows end by
``c1 + h = c2``, so validation stays out of sample. A snapshot needs :data:`MIN_FEATURE_DAYS` of history
before it; earlier ones are skipped.

Model: ``HistGradientBoostingClassifier`` (60 trees of at most 15 leaves, fixed ``random_state``, no
early stopping, one OpenMP thread) on :data:`MODEL_FEATURES`. Caps: each snapshot contributes a seeded
sample of at most ``ceil(train_sample_size / training_snapshots)`` customers (``train_sample_size``
default 200,000) and the validation metrics use a seeded sample of at most ``validation_sample_size``
customers (default 250,000). ``method="logistic_regression"`` uses a standardised
``LogisticRegression`` on the ``log1p``-transformed features instead.

Fallback: when the order history (``A`` minus the first completed order) is shorter than
``2 * horizon_days + MIN_FEATURE_DAYS`` (270 days for the default horizon), or a training /
validation set has fewer than :data:`MIN_CLASS_COUNT` churned or retained customers, every customer
is scored with the recency rule and a ``WARNING`` log line says why. The ``scoring_method`` column
records which method scored each customer.

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

``churn_model_metrics`` (one row per method: the model, then ``recency_rule``):

==========================  ==============  ======================================================
method                      str             model name or ``recency_rule``
used_for_scoring            bool            True for the method that scored the customers
horizon_days                int64
train_first_cutoff_date     datetime64[us]  earliest training snapshot (NaT for the rule)
train_cutoff_date           datetime64[us]  ``A - 2h``, the last training snapshot (NaT for the rule)
training_snapshots          int64           snapshots stacked (0 for the rule)
validation_cutoff_date      datetime64[us]  ``A - h``
validation_end_date         datetime64[us]  ``A`` (end of the validation label window)
scoring_train_cutoff_date   datetime64[us]  ``A - h``: last cutoff of the refit used for scoring (NaT
                                            for the rule)
training_rows               int64           customer-snapshot rows available (0 for the rule)
training_rows_used          int64           rows after the sample cap
validation_rows             int64           customers in the validation set (before the sample cap)
base_rate                   float64         churn rate in the (sampled) validation set
roc_auc                     float64         on the validation set (NaN when not computable)
pr_auc                      float64         average precision on the validation set
precision_top_decile        float64         churn rate among the 10% highest scores
baseline_roc_auc            float64         the recency rule's ROC AUC on the same validation set
note                        str             why the model was not used, or ""
==========================  ==============  ======================================================
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from customer_intelligence.features import (
    DATE_DTYPE,
    NAT_DAY,
    OrderArrays,
    day_to_timestamp,
    features_from_arrays,
    prepare_orders,
    resolve_as_of,
    sample_index,
    signup_days_for,
    window_counts,
)

__all__ = [
    "MIN_CLASS_COUNT",
    "MIN_FEATURE_DAYS",
    "MODEL_FEATURES",
    "TIER_THRESHOLDS",
    "churn_features",
    "churn_labels",
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
]
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

    On top of the base features (:func:`~customer_intelligence.features.features_from_arrays`,
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


def _window(
    prep: OrderArrays,
    cutoff: int,
    horizon: int,
    signup: np.ndarray | None,
    sample_size: int | None = None,
    random_state: int = 0,
) -> _Window:
    """Features and labels at one cutoff, optionally on a seeded sample of the customers."""
    frame, codes = churn_features(prep, cutoff, horizon, signup, include_ids=False)
    y = churn_labels(prep, codes, cutoff, horizon)
    n = len(y)
    if sample_size is not None and n > sample_size:
        idx = sample_index(n, sample_size, random_state)
        frame, y = frame.iloc[idx].reset_index(drop=True), y[idx]
    return _Window(frame, y, [cutoff], n)


def _stacked(
    prep: OrderArrays,
    last_cutoff: int,
    horizon: int,
    signup: np.ndarray | None,
    snapshots: int,
    sample_size: int,
    random_state: int,
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
        parts.append(_window(prep, c, horizon, signup, per, random_state + j))
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
    "note",
]


def churn_tables(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    method: str = "hist_gradient_boosting",
    random_state: int = 42,
    train_sample_size: int = 200_000,
    training_snapshots: int = 4,
    validation_sample_size: int = 250_000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entry point for the dbt model: ``(customer_churn, churn_model_metrics)`` at ``as_of``.

    See the module docstring for the timeline, fallback rule and output columns.
    """
    if horizon_days < 1:
        raise ValueError("horizon_days must be >= 1")
    prep = prepare_orders(orders)
    A = resolve_as_of(prep, as_of)
    h = int(horizon_days)
    c1, c2 = A - 2 * h, A - h
    signup = signup_days_for(prep.customer_ids, customers)

    current, _ = churn_features(prep, A, h, signup)
    rule_p_current = recency_rule_probability(current["recency_days"], h)

    history = (A - prep.min_day) if prep.min_day != NAT_DAY else 0
    needed = 2 * h + MIN_FEATURE_DAYS
    note = ""
    train = valid = None
    if history < needed:
        note = (
            f"history of {history} days is shorter than the {needed} needed "
            f"(2 x horizon + {MIN_FEATURE_DAYS})"
        )
    else:
        train = _stacked(prep, c1, h, signup, training_snapshots, train_sample_size, random_state)
        valid = _window(prep, c2, h, signup, validation_sample_size, random_state)
        if train is None or not _enough(train.y):
            note = f"training set at {_ts(c1).date()} has fewer than {MIN_CLASS_COUNT} churned or retained"
        elif not _enough(valid.y):
            note = f"validation set at {_ts(c2).date()} has fewer than {MIN_CLASS_COUNT} churned or retained"

    # the recency baseline is evaluated whenever a validation window exists
    if valid is None and prep.min_day != NAT_DAY and c2 > prep.min_day:
        valid = _window(prep, c2, h, signup, validation_sample_size, random_state)
    if valid is not None and len(valid.y):
        rule_metrics = evaluate_scores(valid.y, valid.frame["recency_days"].to_numpy())
        n_valid = valid.rows_available
    else:
        rule_metrics = evaluate_scores(np.empty(0), np.empty(0))
        n_valid = 0

    use_model = note == ""
    train_rows = train.rows_available if train is not None else 0
    used_v = len(train.y) if train is not None else 0
    snapshots = len(train.cutoffs) if train is not None else 0
    first_cutoff = min(train.cutoffs) if train is not None else None
    if use_model:
        model_v = _fit(train.frame, train.y, method, random_state)
        model_metrics = evaluate_scores(valid.y, _predict(model_v, valid.frame, method))
        del model_v
        scoring_train = _stacked(prep, c2, h, signup, training_snapshots, train_sample_size, random_state)
        model_s = _fit(scoring_train.frame, scoring_train.y, method, random_state)
        prob = _predict(model_s, current, method)
        scoring = method
        log.info(
            "churn: %s trained on %d rows (%d snapshots up to %s), validation ROC AUC %.3f, "
            "recency rule %.3f",
            method,
            used_v,
            snapshots,
            _ts(c1).date(),
            model_metrics["roc_auc"],
            rule_metrics["roc_auc"],
        )
    else:
        log.warning("churn: %s; scoring every customer with the recency rule", note)
        model_metrics = evaluate_scores(np.empty(0), np.empty(0))
        prob = rule_p_current
        scoring = RULE

    customer_churn = pd.DataFrame(
        {
            "customer_id": current["customer_id"],
            "as_of_date": np.full(len(current), _ts(A).to_datetime64()).astype(DATE_DTYPE),
            "churn_probability": np.asarray(prob, dtype=np.float64),
            "churn_risk_tier": pd.array(risk_tier(prob), dtype="str"),
            "scoring_method": pd.array(np.full(len(current), scoring, dtype=object), dtype="str"),
            "recency_rule_probability": rule_p_current.astype(np.float64),
            "recency_days": current["recency_days"].astype(np.int64),
            "orders_count": current["orders_count"].astype(np.int64),
            "net_revenue": current["net_revenue"].astype(np.float64),
            "last_order_date": current["last_order_date"].astype(DATE_DTYPE),
        }
    )

    rows = [
        {
            "method": method,
            "used_for_scoring": use_model,
            "train_first_cutoff_date": _ts(first_cutoff),
            "train_cutoff_date": _ts(c1),
            "training_snapshots": snapshots,
            "scoring_train_cutoff_date": _ts(c2),
            "training_rows": train_rows,
            "training_rows_used": used_v,
            "validation_rows": n_valid,
            **model_metrics,
            "note": note,
        },
        {
            "method": RULE,
            "used_for_scoring": not use_model,
            "train_first_cutoff_date": pd.NaT,
            "train_cutoff_date": pd.NaT,
            "training_snapshots": 0,
            "scoring_train_cutoff_date": pd.NaT,
            "training_rows": 0,
            "training_rows_used": 0,
            "validation_rows": n_valid,
            **rule_metrics,
            "note": "",
        },
    ]
    metrics = pd.DataFrame(rows)
    metrics["horizon_days"] = h
    metrics["validation_cutoff_date"] = _ts(c2)
    metrics["validation_end_date"] = _ts(A)
    metrics["baseline_roc_auc"] = float(rule_metrics["roc_auc"])
    metrics = metrics[METRIC_COLUMNS]
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
    for c in ("method", "note"):
        metrics[c] = metrics[c].astype("str")
    return customer_churn, metrics
