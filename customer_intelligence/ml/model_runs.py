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
import ctypes
import ctypes.util
import datetime as _dt
import functools
import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_intelligence.ml import registry as reg
from customer_intelligence.ml.churn import MODEL_FEATURES, churn_fit, churn_score, churn_tables
from customer_intelligence.ml.clv import clv_fit, clv_score, clv_table
from customer_intelligence.ml.features import SEGMENT_FEATURES, customer_features, has_amounts
from customer_intelligence.ml.fitted import frame_from_data, frame_to_data, score_segments, segment_state
from customer_intelligence.ml.frames import from_pandas, is_spark_session, to_pandas
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
_MEMO_SIZE = 8
#: id of a memoised tables tuple -> the table numbers already handed to a dbt model (:func:`dbt_model`).
_SERVED: dict[int, set[int]] = {}


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
            while len(_MEMO) >= _MEMO_SIZE:  # the oldest entry goes first (dicts keep insertion order)
                del _MEMO[next(iter(_MEMO))]
            _MEMO[key] = compute()
        return _MEMO[key]


@dataclass(frozen=True)
class Cadence:
    """Where fitted models are kept and when they are refitted (:mod:`customer_intelligence.ml.registry`):
    ``registry`` is a DuckDB connection holding ``ml_registry.ml_model_registry``, or ``None`` (no registry:
    every run fits, as a unit test or a Spark build does)."""

    registry: Any = None
    schema: str = reg.REGISTRY_SCHEMA
    refit_days: int = reg.DEFAULT_REFIT_DAYS
    drift_threshold: float = reg.DEFAULT_DRIFT_THRESHOLD
    force: bool = False

    def key(self) -> tuple:
        """The memo key part of the cadence (a run with another cadence recomputes)."""
        return (self.registry is not None, self.schema, self.refit_days, self.drift_threshold, self.force)


def _fit_entry(analysis: str, method: str, summary: dict, features: list[str], options: dict, reason: str,
               metrics: Any, parameters: Any, as_of: Any) -> dict[str, Any]:
    """A registry row (:data:`~customer_intelligence.ml.registry.REGISTRY_COLUMNS`) for a fit made now."""
    return {
        "analysis": analysis,
        "fitted_at": _dt.datetime.now(_dt.UTC).replace(tzinfo=None),
        "fit_as_of_date": pd.Timestamp(as_of).date(),
        "training_start_date": summary["training_start_date"],
        "training_end_date": summary["training_end_date"],
        "customers": summary["customers"],
        "mean_order_value": summary["mean_order_value"],
        "method": method,
        "refit_reason": reason,
        "feature_list": list(features),
        "options": options,
        "library_versions": reg.library_versions(),
        "validation_metrics": metrics,
        "parameters": parameters,
    }


def _segments_with_cadence(features: pd.DataFrame, orders: pd.DataFrame, as_of, cadence: Cadence,
                           options: dict, fit: Callable[[], tuple[pd.DataFrame, pd.DataFrame]]):
    """Score with the registry's fitted k-means model, or ``fit()`` and register the fit (with a log line
    saying why, :func:`~customer_intelligence.ml.registry.refit_reason`)."""
    summary = reg.data_summary(orders, as_of)
    entry = reg.latest(cadence.registry, "segments", cadence.schema)
    reason = reg.refit_reason(entry, as_of, summary, list(SEGMENT_FEATURES), options, cadence.refit_days,
                              cadence.drift_threshold, cadence.force)
    if reason is None and entry["parameters"] is not None:
        scored = score_segments(features, entry["parameters"])
        if scored is not None:
            reg.announce(f"segments: scored with fitted model v{entry['model_version']} (fitted as of "
                         f"{entry['fit_as_of_date']}), no refit")
            return scored
        reason = "a fitted cluster would have no customer"
    reg.announce(f"segments: refit ({reason})")
    tables = fit()
    state = segment_state(features, tables[1])
    if state is not None:
        metrics = {"silhouette": state["silhouette"], "k": state["k"], "customers": len(features)}
        row = _fit_entry("segments", "kmeans", summary, SEGMENT_FEATURES, options, reason, metrics, state, as_of)
        reg.save(cadence.registry, row, cadence.schema)
    return tables


def segments(
    orders: pd.DataFrame,
    categories: pd.DataFrame,
    customers: pd.DataFrame,
    as_of,
    k: int | None,
    random_state: int,
    definitions: pd.DataFrame | None = None,
    variables: dict[str, float] | None = None,
    cadence: Cadence | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_segments, segment_profiles), computed once per input (features computed once); rules
    below :data:`~customer_intelligence.ml.segments.MIN_KMEANS_CUSTOMERS`. With a registry in ``cadence``,
    a fresh compatible fitted model scores instead of a new fit."""
    cadence = cadence or Cadence()

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        features = customer_features(orders, as_of, categories, customers)

        def fit() -> tuple[pd.DataFrame, pd.DataFrame]:
            return segments_from_features(features, k, random_state, has_amounts(orders), definitions, variables)

        if cadence.registry is None:
            return fit()
        options = {"k": k, "random_state": random_state, "variables": dict(sorted((variables or {}).items())),
                   "definitions": list(frame_fingerprint(definitions)), "with_amounts": has_amounts(orders)}
        return _segments_with_cadence(features, orders, as_of, cadence, options, fit)

    params = (str(as_of), k, random_state, tuple(sorted((variables or {}).items())), cadence.key())
    return memoised("segments", params, orders, compute, categories, customers, definitions)


def _churn_with_cadence(orders: pd.DataFrame, customers: pd.DataFrame, as_of, horizon_days: int, random_state: int,
                        cadence: Cadence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Churn with the registry: while the fit is fresh and compatible, its scoring model (kept as data:
    :func:`~customer_intelligence.ml.churn.churn_fit`) scores the current customers and its validation
    metrics are reused (no split, no training, no BG/NBD fit); otherwise a full fit, registered."""
    summary = reg.data_summary(orders, as_of)
    options = {"horizon_days": horizon_days, "random_state": random_state, "with_amounts": has_amounts(orders)}
    entry = reg.latest(cadence.registry, "churn", cadence.schema)
    reason = reg.refit_reason(entry, as_of, summary, MODEL_FEATURES, options, cadence.refit_days,
                              cadence.drift_threshold, cadence.force)
    parameters = (entry or {}).get("parameters") or {}
    if reason is None and parameters.get("fitted") is not None and parameters.get("metrics") is not None:
        method = parameters["fitted"]["chosen"]
        reg.announce(f"churn: scored with fitted model v{entry['model_version']} ({method}, fitted as of "
                     f"{entry['fit_as_of_date']}), validation not rerun")
        scored = churn_score(orders, customers, as_of, parameters["fitted"])
        return scored, frame_from_data(parameters["metrics"])
    if reason is None:
        reason = "the registered fit keeps no scoring model"
    reg.announce(f"churn: refit ({reason})")
    scored, metrics, fitted = churn_fit(orders, customers, as_of=as_of, horizon_days=horizon_days,
                                        random_state=random_state)
    parameters = {"chosen_method": fitted["chosen"], "fitted": fitted, "metrics": frame_to_data(metrics)}
    validation = json.loads(metrics.to_json(orient="records", date_format="iso"))
    row = _fit_entry("churn", fitted["chosen"], summary, MODEL_FEATURES, options, reason, validation, parameters, as_of)
    reg.save(cadence.registry, row, cadence.schema)
    return scored, metrics


def churn(
    orders: pd.DataFrame, customers: pd.DataFrame, as_of, horizon_days: int, random_state: int,
    cadence: Cadence | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_churn, churn_model_metrics), computed once per input; with a registry in ``cadence``, see
    :func:`_churn_with_cadence`."""
    cadence = cadence or Cadence()

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        if cadence.registry is None:
            return churn_tables(orders, customers, as_of=as_of, horizon_days=horizon_days, random_state=random_state)
        return _churn_with_cadence(orders, customers, as_of, horizon_days, random_state, cadence)

    return memoised("churn", (str(as_of), horizon_days, random_state, cadence.key()), orders, compute, customers)


#: What the CLV candidates read (no feature matrix: each predicts from the completed orders' dates and amounts).
CLV_FEATURES = ["completed order dates", "completed order net revenue"]


def _clv_with_cadence(orders: pd.DataFrame, as_of, horizon_days: int, random_state: int, cadence: Cadence):
    """CLV with the registry: while the fit is fresh and compatible, ``clv_score`` scores with the kept fit
    (the chosen method and the BG/NBD and Gamma-Gamma parameters; no validation, held-back or model fit) and
    its validation metrics are reused; otherwise a full ``clv_fit`` run, registered."""
    summary = reg.data_summary(orders, as_of)
    options = {"horizon_days": horizon_days, "random_state": random_state, "with_amounts": has_amounts(orders)}
    entry = reg.latest(cadence.registry, "clv", cadence.schema)
    reason = reg.refit_reason(entry, as_of, summary, CLV_FEATURES, options, cadence.refit_days,
                              cadence.drift_threshold, cadence.force)
    kept = (entry or {}).get("parameters") or {}
    if reason is None and (kept.get("metrics") is None or kept.get("fitted") is None):
        reason = f"the registered model v{entry['model_version']} keeps no fitted parameters (an older registry row)"
    if reason is None:
        reg.announce(f"clv: scored with fitted model v{entry['model_version']} ({kept['chosen_method']}, fitted as "
                     f"of {entry['fit_as_of_date']}), validation not rerun")
        return clv_score(orders, as_of, kept["fitted"]), frame_from_data(kept["metrics"])
    reg.announce(f"clv: refit ({reason})")
    customer_clv, clv_metrics, fitted = clv_fit(orders, as_of=as_of, horizon_days=horizon_days,
                                                random_state=random_state)
    method = str(fitted["chosen"])
    parameters = {"chosen_method": method, "fitted": fitted, "metrics": frame_to_data(clv_metrics)}
    metrics = json.loads(clv_metrics.to_json(orient="records", date_format="iso"))
    row = _fit_entry("clv", method, summary, CLV_FEATURES, options, reason, metrics, parameters, as_of)
    reg.save(cadence.registry, row, cadence.schema)
    return customer_clv, clv_metrics


def clv(
    orders: pd.DataFrame, as_of, horizon_days: int = 90, random_state: int = 42, cadence: Cadence | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_clv, clv_metrics), computed once per input; with a registry in ``cadence``, see
    :func:`_clv_with_cadence`."""
    cadence = cadence or Cadence()

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        if cadence.registry is None:
            return clv_table(orders, as_of=as_of, horizon_days=horizon_days, random_state=random_state)
        return _clv_with_cadence(orders, as_of, horizon_days, random_state, cadence)

    return memoised("clv", (str(as_of), horizon_days, random_state, cadence.key()), orders, compute)


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


def run(
    analysis: str, to_pandas: Callable[..., pd.DataFrame], cadence: Cadence | None = None, **refs_and_options: Any
) -> tuple[pd.DataFrame, ...]:
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
                cadence,
            )
        if analysis == "churn":
            return churn(orders, customers, as_of, inputs["horizon_days"], inputs["random_state"], cadence)
        return clv(orders, as_of, inputs["horizon_days"], inputs["random_state"], cadence)


def parse_bool_option(value: Any, name: str) -> bool:
    """A true/false model option from a dbt var (``true``/``false`` in any case, or a bool), or a clear error."""
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"var {name} must be true or false, got: {value!r}")
    return text == "true"


def cadence_from_options(session: Any, options: dict[str, Any], marts_schema: str = "marts") -> Cadence:
    """The :class:`Cadence` of a dbt build: the registry in the model's DuckDB ``session`` (none on Spark),
    in the schema beside ``marts_schema`` (:func:`~customer_intelligence.ml.registry.registry_schema`), and
    the vars ``ml_refit_days``, ``ml_drift_percent`` and ``ml_force_refit`` (defaults when absent)."""
    registry = None if session is None or is_spark_session(session) else session
    days = options.get("ml_refit_days", reg.DEFAULT_REFIT_DAYS)
    percent = options.get("ml_drift_percent", round(reg.DEFAULT_DRIFT_THRESHOLD * 100))
    return Cadence(
        registry=registry,
        schema=reg.registry_schema(marts_schema),
        refit_days=int(parse_int_option(days, "ml_refit_days", 1, 3650)),
        drift_threshold=int(parse_int_option(percent, "ml_drift_percent", 1, 1000)) / 100.0,
        force=parse_bool_option(options.get("ml_force_refit", False), "ml_force_refit"),
    )


def dbt_model(dbt: Any, session: Any, analysis: str, table: int, options: dict[str, Any] | None, **refs: Any) -> Any:
    """The whole body of an ML model file after its ``dbt.ref()`` / ``dbt.config.get()`` calls (``dbt`` is
    the model's dbt object, read only for its own schema, ``dbt.this.schema``).

    ``refs`` are the relations the file referenced (``orders``, ``customers``, ``as_of``, and for segments
    ``categories`` and ``definitions``; ``after`` only orders the build and is not read), ``options`` the
    model's ``ml_options`` config (the dbt vars of the ML models, see ``_ml__models.yml``). Returns table
    number ``table`` of the analysis (:func:`run`) as the engine's frame (``frames.from_pandas``).
    """
    refs.pop("after", None)
    options = options or {}
    known = ("segment_k", "churn_horizon_days", "ml_random_state")
    known += ("at_risk_inactivity_days", "churn_inactivity_days")
    picked = {name: value for name, value in options.items() if name in known}
    cadence = cadence_from_options(session, options, str(dbt.this.schema))
    tables = run(analysis, to_pandas, cadence, **refs, **picked)
    result = from_pandas(tables[table], session)
    served(tables, table)
    del tables
    release_memory()
    return result


def served(tables: tuple, table: int) -> None:
    """Record that table number ``table`` of a memoised analysis went to its dbt model; once every table of
    it has, forget the memo entry. Every Python model of a build runs once, so after that nothing reads the
    entry again, and keeping it held the analysis's outputs (at 10 M orders about 1.3 GB with the churn
    drivers' text) through the rest of the build. A later call with the same inputs recomputes: speed, never
    results."""
    with _COMPUTE_LOCK:
        done = _SERVED.setdefault(id(tables), set())
        done.add(table)
        if len(done) < len(tables):
            return
        _SERVED.pop(id(tables), None)
        for key in [key for key, value in _MEMO.items() if value is tables]:
            del _MEMO[key]


def release_memory() -> None:
    """Hand memory the Python models freed back to the operating system (DuckDB runs in the same process and
    the SQL models after them need it): a garbage collection, Arrow's pool's unused memory, and glibc's
    ``malloc_trim`` where the C library has it."""
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):  # pragma: no cover - pyarrow is a dependency
        pass
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library); looked up once: ``find_library`` runs ldconfig."""
    libc_name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc_name), "malloc_trim", None) if libc_name else None
