"""Unit tests of the dashboard's data functions on a tiny hand-made publication (hand-worked figures).

As of 2024-03-01, activity window 30 days. Customers:
  A Prime, DE, Active,  income 100, score 80: completed 2024-01-10 (100), 2024-02-20 (50); cancelled 2024-02-25;
                                             completed 2024-03-05 (999, on/after the as-of date: ignored)
  B Non-Prime, DE, At Risk, income 50, score 20: completed 2023-12-01 (40)
  C Prime, US, Churned, income 70, score 50: completed 2023-06-15 (20), 2023-07-15 (10), 2023-08-15 (5)
  D Non-Prime, US, no purchase: cancelled 2024-01-05
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd
import pytest

from dashboard import data as dd

D = date.fromisoformat


def publication() -> duckdb.DuckDBPyConnection:
    """The hand-made publication described above, in memory."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""
        create table marts.kpi_overview as
        select date '2024-03-01' as as_of_date, 30::bigint as active_window_days, 0.4 as repeat_rate_target,
            2::bigint as repeat_customer_min_orders
    """)
    con.execute("""
        create table marts.agg_customers_by_frequency_band as select * from (values
            ('1 order', 1, 1, 1), ('2-3 orders', 2, 2, 3), ('4-5 orders', 3, 4, 5), ('6+ orders', 4, 6, null)
        ) as t(frequency_band, sort_order, min_orders, max_orders)
    """)
    con.execute("""
        create table marts.dim_customer_360 as select * from (values
            ('A', true,  'Prime',     'DE', 'Germany',       'Active',      100.0, 80, date '2024-01-10', 'Champions'),
            ('B', true,  'Non-Prime', 'DE', 'Germany',       'At Risk',      50.0, 20, date '2023-12-01', 'At Risk'),
            ('C', true,  'Prime',     'US', 'United States', 'Churned', 70.0, 50, date '2023-06-15', 'Hibernating'),
            ('D', false, 'Non-Prime', 'US', 'United States', 'No Purchase', 60.0, null, null, 'No Purchase')
        ) as t(customer_id, is_purchaser, membership, country_code, country_name, customer_status, annual_income,
               spending_score, first_order_date, rfm_segment)
    """)
    con.execute("""
        create table marts.fct_orders as select * from (values
            ('a1', 'A', date '2024-01-10', 100.0, true),
            ('a2', 'A', date '2024-02-20', 50.0, true),
            ('a3', 'A', date '2024-02-25', 0.0, false),
            ('a4', 'A', date '2024-03-05', 999.0, true),
            ('b1', 'B', date '2023-12-01', 40.0, true),
            ('c1', 'C', date '2023-06-15', 20.0, true),
            ('c2', 'C', date '2023-07-15', 10.0, true),
            ('c3', 'C', date '2023-08-15', 5.0, true),
            ('d1', 'D', date '2024-01-05', 0.0, false)
        ) as t(order_id, customer_id, order_date, net_revenue, is_completed)
    """)
    con.execute("create table marts.dim_date as select cast(d as date) as date_day "
                "from range(date '2023-06-15', date '2024-03-02', interval 1 day) as t(d)")
    con.execute("""
        create table marts.fct_customer_months as select * from (values
            ('A', date '2024-01-01', true), ('A', date '2024-02-01', true), ('B', date '2023-12-01', true),
            ('C', date '2023-06-01', true), ('C', date '2023-07-01', true), ('C', date '2023-08-01', true),
            ('D', date '2024-01-01', false)
        ) as t(customer_id, month_start, is_active)
    """)
    return con


@pytest.fixture(scope="module")
def con():
    con = publication()
    yield con
    con.close()


def test_kpis_unfiltered(con):
    kpi = dd.kpis(con, dd.Filters())
    assert kpi["has_amounts"] is True
    assert (kpi["customers"], kpi["orders"], kpi["revenue"]) == (3, 6, 225.0)
    assert kpi["average_order_value"] == pytest.approx(37.5)
    assert kpi["lifetime_value"] == pytest.approx(75.0)
    assert kpi["repeat_purchase_rate"] == pytest.approx(2 / 3)  # A (2 orders) and C (3)
    assert kpi["prime_share"] == pytest.approx(2 / 3)  # A and C
    assert kpi["at_risk_rate"] == pytest.approx(1 / 3)  # B
    assert kpi["active_customers"] == 1  # window (2024-01-30, 2024-02-29]: A's order of 02-20
    assert kpi["average_annual_income"] == pytest.approx(220 / 3)
    assert kpi["average_spending_score"] == pytest.approx(50.0)
    assert kpi["repeat_rate_target"] == 0.4


def test_kpis_country_filter(con):
    kpi = dd.kpis(con, dd.Filters(countries=("DE",)))
    assert (kpi["customers"], kpi["orders"], kpi["revenue"]) == (2, 3, 190.0)
    assert (kpi["repeat_purchase_rate"], kpi["prime_share"], kpi["at_risk_rate"]) == (0.5, 0.5, 0.5)


def test_kpis_date_and_membership_filter(con):
    january = dd.kpis(con, dd.Filters(start=D("2024-01-01"), end=D("2024-01-31")))
    assert (january["customers"], january["orders"], january["revenue"]) == (1, 1, 100.0)
    assert january["repeat_purchase_rate"] == 0.0
    assert january["active_customers"] == 1  # window ends on the period's last day, 2024-01-31
    non_prime = dd.kpis(con, dd.Filters(memberships=("Non-Prime",)))
    assert (non_prime["customers"], non_prime["orders"], non_prime["revenue"]) == (1, 1, 40.0)
    nobody = dd.kpis(con, dd.Filters(countries=("FR",)))
    assert nobody["customers"] == 0 and nobody["revenue"] == 0.0


def test_kpis_without_amounts_are_not_zero():
    """Row rule R8: the same orders without amounts (every net_revenue null) give no revenue, AOV or LTV."""
    con = publication()
    con.execute("update marts.fct_orders set net_revenue = null")
    kpi = dd.kpis(con, dd.Filters())
    con.close()
    assert kpi["has_amounts"] is False
    assert (kpi["customers"], kpi["orders"]) == (3, 6)
    assert all(math.isnan(kpi[k]) for k in ("revenue", "average_order_value", "lifetime_value"))
    assert kpi["repeat_purchase_rate"] == pytest.approx(2 / 3)


def test_frequency_bands_list_every_band(con):
    bands = dd.frequency_bands(con, dd.Filters())
    assert list(bands["segment"]) == ["1 order", "2-3 orders", "4-5 orders", "6+ orders"]
    assert list(bands["customers"]) == [1, 2, 0, 0]  # B | A, C
    assert list(bands["revenue"]) == [40.0, 185.0, 0.0, 0.0]


def test_segment_country_matrix(con):
    matrix = dd.segment_country_matrix(con, dd.Filters(), "membership").set_index(["segment", "country_code"])
    assert matrix.loc[("Prime", "DE"), "customers"] == 1
    assert matrix.loc[("Prime", "DE"), "average_order_value"] == pytest.approx(75.0)
    assert matrix.loc[("Prime", "US"), "repeat_purchase_rate"] == 1.0
    assert ("Non-Prime", "US") not in matrix.index  # D never completed an order
    with pytest.raises(ValueError, match="unknown segment column"):
        dd.segment_country_matrix(con, dd.Filters(), "customer_id; drop table x")


def test_rolling_active_customers_window_edges(con):
    # A's order of 2024-01-10 keeps A active through 2024-02-08 (30 days), not on 02-09
    active = dd.rolling_active_customers(con, dd.Filters(start=D("2024-02-08"), end=D("2024-02-09")), "membership")
    got = {(row.date_day.isoformat()[:10], row.segment): row.active_customers for row in active.itertuples()}
    assert got == {("2024-02-08", "Prime"): 1, ("2024-02-08", "Non-Prime"): 0,
                   ("2024-02-09", "Prime"): 0, ("2024-02-09", "Non-Prime"): 0}


def test_cohort_retention(con):
    cohorts = dd.cohort_retention(con, dd.Filters())
    got = [(row.cohort_month.isoformat()[:7], row.months_since_first_order, row.cohort_size, row.active_customers)
           for row in cohorts.itertuples()]
    assert got == [("2023-06", 0, 1, 1), ("2023-06", 1, 1, 1), ("2023-06", 2, 1, 1), ("2023-12", 0, 1, 1),
                   ("2024-01", 0, 1, 1), ("2024-01", 1, 1, 1)]


def test_filter_options(con):
    options = dd.filter_options(con)
    assert (options.first_date, options.last_date, options.as_of_date) == (D("2023-06-15"), D("2024-02-29"),
                                                                            D("2024-03-01"))
    assert options.memberships == ("Non-Prime", "Prime")
    assert options.countries == (("DE", "Germany"), ("US", "United States"))


def test_sample_quota_is_proportional_per_stratum():
    """900 customers in stratum a, 100 in b, at most 100 points: a keeps ceil(100 * 900 / 1000) = 90, b 10."""
    with duckdb.connect() as db:
        sample = db.execute(
            "with final as (select range as customer_id, case when range < 900 then 'a' else 'b' end as membership, "
            f"range as revenue from range(1000)) {dd._sampled('customer_id', 100, 'membership')}"
        ).df()
    assert sample.groupby("membership").size().to_dict() == {"a": 90, "b": 10}
    assert set(sample["points_total"]) == {1000}
    assert sample["customer_id"].between(0, 899).sum() == 90 and sample["customer_id"].max() > 900
    # spread over the stratum, not its first rows (the hash orders them)
    assert sample.loc[sample["membership"] == "a", "customer_id"].max() > 450


def test_scatter_samples_on_a_real_publication_are_stratified_subsets(published):
    """On the session's publication: each stratum keeps ceil(max * size / total) of its customers, unchanged."""
    with duckdb.connect(str(published), read_only=True) as db:
        everyone = dd.customer_points(db, dd.Filters())
        sample = dd.customer_points(db, dd.Filters(), max_points=500, stratify_by="rfm_segment")
        churn_everyone = dd.churn_points(db, dd.Filters())
        churn_sample = dd.churn_points(db, dd.Filters(), max_points=300, stratify_by="segment")
    total = len(everyone)
    assert total > 1000 and set(sample["points_total"]) == {total}
    sizes = everyone.groupby("rfm_segment").size()
    expected = {name: min(size, math.ceil(500 * size / total)) for name, size in sizes.items()}
    assert sample.groupby("rfm_segment").size().to_dict() == expected
    merged = sample.merge(everyone, on="customer_id", suffixes=("", "_all"))
    assert len(merged) == len(sample) and (merged["revenue"] == merged["revenue_all"]).all()
    churn_sizes = churn_everyone.groupby("segment").size()
    assert churn_sample.groupby("segment").size().to_dict() == {
        name: math.ceil(300 * size / len(churn_everyone)) for name, size in churn_sizes.items()}


def test_per_customer_rows_from_ml_customer_360_equal_the_joins(published, monkeypatch):
    """The scatters and the action table read ml_customer_360 on the whole history: the same rows, in the same
    order, as joining dim_customer_360 and the three ML marts (the path a date range takes)."""
    from dashboard import query_builder as qb

    calls = {
        "customer_points": {"max_points": 400, "stratify_by": "ml_segment"},
        "churn_points": {"max_points": 300, "stratify_by": "segment"},
        "action_table": {"sort_by": "churn_probability", "tiers": ("high", "medium"), "limit": 500},
    }
    with duckdb.connect(str(published), read_only=True) as db:
        membership = dd.filter_options(db).memberships[0]
        for filters in (dd.Filters(), dd.Filters(memberships=(membership,))):
            assert qb.reads_customer_ml_mart(db, filters)
            from_mart = {name: getattr(dd, name)(db, filters, **kwargs) for name, kwargs in calls.items()}
            with monkeypatch.context() as patched:
                patched.setattr(qb, "reads_customer_ml_mart", lambda con, filters: False)
                joined = {name: getattr(dd, name)(db, filters, **kwargs) for name, kwargs in calls.items()}
            for name in calls:
                assert len(from_mart[name]) > 50, name
                pd.testing.assert_frame_equal(from_mart[name], joined[name], check_dtype=False, obj=name)
            # the ML figures by segment and tier (query_builder.figures with an ML join)
            for name in ("ml_segment_profiles", "churn_by_segment"):
                mart_frame = getattr(dd, name)(db, filters)
                with monkeypatch.context() as patched:
                    patched.setattr(qb, "reads_customer_ml_mart", lambda con, filters: False)
                    joined_frame = getattr(dd, name)(db, filters)
                assert len(mart_frame) >= 2, name
                pd.testing.assert_frame_equal(mart_frame, joined_frame, check_dtype=False, obj=name)
            summary = dd.action_summary(db, filters)
            with monkeypatch.context() as patched:
                patched.setattr(qb, "reads_customer_ml_mart", lambda con, filters: False)
                assert dd.action_summary(db, filters) == pytest.approx(summary)


def test_who_moved_from_the_mart_and_for_a_filter(con):
    """Two as-of dates: A stays a Champion (revenue 100 -> 150), B and C move from Loyal to At Risk (a downgrade).
    Unfiltered the mart's rows are shown; for Prime customers only A and C are compared, from the history."""
    con.execute("""
        create or replace table marts.fct_customer_segment_history as select * from (values
            (date '2024-02-01', 'A', 'Champions', 100.0), (date '2024-03-01', 'A', 'Champions', 150.0),
            (date '2024-02-01', 'B', 'Loyal', 40.0), (date '2024-03-01', 'B', 'At Risk', 40.0),
            (date '2024-02-01', 'C', 'Loyal', 35.0), (date '2024-03-01', 'C', 'At Risk', 35.0)
        ) as t(as_of_date, customer_id, rfm_segment, net_revenue)
    """)
    con.execute("""
        create or replace table marts.agg_segment_migrations as select * from (values
            (date '2024-02-01', date '2024-03-01', 'rfm_segment', 'Champions', 'Champions', false, false, 1,
             150.0, 50.0),
            (date '2024-02-01', date '2024-03-01', 'rfm_segment', 'Loyal', 'At Risk', true, true, 2, 75.0, 0.0)
        ) as t(from_date, to_date, segment_type, from_segment, to_segment, is_migration, is_downgrade, customers,
               net_revenue, period_net_revenue)
    """)
    periods = dd.migration_periods(con)
    assert [(p.from_date.date(), p.to_date.date()) for p in periods.itertuples()] == [(D("2024-02-01"),
                                                                                       D("2024-03-01"))]
    everyone = dd.segment_migrations(con, dd.Filters(), "rfm_segment", D("2024-03-01"))
    assert list(zip(everyone["from_segment"], everyone["to_segment"], everyone["customers"], strict=True)) == [
        ("Loyal", "At Risk", 2), ("Champions", "Champions", 1)]
    prime = dd.segment_migrations(con, dd.Filters(memberships=("Prime",)), "rfm_segment", D("2024-03-01"))
    got = {(r.from_segment, r.to_segment): (r.customers, r.net_revenue, r.period_net_revenue, r.is_downgrade)
           for r in prime.itertuples()}
    assert got == {("Champions", "Champions"): (1, 150.0, 50.0, False), ("Loyal", "At Risk"): (1, 35.0, 0.0, True)}
    with pytest.raises(ValueError, match="unknown segment type"):
        dd.segment_migrations(con, dd.Filters(), "customer_id", D("2024-03-01"))
    con.execute("drop table marts.fct_customer_segment_history")
    con.execute("drop table marts.agg_segment_migrations")


def ml_publication() -> duckdb.DuckDBPyConnection:
    """The hand-made publication with ML outputs: A and B in cluster 0 / segment S1, C in cluster 1 / S2, and
    D (no completed order, so never selected) in S2; cluster 2 has nobody."""
    con = publication()
    con.execute("alter table marts.dim_customer_360 add column recency_days integer")
    con.execute("update marts.dim_customer_360 set recency_days = case customer_id when 'A' then 10 "
                "when 'B' then 90 end")
    con.execute("""
        create table marts.ml_customer_actions as select * from (values
            ('A', 'S1', 'high', 0.8, 50.0), ('B', 'S1', 'low', 0.2, null), ('C', 'S2', 'high', 0.6, 10.0),
            ('D', 'S2', 'high', 0.9, 100.0)
        ) as t(customer_id, segment, churn_risk_tier, churn_probability, revenue_at_risk)
    """)
    con.execute("create table marts.ml_customer_segments as select * from (values "
                "('A', 0, 'S1'), ('B', 0, 'S1'), ('C', 1, 'S2')) as t(customer_id, cluster_id, segment)")
    con.execute("create table marts.ml_segment_profiles as select * from (values (0, 'Zero', 'S1', 1.0), "
                "(1, 'One', 'S2', 2.0), (2, 'Two', 'S3', 3.0)) as t(cluster_id, segment_name, segment, centroid_aov)")
    return con


def test_ml_figures_from_the_query_builder_join():
    """The ML page's figures, by hand: period revenue A 150 (a4 is after the as-of date), B 40, C 35."""
    con = ml_publication()
    by_segment = dd.churn_by_segment(con, dd.Filters())
    summary = dd.action_summary(con, dd.Filters())
    germany = dd.action_summary(con, dd.Filters(countries=("DE",)))
    profiles = dd.ml_segment_profiles(con, dd.Filters()).set_index("cluster_id")
    con.close()
    assert list(by_segment["segment"]) == ["S1", "S2"]  # revenue at risk 50 (B's null is skipped), 10
    assert list(by_segment["customers"]) == [2, 1] and list(by_segment["high_risk_customers"]) == [1, 1]
    assert list(by_segment["revenue"]) == [190.0, 35.0] and list(by_segment["revenue_at_risk"]) == [50.0, 10.0]
    assert list(by_segment["average_churn_probability"]) == pytest.approx([0.5, 0.6])
    assert summary == pytest.approx({"customers": 3, "high_risk_customers": 2, "revenue_at_risk": 60.0,
                                     "average_churn_probability": 1.6 / 3})
    assert germany == pytest.approx({"customers": 2, "high_risk_customers": 1, "revenue_at_risk": 50.0,
                                     "average_churn_probability": 0.5})
    assert list(profiles["customers"]) == [2, 1, 0] and list(profiles["revenue"]) == [190.0, 35.0, 0.0]
    assert profiles.loc[0, "customer_share"] == pytest.approx(2 / 3)
    assert profiles.loc[0, "revenue_share"] == pytest.approx(190 / 225)
    assert (profiles.loc[0, "average_orders"], profiles.loc[1, "average_orders"]) == (1.5, 3.0)
    assert profiles.loc[0, "average_order_value"] == pytest.approx(190 / 3)
    assert profiles.loc[0, "average_recency_days"] == 50.0 and math.isnan(profiles.loc[1, "average_recency_days"])
    assert math.isnan(profiles.loc[2, "average_orders"]) and list(profiles["centroid_aov"]) == [1.0, 2.0, 3.0]
