"""What every page shares: the published file, the filters in the sidebar, cached queries, formats, charts.

The dashboard reads only the published marts (``customer_intelligence.reporting.publish``), read-only, through
one connection per publication (``open_current_publication``: a private DuckDB instance; each query runs on its
own cursor). Connections and query results are cached per publication, keyed by the file's identity (a
publication is a new file, swapped in atomically), so a new publication is picked up on the next rerun; the
previous one's connection is dropped then. Publishing is never blocked by the dashboard (it renames a new file
into place; a read-only reader of the old file does not hold the name). Scatter plots read a stratified sample
of at most ``MAX_SCATTER_POINTS`` customers and say so.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from customer_intelligence.reporting.publish import READER_CATALOG, default_paths, open_current_publication
from dashboard import data as dd

PROJECT_DIR = Path(__file__).resolve().parents[1]

FILTER_KEYS = ("filter_dates", "filter_memberships", "filter_countries")
# Income x spending quadrants: chart colour and the matching Streamlit markdown colour.
QUADRANT_COLOURS = {"VIPs": ("#2e7d32", "green"), "Potential Growers": ("#1e88e5", "blue"),
                    "Underperformers": ("#fb8c00", "orange"), "At Risk": ("#e53935", "red"),
                    "Unknown Income": ("#9e9e9e", "gray")}


def quadrant_scale() -> alt.Scale:
    """The same colour for a quadrant in every chart."""
    return alt.Scale(domain=list(QUADRANT_COLOURS), range=[colour for colour, _ in QUADRANT_COLOURS.values()])


def published_path() -> Path:
    """The publication the dashboard reads: CIQ_PUBLISHED_PATH, else the build's default (next to the warehouse)."""
    path = default_paths()["published"]
    return path if path.is_absolute() else PROJECT_DIR / path


def _stamp(path: Path) -> tuple[int, int, int]:
    """Identity of the published file: a new publication is a new file (new inode, mtime)."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


_CONNECTIONS: dict[str, tuple[tuple, duckdb.DuckDBPyConnection]] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _cursor(path: str, stamp: tuple) -> duckdb.DuckDBPyConnection:
    """A cursor on the one read-only connection to the publication ``stamp`` names (opened on first use; the
    connection to an older publication at ``path`` is dropped when a new one appears, and closes once its
    last cursor is done)."""
    with _CONNECTIONS_LOCK:
        cached = _CONNECTIONS.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, open_current_publication(path))
            _CONNECTIONS[path] = cached
        cursor = cached[1].cursor()
    cursor.execute(f'use "{READER_CATALOG}"')  # a cursor starts in the in-memory catalog
    return cursor


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(path: str, stamp: tuple, function: str, filters: dd.Filters | None, kwargs: tuple) -> object:
    """Run ``dashboard.data.<function>`` on the publication; cached per publication and arguments."""
    with _cursor(path, stamp) as con:
        if filters is None:
            return getattr(dd, function)(con, **dict(kwargs))
        return getattr(dd, function)(con, filters, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_sql(path: str, stamp: tuple, sql: str) -> pd.DataFrame:
    with _cursor(path, stamp) as con:
        return con.execute(sql).df()


def require_publication() -> Path:
    """The published file, or stop the page with instructions when there is none."""
    path = published_path()
    if not path.exists():
        st.error(f"No publication found at `{path}`. Run `make build` (it publishes after a green build).")
        st.stop()
    return path


def load(function: str, filters: dd.Filters | None = None, **kwargs) -> object:
    """Call a ``dashboard.data`` function on the publication, with caching."""
    path = require_publication()
    return _cached_call(str(path), _stamp(path), function, filters, tuple(sorted(kwargs.items())))


def sql(query: str) -> pd.DataFrame:
    """A small read-only query on the publication (metadata, descriptions), cached per publication."""
    path = require_publication()
    return _cached_sql(str(path), _stamp(path), query)


def has_table(name: str) -> bool:
    """Whether the publication has ``marts.<name>`` (optional marts, such as the ML models' outputs)."""
    tables = sql("select table_name from information_schema.tables where table_schema = 'marts'")
    return name in set(tables["table_name"])


def _keep(widget_key: str) -> None:
    """on_change of a filter widget: remember its value for every page."""
    st.session_state[f"kept_{widget_key}"] = st.session_state[widget_key]


def _restore(widget_key: str, default: object, valid: Callable[[object], bool]) -> None:
    """Set a filter widget's value, before it is drawn, from the value remembered by ``_keep`` (widget state
    alone does not survive a switch to another page), dropping one the publication no longer offers."""
    remembered = st.session_state.get(f"kept_{widget_key}", default)
    value = remembered if valid(remembered) else default
    st.session_state[widget_key] = value
    st.session_state[f"kept_{widget_key}"] = value


def sidebar_filters() -> None:
    """The shared filters (date range, membership, country), drawn in the sidebar by every page. Their values
    are kept in st.session_state (``kept_<widget key>``), so they apply to every visual on every page."""
    options: dd.FilterOptions = load("filter_options")
    info = sql("select publication_id, published_at from publication.publication_info")
    names = dict(options.countries)
    _restore("filter_dates", (options.first_date, options.last_date),
             lambda v: isinstance(v, (tuple, list)) and all(options.first_date <= d <= options.last_date for d in v))
    _restore("filter_memberships", [], lambda v: set(v) <= set(options.memberships))
    _restore("filter_countries", [], lambda v: set(v) <= set(names))
    with st.sidebar:
        st.header("Filters")
        st.caption("Apply to every visual on every page.")
        st.date_input("Order date range", min_value=options.first_date, max_value=options.last_date,
                      key="filter_dates", on_change=_keep, args=("filter_dates",))
        st.multiselect("Membership segment", options.memberships, key="filter_memberships", placeholder="All",
                       on_change=_keep, args=("filter_memberships",))
        st.multiselect(
            "Country", [code for code, _ in options.countries], key="filter_countries",
            format_func=lambda code: f"{names.get(code, code)} ({code})", placeholder="All",
            on_change=_keep, args=("filter_countries",),
        )
        st.divider()
        st.caption(
            f"As of {options.as_of_date:%Y-%m-%d} · publication `{info['publication_id'].iloc[0]}` "
            f"(published {info['published_at'].iloc[0]:%Y-%m-%d %H:%M} UTC)"
        )


def current_filters() -> dd.Filters:
    """The filters chosen in the sidebar (a half-picked date range counts as its first day only)."""
    state = {key: st.session_state.get(f"kept_{key}") for key in FILTER_KEYS}
    dates = state["filter_dates"]
    start = end = None
    if isinstance(dates, (tuple, list)) and dates:
        start = dates[0]
        end = dates[1] if len(dates) > 1 else dates[0]
    elif isinstance(dates, date):
        start = end = dates
    return dd.Filters(
        start=start,
        end=end,
        memberships=tuple(state["filter_memberships"] or ()),
        countries=tuple(state["filter_countries"] or ()),
    )


def page_filters() -> dd.Filters:
    """Start a page: check the publication, draw the shared filters in the sidebar, return the selection."""
    require_publication()
    sidebar_filters()
    return current_filters()


def describe(filters: dd.Filters) -> str:
    """One line saying what the page shows."""
    parts = []
    if filters.start and filters.end:
        parts.append(f"orders {filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}")
    parts.append("membership: " + (", ".join(filters.memberships) or "all"))
    parts.append("countries: " + (", ".join(filters.countries) or "all"))
    return " · ".join(parts)


def sample_caption(points: pd.DataFrame, stratum: str) -> str:
    """What a scatter plot shows: every customer, or a sample of how many, stratified by what."""
    total = int(points["points_total"].iloc[0]) if len(points) else 0
    if len(points) >= total:
        return f"All {total:,} customers shown."
    return (f"Showing a sample of {len(points):,} of {total:,} customers, stratified by {stratum} (each keeps its "
            f"share); totals and every other chart use all customers.")


#: What a money KPI card shows when the data has no amounts (row rule R8).
NO_AMOUNTS = "no amounts in the data"


def money(value: float) -> str:
    """$1,234,567 (no cents), or an en dash when undefined."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"${value:,.0f}"


def money_compact(value: float) -> str:
    """$15.01 M, $812.3 k, $950 (fits a KPI card), or an en dash when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    for size, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            return f"${value / size:,.2f}{suffix}"
    return f"${value:,.0f}"


def money2(value: float) -> str:
    """$1,234.56, or an en dash when undefined."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"${value:,.2f}"


def count(value: float) -> str:
    """1,234."""
    return f"{int(value):,}"


def percent(value: float) -> str:
    """41.2 %, or an en dash when undefined."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f} %"


def chart(spec: alt.TopLevelMixin, key: str | None = None, renderer: str = "svg") -> None:
    """Show an Altair chart; ``key`` names it in the spec's usermeta too (tests find charts by it).

    ``renderer`` is ``svg`` (a browser test can count the marks) or ``canvas`` for the scatters: thousands of
    points are one bitmap on a canvas instead of one SVG element each, which the browser draws several times
    faster (``make bench-dashboard``)."""
    if renderer not in ("svg", "canvas"):
        raise ValueError(f"renderer must be svg or canvas, got {renderer!r}")
    usermeta = {"embedOptions": {"renderer": renderer}, "chart_key": key}
    st.altair_chart(spec.properties(usermeta=usermeta), width="stretch", key=key)


def no_data() -> None:
    """The message shown instead of a chart when the selection has no rows."""
    st.info("No customers match the filters.")


def has_rows(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` has rows to chart; shows the no-data message when it has none."""
    if frame.empty:
        no_data()
        return False
    return True


def env_summary() -> str:
    """Where the data comes from (shown on the overview)."""
    return f"Reading `{published_path()}` (read-only)." + (
        " Set by CIQ_PUBLISHED_PATH." if os.environ.get("CIQ_PUBLISHED_PATH") else ""
    )
