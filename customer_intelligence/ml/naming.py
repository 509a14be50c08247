"""Earned segment names: a cluster takes a catalogued name only when its centre meets the name's definition.

The definitions live in ``seeds/segment_definitions.csv`` (one row per name of type ``ml_segment`` in
``seeds/segment_catalog.csv``, which also holds the names' actions). Each has a ``priority``, an optional
``requires`` (``amounts`` or ``discounts``: the name is never given on data without them) and a ``rule``:
clauses joined by ``and``, each one of

* ``feature op number`` - the centre's value in original units (e.g. ``tenure_days < 180``);
* ``pct(feature) op share`` - the centre's value against that quantile of all customers' values, so the
  rule is relative to the business (e.g. ``pct(net_revenue) >= 0.8``: at least the 80th percentile, the
  top quintile; ``pct(recency_days) <= 0.5``: more recent than the median customer);
* ``feature op var(name)`` - a threshold defined once as a dbt var (e.g. ``var(at_risk_inactivity_days)``).

``op`` is one of ``<``, ``<=``, ``>``, ``>=``. A centre is tested against the definitions in priority
order and takes the first it meets. A centre meeting none gets a descriptive name from its dominant
traits, :func:`descriptive_name`: a recency word (``Active`` within ``at_risk_inactivity_days``,
``Lapsing`` within ``churn_inactivity_days``, else ``Lapsed``) and a value word from the centre's
net-revenue percentile (``high-value`` from 2/3, ``mid-value`` from 1/3, else ``low-value``), or, without
amounts, from its order-count percentile (``frequent`` / ``occasional`` / ``rare``): e.g.
``Lapsed mid-value``. Clusters earning the same name form one segment. The same functions name single
customers in the small-data rule fallback (each customer is its own centre).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_VARS",
    "SEEDS_DIR",
    "catalog_actions",
    "descriptive_name",
    "earn_names",
    "load_catalog",
    "load_definitions",
    "meets",
    "percentile_of",
    "recency_word",
]

#: The project's seeds folder (the package's default source of definitions and actions).
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
#: Defaults of the dbt vars the rules may name (the dbt models pass the configured values).
DEFAULT_VARS: dict[str, float] = {"at_risk_inactivity_days": 90.0, "churn_inactivity_days": 180.0}

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_CLAUSE = re.compile(r"^\s*(pct\((\w+)\)|(\w+))\s*(<=|>=|<|>)\s*(var\((\w+)\)|-?[0-9.]+)\s*$")


def load_definitions(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The segment definitions sorted by priority (``frame`` as given by ``dbt.ref``, else the seed CSV)."""
    df = pd.read_csv(SEEDS_DIR / "segment_definitions.csv", dtype=str) if frame is None else frame.copy()
    df["requires"] = df["requires"].fillna("").astype(str).str.strip()
    df["priority"] = df["priority"].astype(int)
    return df.sort_values("priority", kind="mergesort").reset_index(drop=True)


def load_catalog(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The segment catalog (``frame`` as given by ``dbt.ref``, else the seed CSV)."""
    return pd.read_csv(SEEDS_DIR / "segment_catalog.csv", dtype=str) if frame is None else frame.copy()


def catalog_actions(catalog: pd.DataFrame | None = None) -> dict[str, str]:
    """Recommended action by ML segment name and by recency word (types ``ml_segment`` and ``ml_trait``)."""
    df = load_catalog(catalog)
    rows = df[df["segment_type"].isin(["ml_segment", "ml_trait"])]
    return dict(zip(rows["segment"].astype(str), rows["recommended_action"].fillna("").astype(str), strict=True))


def percentile_of(values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Mid-rank percentile (0-1) of each value among ``population``: share below plus half the ties."""
    pop = np.sort(np.asarray(population, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    if len(pop) == 0:
        return np.full(len(v), np.nan)
    below = np.searchsorted(pop, v, side="left")
    upto = np.searchsorted(pop, v, side="right")
    return (below + upto) / 2.0 / len(pop)


def _parse(rule: str) -> list[tuple[bool, str, str, str | None, float | None]]:
    """Clauses of a rule: (is_percentile, feature, op, var name, number)."""
    clauses = []
    for text in re.split(r"\s+and\s+", rule.strip()):
        m = _CLAUSE.match(text)
        if not m:
            raise ValueError(
                f"seeds/segment_definitions.csv: cannot read the clause {text!r} of rule {rule!r}; expected "
                "'feature op number', 'pct(feature) op share' or 'feature op var(name)' with op in < <= > >="
            )
        is_pct = m.group(2) is not None
        feature = m.group(2) or m.group(3)
        var_name = m.group(6)
        number = None if var_name else float(m.group(5))
        clauses.append((is_pct, feature, m.group(4), var_name, number))
    return clauses


def meets(
    centres: pd.DataFrame, rule: str, population: pd.DataFrame, variables: Mapping[str, float] | None = None
) -> np.ndarray:
    """Whether each centre (row, original units) meets ``rule``; a missing feature never meets it."""
    variables = {**DEFAULT_VARS, **(variables or {})}
    ok = np.ones(len(centres), dtype=bool)
    for is_pct, feature, op, var_name, number in _parse(rule):
        if feature not in centres.columns or (is_pct and feature not in population.columns):
            return np.zeros(len(centres), dtype=bool)
        value = centres[feature].to_numpy(dtype=np.float64)
        if var_name is not None:
            if var_name not in variables:
                raise ValueError(f"seeds/segment_definitions.csv: rule {rule!r} names unknown var {var_name!r}")
            threshold = float(variables[var_name])
        else:
            threshold = float(number)
        if is_pct:  # against the population's quantile: pct(x) >= 0.8 <=> x >= 80th percentile of x
            pop = population[feature].to_numpy(dtype=np.float64)
            pop = pop[np.isfinite(pop)]
            if len(pop) == 0:
                return np.zeros(len(centres), dtype=bool)
            threshold = float(np.quantile(pop, threshold))
        # a relative tolerance of 1e-9: centres come back from log space (expm1(log1p(1000)) != 1000 exactly)
        tol = 1e-9 * max(1.0, abs(threshold))
        shifted = threshold - tol if op in (">=", "<") else threshold + tol
        ok &= _OPS[op](np.nan_to_num(value, nan=-np.inf if op in (">", ">=") else np.inf), shifted)
    return ok


def recency_word(recency_days: np.ndarray, variables: Mapping[str, float] | None = None) -> np.ndarray:
    """``Active`` / ``Lapsing`` / ``Lapsed`` by the at-risk and churn inactivity thresholds."""
    variables = {**DEFAULT_VARS, **(variables or {})}
    r = np.asarray(recency_days, dtype=np.float64)
    at_risk, churned = variables["at_risk_inactivity_days"], variables["churn_inactivity_days"]
    return np.where(r <= at_risk, "Active", np.where(r <= churned, "Lapsing", "Lapsed")).astype(object)


def descriptive_name(
    centres: pd.DataFrame, population: pd.DataFrame, with_amounts: bool, variables: Mapping[str, float] | None = None
) -> list[str]:
    """Names from dominant traits (see the module docstring), e.g. ``Lapsed mid-value``."""
    words = recency_word(centres["recency_days"].to_numpy(), variables)
    if with_amounts:
        pct = percentile_of(centres["net_revenue"].to_numpy(), population["net_revenue"].to_numpy())
        level = np.where(pct >= 2 / 3, "high-value", np.where(pct >= 1 / 3, "mid-value", "low-value"))
    else:
        pct = percentile_of(centres["orders_count"].to_numpy(), population["orders_count"].to_numpy())
        level = np.where(pct >= 2 / 3, "frequent", np.where(pct >= 1 / 3, "occasional", "rare"))
    return [f"{w} {lv}" for w, lv in zip(words, level, strict=True)]


def earn_names(
    centres: pd.DataFrame,
    population: pd.DataFrame,
    with_amounts: bool,
    with_discounts: bool,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> list[str]:
    """The name of each centre: the first definition (by priority) it meets, else a descriptive name.

    ``centres`` holds one row per cluster (or customer) in original units; ``population`` every
    customer's features (for the percentiles). Names requiring amounts / discounts the data lacks are
    skipped.
    """
    defs = load_definitions(definitions)
    names = np.full(len(centres), None, dtype=object)
    have = {"": True, "amounts": with_amounts, "discounts": with_discounts and with_amounts}
    for row in defs.itertuples(index=False):
        if not have.get(row.requires, False):
            continue
        hit = meets(centres, str(row.rule), population, variables) & (names == None)  # noqa: E711
        names[hit] = row.segment
    if (names == None).any():  # noqa: E711
        fallback = descriptive_name(centres, population, with_amounts, variables)
        names = np.where(names == None, np.asarray(fallback, dtype=object), names)  # noqa: E711
    return [str(n) for n in names]
