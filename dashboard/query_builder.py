"""The dashboard's one query builder: (measures, group-by dimensions, filters) -> a frame, from the smallest
source that answers exactly.

Sources, smallest first (``plan`` picks one; ``figures`` runs it):

- ``agg_bi_customer_segments`` (membership x country x one customer attribute): any customer-grain figure when
  the date range is the whole history (the default selection, and any membership / country filter);
- ``agg_bi_segment_month`` (month x membership x country x segment): per-month customers, orders and revenue
  for any period of whole months;
- ``customer`` grain (``dim_customer_360``, one row per customer): figures no BI mart has (e.g. by two
  attributes), whole history only;
- ``order`` grain (``fct_orders`` summed per customer over the period): everything else, i.e. any date range
  that is not the whole history (per-customer period totals cannot be summed from monthly rows: distinct
  customers do not add up across months).

A publication without the BI marts (an older one) is read at order grain. Every measure is additive (a count
or a sum) and is defined once in ``MEASURES``: as the BI marts' column it sums and as the aggregate over the
customer-grain selection ``period_customers`` (whose rule columns, repeat customer and frequency band, come
from the marts: ``kpi_overview.repeat_customer_min_orders``, ``agg_customers_by_frequency_band``); ratios
(``RATIOS``) are computed from the summed measures after the query, so they stay exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Filters:
    """The dashboard's shared filters. ``None`` dates and empty tuples mean no restriction."""

    start: date | None = None
    end: date | None = None
    memberships: tuple[str, ...] = field(default_factory=tuple)
    countries: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Measure:
    """An additive measure: the BI marts' column that holds it, its aggregate over ``period_customers``
    (customer grain) and over ``period_orders`` (order grain, for per-month figures; None = not available)."""

    mart_column: str
    customer_sql: str
    order_sql: str | None = None


MEASURES: dict[str, Measure] = {
    "customers": Measure("customers", "count(*)", "count(distinct period_orders.customer_id)"),
    "orders": Measure("completed_orders", "sum(period_orders)", "count(*)"),
    "revenue": Measure("net_revenue", "sum(period_revenue)", "sum(period_orders.net_revenue)"),
    "repeat_customers": Measure("repeat_customers", "count(case when is_period_repeat then 1 end)"),
    "at_risk_customers": Measure("at_risk_customers", "count(case when customer_status = 'At Risk' then 1 end)"),
    "active_customers": Measure("active_customers", "count(case when is_period_active then 1 end)"),
    "annual_income_sum": Measure("annual_income_sum", "sum(annual_income)"),
    "annual_income_count": Measure("annual_income_count", "count(annual_income)"),
    "spending_score_sum": Measure("spending_score_sum", "sum(spending_score)"),
    "spending_score_count": Measure("spending_score_count", "count(spending_score)"),
    "recency_days_sum": Measure("recency_days_sum", "sum(recency_days)"),
    "recency_days_count": Measure("recency_days_count", "count(recency_days)"),
    "recency_score_sum": Measure("recency_score_sum", "sum(recency_score)"),
    "frequency_score_sum": Measure("frequency_score_sum", "sum(frequency_score)"),
    "monetary_score_sum": Measure("monetary_score_sum", "sum(monetary_score)"),
}

# Ratios of two summed measures: name -> (numerator, denominator).
RATIOS: dict[str, tuple[str, str]] = {
    "average_order_value": ("revenue", "orders"),
    "revenue_per_customer": ("revenue", "customers"),
    "repeat_purchase_rate": ("repeat_customers", "customers"),
    "average_annual_income": ("annual_income_sum", "annual_income_count"),
    "average_spending_score": ("spending_score_sum", "spending_score_count"),
    "average_recency_days": ("recency_days_sum", "recency_days_count"),
    "average_recency_score": ("recency_score_sum", "recency_days_count"),
    "average_frequency_score": ("frequency_score_sum", "recency_days_count"),
    "average_monetary_score": ("monetary_score_sum", "recency_days_count"),
}

# Customer attributes a figure may be grouped by (whitelist: these names reach SQL), with their labels.
SEGMENT_COLUMNS: dict[str, str] = {
    "membership": "Membership",
    "rfm_segment": "RFM segment",
    "loyalty_tier": "Loyalty tier",
    "spending_quadrant": "Income × spending quadrant",
    "frequency_band": "Order-frequency band",
    "country_code": "Country",
    "gender": "Gender",
    "age_group": "Age group",
    "children_status": "Children",
    "preferred_category": "Preferred category",
    "customer_status": "Activity status",
}
MONTH = "month_start"
# The BI marts' partition columns (every filter), and the segment types each mart holds.
PARTITIONS = ("membership", "country_code")
SEGMENTS_MART = "agg_bi_customer_segments"
MONTH_MART = "agg_bi_segment_month"
COHORT_MART = "agg_bi_cohort_month"
BI_MARTS = (SEGMENTS_MART, MONTH_MART, COHORT_MART)
MONTH_SEGMENT_TYPES = frozenset({"membership", "rfm_segment", "loyalty_tier", "spending_quadrant"})
MONTH_MEASURES = frozenset({"customers", "orders", "revenue"})
# In period_customers the period's frequency band is its own column (the band of the period's orders).
_CUSTOMER_GRAIN_COLUMNS = {"frequency_band": "period_frequency_band"}


@dataclass(frozen=True)
class Bounds:
    """The publication's order-date range: first completed order and the day before the as-of date."""

    first_date: date
    last_date: date


def is_whole_history(filters: Filters, bounds: Bounds) -> bool:
    """Whether the filters' date range covers every order (open ends count as covering)."""
    return ((filters.start is None or filters.start <= bounds.first_date)
            and (filters.end is None or filters.end >= bounds.last_date))


def whole_months(filters: Filters, bounds: Bounds) -> bool:
    """Whether the date range is a run of whole calendar months (its ends may lie beyond the data)."""
    start_ok = filters.start is None or filters.start <= bounds.first_date or filters.start.day == 1
    end_ok = (filters.end is None or filters.end >= bounds.last_date
              or (filters.end + timedelta(days=1)).day == 1)
    return start_ok and end_ok


def _check(measures: tuple[str, ...], by: tuple[str, ...]) -> None:
    """Validate measure and dimension names against the whitelists."""
    unknown = [m for m in measures if m not in MEASURES] + [b for b in by if b not in SEGMENT_COLUMNS and b != MONTH]
    if unknown:
        raise ValueError(f"unknown measure or dimension {unknown}; measures {sorted(MEASURES)}, "
                         f"dimensions {sorted(SEGMENT_COLUMNS)} and {MONTH!r}")


def _segment_type(by: tuple[str, ...]) -> str | None:
    """The one customer attribute besides the partitions (membership, country), 'overall' for none, None for 2+."""
    attributes = [b for b in by if b not in PARTITIONS and b != MONTH]
    if len(attributes) > 1:
        return None
    return attributes[0] if attributes else "overall"


def plan(available: frozenset[str], measures: tuple[str, ...], by: tuple[str, ...], filters: Filters,
         bounds: Bounds) -> str:
    """The smallest source that answers exactly: a BI mart's name, 'customer' or 'order' (see the module doc)."""
    _check(measures, by)
    has_bi = set(BI_MARTS) <= available
    segment_type = _segment_type(by)
    if MONTH in by:
        if (has_bi and whole_months(filters, bounds) and set(measures) <= MONTH_MEASURES
                and segment_type in MONTH_SEGMENT_TYPES | {"overall"}):
            return MONTH_MART
        return "order"
    if has_bi and is_whole_history(filters, bounds):
        return SEGMENTS_MART if segment_type is not None else "customer"
    return "order"


def _params(filters: Filters) -> dict:
    """Query parameters of the filters (open ends become the widest range)."""
    return {
        "start": filters.start or date(1900, 1, 1),
        "end": filters.end or date(9999, 12, 31),
        "memberships": list(filters.memberships),
        "countries": list(filters.countries),
    }


def used_params(sql: str, params: dict) -> dict:
    """The parameters a query names (DuckDB refuses unused named parameters)."""
    return {name: value for name, value in params.items() if f"${name}" in sql}


def _partition_filter(alias: str) -> str:
    """The membership and country filter on a relation with those columns."""
    return (f"(len(cast($memberships as varchar[])) = 0 or list_contains(cast($memberships as varchar[]), "
            f"{alias}.membership)) and (len(cast($countries as varchar[])) = 0 "
            f"or list_contains(cast($countries as varchar[]), {alias}.country_code))")


# The selected customers: purchasers of dim_customer_360 matching membership and country.
_CUSTOMERS = f"""
    as_of as (
        select as_of_date, repeat_customer_min_orders, active_window_days from marts.kpi_overview
    ),
    customers as (
        select customer_360.*
        from marts.dim_customer_360 as customer_360
        where customer_360.is_purchaser and {_partition_filter("customer_360")}
    )
"""

# The selected customers' completed orders in the period (only read by queries that name it).
_CUSTOMERS += """,
    period_orders as (
        select orders.order_id, orders.customer_id, orders.order_date, orders.net_revenue
        from marts.fct_orders as orders
        inner join customers
            on orders.customer_id = customers.customer_id
        where
            orders.is_completed
            and orders.order_date < (select as_of_date from as_of)
            and orders.order_date between $start and $end
    )
"""

# Whole history: each selected customer's figures are dim_customer_360's own columns.
_WHOLE_HISTORY_SELECTION = _CUSTOMERS + """,
    period_customers as (
        select
            customers.*,
            customers.completed_orders as period_orders,
            customers.net_revenue as period_revenue,
            customers.is_repeat_customer as is_period_repeat,
            customers.frequency_band as period_frequency_band,
            customers.is_active_in_window as is_period_active
        from customers
    )
"""

# A period: the selected customers' completed orders in it, summed per customer (customers with none are not
# counted), with the rules applied to the period's orders.
_PERIOD_SELECTION = _CUSTOMERS + """,
    frequency_bands as (
        select frequency_band, min_orders, max_orders from marts.agg_customers_by_frequency_band
    ),
    period_customers as (
        select
            customers.*,
            totals.period_orders,
            totals.period_revenue,
            totals.period_orders >= (select repeat_customer_min_orders from as_of) as is_period_repeat,
            frequency_bands.frequency_band as period_frequency_band,
            totals.last_period_order_date > least($end, (select as_of_date from as_of) - 1)
                - cast((select active_window_days from as_of) as integer) as is_period_active
        from (
            select customer_id, count(*) as period_orders, sum(net_revenue) as period_revenue,
                max(order_date) as last_period_order_date
            from period_orders
            group by customer_id
        ) as totals
        inner join customers
            on totals.customer_id = customers.customer_id
        left join frequency_bands
            on totals.period_orders >= frequency_bands.min_orders
            and (frequency_bands.max_orders is null or totals.period_orders <= frequency_bands.max_orders)
    )
"""


def selection_sql(whole_history: bool) -> str:
    """The CTEs (after ``with``) defining ``customers`` and ``period_customers`` (and, for a period,
    ``period_orders``) for the filter parameters of ``_params``."""
    return _WHOLE_HISTORY_SELECTION if whole_history else _PERIOD_SELECTION


# Per publication id: its marts' table names and date bounds (a publication never changes once written).
_METADATA: dict[tuple[str, str], object] = {}


def _publication_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The publication's id (publication.publication_info), None for a database that is not a publication."""
    try:
        row = con.execute("select publication_id from publication.publication_info").fetchone()
    except duckdb.Error:
        return None
    return str(row[0]) if row else None


def _memo(con: duckdb.DuckDBPyConnection, name: str, compute: Callable[[duckdb.DuckDBPyConnection], object]) -> object:
    """``compute(con)``, remembered per publication id (not remembered for other databases)."""
    key = _publication_id(con)
    if key is None:
        return compute(con)
    if (key, name) not in _METADATA:
        _METADATA[(key, name)] = compute(con)
    return _METADATA[(key, name)]


def _available_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall())


def available_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The tables of the publication's ``marts`` schema."""
    return _memo(con, "tables", _available_tables)


def _bounds(con: duckdb.DuckDBPyConnection) -> Bounds:
    first, last = con.execute("""
        select coalesce(min(orders.order_date), kpi.as_of_date - 1), kpi.as_of_date - 1
        from marts.kpi_overview as kpi
        left join marts.fct_orders as orders
            on orders.is_completed and orders.order_date < kpi.as_of_date
        group by kpi.as_of_date
    """).fetchone()
    return Bounds(first, last)


def bounds(con: duckdb.DuckDBPyConnection) -> Bounds:
    """First completed order date and the day before the as-of date."""
    return _memo(con, "bounds", _bounds)


def _mart_sql(mart: str, measures: tuple[str, ...], by: tuple[str, ...]) -> str:
    """Sum ``measures`` of a BI mart for the filters' rows of the segment type ``by`` needs."""
    segment_type = _segment_type(by)
    columns = [f"{b}" if b in PARTITIONS or b == MONTH else f"segment as {b}" for b in by]
    sums = [f"sum({MEASURES[m].mart_column}) as {m}" for m in measures]
    month = (f" and {MONTH} between cast(date_trunc('month', cast($start as date)) as date) and $end"
             if mart == MONTH_MART else "")
    group = f"group by {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    return (f"select {', '.join(columns + sums)} from marts.{mart} as mart "
            f"where segment_type = '{segment_type}' and {_partition_filter('mart')}{month} {group}")


def _grain_sql(source: str, measures: tuple[str, ...], by: tuple[str, ...]) -> str:
    """The same figures from the customer or order grain."""
    selection = selection_sql(whole_history=source == "customer")
    if MONTH in by:  # per month: the period's orders, with their customer's attributes
        columns = [f"cast(date_trunc('month', period_orders.order_date) as date) as {MONTH}" if b == MONTH
                   else f"customers.{b}" for b in by]
        sums = [f"{MEASURES[m].order_sql} as {m}" for m in measures]
        source_sql = "period_orders inner join customers on period_orders.customer_id = customers.customer_id"
    else:
        columns = [f"{_CUSTOMER_GRAIN_COLUMNS.get(b, b)} as {b}" for b in by]
        sums = [f"{MEASURES[m].customer_sql} as {m}" for m in measures]
        source_sql = "period_customers"
    group = f"group by {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    return f"with {selection} select {', '.join(columns + sums)} from {source_sql} {group}"


def add_ratios(frame: pd.DataFrame, ratios: tuple[str, ...]) -> pd.DataFrame:
    """Add ``ratios`` (names of ``RATIOS``) computed from the frame's summed measures; NaN when undefined."""
    for name in ratios:
        numerator, denominator = RATIOS[name]
        frame[name] = frame[numerator].astype(float) / frame[denominator].astype(float).where(
            frame[denominator] != 0)
    return frame


def figures(con: duckdb.DuckDBPyConnection, measures: tuple[str, ...], by: tuple[str, ...], filters: Filters,
            source: str | None = None) -> pd.DataFrame:
    """``measures`` (additive, see ``MEASURES``) per value of ``by`` for the filters, from the source ``plan``
    picks (or ``source`` when given: tests compare sources). Returns one column per dimension, then per
    measure; rows in no particular order. Months of a per-month query are the months of the period."""
    _check(measures, by)
    if source is None:
        source = plan(available_tables(con), measures, by, filters, bounds(con))
    if MONTH in by and source == "customer":
        raise ValueError("per-month figures are not at customer grain")
    if source in BI_MARTS:
        sql = _mart_sql(source, measures, by)
    elif source in ("customer", "order"):
        sql = _grain_sql(source, measures, by)
    else:
        raise ValueError(f"unknown source {source!r}")
    frame = con.execute(sql, used_params(sql, _params(filters))).df()
    for measure in measures:  # sums over no row are null; a count of nothing is 0
        if measure != "revenue" and not measure.endswith("_sum"):
            frame[measure] = frame[measure].fillna(0).astype("int64")
    frame.attrs["source"] = source
    return frame
