"""Churn drivers: the top three reasons a customer is at risk, in the customer's own terms.

Method (per-feature contribution against the population baseline, "break-down" order)
-------------------------------------------------------------------------------------
Driver groups (:data:`DRIVER_GROUPS`) are features that move together, e.g. ``recency_days`` with
``recency_gap_ratio``. Moving a group to the **population baseline** sets its columns to the median
over the scored customers; after every move the gap ratio ``recency_days / mean_gap_days`` is
recomputed from the recency and the gap the frame then holds. The customer is then scored again with
the method that scored them. Because the features are
correlated (a long silence also means no order in the last horizon), moving one group alone can
barely change the score, so the groups are taken greedily, as in the Break Down method (Staniak and
Biecek, 2018, "step-up" order): start from the typical customer (every driver group at the baseline,
the other features the customer's own), put back first the group of the customer's own values that
raises the churn probability most, then, given it, the next, three times. Each contribution is the
rise it caused, in probability points: the risk the group adds compared with a typical customer. The
groups with a contribution of at least half a point are the customer's drivers (up to three). A group
the scoring method does not read (e.g. everything but recency for the recency rule) contributes 0.

Each driver is written as the customer's value against the typical value with the direction and
size, e.g. ``no order for 140 days (usual gap 30 days; typical customer 45 days): +22 pts``. The groups
are behavioural (recency, recent and earlier orders, frequency, tenure): the money features (spend,
basket, discount share) still feed the model but are held at the customer's own values, as they are
descriptions of the customer rather than reasons a retention team can act on, and on data without
amounts they do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DRIVER_GROUPS", "DriverGroup", "baseline_frame", "contributions", "driver_table"]

ScoreFn = Callable[[pd.DataFrame], np.ndarray]


def _days(v: float) -> str:
    return f"{v:,.0f} day" + ("" if round(v) == 1 else "s")


def _orders(v: float) -> str:
    return f"{v:,.0f} order" + ("" if round(v) == 1 else "s")


Texts = Callable[[dict[str, np.ndarray], pd.Series], list[str]]


@dataclass(frozen=True)
class DriverGroup:
    """Columns replaced together and how the reason reads (customer columns, baseline -> one text a row)."""

    columns: tuple[str, ...]
    text: Texts
    money: bool = False


def _recency(c: dict[str, np.ndarray], b: pd.Series) -> list[str]:
    typical = _days(b["recency_days"])
    return [
        f"no order for {_days(r)} (usual gap {_days(g)}; typical customer {typical})"
        for r, g in zip(c["recency_days"], c["mean_gap_days"], strict=True)
    ]


def _count(column: str, words: str) -> Texts:
    def text(c: dict[str, np.ndarray], b: pd.Series) -> list[str]:
        typical = _orders(b[column])
        return [f"{_orders(v)} {words} (typical {typical})" for v in c[column]]

    return text


def _frequency(c: dict[str, np.ndarray], b: pd.Series) -> list[str]:
    typical = f"typical {_orders(b['orders_count'])}, every {_days(b['mean_gap_days'])}"
    return [
        f"{_orders(n)} in total, one every {_days(g)} ({typical})"
        for n, g in zip(c["orders_count"], c["mean_gap_days"], strict=True)
    ]


def _tenure(c: dict[str, np.ndarray], b: pd.Series) -> list[str]:
    typical = _days(b["tenure_days"])
    return [f"customer for {_days(t)} (typical {typical})" for t in c["tenure_days"]]


#: The driver groups, in tie-break order.
DRIVER_GROUPS: dict[str, DriverGroup] = {
    "recency": DriverGroup(("recency_days", "recency_gap_ratio"), _recency),
    "recent_orders": DriverGroup(
        ("orders_last_horizon", "net_revenue_last_horizon"), _count("orders_last_horizon", "in the last horizon")
    ),
    "previous_orders": DriverGroup(("orders_prev_horizon",), _count("orders_prev_horizon", "in the horizon before")),
    "last_year": DriverGroup(
        ("orders_same_window_last_year",), _count("orders_same_window_last_year", "in the same weeks last year")
    ),
    "frequency": DriverGroup(("orders_count", "mean_gap_days"), _frequency),
    "tenure": DriverGroup(("tenure_days",), _tenure),
}


def baseline_frame(frame: pd.DataFrame) -> pd.Series:
    """The population baseline: the median of every numeric column of ``frame``."""
    numeric = frame.select_dtypes(include=[np.number, "bool"])
    return numeric.median()


def _at_baseline(frame: pd.DataFrame, group: DriverGroup, baseline: pd.Series) -> pd.DataFrame:
    """``frame`` with the group's columns at the baseline, gap ratio recomputed."""
    out = frame.copy()
    for col in group.columns:
        if col in out.columns and col in baseline.index:
            out[col] = np.asarray(baseline[col], dtype=np.float64).astype(out[col].dtype, copy=False)
    return _with_gap_ratio(out)


def _with_gap_ratio(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` (a copy the caller owns) with the gap ratio recomputed from the recency and gap it holds."""
    if "recency_gap_ratio" in out.columns and "mean_gap_days" in out.columns:
        out["recency_gap_ratio"] = out["recency_days"].to_numpy(dtype=np.float64) / np.maximum(
            out["mean_gap_days"].to_numpy(dtype=np.float64), 1.0
        )
    return out


def _eligible(frame: pd.DataFrame, with_amounts: bool) -> list[str]:
    return [
        name
        for name, group in DRIVER_GROUPS.items()
        if not (group.money and not with_amounts) and all(c in frame.columns for c in group.columns)
    ]


def _with_values(current: pd.DataFrame, group: DriverGroup, source: pd.DataFrame) -> pd.DataFrame:
    """``current`` with the group's columns taken from ``source`` (row-aligned), gap ratio recomputed."""
    out = current.copy()
    for col in group.columns:
        out[col] = source[col].to_numpy()
    return _with_gap_ratio(out)


def contributions(
    score: ScoreFn, frame: pd.DataFrame, with_amounts: bool = True, baseline: pd.Series | None = None, steps: int = 3
) -> pd.DataFrame:
    """Break-down contributions of the driver groups (see the module docstring), one column per group.

    Greedy, per row: starting from the typical customer (every driver group at the baseline, the other
    features the customer's own), the group whose own values raise the score most is put back first,
    its contribution being that rise, then the next given the first, ``steps`` times; the others get 0.
    """
    baseline = baseline_frame(frame) if baseline is None else baseline
    names = _eligible(frame, with_amounts)
    n = len(frame)
    own = frame.reset_index(drop=True)
    current = own.copy()
    for name in names:
        current = _at_baseline(current, DRIVER_GROUPS[name], baseline)
    p_now = np.asarray(score(current), dtype=np.float64)
    taken = np.zeros((n, len(names)), dtype=bool)
    contrib = np.zeros((n, len(names)))
    rows = np.arange(n)
    for _ in range(min(steps, len(names))):
        rises = np.full((n, len(names)), -np.inf)
        moved = []
        for j, name in enumerate(names):
            candidate = _with_values(current, DRIVER_GROUPS[name], own)
            moved.append(candidate)
            open_rows = ~taken[:, j]  # a group already put back is not scored again (its rise stays -inf)
            if open_rows.all():
                rises[:, j] = np.asarray(score(candidate), dtype=np.float64) - p_now
            elif open_rows.any():
                scored = np.asarray(score(candidate.loc[open_rows]), dtype=np.float64)
                rises[open_rows, j] = scored - p_now[open_rows]
        best = np.argmax(np.round(rises, 12), axis=1)
        gain = rises[rows, best]
        contrib[rows, best] = gain
        taken[rows, best] = True
        p_now = p_now + gain
        for j, name in enumerate(names):  # put back each row's chosen group
            hit = best == j
            if hit.any():
                for col in DRIVER_GROUPS[name].columns + ("recency_gap_ratio",):
                    if col in current.columns:
                        current.loc[hit, col] = moved[j].loc[hit, col].to_numpy()
    return pd.DataFrame(contrib, columns=names, index=frame.index)


def driver_table(
    frame: pd.DataFrame, contrib: pd.DataFrame, baseline: pd.Series | None = None, top: int = 3, min_points: float = 0.5
) -> pd.DataFrame:
    """``churn_driver_1..top`` (text) and ``churn_driver_1..top_points`` (probability points, > 0).

    A driver needs a contribution of at least ``min_points`` percentage points; missing drivers are
    null. Ties go to the :data:`DRIVER_GROUPS` order.
    """
    baseline = baseline_frame(frame) if baseline is None else baseline
    names = list(contrib.columns)
    n = len(frame)
    values = np.round(contrib.to_numpy(dtype=np.float64) * 100.0, 6).reshape(n, len(names))
    order = np.argsort(-values, axis=1, kind="stable")
    columns = {c: frame[c].to_numpy(dtype=np.float64) for g in names for c in DRIVER_GROUPS[g].columns}
    columns["mean_gap_days"] = frame["mean_gap_days"].to_numpy(dtype=np.float64)
    out = {}
    rows = np.arange(n)
    for rank in range(top):
        text = np.full(n, None, dtype=object)
        points = np.full(n, np.nan)
        if rank < len(names):
            j = order[:, rank]
            pts = values[rows, j]
            ok = pts >= min_points
            for g_idx, g in enumerate(names):
                hit = ok & (j == g_idx)
                if hit.any():  # texts only for the rows that show this driver
                    reasons = DRIVER_GROUPS[g].text({c: v[hit] for c, v in columns.items()}, baseline)
                    text[hit] = [f"{t}: +{p:.0f} pts" for t, p in zip(reasons, pts[hit], strict=True)]
            points[ok] = pts[ok]
        out[f"churn_driver_{rank + 1}"] = pd.array(text, dtype="str")
        out[f"churn_driver_{rank + 1}_points"] = points
    return pd.DataFrame(out)
