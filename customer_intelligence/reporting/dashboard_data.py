"""Data access for the dashboard: pure functions from a read-only DuckDB connection and filters to frames.

Every function reads only the published marts (schema ``marts`` of the publication) and applies the same
three filters, so that every visual of every page answers for the same selection:

- **date range** (``Filters.start`` .. ``Filters.end``, inclusive): which orders count. Only completed orders
  dated before the as-of date are ever counted (revenue is ``fct_orders.net_revenue``), so customers, orders,
  revenue and the rates below are those of the period.
- **membership** and **country**: which customers count (their ``dim_customer_360`` attributes).

A customer is counted when they have at least one completed order in the selection. Customer attributes that
the marts compute over the whole history (RFM segment, spending score and quadrant, loyalty tier, activity
status, preferred category) are as of the as-of date; the period decides who is counted and what they spent.
With no filter, every figure equals the corresponding mart (``kpi_overview``, ``agg_customers_by_*``,
``fct_active_customers_daily``, ``fct_cohort_retention``, ``fct_segment_orders_monthly``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

# Customer attributes a chart may split by (whitelist: these names reach SQL).
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

# Scatter plots draw at most this many points: a sample stratified by the chart's colour (issue 16), as BI
# tools' high-density sampling does; the chart states the sample size and the total.
MAX_SCATTER_POINTS = 5_000
# Columns a scatter sample may be stratified by (whitelist: these names reach SQL).
STRATA_COLUMNS = frozenset({"membership", "rfm_segment", "loyalty_tier", "spending_quadrant", "ml_segment",
                            "country_code", "segment", "churn_risk_tier"})

@dataclass(frozen=True)
class Filters:
    """The dashboard's shared filters. ``None`` dates and empty tuples mean no restriction."""

    start: date | None = None
    end: date | None = None
    memberships: tuple[str, ...] = field(default_factory=tuple)
    countries: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can choose from: the order-date range and the values present in the marts."""

    first_date: date
    last_date: date
    as_of_date: date
    memberships: tuple[str, ...]
    countries: tuple[tuple[str, str], ...]


def _segment_column(column: str) -> str:
    """Validate a segment column name against the whitelist."""
    if column not in SEGMENT_COLUMNS:
        raise ValueError(f"unknown segment column {column!r}; choose one of {sorted(SEGMENT_COLUMNS)}")
    return column


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    """Order-date bounds (first completed order to the day before the as-of date) and the filter values."""
    as_of, first, last = con.execute(
        """
        select
            kpi.as_of_date,
            coalesce(min(orders.order_date), kpi.as_of_date - 1),
            kpi.as_of_date - 1
        from marts.kpi_overview as kpi
        left join marts.fct_orders as orders
            on orders.is_completed and orders.order_date < kpi.as_of_date
        group by kpi.as_of_date
        """
    ).fetchone()
    memberships = [row[0] for row in con.execute(
        "select distinct membership from marts.dim_customer_360 where is_purchaser order by 1"
    ).fetchall()]
    countries = con.execute(
        "select distinct country_code, country_name from marts.dim_customer_360 where is_purchaser order by 1"
    ).fetchall()
    return FilterOptions(first, last, as_of, tuple(memberships), tuple((c, n) for c, n in countries))


def _params(filters: Filters) -> dict:
    """Query parameters for the filter CTEs (open ends become the widest range)."""
    return {
        "start": filters.start or date(1900, 1, 1),
        "end": filters.end or date(9999, 12, 31),
        "memberships": list(filters.memberships),
        "countries": list(filters.countries),
    }


# The filtered selection every query starts from: customers (purchasers matching membership and country),
# their completed orders in the period, and one row per customer counted, with their period figures.
# The rules come from the marts, where they are defined once: the repeat-customer threshold
# (kpi_overview.repeat_customer_min_orders) and the frequency bands' bounds (agg_customers_by_frequency_band).
_SELECTION = """
    as_of as (
        select as_of_date, repeat_customer_min_orders from marts.kpi_overview
    ),
    frequency_bands as (
        select frequency_band, min_orders, max_orders from marts.agg_customers_by_frequency_band
    ),
    customers as (
        select customer_360.*
        from marts.dim_customer_360 as customer_360
        where
            customer_360.is_purchaser
            and (len(cast($memberships as varchar[])) = 0
                or list_contains(cast($memberships as varchar[]), customer_360.membership))
            and (len(cast($countries as varchar[])) = 0
                or list_contains(cast($countries as varchar[]), customer_360.country_code))
    ),
    period_orders as (
        select orders.order_id, orders.customer_id, orders.order_date, orders.net_revenue
        from marts.fct_orders as orders
        inner join customers
            on orders.customer_id = customers.customer_id
        where
            orders.is_completed
            and orders.order_date < (select as_of_date from as_of)
            and orders.order_date between $start and $end
    ),
    period_customers as (
        select
            customers.*,
            totals.period_orders,
            totals.period_revenue,
            totals.period_orders >= (select repeat_customer_min_orders from as_of) as is_period_repeat,
            frequency_bands.frequency_band as period_frequency_band
        from (
            select customer_id, count(*) as period_orders, sum(net_revenue) as period_revenue
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


def _query(con: duckdb.DuckDBPyConnection, filters: Filters, body: str, extra: dict | None = None) -> pd.DataFrame:
    """Run ``with <selection>, <body>`` with the filter parameters and return a frame."""
    params = _params(filters) | (extra or {})
    return con.execute(f"with {_SELECTION}, {body}", params).df()


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, float]:
    """The KPI cards: customers, orders, revenue, AOV, LTV (NaN, has_amounts false, when the data has no
    amounts: row rule R8), repeat purchase rate, Prime share, at-risk rate,
    active customers (a completed order in the activity window ending on the period's last day), average
    income and spending score, and the repeat-rate target."""
    row = _query(con, filters, """
        window_end as (
            select least($end, (select as_of_date from as_of) - 1) as last_day,
                cast((select active_window_days from marts.kpi_overview) as integer) as window_days
        ),
        active as (
            select count(distinct period_orders.customer_id) as active_customers
            from period_orders, window_end
            where period_orders.order_date > window_end.last_day - window_end.window_days
                and period_orders.order_date <= window_end.last_day
        ),
        totals as (
            select
                count(*) as customers,
                coalesce(sum(period_orders), 0) as orders,
                coalesce(sum(period_revenue), 0) as revenue,
                count(case when is_period_repeat then 1 end) as repeat_customers,
                count(case when membership = 'Prime' then 1 end) as prime_customers,
                count(case when membership in ('Prime', 'Non-Prime') then 1 end) as known_membership,
                count(case when customer_status = 'At Risk' then 1 end) as at_risk_customers,
                avg(annual_income) as average_annual_income,
                avg(spending_score) as average_spending_score
            from period_customers
        )
        select
            totals.*,
            active.active_customers,
            window_end.window_days as active_window_days,
            (select repeat_rate_target from marts.kpi_overview) as repeat_rate_target,
            -- without amounts in the data (row rule R8) every order's net revenue is null
            (select count(net_revenue) > 0 or count(*) = 0 from marts.fct_orders) as has_amounts
        from totals, active, window_end
    """).iloc[0]
    has_amounts = bool(row["has_amounts"])
    customers, orders = int(row["customers"]), int(row["orders"])
    revenue = float(row["revenue"]) if has_amounts else float("nan")

    def ratio(numerator: float, denominator: float) -> float:
        return float(numerator) / float(denominator) if denominator else float("nan")

    return {
        "customers": customers,
        "orders": orders,
        "has_amounts": has_amounts,
        "revenue": revenue,
        "average_order_value": ratio(revenue, orders),
        "lifetime_value": ratio(revenue, customers),
        "repeat_customers": int(row["repeat_customers"]),
        "repeat_purchase_rate": ratio(row["repeat_customers"], customers),
        "prime_share": ratio(row["prime_customers"], row["known_membership"]),
        "at_risk_rate": ratio(row["at_risk_customers"], customers),
        "active_customers": int(row["active_customers"]),
        "active_window_days": int(row["active_window_days"]),
        "average_annual_income": float(row["average_annual_income"]) if customers else float("nan"),
        "average_spending_score": float(row["average_spending_score"]) if customers else float("nan"),
        "repeat_rate_target": float(row["repeat_rate_target"]),
    }


def monthly_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per calendar month of the period: customers (distinct purchasers), orders and revenue."""
    return _query(con, filters, """
        final as (
            select
                cast(date_trunc('month', order_date) as date) as month_start,
                count(distinct customer_id) as customers,
                count(*) as orders,
                sum(net_revenue) as revenue
            from period_orders
            group by 1
        )
        select * from final order by month_start
    """)


def _by_segment_body(segment: str) -> str:
    """Customers, orders, revenue, AOV, revenue per customer and repeat rate per value of ``segment``."""
    return f"""
        grouped as (
            select
                {segment} as segment,
                count(*) as customers,
                sum(period_orders) as orders,
                sum(period_revenue) as revenue,
                sum(case when is_period_repeat then 1 else 0 end) as repeat_customers
            from period_customers
            group by 1
        ),
        final as (
            select
                segment,
                customers,
                customers / sum(customers) over () as customer_share,
                orders,
                revenue,
                revenue / nullif(sum(revenue) over (), 0) as revenue_share,
                revenue / nullif(orders, 0) as average_order_value,
                revenue / nullif(customers, 0) as revenue_per_customer,
                repeat_customers,
                repeat_customers / nullif(customers, 0) as repeat_purchase_rate
            from grouped
        )
        select * from final
    """


def by_segment(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str) -> pd.DataFrame:
    """One row per value of a customer attribute (see ``SEGMENT_COLUMNS``), largest revenue first."""
    column = _segment_column(segment)
    return _query(con, filters, _by_segment_body(column) + " order by revenue desc, segment")


def frequency_bands(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Order-frequency bands (those of agg_customers_by_frequency_band, by completed orders in the period):
    customers, share, revenue. Every band is listed, empty ones with 0."""
    bands = con.execute(
        "select frequency_band as segment, sort_order from marts.agg_customers_by_frequency_band order by sort_order"
    ).df()
    counted = _query(con, filters, _by_segment_body("period_frequency_band"))
    merged = bands.merge(counted, on="segment", how="left")
    for column in ("customers", "orders", "revenue", "repeat_customers", "customer_share", "revenue_share"):
        merged[column] = merged[column].fillna(0)
    return merged.sort_values("sort_order").reset_index(drop=True)


def segment_country_matrix(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership"
                           ) -> pd.DataFrame:
    """Segment × country: customers, revenue, AOV and repeat purchase rate per cell."""
    column = _segment_column(segment)
    return _query(con, filters, f"""
        final as (
            select
                {column} as segment,
                country_code,
                count(*) as customers,
                sum(period_revenue) as revenue,
                sum(period_revenue) / nullif(sum(period_orders), 0) as average_order_value,
                avg(case when is_period_repeat then 1.0 else 0.0 end) as repeat_purchase_rate
            from period_customers
            group by 1, 2
        )
        select * from final order by segment, country_code
    """)


def _sampled(order_by: str, max_points: int | None, stratify_by: str | None) -> str:
    """The end of a scatter query after its ``final`` CTE: every row, or a stratified sample of ~``max_points``.

    Each stratum (a value of ``stratify_by``) keeps ``ceil(max_points * stratum size / total)`` rows, chosen by
    a hash of the customer id (deterministic, spread over the range), so every stratum keeps its share. Every
    row carries ``points_total``: how many rows the unsampled query has.
    """
    if max_points is None:
        return f"select *, count(*) over () as points_total from final order by {order_by}"
    if stratify_by not in STRATA_COLUMNS:
        raise ValueError(f"unknown stratum column {stratify_by!r}; choose one of {sorted(STRATA_COLUMNS)}")
    return f"""
        , ranked as (
            select
                final.*,
                count(*) over () as points_total,
                count(*) over (partition by final.{stratify_by}) as stratum_size,
                row_number() over (
                    partition by final.{stratify_by} order by hash(final.customer_id), final.customer_id
                ) as stratum_rank
            from final
        )
        select * exclude (stratum_size, stratum_rank)
        from ranked
        where stratum_rank <= ceil({int(max_points)} * stratum_size / points_total)
        order by {order_by}
    """


def customer_points(con: duckdb.DuckDBPyConnection, filters: Filters, max_points: int | None = None,
                    stratify_by: str | None = "membership") -> pd.DataFrame:
    """One row per customer counted: period orders and revenue, income, spending score and segments (scatters),
    with the k-means segment (``ml_segment``) when the publication has it.

    ``max_points`` keeps a sample stratified by ``stratify_by`` (see :func:`_sampled`); ``points_total`` is the
    number of customers before sampling."""
    ml = has_tables(con, "ml_customer_segments")
    ml_join = ("left join marts.ml_customer_segments as ml on period_customers.customer_id = ml.customer_id"
               if ml else "")
    return _query(con, filters, f"""
        final as (
            select
                period_customers.customer_id,
                period_customers.period_orders as orders,
                period_customers.period_revenue as revenue,
                period_customers.annual_income,
                period_customers.spending_score,
                period_customers.spending_quadrant,
                period_customers.membership,
                period_customers.rfm_segment,
                period_customers.loyalty_tier,
                period_customers.country_code,
                {"coalesce(ml.segment, 'Unsegmented')" if ml else "cast(null as varchar)"} as ml_segment
            from period_customers
            {ml_join}
        )
        {_sampled("revenue desc, customer_id", max_points, stratify_by)}
    """)


def spending_quadrants(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Income × spending-score quadrants (seed 000): customers, revenue, averages, and each quadrant's action."""
    return _query(con, filters, """
        quadrant_text as (
            select spending_quadrant, sort_order, description, recommended_action,
                income_threshold, spending_score_threshold
            from marts.agg_customers_by_spending_quadrant
        ),
        grouped as (
            select
                spending_quadrant,
                count(*) as customers,
                sum(period_revenue) as revenue,
                avg(annual_income) as average_annual_income,
                avg(spending_score) as average_spending_score
            from period_customers
            group by 1
        ),
        final as (
            select
                quadrant_text.spending_quadrant,
                quadrant_text.sort_order,
                coalesce(grouped.customers, 0) as customers,
                coalesce(grouped.revenue, 0) as revenue,
                grouped.average_annual_income,
                grouped.average_spending_score,
                quadrant_text.description,
                quadrant_text.recommended_action,
                quadrant_text.income_threshold,
                quadrant_text.spending_score_threshold
            from quadrant_text
            left join grouped
                on quadrant_text.spending_quadrant = grouped.spending_quadrant
        )
        select * from final order by sort_order
    """)


def rfm_segments(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """RFM segments: customers, revenue, average recency days and R/F/M scores, with the segment's description."""
    return _query(con, filters, """
        descriptions as (
            select rfm_segment, sort_order, description from marts.agg_customers_by_rfm_segment
        ),
        grouped as (
            select
                rfm_segment,
                count(*) as customers,
                sum(period_revenue) as revenue,
                avg(recency_days) as average_recency_days,
                avg(recency_score) as average_recency_score,
                avg(frequency_score) as average_frequency_score,
                avg(monetary_score) as average_monetary_score
            from period_customers
            group by 1
        ),
        final as (
            select grouped.*, descriptions.sort_order, descriptions.description
            from grouped
            left join descriptions
                on grouped.rfm_segment = descriptions.rfm_segment
        )
        select * from final order by sort_order, rfm_segment
    """)


def gender_by_country(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Country × gender: customers and revenue."""
    return _query(con, filters, """
        final as (
            select country_code, gender, count(*) as customers, sum(period_revenue) as revenue
            from period_customers
            group by 1, 2
        )
        select * from final order by country_code, gender
    """)


def rolling_active_customers(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership",
                             max_daily_points: int = 400) -> pd.DataFrame:
    """Customers active on the rolling window (var active_window_days) per day of the period and segment.

    A customer is active on a day when they have a completed order in the window of days ending on it (orders
    before the period start count for its first days). Long periods are sampled weekly (every 7th day back
    from the period's last day). Computed from activity intervals (a running sum of starts and ends), so the
    work grows with the orders, not with orders x window days. Every (day, segment) pair of the filtered customers'
    segments is listed, 0 when none is active.
    """
    column = _segment_column(segment)
    return _query(con, filters, f"""
        settings as (
            select
                cast((select active_window_days from marts.kpi_overview) as integer) as window_days,
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
        grid as (
            select days.date_day, segments.segment from days cross join segments
        ),
        final as (
            -- active on a day: the running count at the last change on or before it
            select
                grid.date_day,
                grid.segment,
                cast(coalesce(running.active_customers, 0) as bigint) as active_customers
            from grid
            asof left join running
                on grid.segment = running.segment and grid.date_day >= running.day
        )
        select * from final order by date_day, segment
    """, {"max_daily_points": max_daily_points})


def cohort_retention(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Monthly cohorts (month of the first completed order, within the period) × months since: cohort size,
    customers active (a completed order that month, up to the period's end) and retention rate."""
    return _query(con, filters, """
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
    """)


def segment_orders_monthly(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership"
                           ) -> pd.DataFrame:
    """Completed orders, revenue and purchasing customers per month and segment in the period."""
    column = _segment_column(segment)
    return _query(con, filters, f"""
        final as (
            select
                cast(date_trunc('month', period_orders.order_date) as date) as month_start,
                customers.{column} as segment,
                count(*) as orders,
                sum(period_orders.net_revenue) as revenue,
                count(distinct period_orders.customer_id) as customers
            from period_orders
            inner join customers
                on period_orders.customer_id = customers.customer_id
            group by 1, 2
        )
        select * from final order by month_start, segment
    """)


def activity_matrix(con: duckdb.DuckDBPyConnection, filters: Filters, top_n: int = 40) -> pd.DataFrame:
    """Customer × month activity for the ``top_n`` customers by period revenue: completed orders per month
    (months of the period with no order are absent)."""
    return _query(con, filters, """
        top_customers as (
            select customer_id, period_revenue, row_number() over (
                order by period_revenue desc, customer_id
            ) as revenue_rank
            from period_customers
            qualify revenue_rank <= $top_n
        ),
        final as (
            select
                top_customers.revenue_rank,
                period_orders.customer_id,
                cast(date_trunc('month', period_orders.order_date) as date) as month_start,
                count(*) as orders,
                sum(period_orders.net_revenue) as revenue
            from period_orders
            inner join top_customers
                on period_orders.customer_id = top_customers.customer_id
            group by 1, 2, 3
        )
        select * from final order by revenue_rank, month_start
    """, {"top_n": top_n})


# --- the ML models' outputs (k-means segments, churn risk, CLV, actions); optional in a publication ---------

ML_TABLES = ("ml_customer_segments", "ml_segment_profiles", "ml_customer_churn_scores", "ml_customer_actions",
             "ml_churn_model_metrics")


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether the publication has every ``marts.<name>`` (the ML marts are absent on some builds)."""
    present = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()}
    return set(names) <= present


def ml_segment_profiles(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """K-means segment profiles for the selected customers: size, share, period revenue and averages, beside
    the cluster's centroid in original units (a property of the model, not of the selection)."""
    return _query(con, filters, """
        profiles as (
            select * from marts.ml_segment_profiles
        ),
        grouped as (
            select
                segments.cluster_id,
                count(*) as customers,
                sum(period_customers.period_revenue) as revenue,
                avg(period_customers.period_orders) as average_orders,
                avg(period_customers.recency_days) as average_recency_days,
                sum(period_customers.period_revenue) / sum(period_customers.period_orders) as average_order_value
            from period_customers
            inner join marts.ml_customer_segments as segments
                on period_customers.customer_id = segments.customer_id
            group by 1
        ),
        final as (
            select
                profiles.cluster_id,
                profiles.segment_name,
                profiles.segment,
                coalesce(grouped.customers, 0) as customers,
                coalesce(grouped.customers, 0) / nullif(sum(grouped.customers) over (), 0) as customer_share,
                coalesce(grouped.revenue, 0) as revenue,
                coalesce(grouped.revenue, 0) / nullif(sum(grouped.revenue) over (), 0) as revenue_share,
                grouped.average_orders,
                grouped.average_order_value,
                grouped.average_recency_days,
                profiles.centroid_net_revenue,
                profiles.centroid_orders_count,
                profiles.centroid_recency_days,
                profiles.centroid_tenure_days,
                profiles.centroid_aov,
                profiles.centroid_discount_share,
                profiles.centroid_category_breadth
            from profiles
            left join grouped
                on profiles.cluster_id = grouped.cluster_id
        )
        select * from final order by cluster_id
    """)


def churn_points(con: duckdb.DuckDBPyConnection, filters: Filters, max_points: int | None = None,
                 stratify_by: str | None = "segment") -> pd.DataFrame:
    """Revenue vs churn risk, one row per selected customer: period revenue, revenue to date, churn
    probability and tier, predicted 12-month value and k-means segment (``max_points``: as customer_points)."""
    return _query(con, filters, f"""
        final as (
            select
                period_customers.customer_id,
                period_customers.period_revenue as revenue,
                period_customers.net_revenue as revenue_to_date,
                scores.churn_probability,
                scores.churn_risk_tier,
                actions.predicted_clv_12m,
                actions.revenue_at_risk,
                coalesce(segments.segment, 'Unsegmented') as segment
            from period_customers
            inner join marts.ml_customer_churn_scores as scores
                on period_customers.customer_id = scores.customer_id
            left join marts.ml_customer_actions as actions
                on period_customers.customer_id = actions.customer_id
            left join marts.ml_customer_segments as segments
                on period_customers.customer_id = segments.customer_id
        )
        {_sampled("revenue_at_risk desc nulls last, customer_id", max_points, stratify_by)}
    """)


def churn_by_segment(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per k-means segment of the selected customers: customers, high-risk customers, average churn
    probability, revenue at risk."""
    return _query(con, filters, """
        final as (
            select
                actions.segment,
                count(*) as customers,
                count(case when actions.churn_risk_tier = 'high' then 1 end) as high_risk_customers,
                avg(actions.churn_probability) as average_churn_probability,
                sum(actions.revenue_at_risk) as revenue_at_risk,
                sum(period_customers.period_revenue) as revenue
            from period_customers
            inner join marts.ml_customer_actions as actions
                on period_customers.customer_id = actions.customer_id
            group by 1
        )
        select * from final order by revenue_at_risk desc, segment
    """)


def action_table(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The retention team's action list (ml_customer_actions) for the selected customers, ranked by revenue at
    risk, with the customer's country and membership."""
    return _query(con, filters, """
        final as (
            select
                actions.action_rank,
                actions.customer_id,
                period_customers.country_code,
                period_customers.membership,
                actions.segment,
                actions.segment_name,
                cast(actions.last_order_date as date) as last_order_date,
                actions.recency_days,
                actions.net_revenue,
                actions.churn_probability,
                actions.churn_risk_tier,
                actions.predicted_clv_12m,
                actions.revenue_at_risk,
                actions.recommended_action,
                concat_ws('; ', actions.churn_driver_1, actions.churn_driver_2, actions.churn_driver_3) as churn_drivers
            from marts.ml_customer_actions as actions
            inner join period_customers
                on actions.customer_id = period_customers.customer_id
        )
        select * from final order by action_rank
    """)


def churn_model_metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The churn candidates' metrics (ml_churn_model_metrics): held-back period first, the scoring method first."""
    return con.execute(
        "select * from marts.ml_churn_model_metrics"
        " order by period = 'held_back' desc, used_for_scoring desc, method"
    ).df()
