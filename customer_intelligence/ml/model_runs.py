"""What the dbt Python models call: one memoised run per analysis, several output tables each.

A dbt Python model returns one table, but k-means, the churn model and the CLV model each produce
two (customer scores and a profile or metrics table). The entry points here run an analysis once per
dbt process and input and hand each model its table, so ``ml_customer_segments`` and
``ml_segment_profiles`` share a single k-means fit. The memo key is the analysis, its parameters and
a fingerprint of every input frame (orders: row count, completed count, revenue sum and date sum; the
customers and categories frames: a hash of their values): a different input or parameter always
recomputes, so the memo can change speed, never results.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from customer_intelligence.ml.churn import churn_tables
from customer_intelligence.ml.clv import clv_table
from customer_intelligence.ml.features import customer_features, has_amounts
from customer_intelligence.ml.segments import segments_from_features

log = logging.getLogger(__name__)

#: The columns of ``int_ml_orders`` the package reads; only these are fetched (at 10 M orders the
#: unused ``order_id`` text and ``item_count`` were a third of each Python model's input frame).
ML_ORDER_COLUMNS = [
    "customer_id",
    "order_date",
    "is_completed",
    "gross_revenue",
    "discount_amount",
    "net_revenue",
]
#: The columns of ``dim_customers`` the package reads.
ML_CUSTOMER_COLUMNS = ["customer_id", "signup_date"]

_MEMO: dict[tuple, Any] = {}


def fingerprint(orders: pd.DataFrame) -> tuple:
    """A cheap identity of an orders frame: rows, completed rows, revenue sum, date sum."""
    dates = pd.to_datetime(orders["order_date"]).to_numpy(dtype="datetime64[D]").astype(np.int64)
    return (
        len(orders),
        int(orders["is_completed"].sum()),
        round(float(orders["net_revenue"].sum()), 2),
        int(dates.sum()),
    )


def frame_fingerprint(frame: pd.DataFrame | None) -> tuple:
    """A cheap identity of any input frame (``None`` for no frame): its columns, rows and a hash of
    its values (``pandas.util.hash_pandas_object``, summed), so a changed customers or categories frame
    recomputes too."""
    if frame is None:
        return (None,)
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    return (tuple(frame.columns), len(frame), int(hashed.sum(dtype=np.uint64)))


#: One analysis computes at a time in a process, and through :func:`exclusive` one Python model loads
#: and computes at a time. dbt runs Python models on several threads: without the lock two models of
#: one analysis could both compute it, and two analyses would hold their inputs and working memory at
#: once (at 10 M orders that was the build's memory peak), while scikit-learn already uses every core
#: for one fit.
_COMPUTE_LOCK = threading.RLock()


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold the analysis lock around a Python model's whole work (loading its inputs and computing, see
    :func:`run`), so that models waiting for an analysis do not hold their input frames meanwhile.
    Re-entrant: :func:`memoised` takes the same lock inside."""
    with _COMPUTE_LOCK:
        yield


def memoised(
    name: str, params: tuple, orders: pd.DataFrame, compute: Callable[[], Any], *others: pd.DataFrame | None
) -> Any:
    """``compute()`` once per (name, params, orders fingerprint, fingerprint of every other input frame)
    in this process, one at a time."""
    key = (name, params, fingerprint(orders), *(frame_fingerprint(f) for f in others))
    with _COMPUTE_LOCK:
        if key not in _MEMO:
            _MEMO.clear() if len(_MEMO) > 8 else None
            _MEMO[key] = compute()
        return _MEMO[key]


def segments(
    orders: pd.DataFrame,
    categories: pd.DataFrame,
    customers: pd.DataFrame,
    as_of,
    k: int | None,
    random_state: int,
    definitions: pd.DataFrame | None = None,
    variables: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_segments, segment_profiles), computed once per input (features computed once); rules
    below :data:`~customer_intelligence.ml.segments.MIN_KMEANS_CUSTOMERS`."""

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        features = customer_features(orders, as_of, categories, customers)
        return segments_from_features(features, k, random_state, has_amounts(orders), definitions, variables)

    params = (str(as_of), k, random_state, tuple(sorted((variables or {}).items())))
    return memoised("segments", params, orders, compute, categories, customers, definitions)


def churn(
    orders: pd.DataFrame, customers: pd.DataFrame, as_of, horizon_days: int, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_churn, churn_model_metrics), computed once per input."""
    return memoised(
        "churn",
        (str(as_of), horizon_days, random_state),
        orders,
        lambda: churn_tables(orders, customers, as_of=as_of, horizon_days=horizon_days, random_state=random_state),
        customers,
    )


def clv(
    orders: pd.DataFrame, as_of, horizon_days: int = 90, random_state: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_clv, clv_metrics), computed once per input."""
    return memoised(
        "clv",
        (str(as_of), horizon_days, random_state),
        orders,
        lambda: clv_table(orders, as_of=as_of, horizon_days=horizon_days, random_state=random_state),
    )


def parse_int_option(value: Any, name: str, low: int, high: int, allow_empty: bool = False) -> int | None:
    """A whole-number model option from a dbt var, validated, or a clear error."""
    text = "" if value is None else str(value).strip()
    if text in ("", "none", "None", "null") and allow_empty:
        return None
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise ValueError(
            f"var {name} must be a whole number from {low} to {high}{' or empty' if allow_empty else ''}, "
            f"got: {value!r}"
        )
    return int(text)


def prepare_inputs(
    to_pandas: Callable[..., pd.DataFrame],
    orders: Any,
    customers: Any,
    as_of: Any,
    segment_k: Any,
    churn_horizon_days: Any,
    ml_random_state: Any,
    categories: Any = None,
    definitions: Any = None,
    at_risk_inactivity_days: Any = None,
    churn_inactivity_days: Any = None,
) -> dict[str, Any]:
    """The inputs of the ML models as pandas frames and validated options.

    The dbt model passes what ``dbt.ref()`` and ``dbt.config.get()`` returned (dbt finds those calls by
    reading the model file, so they stay there); ``to_pandas`` turns each relation into a frame.
    """
    inputs: dict[str, Any] = {
        "orders": to_pandas(orders, columns=ML_ORDER_COLUMNS, dates_as_objects=False),
        "customers": to_pandas(customers, columns=ML_CUSTOMER_COLUMNS),
        "as_of": pd.Timestamp(to_pandas(as_of)["as_of_date"].iloc[0]),
        "k": parse_int_option(segment_k, "segment_k", 2, 12, allow_empty=True),
        "horizon_days": parse_int_option(churn_horizon_days, "churn_horizon_days", 7, 365),
        "random_state": parse_int_option(ml_random_state, "ml_random_state", 0, 2**31 - 1),
        "categories": None if categories is None else to_pandas(categories),
        "definitions": None if definitions is None else to_pandas(definitions),
        "variables": {
            name: float(parse_int_option(value, name, 1, 3650))
            for name, value in (
                ("at_risk_inactivity_days", at_risk_inactivity_days),
                ("churn_inactivity_days", churn_inactivity_days),
            )
            if value is not None
        },
    }
    return inputs


ANALYSES = ("segments", "churn", "clv")


def run(analysis: str, to_pandas: Callable[..., pd.DataFrame], **refs_and_options: Any) -> tuple[pd.DataFrame, ...]:
    """What a Python model of ``analysis`` (one of :data:`ANALYSES`) calls: load its inputs with
    :func:`prepare_inputs` and return the analysis's tables, one model at a time (:func:`exclusive`). The
    input frames are local to this call, so they are freed before the next model loads its own."""
    if analysis not in ANALYSES:
        raise ValueError(f"unknown analysis {analysis!r}; expected one of {', '.join(ANALYSES)}")
    with exclusive():
        inputs = prepare_inputs(to_pandas, **refs_and_options)
        orders, customers, as_of = inputs["orders"], inputs["customers"], inputs["as_of"]
        if analysis == "segments":
            return segments(
                orders,
                inputs["categories"],
                customers,
                as_of,
                inputs["k"],
                inputs["random_state"],
                inputs["definitions"],
                inputs["variables"],
            )
        if analysis == "churn":
            return churn(orders, customers, as_of, inputs["horizon_days"], inputs["random_state"])
        return clv(orders, as_of, inputs["horizon_days"], inputs["random_state"])
