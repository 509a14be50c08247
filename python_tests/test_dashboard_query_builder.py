"""The dashboard's query builder: which source it picks (hand-worked cases), and that every source gives the same
figures on the session's publication (the BI marts are dbt models; the grain path is the builder's own SQL over
fct_orders / dim_customer_360: two independent computations)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from dashboard import data as dd
from dashboard import query_builder as qb

D = date.fromisoformat
BOUNDS = qb.Bounds(D("2023-01-05"), D("2024-06-30"))
ALL = frozenset(qb.BI_MARTS)


@pytest.mark.parametrize(("filters", "whole", "months"), [
    (qb.Filters(), True, True),
    (qb.Filters(start=D("2020-01-01"), end=D("2030-01-01")), True, True),
    (qb.Filters(start=D("2023-01-05"), end=D("2024-06-30")), True, True),
    (qb.Filters(start=D("2023-01-06")), False, False),          # starts inside the first month
    (qb.Filters(start=D("2023-03-01"), end=D("2023-04-30")), False, True),
    (qb.Filters(start=D("2023-03-01"), end=D("2023-04-29")), False, False),
    (qb.Filters(end=D("2024-02-29")), False, True),             # leap day ends February
])
def test_date_range_kinds(filters, whole, months):
    assert qb.is_whole_history(filters, BOUNDS) is whole
    assert qb.whole_months(filters, BOUNDS) is months


def test_plan_picks_the_smallest_exact_source():
    everyone, germany = qb.Filters(), qb.Filters(countries=("DE",), memberships=("Prime",))
    march = qb.Filters(start=D("2023-03-01"), end=D("2023-03-31"))
    mid_march = qb.Filters(start=D("2023-03-10"), end=D("2023-03-31"))
    assert qb.plan(ALL, ("customers", "revenue"), ("rfm_segment",), everyone, BOUNDS) == qb.SEGMENTS_MART
    assert qb.plan(ALL, ("customers",), ("gender", "country_code"), germany, BOUNDS) == qb.SEGMENTS_MART
    assert qb.plan(ALL, ("customers",), ("gender", "age_group"), everyone, BOUNDS) == "customer"  # two attributes
    assert qb.plan(ALL, ("customers",), ("rfm_segment",), march, BOUNDS) == "order"  # period customers
    assert qb.plan(ALL, ("customers", "orders"), (qb.MONTH, "loyalty_tier"), march, BOUNDS) == qb.MONTH_MART
    assert qb.plan(ALL, ("customers",), (qb.MONTH,), mid_march, BOUNDS) == "order"  # part of a month
    assert qb.plan(ALL, ("repeat_customers",), (qb.MONTH,), everyone, BOUNDS) == "order"  # not in the month mart
    assert qb.plan(ALL, ("customers",), (qb.MONTH, "gender"), everyone, BOUNDS) == "order"
    assert qb.plan(frozenset(), ("customers",), ("rfm_segment",), everyone, BOUNDS) == "order"  # old publication
    with pytest.raises(ValueError, match="unknown measure or dimension"):
        qb.plan(ALL, ("customers; drop table x",), (), everyone, BOUNDS)


def test_ratios_are_computed_from_sums():
    frame = pd.DataFrame({"revenue": [10.0, 0.0], "orders": [4, 0]})
    assert list(qb.add_ratios(frame, ("average_order_value",))["average_order_value"].fillna(-1)) == [2.5, -1]


def _compare(con, measures, by, filters, sources):
    """The frames of ``sources`` for the same question, sorted and aligned."""
    frames = []
    for source in sources:
        frame = qb.figures(con, measures, by, filters, source=source)
        frames.append(frame.sort_values(list(by)).reset_index(drop=True) if by else frame)
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other, check_dtype=False, rtol=1e-9)
    return frames[0]


def test_every_source_gives_the_same_figures(published):
    with duckdb.connect(str(published), read_only=True) as con:
        country = con.execute("select country_code from marts.dim_customer_360 where is_purchaser "
                              "group by 1 order by count(*) desc limit 1").fetchone()[0]
        options = dd.filter_options(con)
        selections = [qb.Filters(), qb.Filters(memberships=("Prime",), countries=(country,))]
        measures = tuple(qb.MEASURES)
        for filters in selections:
            for by in [(), ("rfm_segment",), ("frequency_band",), ("gender", "country_code"), ("membership",)]:
                frame = _compare(con, measures, by, filters, [qb.SEGMENTS_MART, "customer", "order"])
                assert frame["customers"].sum() > 0
        # whole months: the month mart against the orders
        year = options.last_date.year - 1
        months = qb.Filters(start=date(year, 1, 1), end=date(year, 6, 30), memberships=("Prime",))
        for filters in [qb.Filters(), months]:
            for by in [(qb.MONTH,), (qb.MONTH, "loyalty_tier"), (qb.MONTH, "membership")]:
                frame = _compare(con, ("customers", "orders", "revenue"), by, filters, [qb.MONTH_MART, "order"])
                assert len(frame) > 0
        assert set(qb.figures(con, ("orders",), (qb.MONTH,), months)[qb.MONTH].dt.month) == {1, 2, 3, 4, 5, 6}


def test_cohorts_from_the_mart_equal_the_grain(published, monkeypatch):
    with duckdb.connect(str(published), read_only=True) as con:
        year = dd.filter_options(con).last_date.year - 1
        filters = qb.Filters(start=date(year, 1, 1), end=date(year, 12, 31), memberships=("Prime",))
        from_mart = dd.cohort_retention(con, filters)
        monkeypatch.setattr(qb, "whole_months", lambda *_: False)  # force the grain
        from_grain = dd.cohort_retention(con, filters)
    assert len(from_mart) > 10
    pd.testing.assert_frame_equal(from_mart, from_grain, check_dtype=False)


def test_action_table_pages_and_counts_every_row(published):
    with duckdb.connect(str(published), read_only=True) as con:
        everyone = dd.action_table(con, qb.Filters(), limit=None)
        top = dd.action_table(con, qb.Filters(), sort_by="churn_probability", limit=7)
        summary = dd.action_summary(con, qb.Filters())
    assert len(top) == 7 and set(top["rows_total"]) == {len(everyone)}
    assert list(top["customer_id"]) == list(everyone.sort_values(["churn_probability", "action_rank"],
                                                                   ascending=[False, True])["customer_id"][:7])
    assert summary["high_risk_customers"] == (everyone["churn_risk_tier"] == "high").sum()
    assert summary["revenue_at_risk"] == pytest.approx(everyone["revenue_at_risk"].sum())


@pytest.mark.parametrize("segment", ["membership", "rfm_segment"])
def test_rolling_active_from_the_mart_equals_the_orders(published, monkeypatch, segment):
    """agg_bi_active_daily (dbt: spells of the orders per segment x membership x country) against the dashboard's
    own running sum over the orders, for a membership filter and a date range."""
    with duckdb.connect(str(published), read_only=True) as con:
        options = dd.filter_options(con)
        filters = qb.Filters(start=date(options.last_date.year - 1, 3, 10), end=options.last_date,
                             memberships=("Prime",))
        from_mart = dd.rolling_active_customers(con, filters, segment)
        monkeypatch.setattr(qb, "available_tables", lambda _con: frozenset())  # force the orders
        from_orders = dd.rolling_active_customers(con, filters, segment)
    assert len(from_mart) > 50 and from_mart["active_customers"].sum() > 0
    pd.testing.assert_frame_equal(from_mart, from_orders, check_dtype=False)
