"""Audit before publish: compare the key figures of a new publication with the current one.

Key figures (each read only when its mart and column exist, so a publication without the ML marts is
audited on the rest):

- **totals**: customers, orders and net revenue (``marts.kpi_overview``); the shift is relative
  (``new / previous - 1``) and its limit ``max_total_shift`` (default 0.20 = 20 %);
- **shares**: the share of every RFM segment and loyalty tier among purchasers (``marts.dim_customer_360``),
  of every ML segment (``marts.ml_customer_segments``) and churn-risk tier (``marts.ml_customer_churn_scores``);
  the shift is in percentage points and its limit ``max_share_shift_points`` (default 10). Segment and tier
  sizes are compared as shares, because a size follows the customer total, which is audited on its own.

Limits come from ``CIQ_PUBLISH_MAX_TOTAL_SHIFT`` and ``CIQ_PUBLISH_MAX_SHARE_SHIFT_POINTS``; a run accepts a
shift past them with ``CIQ_ACCEPT_SHIFT=1`` (or the publish CLI's ``--accept-shift``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

TOTAL_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("customers", "kpi_overview", "total_customers"),
    ("orders", "kpi_overview", "total_orders"),
    ("net revenue", "kpi_overview", "net_revenue"),
)
# (label, mart, column, filter column or None): the distribution of ``column`` over the mart's rows
SHARE_FIGURES: tuple[tuple[str, str, str, str | None], ...] = (
    ("RFM segment", "dim_customer_360", "rfm_segment", "is_purchaser"),
    ("loyalty tier", "dim_customer_360", "loyalty_tier", "is_purchaser"),
    ("ML segment", "ml_customer_segments", "segment_name", None),
    ("churn-risk tier", "ml_customer_churn_scores", "churn_risk_tier", None),
)
ENV_MAX_TOTAL_SHIFT = "CIQ_PUBLISH_MAX_TOTAL_SHIFT"
ENV_MAX_SHARE_SHIFT = "CIQ_PUBLISH_MAX_SHARE_SHIFT_POINTS"
ENV_ACCEPT_SHIFT = "CIQ_ACCEPT_SHIFT"


@dataclass(frozen=True)
class AuditLimits:
    """How far a key figure may move between two publications before publishing refuses."""

    max_total_shift: float = 0.20
    max_share_shift_points: float = 10.0


@dataclass(frozen=True)
class FigureShift:
    """One key figure in both publications; ``shift`` is relative (totals) or in points (shares)."""

    figure: str
    kind: str  # 'total' or 'share'
    previous: float | None
    new: float | None
    shift: float
    limit: float

    @property
    def breached(self) -> bool:
        """True when the figure moved past its limit."""
        return abs(self.shift) > self.limit


def _parse_number(name: str, text: str) -> float:
    """A limit from the environment: '0.2', '20%' (= 0.2 for a relative limit) or '10'."""
    try:
        value = float(text.strip().rstrip("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError as error:
        raise ValueError(f"{name}={text!r} is not a number (e.g. {name}=0.2 or {name}=20%)") from error
    if value < 0 or math.isnan(value):
        raise ValueError(f"{name}={text!r} must be zero or more")
    return value


def limits_from_env(env: dict[str, str]) -> AuditLimits:
    """The audit limits from ``env`` (the defaults where a variable is unset or empty)."""
    defaults = AuditLimits()
    total, share = env.get(ENV_MAX_TOTAL_SHIFT, ""), env.get(ENV_MAX_SHARE_SHIFT, "")
    return AuditLimits(
        _parse_number(ENV_MAX_TOTAL_SHIFT, total) if total.strip() else defaults.max_total_shift,
        _parse_number(ENV_MAX_SHARE_SHIFT, share.replace("%", "")) if share.strip()
        else defaults.max_share_shift_points,
    )


def accept_shift_from_env(env: dict[str, str]) -> bool:
    """True when ``CIQ_ACCEPT_SHIFT`` is set to 1/true/yes."""
    return env.get(ENV_ACCEPT_SHIFT, "").strip().lower() in {"1", "true", "yes"}


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, set[str]]:
    """The column names of every table in ``catalog.marts``: table -> columns."""
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts'",
        [catalog],
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    return columns


def key_figures(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple[str, float]]:
    """The key figures of the publication attached as ``catalog``: name -> (kind, value).

    Totals are plain numbers; shares are fractions (0..1) named '<label>: <value>'.
    """
    figures: dict[str, tuple[str, float]] = {}
    present = _columns(con, catalog)
    for name, table, column in TOTAL_FIGURES:
        if column in present.get(table, set()):
            value = con.execute(f'select sum("{column}") from "{catalog}".marts."{table}"').fetchone()[0]
            figures[name] = ("total", float(value or 0))
    for label, table, column, where in SHARE_FIGURES:
        columns = present.get(table, set())
        if column not in columns or (where is not None and where not in columns):
            continue
        condition = f'where "{where}"' if where else ""
        rows = con.execute(
            f'select coalesce(cast("{column}" as varchar), \'(none)\'), count(*) '
            f'from "{catalog}".marts."{table}" {condition} group by 1 order by 1'
        ).fetchall()
        total = sum(count for _, count in rows)
        for value, count in rows:
            figures[f"{label}: {value}"] = ("share", count / total if total else 0.0)
    return figures


def compare(previous: dict[str, tuple[str, float]], new: dict[str, tuple[str, float]],
            limits: AuditLimits) -> list[FigureShift]:
    """Every figure of either side with its shift and limit, totals first, in a stable order.

    A share missing on one side counts as 0 there (a segment that appeared or vanished). A total present on
    one side only is not comparable and is left out (a mart that was added or removed).
    """
    shifts = []
    for name in sorted(set(previous) | set(new), key=lambda n: ((previous.get(n) or new[n])[0] != "total", n)):
        kind = (previous.get(name) or new[name])[0]
        before = previous[name][1] if name in previous else None
        after = new[name][1] if name in new else None
        if kind == "total":
            if before is None or after is None:
                continue
            if before == 0:
                shift = 0.0 if after == 0 else math.inf
            else:
                shift = after / before - 1
            shifts.append(FigureShift(name, kind, before, after, shift, limits.max_total_shift))
        else:
            shift = ((after or 0.0) - (before or 0.0)) * 100
            shifts.append(FigureShift(name, kind, before, after, shift, limits.max_share_shift_points))
    return shifts


def _show(kind: str, value: float | None) -> str:
    """A figure for the diff table."""
    if value is None:
        return "-"
    return f"{value * 100:.1f} %" if kind == "share" else f"{value:,.2f}".rstrip("0").rstrip(".")


def _show_shift(shift: FigureShift) -> str:
    """A shift and its limit for the diff table."""
    if shift.kind == "share":
        return f"{shift.shift:+.1f} pts (limit ±{shift.limit:g} pts)"
    moved = "new" if math.isinf(shift.shift) else f"{shift.shift * 100:+.1f} %"
    return f"{moved} (limit ±{shift.limit * 100:g} %)"


def format_diff(shifts: list[FigureShift], only_breached: bool = False) -> str:
    """A readable table of the shifts; breached rows are marked."""
    rows = [s for s in shifts if s.breached or not only_breached]
    if not rows:
        return "(no key figure to compare)"
    width = max(len(s.figure) for s in rows)
    lines = [f"{'figure':<{width}}  {'current':>14}  {'new build':>14}  shift"]
    for s in rows:
        mark = "  <-- past the limit" if s.breached else ""
        lines.append(f"{s.figure:<{width}}  {_show(s.kind, s.previous):>14}  {_show(s.kind, s.new):>14}  "
                     f"{_show_shift(s)}{mark}")
    return "\n".join(lines)


def shifts_as_records(shifts: list[FigureShift], accepted: bool) -> list[dict]:
    """The diff as rows for ``publication.publication_audit`` and the Parquet manifest."""
    return [
        {"figure": s.figure, "kind": s.kind, "current_value": s.previous, "new_value": s.new,
         "shift": None if math.isinf(s.shift) else s.shift, "limit_value": s.limit, "breached": s.breached,
         "accepted": accepted and s.breached}
        for s in shifts
    ]
