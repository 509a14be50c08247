"""The model registry and the refit cadence of the Python models (issue 15.3).

Every fit of an analysis writes one row to the table ``ml_registry.ml_model_registry`` in the warehouse
(:data:`REGISTRY_COLUMNS`): when and on which data it was fitted, the feature list, the validation
metrics, the library versions, the options, and the fitted parameters **as JSON data** (never a pickled
object: nothing executable is read back). The table is written by the Python models through their DuckDB
session, outside every dbt model, so ``dbt build --full-refresh`` (which rebuilds the marts) leaves it in
place; deleting the schema forgets every fit.

A build scores with the latest fitted model of its analysis unless :func:`refit_reason` gives a reason
to refit:

* no fitted model, or ``ml_force_refit`` is true (the way to refit on demand, e.g. with a full refresh:
  a dbt Python model cannot see the ``--full-refresh`` flag of a table model);
* the model is ``ml_refit_days`` (default 7) or more as-of days old (age = the build's as-of date minus
  the fit's, so a rebuild of the same data never ages a model), or the as-of date is before the fit's;
* it is incompatible: another feature list, other library versions, other options (k, seed, horizon,
  the segment definitions and their vars);
* the data drifted: the customer count or the mean completed order value differs from the fit's by more
  than var ``ml_drift_percent`` (default 10 %), see :func:`drift`.

In a build the table lives in schema ``ml_registry`` (:func:`registry_schema`: ``<prefix>ml_registry`` when
the project runs as a dbt package).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import platform
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "announce",
    "DEFAULT_DRIFT_THRESHOLD",
    "DEFAULT_REFIT_DAYS",
    "REGISTRY_COLUMNS",
    "REGISTRY_TABLE",
    "data_summary",
    "drift",
    "latest",
    "library_versions",
    "refit_reason",
    "registry_schema",
    "save",
]

log = logging.getLogger(__name__)

REGISTRY_SCHEMA = "ml_registry"
REGISTRY_TABLE = f"{REGISTRY_SCHEMA}.ml_model_registry"
REGISTRY_NAME = "ml_model_registry"
DEFAULT_REFIT_DAYS = 7
DEFAULT_DRIFT_THRESHOLD = 0.10

#: Column name -> DuckDB type of the registry table; the JSON columns hold text.
REGISTRY_COLUMNS: dict[str, str] = {
    "analysis": "varchar",
    "model_version": "integer",
    "fitted_at": "timestamp",
    "fit_as_of_date": "date",
    "training_start_date": "date",
    "training_end_date": "date",
    "customers": "bigint",
    "mean_order_value": "double",
    "method": "varchar",
    "refit_reason": "varchar",
    "feature_list": "varchar",
    "options": "varchar",
    "library_versions": "varchar",
    "validation_metrics": "varchar",
    "parameters": "varchar",
}
_JSON_COLUMNS = ("feature_list", "options", "library_versions", "validation_metrics", "parameters")


def announce(message: str) -> None:
    """Log a cadence decision where a build shows it: dbt's log and console (through dbt's adapter logger,
    when dbt is installed) and this module's Python logger (``INFO``)."""
    log.info(message)
    try:
        from dbt.adapters.events.logging import AdapterLogger
    except ImportError:  # the package used without dbt
        return
    AdapterLogger("customer_intelligence").info(message)


def library_versions() -> dict[str, str]:
    """The versions a fitted model depends on: Python (major.minor), numpy, pandas, scikit-learn."""
    import sklearn

    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def data_summary(orders: pd.DataFrame, as_of: Any) -> dict[str, Any]:
    """What the drift check compares, from the completed orders before ``as_of``: customers, mean order
    value (net revenue per completed order; NaN without amounts) and the first / last order date."""
    dates = pd.to_datetime(orders["order_date"])
    done = orders[orders["is_completed"].fillna(False).astype(bool).to_numpy() & (dates < pd.Timestamp(as_of))]
    net = pd.to_numeric(done["net_revenue"], errors="coerce")
    done_dates = pd.to_datetime(done["order_date"])
    return {
        "customers": int(done["customer_id"].nunique()),
        "mean_order_value": float(net.mean()) if net.notna().any() else float("nan"),
        "training_start_date": done_dates.min().date() if len(done) else None,
        "training_end_date": done_dates.max().date() if len(done) else None,
    }


def drift(fitted: Mapping[str, Any], current: Mapping[str, Any]) -> float:
    """The largest relative change of the customer count and the mean order value since the fit
    (``|now - then| / then``; a measure missing on either side, or zero at the fit, is not compared)."""
    changes = [0.0]
    for key in ("customers", "mean_order_value"):
        then, now = fitted.get(key), current.get(key)
        if then is None or now is None or not np.isfinite(then) or not np.isfinite(now) or then == 0:
            continue
        changes.append(abs(float(now) - float(then)) / abs(float(then)))
    return max(changes)


def refit_reason(
    entry: Mapping[str, Any] | None,
    as_of: Any,
    summary: Mapping[str, Any],
    feature_list: list[str],
    options: Mapping[str, Any],
    refit_days: int = DEFAULT_REFIT_DAYS,
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
    force: bool = False,
    versions: Mapping[str, str] | None = None,
) -> str | None:
    """Why the analysis must refit instead of scoring with the fitted model ``entry`` (the latest registry
    row, JSON columns decoded, see :func:`latest`), or ``None`` when the model can be used (module docstring)."""
    if entry is None:
        return "no fitted model in the registry"
    if force:
        return "forced (var ml_force_refit)"
    age = (pd.Timestamp(as_of).normalize() - pd.Timestamp(entry["fit_as_of_date"])).days
    if age < 0:
        return f"the as-of date is {-age} days before the fit's"
    if age >= refit_days:
        return f"the model is {age} days old (ml_refit_days = {refit_days})"
    for name, now, then in (
        ("feature list", list(feature_list), entry["feature_list"]),
        ("library versions", dict(versions or library_versions()), entry["library_versions"]),
        ("options", _jsonable(dict(options)), entry["options"]),
    ):
        if now != then:
            return f"incompatible: the {name} differs from the fit's ({then} -> {now})"
    shift = drift(entry, summary)
    if shift > drift_threshold:
        return f"the data drifted by {shift:.1%} since the fit (ml_drift_percent = {drift_threshold:.0%})"
    return None


def _jsonable(value: Any) -> Any:
    """``value`` as it comes back from JSON (tuples as lists, numpy scalars as numbers)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON data: {type(value).__name__}")


def registry_schema(marts_schema: str) -> str:
    """The registry's schema beside the ML marts' schema: ``ml_registry`` standalone (marts in ``marts``),
    ``<prefix>ml_registry`` when the project runs as a package (marts in e.g. ``analytics_ciq_marts``)."""
    return marts_schema[: -len("marts")] + REGISTRY_SCHEMA if marts_schema.endswith("marts") else REGISTRY_SCHEMA


def _table(schema: str) -> str:
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"registry schema must be letters, digits and underscores, got: {schema!r}")
    return f'"{schema}".{REGISTRY_NAME}'


def _ensure_table(con: Any, schema: str) -> str:
    table = _table(schema)
    con.execute(f'create schema if not exists "{schema}"')
    columns = ", ".join(f"{name} {kind}" for name, kind in REGISTRY_COLUMNS.items())
    con.execute(f"create table if not exists {table} ({columns}, primary key (analysis, model_version))")
    return table


def latest(con: Any, analysis: str, schema: str = REGISTRY_SCHEMA) -> dict[str, Any] | None:
    """The latest registry row of ``analysis`` with its JSON columns decoded, or ``None``."""
    table = _ensure_table(con, schema)
    names = list(REGISTRY_COLUMNS)
    row = con.execute(
        f"select {', '.join(names)} from {table} where analysis = ? order by model_version desc limit 1",
        [analysis],
    ).fetchone()
    if row is None:
        return None
    entry = dict(zip(names, row, strict=True))
    for name in _JSON_COLUMNS:
        entry[name] = json.loads(entry[name])
    return entry


def save(con: Any, entry: Mapping[str, Any], schema: str = REGISTRY_SCHEMA) -> int:
    """Append ``entry`` (every :data:`REGISTRY_COLUMNS` key but ``model_version``, JSON columns as data)
    as the next version of its analysis; returns that version."""
    table = _ensure_table(con, schema)
    (version,) = con.execute(
        f"select coalesce(max(model_version), 0) + 1 from {table} where analysis = ?", [entry["analysis"]]
    ).fetchone()
    row = {**entry, "model_version": int(version)}
    for name in _JSON_COLUMNS:
        row[name] = json.dumps(row[name], default=_json_default, sort_keys=True)
    names = list(REGISTRY_COLUMNS)
    placeholders = ", ".join("?" for _ in names)
    con.execute(f"insert into {table} ({', '.join(names)}) values ({placeholders})", [row[n] for n in names])
    return int(version)
