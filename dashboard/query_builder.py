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

    mart_column: str | None
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
# Measures of the ML marts' columns, only at customer / order grain through ``figures(..., join=...)`` (``ML_JOINS``).
ML_MEASURES: dict[str, Measure] = {
    "high_risk_customers": Measure(None, "count(case when ml_churn_risk_tier = 'high' then 1 end)"),
    "churn_probability_sum": Measure(None, "sum(ml_churn_probability)"),
    "churn_probability_count": Measure(None, "count(ml_churn_probability)"),
    "revenue_at_risk_sum": Measure(None, "sum(ml_revenue_at_risk)"),
}
_ALL_MEASURES = MEASURES | ML_MEASURES

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
    "average_orders": ("orders", "customers"),
    "average_churn_probability": ("churn_probability_sum", "churn_probability_count"),
}

# The optional ML marts a customer-grain figure may join (inner join: their customers only), with the columns
# they bring, prefixed ``ml_``; ``ML_DIMENSIONS`` are the dimensions they add.
ML_JOINS: dict[str, tuple[str, ...]] = {
    "ml_customer_segments": ("cluster_id", "segment"),
    "ml_customer_actions": ("segment", "churn_risk_tier", "churn_probability", "revenue_at_risk"),
}
ML_DIMENSIONS = frozenset({"ml_cluster_id", "ml_segment"})

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
    unknown = [m for m in measures if m not in _ALL_MEASURES] + [
        b for b in by if b not in SEGMENT_COLUMNS and b not in ML_DIMENSIONS and b != MONTH]
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
    if ML_DIMENSIONS & set(by) or any(m in ML_MEASURES for m in measures):
        return "customer" if has_bi and is_whole_history(filters, bounds) else "order"  # no BI mart has them
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


# ml_customer_360's columns under the names the customer grain (period_customers joined to an ML mart) gives them.
_CUSTOMER_ML_COLUMNS = {
    "period_orders": "completed_orders", "period_revenue": "net_revenue", "is_period_repeat": "is_repeat_customer",
    "period_frequency_band": "frequency_band", "is_period_active": "is_active_in_window",
    "ml_churn_risk_tier": "churn_risk_tier", "ml_churn_probability": "churn_probability",
    "ml_revenue_at_risk": "revenue_at_risk",
}
# The customers an ML join keeps: those with a row in that mart.
_CUSTOMER_ML_JOINED = {"ml_customer_segments": "ml_cluster_id is not null",
                       "ml_customer_actions": "action_rank is not null"}


def _grain_sql(source: str, measures: tuple[str, ...], by: tuple[str, ...], join: str | None = None) -> str:
    """The same figures from the customer or order grain (joined to the ML mart ``join``, if any), or, for the
    source ``CUSTOMER_ML_MART``, the customer grain with ``join``'s columns read from ml_customer_360 (whole
    history, no join)."""
    if source == CUSTOMER_ML_MART:
        renamed = ", ".join(f"{column} as {name}" for name, column in _CUSTOMER_ML_COLUMNS.items())
        selection = (f"period_customers as (select *, {renamed} from marts.{CUSTOMER_ML_MART} as mart "
                     f"where {_partition_filter('mart')} and {_CUSTOMER_ML_JOINED[join]})")
        join = None
    else:
        selection = selection_sql(whole_history=source == "customer")
    if MONTH in by:  # per month: the period's orders, with their customer's attributes
        columns = [f"cast(date_trunc('month', period_orders.order_date) as date) as {MONTH}" if b == MONTH
                   else f"customers.{b}" for b in by]
        sums = [f"{MEASURES[m].order_sql} as {m}" for m in measures]
        source_sql = "period_orders inner join customers on period_orders.customer_id = customers.customer_id"
    else:
        columns = [f"{_CUSTOMER_GRAIN_COLUMNS.get(b, b)} as {b}" for b in by]
        sums = [f"{_ALL_MEASURES[m].customer_sql} as {m}" for m in measures]
        source_sql = "period_customers"
        if join is not None:
            columns_sql = ", ".join(f"{c} as ml_{c}" for c in ML_JOINS[join])
            source_sql += (f" inner join (select customer_id as ml_customer_id, {columns_sql} from marts.{join})"
                           " as ml on period_customers.customer_id = ml.ml_customer_id")
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
            source: str | None = None, join: str | None = None) -> pd.DataFrame:
    """``measures`` (additive, see ``MEASURES``) per value of ``by`` for the filters, from the source ``plan``
    picks (or ``source`` when given: tests compare sources). Returns one column per dimension, then per
    measure; rows in no particular order. Months of a per-month query are the months of the period. ``join``
    (a key of ``ML_JOINS``) restricts the customers to an ML mart's and adds its columns (customer grain only;
    on the whole history ``ml_customer_360`` holds both, and is read instead of joining)."""
    _check(measures, by)
    if (join is None) != (not (ML_DIMENSIONS & set(by) or set(measures) & set(ML_MEASURES))) or (
            join is not None and (join not in ML_JOINS or MONTH in by)):
        raise ValueError(f"ML measures / dimensions need a join of {sorted(ML_JOINS)}, not per month (got {join!r})")
    if source is None:
        source = plan(available_tables(con), measures, by, filters, bounds(con))
        source = "customer" if join is not None and source in BI_MARTS else source
        if source == "customer" and join is not None and reads_customer_ml_mart(con, filters):
            source = CUSTOMER_ML_MART  # the same customers and columns, without the join
    if MONTH in by and source == "customer":
        raise ValueError("per-month figures are not at customer grain")
    if source in BI_MARTS:
        sql = _mart_sql(source, measures, by)
    elif source in ("customer", "order", CUSTOMER_ML_MART):
        sql = _grain_sql(source, measures, by, join)
    else:
        raise ValueError(f"unknown source {source!r}")
    frame = con.execute(sql, used_params(sql, _params(filters))).df()
    for measure in measures:  # sums over no row are null; a count of nothing is 0
        if measure != "revenue" and not measure.endswith("_sum"):
            frame[measure] = frame[measure].fillna(0).astype("int64")
    frame.attrs["source"] = source
    return frame


def query(con: duckdb.DuckDBPyConnection, filters: Filters, body: str, extra: dict | None = None) -> pd.DataFrame:
    """Run ``with <selection>, <body>`` with the filter parameters (and ``extra``) and return a frame. The
    selection is dim_customer_360 as it is when the publication has the BI marts (whose dim_customer_360
    carries the rule columns) and the date range covers every order, else the period's orders."""
    whole_history = set(BI_MARTS) <= available_tables(con) and is_whole_history(filters, bounds(con))
    sql = f"with {selection_sql(whole_history)}, {body}"
    return con.execute(sql, used_params(sql, _params(filters) | (extra or {}))).df()


# Customer grain with the ML outputs pre-joined (models/marts/ml/ml_customer_360.sql): the per-customer views read
# it instead of joining three ML marts to every selected customer, when the date range is the whole history.
CUSTOMER_ML_MART = "ml_customer_360"


def reads_customer_ml_mart(con: duckdb.DuckDBPyConnection, filters: Filters) -> bool:
    """Whether per-customer rows come from ``ml_customer_360``: it is published (with the BI marts) and the date
    range covers every order (a period's revenue needs the orders)."""
    available = available_tables(con)
    return {CUSTOMER_ML_MART, *BI_MARTS} <= available and is_whole_history(filters, bounds(con))


def customer_ml_query(con: duckdb.DuckDBPyConnection, filters: Filters, body: str,
                      extra: dict | None = None) -> pd.DataFrame:
    """Run ``with customer_360 as (ml_customer_360's rows of the membership and country filter), <body>``."""
    sql = (f"with customer_360 as (select * from marts.{CUSTOMER_ML_MART} as mart "
           f"where {_partition_filter('mart')}), {body}")
    return con.execute(sql, used_params(sql, _params(filters) | (extra or {}))).df()


# Columns a scatter sample may be stratified by (whitelist: these names reach SQL).
STRATA_COLUMNS = frozenset({"membership", "rfm_segment", "loyalty_tier", "spending_quadrant", "ml_segment",
                            "country_code", "segment", "churn_risk_tier"})


def sampled(order_by: str, max_points: int | None, stratify_by: str | None) -> str:
    """The end of a per-row query after its ``final`` CTE: every row, or a stratified sample of ~``max_points``.

    Each stratum (a value of ``stratify_by``) keeps ``ceil(max_points * stratum size / total)`` rows, chosen by
    a hash of the customer id (deterministic, spread over the range), so every stratum keeps its share. Every
    row carries ``points_total``: how many rows the unsampled query has.
    """
    if max_points is None:
        return f"select *, count(*) over () as points_total from final order by {order_by}"
    if stratify_by not in STRATA_COLUMNS:
        raise ValueError(f"unknown stratum column {stratify_by!r}; choose one of {sorted(STRATA_COLUMNS)}")
    quota = f"ceil({int(max_points)} * stratum_size / points_total)"
    # Only rows whose hash is below a threshold (about 4 x max_points of them) are ranked, plus every row of a
    # stratum with fewer such rows than its quota: the smallest hashes of a stratum are below the threshold
    # whenever at least its quota are, so the sample is the same as ranking every row, without sorting them all.
    return f"""
        , limits as (
            select
                count(*) as points_total,
                cast(least(1.0, {4 * int(max_points)} / greatest(count(*), 1)) * 1.8e19 as ubigint) as threshold
            from final
        ),
        strata as (
            select
                final.{stratify_by} as stratum,
                count(*) as stratum_size,
                count(case when hash(final.customer_id) < limits.threshold then 1 end) as below_threshold
            from final
            cross join limits
            group by 1
        ),
        candidates as (
            select final.*, limits.points_total, strata.stratum_size
            from final
            cross join limits
            inner join strata
                on final.{stratify_by} is not distinct from strata.stratum
            where hash(final.customer_id) < limits.threshold
                or strata.below_threshold < ceil({int(max_points)} * strata.stratum_size / limits.points_total)
        ),
        ranked as (
            select
                candidates.*,
                row_number() over (
                    partition by candidates.{stratify_by} order by hash(candidates.customer_id), candidates.customer_id
                ) as stratum_rank
            from candidates
        )
        select * exclude (stratum_size, stratum_rank)
        from ranked
        where stratum_rank <= {quota}
        order by {order_by}
    """


# The days of the rolling-active chart: the period's days (within the data), weekly back from its last day when
# the period is long.
_ACTIVE_DAYS = """
    settings as (
        select
            cast((select active_window_days from as_of) as integer) as window_days,
            greatest($start, (select min(date_day) from marts.dim_date)) as first_day,
            least($end, (select as_of_date from as_of) - 1) as last_day
    ),
    days as (
        select dates.date_day
        from marts.dim_date as dates, settings
        where dates.date_day between settings.first_day and settings.last_day
            and (settings.last_day - settings.first_day < $max_daily_points
                or (settings.last_day - dates.date_day) % 7 = 0)
    ),
"""

# Per source, ``segments`` (of the selection) and ``counts`` (active customers per day of ``days`` and segment).
_ACTIVE_FROM_MART = """
    segments as (
        select distinct segment from marts.{segments_mart} as mart
        where segment_type = '{column}' and {partitions}
    ),
    counts as (
        select date_day, segment, sum(active_customers) as active_customers
        from marts.agg_bi_active_daily as mart
        where segment_type = '{column}' and {partitions}
            and date_day in (select date_day from days)
        group by 1, 2
    ),
"""
_ACTIVE_FROM_ORDERS = """
    window_orders as (
        select distinct orders.customer_id, orders.order_date, customers.{column} as segment
        from marts.fct_orders as orders
        inner join customers
            on orders.customer_id = customers.customer_id
        cross join settings
        where orders.is_completed
            and orders.order_date < (select as_of_date from as_of)
            and orders.order_date > settings.first_day - settings.window_days
            and orders.order_date <= settings.last_day
    ),
    intervals as (
        -- each order makes its customer active from its day until the window ends or their next order
        -- (whichever is first): one customer's intervals never overlap, so counting them counts customers
        select
            segment,
            order_date as start_day,
            least(
                order_date + (select window_days from settings),
                coalesce(lead(order_date) over (partition by customer_id order by order_date),
                    order_date + (select window_days from settings))
            ) as end_day
        from window_orders
    ),
    changes as (
        select segment, day, sum(delta) as delta
        from (
            select segment, start_day as day, 1 as delta from intervals
            union all
            select segment, end_day as day, -1 as delta from intervals
        ) as events
        group by 1, 2
    ),
    running as (
        select segment, day,
            sum(delta) over (partition by segment order by day rows between unbounded preceding and current row)
                as active_customers
        from changes
    ),
    segments as (
        select distinct {column} as segment from customers
    ),
    counts as (
        -- active on a day: the running count at the last change on or before it
        select days.date_day, segments.segment, running.active_customers
        from days
        cross join segments
        asof left join running
            on segments.segment = running.segment and days.date_day >= running.day
    ),
"""
_ACTIVE_FINAL = """
    final as (
        select days.date_day, segments.segment, cast(coalesce(counts.active_customers, 0) as bigint)
            as active_customers
        from days
        cross join segments
        left join counts
            on days.date_day = counts.date_day and segments.segment is not distinct from counts.segment
    )
    select * from final order by date_day, segment
"""


def rolling_active(con: duckdb.DuckDBPyConnection, filters: Filters, column: str, max_daily_points: int
                   ) -> pd.DataFrame:
    """Active customers per day and value of ``column`` (a ``SEGMENT_COLUMNS`` name): from agg_bi_active_daily
    when the publication has it and ``column`` is one of its segment types, else from the orders."""
    _check((), (column,))
    if column in MONTH_SEGMENT_TYPES and "agg_bi_active_daily" in available_tables(con):
        counts = _ACTIVE_FROM_MART.format(segments_mart=SEGMENTS_MART, column=column,
                                          partitions=_partition_filter("mart"))
    else:
        counts = _ACTIVE_FROM_ORDERS.format(column=column)
    return query(con, filters, _ACTIVE_DAYS + counts + _ACTIVE_FINAL, {"max_daily_points": max_daily_points})


# Per source, ``cohort_sizes`` and ``activity`` (active customers per cohort and month) of the selection.
_COHORTS_FROM_MART = f"""
    selected as (
        select * from marts.{COHORT_MART} as mart
        where {_partition_filter("mart")}
            and cohort_month between cast(date_trunc('month', cast($start as date)) as date) and $end
            and activity_month <= $end
    ),
    cohort_sizes as (
        select cohort_month, sum(cohort_size) as cohort_size
        from (select distinct cohort_month, membership, country_code, cohort_size from selected) as groups
        group by 1
    ),
    activity as (
        select cohort_month, activity_month, sum(active_customers) as active_customers
        from selected
        group by 1, 2
    ),
"""
_COHORTS_FROM_GRAIN = """
    cohorts as (
        select customer_id, cast(date_trunc('month', first_order_date) as date) as cohort_month
        from customers
        where first_order_date between $start and $end
    ),
    cohort_sizes as (
        select cohort_month, count(*) as cohort_size from cohorts group by 1
    ),
    activity as (
        select
            cohorts.cohort_month,
            months.month_start as activity_month,
            count(*) as active_customers
        from marts.fct_customer_months as months
        inner join cohorts
            on months.customer_id = cohorts.customer_id
        where months.is_active
            and months.month_start <= $end
        group by 1, 2
    ),
"""
_COHORTS_FINAL = """
    final as (
        select
            activity.cohort_month,
            date_diff('month', activity.cohort_month, activity.activity_month) as months_since_first_order,
            activity.activity_month,
            cohort_sizes.cohort_size,
            activity.active_customers,
            activity.active_customers / cohort_sizes.cohort_size as retention_rate
        from activity
        inner join cohort_sizes
            on activity.cohort_month = cohort_sizes.cohort_month
    )
    select * from final order by cohort_month, months_since_first_order
"""


def cohorts(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Cohort sizes and active customers per cohort month and activity month: from agg_bi_cohort_month for a
    period of whole months, else from the selected customers' months of fct_customer_months."""
    from_mart = set(BI_MARTS) <= available_tables(con) and whole_months(filters, bounds(con))
    return query(con, filters, (_COHORTS_FROM_MART if from_mart else _COHORTS_FROM_GRAIN) + _COHORTS_FINAL)
