"""The dashboard's figures: functions from a read-only connection to the publication and the filters to frames.

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

Aggregated figures come from ``query_builder.figures`` (the BI marts when they answer exactly, else the grain
marts); per-customer rows (scatters, the action table, the activity matrix) and the rolling active count come
from the customer-grain selection ``query_builder.selection_sql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from dashboard import query_builder as qb
from dashboard.query_builder import SEGMENT_COLUMNS, Filters

__all__ = ["SEGMENT_COLUMNS", "Filters", "MAX_SCATTER_POINTS", "ACTION_TABLE_ROWS"]

# Scatter plots draw at most this many points: a sample stratified by the chart's colour (issue 16), as BI
# tools' high-density sampling does; the chart states the sample size and the total.
MAX_SCATTER_POINTS = 5_000
# The action table sends at most this many rows to the browser (the top of the chosen order), with the total.
ACTION_TABLE_ROWS = 2_500
# Columns the action table may be sorted by (whitelist).
ACTION_SORT_COLUMNS = frozenset({"revenue_at_risk", "churn_probability", "predicted_clv_12m", "net_revenue",
                                 "recency_days", "last_order_date"})


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
    bounds = qb.bounds(con)
    as_of = con.execute("select as_of_date from marts.kpi_overview").fetchone()[0]
    memberships = [row[0] for row in con.execute(
        "select distinct membership from marts.dim_customer_360 where is_purchaser order by 1"
    ).fetchall()]
    countries = con.execute(
        "select distinct country_code, country_name from marts.dim_customer_360 where is_purchaser order by 1"
    ).fetchall()
    return FilterOptions(bounds.first_date, bounds.last_date, as_of, tuple(memberships),
                         tuple((c, n) for c, n in countries))


_query = qb.query  # the selection's CTEs, then a body (see query_builder.query)
_sampled = qb.sampled  # every row or a stratified sample (see query_builder.sampled)


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Customer and revenue shares over every row of the frame."""
    frame["customer_share"] = frame["customers"] / frame["customers"].sum() if len(frame) else 0.0
    revenue_total = frame["revenue"].sum()
    frame["revenue_share"] = frame["revenue"] / revenue_total if revenue_total else float("nan")
    return frame


KPI_MEASURES = ("customers", "orders", "revenue", "repeat_customers", "at_risk_customers", "active_customers",
                "annual_income_sum", "annual_income_count", "spending_score_sum", "spending_score_count")


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0 or undefined."""
    return float(numerator) / float(denominator) if denominator and not pd.isna(denominator) else float("nan")


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, float]:
    """The KPI cards: customers, orders, revenue, AOV, LTV (NaN, has_amounts false, when the data has no
    amounts: row rule R8), repeat purchase rate, Prime share, at-risk rate,
    active customers (a completed order in the activity window ending on the period's last day), average
    income and spending score, and the repeat-rate target."""
    by_membership = qb.figures(con, KPI_MEASURES, ("membership",), filters)
    totals = by_membership[list(KPI_MEASURES)].sum(min_count=1)
    settings = con.execute("""
        select cast(active_window_days as integer), repeat_rate_target,
            -- without amounts in the data (row rule R8) every order's net revenue is null
            (select count(net_revenue) > 0 or count(*) = 0 from marts.fct_orders)
        from marts.kpi_overview
    """).fetchone()
    window_days, target, has_amounts = int(settings[0]), float(settings[1]), bool(settings[2])
    customers = int(totals["customers"]) if len(by_membership) else 0
    orders = int(totals["orders"]) if len(by_membership) else 0
    revenue = float("nan") if not has_amounts else (0.0 if pd.isna(totals["revenue"]) else float(totals["revenue"]))
    counts = dict(zip(by_membership["membership"], by_membership["customers"], strict=True))
    known = counts.get("Prime", 0) + counts.get("Non-Prime", 0)
    return {
        "customers": customers,
        "orders": orders,
        "has_amounts": has_amounts,
        "revenue": revenue,
        "average_order_value": _ratio(revenue, orders),
        "lifetime_value": _ratio(revenue, customers),
        "repeat_customers": int(totals["repeat_customers"] or 0) if customers else 0,
        "repeat_purchase_rate": _ratio(totals["repeat_customers"], customers),
        "prime_share": _ratio(counts.get("Prime", 0), known),
        "at_risk_rate": _ratio(totals["at_risk_customers"], customers),
        "active_customers": int(totals["active_customers"]) if customers else 0,
        "active_window_days": window_days,
        "average_annual_income": _ratio(totals["annual_income_sum"], totals["annual_income_count"]),
        "average_spending_score": _ratio(totals["spending_score_sum"], totals["spending_score_count"]),
        "repeat_rate_target": target,
    }


def monthly_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per calendar month of the period: customers (distinct purchasers), orders and revenue."""
    trend = qb.figures(con, ("customers", "orders", "revenue"), (qb.MONTH,), filters)
    return trend.sort_values(qb.MONTH).reset_index(drop=True)


BY_SEGMENT_MEASURES = ("customers", "orders", "revenue", "repeat_customers")


def _by_segment(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str) -> pd.DataFrame:
    """Customers, orders, revenue, their shares, AOV, revenue per customer and repeat rate per ``segment``."""
    frame = qb.figures(con, BY_SEGMENT_MEASURES, (_segment_column(segment),), filters)
    frame = _shares(frame.rename(columns={segment: "segment"}))
    frame = qb.add_ratios(frame, ("average_order_value", "revenue_per_customer", "repeat_purchase_rate"))
    return frame[["segment", "customers", "customer_share", "orders", "revenue", "revenue_share",
                  "average_order_value", "revenue_per_customer", "repeat_customers", "repeat_purchase_rate"]]


def by_segment(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str) -> pd.DataFrame:
    """One row per value of a customer attribute (see ``SEGMENT_COLUMNS``), largest revenue first."""
    frame = _by_segment(con, filters, segment)
    return frame.sort_values(["revenue", "segment"], ascending=[False, True]).reset_index(drop=True)


def frequency_bands(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Order-frequency bands (those of agg_customers_by_frequency_band, by completed orders in the period):
    customers, share, revenue. Every band is listed, empty ones with 0."""
    bands = con.execute(
        "select frequency_band as segment, sort_order from marts.agg_customers_by_frequency_band order by sort_order"
    ).df()
    merged = bands.merge(_by_segment(con, filters, "frequency_band"), on="segment", how="left")
    for column in ("customers", "orders", "revenue", "repeat_customers", "customer_share", "revenue_share"):
        merged[column] = merged[column].fillna(0)
    return merged.sort_values("sort_order").reset_index(drop=True)


def segment_country_matrix(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership"
                           ) -> pd.DataFrame:
    """Segment × country: customers, revenue, AOV and repeat purchase rate per cell."""
    column = _segment_column(segment)
    frame = qb.figures(con, BY_SEGMENT_MEASURES, (column, "country_code"), filters)
    frame = qb.add_ratios(frame.rename(columns={column: "segment"}), ("average_order_value", "repeat_purchase_rate"))
    frame = frame[["segment", "country_code", "customers", "revenue", "average_order_value", "repeat_purchase_rate"]]
    return frame.sort_values(["segment", "country_code"]).reset_index(drop=True)


def customer_points(con: duckdb.DuckDBPyConnection, filters: Filters, max_points: int | None = None,
                    stratify_by: str | None = "membership") -> pd.DataFrame:
    """One row per customer counted: period orders and revenue, income, spending score and segments (scatters),
    with the k-means segment (``ml_segment``) when the publication has it.

    ``max_points`` keeps a sample stratified by ``stratify_by`` (see :func:`_sampled`); ``points_total`` is the
    number of customers before sampling."""
    if qb.reads_customer_ml_mart(con, filters):
        return qb.customer_ml_query(con, filters, f"""
            final as (
                select
                    customer_id,
                    completed_orders as orders,
                    net_revenue as revenue,
                    annual_income,
                    spending_score,
                    spending_quadrant,
                    membership,
                    rfm_segment,
                    loyalty_tier,
                    country_code,
                    coalesce(ml_segment, 'Unsegmented') as ml_segment
                from customer_360
            )
            {_sampled("revenue desc, customer_id", max_points, stratify_by)}
        """)
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
    text = con.execute("""
        select spending_quadrant, sort_order, description, recommended_action, income_threshold,
            spending_score_threshold
        from marts.agg_customers_by_spending_quadrant
    """).df()
    grouped = qb.add_ratios(qb.figures(
        con, ("customers", "revenue", "annual_income_sum", "annual_income_count", "spending_score_sum",
              "spending_score_count"), ("spending_quadrant",), filters),
        ("average_annual_income", "average_spending_score"))
    merged = text.merge(grouped, on="spending_quadrant", how="left")
    merged["customers"] = merged["customers"].fillna(0).astype("int64")
    merged["revenue"] = merged["revenue"].fillna(0)
    return merged[["spending_quadrant", "sort_order", "customers", "revenue", "average_annual_income",
                   "average_spending_score", "description", "recommended_action", "income_threshold",
                   "spending_score_threshold"]].sort_values("sort_order").reset_index(drop=True)


def rfm_segments(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """RFM segments: customers, revenue, average recency days and R/F/M scores, with the segment's description."""
    descriptions = con.execute(
        "select rfm_segment, sort_order, description from marts.agg_customers_by_rfm_segment").df()
    averages = ("average_recency_days", "average_recency_score", "average_frequency_score", "average_monetary_score")
    grouped = qb.add_ratios(qb.figures(
        con, ("customers", "revenue", "recency_days_sum", "recency_days_count", "recency_score_sum",
              "frequency_score_sum", "monetary_score_sum"), ("rfm_segment",), filters), averages)
    merged = grouped[["rfm_segment", "customers", "revenue", *averages]].merge(
        descriptions, on="rfm_segment", how="left")
    return merged.sort_values(["sort_order", "rfm_segment"]).reset_index(drop=True)


def gender_by_country(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Country × gender: customers and revenue."""
    frame = qb.figures(con, ("customers", "revenue"), ("country_code", "gender"), filters)
    return frame.sort_values(["country_code", "gender"]).reset_index(drop=True)


def rolling_active_customers(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership",
                             max_daily_points: int = 400) -> pd.DataFrame:
    """Customers active on the rolling window (var active_window_days) per day of the period and segment.

    A customer is active on a day when they have a completed order in the window of days ending on it (orders
    before the period start count for its first days). Long periods are sampled weekly (every 7th day back
    from the period's last day). From agg_bi_active_daily when the publication has it and the segment is one
    of int_customer_segments' types; else computed from activity intervals (a running sum of starts and
    ends) over the orders. Every (day, segment) pair of the filtered customers' segments is listed, 0 when
    none is active.
    """
    return qb.rolling_active(con, filters, _segment_column(segment), max_daily_points)


def cohort_retention(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Monthly cohorts (month of the first completed order, within the period) × months since: cohort size,
    customers active (a completed order that month, up to the period's end) and retention rate. From
    agg_bi_cohort_month for a period of whole months, else from the grain."""
    return qb.cohorts(con, filters)


def segment_orders_monthly(con: duckdb.DuckDBPyConnection, filters: Filters, segment: str = "membership"
                           ) -> pd.DataFrame:
    """Completed orders, revenue and purchasing customers per month and segment in the period."""
    column = _segment_column(segment)
    frame = qb.figures(con, ("orders", "revenue", "customers"), (qb.MONTH, column), filters)
    frame = frame.rename(columns={column: "segment"})[[qb.MONTH, "segment", "orders", "revenue", "customers"]]
    return frame.sort_values([qb.MONTH, "segment"]).reset_index(drop=True)


def activity_matrix(con: duckdb.DuckDBPyConnection, filters: Filters, top_n: int = 40) -> pd.DataFrame:
    """Customer × month activity for the ``top_n`` customers by period revenue: completed orders per month
    (months of the period with no order are absent)."""
    return _query(con, filters, """
        top_customers as (
            -- a top-n (order by ... limit), not a rank of every customer
            select customer_id, period_revenue, row_number() over (
                order by period_revenue desc, customer_id
            ) as revenue_rank
            from (
                select customer_id, period_revenue from period_customers
                order by period_revenue desc, customer_id
                limit $top_n
            )
        ),
        final as (
            -- the top customers' orders read directly (a join of 40 ids, not of every selected customer)
            select
                top_customers.revenue_rank,
                orders.customer_id,
                cast(date_trunc('month', orders.order_date) as date) as month_start,
                count(*) as orders,
                sum(orders.net_revenue) as revenue
            from marts.fct_orders as orders
            inner join top_customers
                on orders.customer_id = top_customers.customer_id
            where orders.is_completed
                and orders.order_date < (select as_of_date from as_of)
                and orders.order_date between $start and $end
            group by 1, 2, 3
        )
        select * from final order by revenue_rank, month_start
    """, {"top_n": top_n})


# --- the ML models' outputs (k-means segments, churn risk, CLV, actions); optional in a publication ---------

ML_TABLES = ("ml_customer_segments", "ml_segment_profiles", "ml_customer_churn_scores", "ml_customer_actions",
             "ml_churn_model_metrics")


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether the publication has every ``marts.<name>`` (the ML marts are absent on some builds)."""
    return set(names) <= qb.available_tables(con)


def ml_segment_profiles(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """K-means segment profiles for the selected customers: size, share, period revenue and averages, beside
    the cluster's centroid in original units (a property of the model, not of the selection)."""
    profiles = con.execute(
        "select cluster_id, segment_name, segment, columns('^centroid_') from marts.ml_segment_profiles").df()
    grouped = qb.add_ratios(qb.figures(
        con, ("customers", "orders", "revenue", "recency_days_sum", "recency_days_count"), ("ml_cluster_id",),
        filters, join="ml_customer_segments").rename(columns={"ml_cluster_id": "cluster_id"}),
        ("average_orders", "average_order_value", "average_recency_days"))
    merged = profiles.merge(grouped, on="cluster_id", how="left")
    merged[["customers", "revenue"]] = merged[["customers", "revenue"]].fillna(0)
    return _shares(merged)[[
        "cluster_id", "segment_name", "segment", "customers", "customer_share", "revenue", "revenue_share",
        "average_orders", "average_order_value", "average_recency_days", *profiles.columns[3:]
    ]].sort_values("cluster_id").reset_index(drop=True)


def churn_points(con: duckdb.DuckDBPyConnection, filters: Filters, max_points: int | None = None,
                 stratify_by: str | None = "segment") -> pd.DataFrame:
    """Revenue vs churn risk, one row per selected customer: period revenue, revenue to date, churn
    probability and tier, predicted 12-month value and k-means segment (``max_points``: as customer_points)."""
    if qb.reads_customer_ml_mart(con, filters):
        return qb.customer_ml_query(con, filters, f"""
            final as (
                select
                    customer_id,
                    net_revenue as revenue,
                    net_revenue as revenue_to_date,
                    churn_probability,
                    churn_risk_tier,
                    predicted_clv_12m,
                    revenue_at_risk,
                    coalesce(ml_segment, 'Unsegmented') as segment
                from customer_360
                where has_churn_score
            )
            {_sampled("revenue_at_risk desc nulls last, customer_id", max_points, stratify_by)}
        """)
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


CHURN_MEASURES = ("customers", "high_risk_customers", "churn_probability_sum", "churn_probability_count",
                  "revenue_at_risk_sum", "revenue")


def _churn_figures(con: duckdb.DuckDBPyConnection, filters: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """``CHURN_MEASURES`` and the average churn probability of the selected customers with an action, per ``by``."""
    frame = qb.figures(con, CHURN_MEASURES, by, filters, join="ml_customer_actions")
    return qb.add_ratios(frame, ("average_churn_probability",)).rename(
        columns={"ml_segment": "segment", "revenue_at_risk_sum": "revenue_at_risk"})


def churn_by_segment(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per k-means segment of the selected customers: customers, high-risk customers, average churn
    probability, revenue at risk."""
    frame = _churn_figures(con, filters, ("ml_segment",))
    frame = frame[["segment", "customers", "high_risk_customers", "average_churn_probability", "revenue_at_risk",
                   "revenue"]]
    return frame.sort_values(["revenue_at_risk", "segment"], ascending=[False, True]).reset_index(drop=True)


_ACTION_ROWS = """
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
        where len(cast($tiers as varchar[])) = 0 or list_contains(cast($tiers as varchar[]), actions.churn_risk_tier)
    )
"""


# The same rows from ml_customer_360 (the whole history): one row per customer with an action.
_ACTION_ROWS_FROM_MART = """
    final as (
        select
            action_rank,
            customer_id,
            country_code,
            membership,
            ml_segment as segment,
            segment_name,
            last_order_date,
            recency_days,
            net_revenue,
            churn_probability,
            churn_risk_tier,
            predicted_clv_12m,
            revenue_at_risk,
            recommended_action,
            concat_ws('; ', churn_driver_1, churn_driver_2, churn_driver_3) as churn_drivers
        from customer_360
        where action_rank is not null
            and (len(cast($tiers as varchar[])) = 0 or list_contains(cast($tiers as varchar[]), churn_risk_tier))
    )
"""


def action_table(con: duckdb.DuckDBPyConnection, filters: Filters, sort_by: str = "revenue_at_risk",
                 descending: bool = True, tiers: tuple[str, ...] = (), limit: int | None = ACTION_TABLE_ROWS
                 ) -> pd.DataFrame:
    """The retention team's action list (ml_customer_actions) for the selected customers (and churn-risk
    ``tiers``, none = all), with the customer's country and membership: the first ``limit`` rows (None: all) in
    the order of ``sort_by`` (ties by action rank, i.e. revenue at risk); ``rows_total`` counts every row."""
    if sort_by not in ACTION_SORT_COLUMNS:
        raise ValueError(f"unknown sort column {sort_by!r}; choose one of {sorted(ACTION_SORT_COLUMNS)}")
    order = f"{sort_by} {'desc' if descending else 'asc'} nulls last, action_rank"
    top = "" if limit is None else f"limit {int(limit)}"
    if qb.reads_customer_ml_mart(con, filters):
        return qb.customer_ml_query(con, filters, _ACTION_ROWS_FROM_MART + f"""
            select *, (select count(*) from final) as rows_total from final order by {order} {top}
        """, {"tiers": list(tiers)})
    return _query(con, filters, _ACTION_ROWS + f"""
        select *, (select count(*) from final) as rows_total from final order by {order} {top}
    """, {"tiers": list(tiers)})


def action_summary(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, float]:
    """The churn page's cards for the selected customers: customers with an action, high-risk customers,
    revenue at risk and average churn probability (over every row of the action table, not only those shown)."""
    row = _churn_figures(con, filters, ()).iloc[0]
    return {"customers": float(row["customers"]), "high_risk_customers": float(row["high_risk_customers"]),
            "revenue_at_risk": float(0 if pd.isna(row["revenue_at_risk"]) else row["revenue_at_risk"]),
            "average_churn_probability": float(row["average_churn_probability"])}


def churn_model_metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The churn candidates' metrics (ml_churn_model_metrics): held-back period first, the scoring method first."""
    return con.execute(
        "select * from marts.ml_churn_model_metrics"
        " order by period = 'held_back' desc, used_for_scoring desc, method"
    ).df()


# --- "Who moved": segment migrations between two as-of dates of the segment history (issue 15) -------------

MIGRATION_SEGMENT_TYPES: dict[str, str] = {"rfm_segment": "RFM segment", "loyalty_tier": "Loyalty tier",
                                           "customer_status": "Activity status",
                                           "spending_quadrant": "Income × spending quadrant"}


def migration_periods(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The periods of agg_segment_migrations (from_date, to_date), latest first; empty without the mart."""
    if not has_tables(con, "agg_segment_migrations"):
        return pd.DataFrame(columns=["from_date", "to_date"])
    return con.execute(
        "select distinct from_date, to_date from marts.agg_segment_migrations order by to_date desc").df()


def _migration_type(segment_type: str) -> str:
    """Validate a migration segment type against the whitelist."""
    if segment_type not in MIGRATION_SEGMENT_TYPES:
        raise ValueError(f"unknown segment type {segment_type!r}; choose one of {sorted(MIGRATION_SEGMENT_TYPES)}")
    return segment_type


def segment_migrations(con: duckdb.DuckDBPyConnection, filters: Filters, segment_type: str, to_date: date
                       ) -> pd.DataFrame:
    """From-segment × to-segment of one period (ending ``to_date``): customers present at both as-of dates,
    their revenue to date and in the period, and whether the move is a migration / a downgrade. The mart
    answers without a membership or country filter; with one, the customers' rows of fct_customer_segment_history
    (joined to dim_customer_360's membership and country) are compared, with the mart's is_downgrade."""
    column = _migration_type(segment_type)
    mart = con.execute("""
        select from_segment, to_segment, customers, net_revenue, period_net_revenue, is_migration, is_downgrade
        from marts.agg_segment_migrations
        where segment_type = $segment_type and to_date = $to_date
    """, {"segment_type": column, "to_date": to_date}).df()
    if not (filters.memberships or filters.countries) or mart.empty:
        return mart.sort_values(["customers", "from_segment"], ascending=[False, True]).reset_index(drop=True)
    from_date = con.execute("select max(from_date) from marts.agg_segment_migrations where to_date = $to_date",
                            {"to_date": to_date}).fetchone()[0]
    params = {"from_date": from_date, "to_date": to_date, "memberships": list(filters.memberships),
              "countries": list(filters.countries)}
    grain = con.execute(f"""
        with customers as (
            select customer_id from marts.dim_customer_360 as customer_360
            where customer_360.is_purchaser and {qb._partition_filter("customer_360")}
        ),
        before_period as (
            select history.customer_id, history.{column} as segment, history.net_revenue
            from marts.fct_customer_segment_history as history
            inner join customers on history.customer_id = customers.customer_id
            where history.as_of_date = $from_date
        ),
        after_period as (
            select history.customer_id, history.{column} as segment, history.net_revenue
            from marts.fct_customer_segment_history as history
            inner join customers on history.customer_id = customers.customer_id
            where history.as_of_date = $to_date
        )
        select
            before_period.segment as from_segment,
            after_period.segment as to_segment,
            count(*) as customers,
            round(sum(after_period.net_revenue), 2) as net_revenue,
            round(sum(after_period.net_revenue - before_period.net_revenue), 2) as period_net_revenue
        from before_period
        inner join after_period on before_period.customer_id = after_period.customer_id
        group by 1, 2
    """, params).df()
    flags = mart[["from_segment", "to_segment", "is_migration", "is_downgrade"]]
    merged = grain.merge(flags, on=["from_segment", "to_segment"], how="left")
    return merged.sort_values(["customers", "from_segment"], ascending=[False, True]).reset_index(drop=True)


def latest_segment_sizes(con: duckdb.DuckDBPyConnection, filters: Filters, segment_type: str) -> pd.DataFrame:
    """Customers per segment at the latest as-of date of fct_customer_segment_history (shown while the history
    has a single as-of date, so no period to compare yet)."""
    column = _migration_type(segment_type)
    sql = f"""
        select history.{column} as segment, count(*) as customers, sum(history.net_revenue) as net_revenue
        from marts.fct_customer_segment_history as history
        inner join marts.dim_customer_360 as customer_360
            on history.customer_id = customer_360.customer_id
        where history.as_of_date = (select max(as_of_date) from marts.fct_customer_segment_history)
            and {qb._partition_filter("customer_360")}
        group by 1
        order by customers desc, segment
    """
    return con.execute(sql, qb.used_params(sql, qb._params(filters))).df()
