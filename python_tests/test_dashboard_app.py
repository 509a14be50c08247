"""The Streamlit dashboard, run headless with streamlit.testing.v1.AppTest on the shared build's publication.

Every page runs without an exception; the numbers it shows equal the marts (the dashboard computes them from
the grain marts, fct_orders and dim_customer_360, while the compared agg_* / kpi_overview / fct_* marts are
separate dbt models); the sidebar filters change them as an independent query on the core star schema says.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = ["overview", "loyalty_value", "segments", "demographics", "engagement_retention", "churn_actions",
         "who_moved"]


@pytest.fixture
def app(published, monkeypatch) -> AppTest:
    """The dashboard on the shared publication, after its first run (the overview)."""
    monkeypatch.setenv("CIQ_PUBLISHED_PATH", str(published))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> dict[str, pd.DataFrame]:
    """The data of every chart on the page (of a layered chart: its largest dataset, the data layer), by the
    chart key given in dashboard/shared.chart."""
    found = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
        found[spec.get("usermeta", {}).get("chart_key")] = max(frames, key=len) if frames else pd.DataFrame()
    return found


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in at.dataframe]


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def money2(value: float) -> str:
    return f"${value:,.2f}"


def pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def by_key(frame: pd.DataFrame, key: str, columns: list[str]) -> dict:
    """{key value: (column values...)} with floats rounded to cents, for order-free comparisons."""
    return {row[key]: tuple(round(float(row[c]), 2) for c in columns) for _, row in frame.iterrows()}


def test_every_page_runs_and_shows_data(app):
    expected_charts = {"overview": 4, "loyalty_value": 4, "segments": 3, "demographics": 4,
                       "engagement_retention": 4, "churn_actions": 2, "who_moved": 1}
    for page in PAGES:
        goto(app, page)
        assert app.title, page
        page_charts = charts(app)
        assert len(page_charts) >= expected_charts.get(page, 0), (page, list(page_charts))
        for key, frame in page_charts.items():
            assert key, f"{page}: a chart without a key"
            if key != "gauge":
                assert len(frame) > 0, f"{page}: chart {key} has no data"


def test_overview_cards_equal_kpi_overview(app, built):
    kpi = built.query("select * from marts.kpi_overview").iloc[0]
    shown = metrics(app)
    assert shown["Customers"] == f"{kpi.total_customers:,}"
    assert shown["Orders"] == f"{kpi.total_orders:,}"
    revenue_help = next(m.proto.help for m in app.metric if m.label == "Revenue")
    assert revenue_help.startswith(money2(kpi.net_revenue))
    assert shown["Average order value"] == money2(kpi.average_order_value)
    assert shown["Lifetime value"] == money2(kpi.lifetime_value)
    assert shown["Repeat purchase rate"] == pct(kpi.repeat_purchase_rate)
    assert shown["Prime share"] == pct(kpi.prime_share)
    assert shown["At-risk rate"] == pct(kpi.at_risk_rate)
    assert shown[f"Active customers ({kpi.active_window_days} d)"] == f"{kpi.active_customers:,}"
    assert shown["Avg. annual income"] == f"${kpi.average_annual_income:,.0f}"
    gauge = charts(app)["gauge"]
    assert gauge.set_index("part").loc["rate", "value"] == pytest.approx(kpi.repeat_purchase_rate)
    assert f"Target {pct(kpi.repeat_rate_target)}" in " ".join(c.value for c in app.caption)


def test_filters_apply_to_every_page(app, built):
    """Country, then membership and date range, chosen on one page, change the figures on every page the way
    a direct query on the star schema (fct_orders, dim_customers) says."""
    country = built.scalar(
        "select country_code from marts.dim_customers where country_code <> 'ZZ' "
        "group by 1 order by count(*) desc, 1 limit 1 offset 1"
    )

    def expected(where: str) -> SimpleNamespace:
        customers, orders, revenue = built.query(f"""
            select count(distinct o.customer_id) as customers, count(*) as orders, sum(o.net_revenue) as revenue
            from marts.fct_orders as o
            inner join marts.dim_customers as c on o.customer_id = c.customer_id
            where o.is_completed and {where}
        """).iloc[0]
        return SimpleNamespace(customers=int(customers), orders=int(orders), revenue=float(revenue))

    app.multiselect(key="filter_countries").set_value([country]).run()
    want = expected(f"c.country_code = '{country}'")
    assert metrics(app)["Customers"] == f"{want.customers:,}" and metrics(app)["Orders"] == f"{want.orders:,}"

    goto(app, "loyalty_value")
    bands = tables(app)[0]
    assert bands["customers"].sum() == want.customers
    assert bands["revenue"].sum() == pytest.approx(want.revenue)
    assert charts(app)["membership_pie"]["customers"].sum() == want.customers
    goto(app, "demographics")
    assert charts(app)["age_revenue"]["revenue"].sum() == pytest.approx(want.revenue)
    assert set(charts(app)["gender_country"]["country_code"]) == {country}
    goto(app, "segments")
    assert charts(app)["quadrant_scatter"]["customer_id"].nunique() <= want.customers
    assert tables(app)[1]["customers"].sum() == want.customers  # RFM segments
    goto(app, "engagement_retention")
    assert charts(app)["segment_orders"]["orders"].sum() == want.orders

    app.multiselect(key="filter_memberships").set_value(["Prime"]).run()
    app.date_input(key="filter_dates").set_value((date(2023, 1, 1), date(2023, 6, 30))).run()
    want = expected(f"c.country_code = '{country}' and c.membership = 'Prime' "
                    "and o.order_date between date '2023-01-01' and date '2023-06-30'")
    assert charts(app)["segment_orders"]["orders"].sum() == want.orders
    assert charts(app)["active_trend"]["date_day"].min() >= pd.Timestamp("2023-01-01")
    goto(app, "overview")
    assert metrics(app)["Customers"] == f"{want.customers:,}" and metrics(app)["Orders"] == f"{want.orders:,}"
    assert "membership: Prime" in app.caption[0].value and country in app.caption[0].value


def test_loyalty_page_equals_marts(app, built):
    goto(app, "loyalty_value")
    bands = tables(app)[0]
    mart = built.query("select * from marts.agg_customers_by_frequency_band")
    assert by_key(bands, "band", ["customers", "revenue", "customer_share"]) == by_key(
        mart, "frequency_band", ["customers", "net_revenue", "customer_share"])
    pie = charts(app)["membership_pie"]
    mart = built.query("select * from marts.agg_customers_by_membership where customers > 0")
    assert by_key(pie, "segment", ["customers", "revenue"]) == by_key(mart, "membership", ["customers", "net_revenue"])
    matrix = charts(app)["matrix"]
    mart = built.query("select * from marts.agg_customers_by_membership_country where customers > 0")
    matrix["cell"] = matrix["segment"] + "/" + matrix["country_code"]
    mart["cell"] = mart["membership"] + "/" + mart["country_code"]
    columns = ["customers", "revenue", "average_order_value", "repeat_purchase_rate"]
    assert by_key(matrix, "cell", columns) == by_key(
        mart.rename(columns={"net_revenue": "revenue"}), "cell", columns)
    scatter = charts(app)["value_scatter"]
    customer_360 = built.query("select customer_id, completed_orders, net_revenue from marts.dim_customer_360 "
                               "where is_purchaser")
    assert set(scatter["points_total"]) == {len(customer_360)}  # every customer counted, maybe a sample shown
    assert by_key(scatter, "customer_id", ["orders", "revenue"]) == by_key(
        customer_360[customer_360["customer_id"].isin(scatter["customer_id"])], "customer_id",
        ["completed_orders", "net_revenue"])


def test_segments_page_equals_marts(app, built):
    goto(app, "segments")
    quadrants, rfm = tables(app)[0], tables(app)[1]
    mart = built.query("select * from marts.agg_customers_by_spending_quadrant where customers > 0")
    assert by_key(quadrants, "spending_quadrant", ["customers", "revenue", "average_annual_income"]) == by_key(
        mart, "spending_quadrant", ["customers", "net_revenue", "average_annual_income"])
    assert dict(zip(quadrants["spending_quadrant"], quadrants["recommended_action"], strict=True)) == dict(
        zip(mart["spending_quadrant"], mart["recommended_action"], strict=True))
    mart = built.query("select * from marts.agg_customers_by_rfm_segment where customers > 0")
    assert by_key(rfm, "rfm_segment", ["customers", "revenue", "average_recency_days"]) == by_key(
        mart, "rfm_segment", ["customers", "net_revenue", "average_recency_days"])
    profiles = tables(app)[2]
    mart = built.query("select * from marts.ml_segment_profiles")
    # one row per cluster (clusters earning one name share it)
    assert by_key(profiles, "cluster_id", ["customers", "revenue", "customer_share", "centroid_net_revenue"]) == (
        by_key(mart, "cluster_id", ["customers", "net_revenue", "customer_share", "centroid_net_revenue"]))


def test_demographics_page_equals_marts(app, built):
    goto(app, "demographics")
    shown = charts(app)
    for chart_key, mart, column in [
        ("age_revenue", "agg_customers_by_age_group", "age_group"),
        ("children_revenue", "agg_customers_by_children_status", "children_status"),
        ("categories", "agg_customers_by_preferred_category", "preferred_category"),
    ]:
        expected = built.query(f"select * from marts.{mart} where customers > 0")
        assert by_key(shown[chart_key], "segment", ["customers", "revenue", "revenue_share"]) == by_key(
            expected, column, ["customers", "net_revenue", "revenue_share"]), chart_key
    gender = shown["gender_country"]
    gender["cell"] = gender["country_code"] + "/" + gender["gender"]
    mart = built.query("select country_code || '/' || gender as cell, customers, net_revenue as revenue "
                       "from marts.agg_customers_by_country_gender where customers > 0")
    assert by_key(gender, "cell", ["customers", "revenue"]) == by_key(mart, "cell", ["customers", "revenue"])


def test_engagement_page_equals_marts(app, built):
    goto(app, "engagement_retention")
    shown = charts(app)
    active = shown["active_trend"]
    active["cell"] = active["date_day"].dt.strftime("%Y-%m-%d") + "/" + active["segment"]
    mart = built.query("""
        select strftime(date_day, '%Y-%m-%d') || '/' || segment as cell, active_customers
        from marts.fct_active_customers_daily where segment_type = 'membership'
    """)
    mart = mart[mart["cell"].isin(active["cell"])]
    assert len(mart) == len(active) > 100
    assert by_key(active, "cell", ["active_customers"]) == by_key(mart, "cell", ["active_customers"])
    cohorts = shown["cohort_heatmap"]
    months_since = cohorts["months_since_first_order"].astype(str)
    cohorts["cell"] = cohorts["cohort_month"].dt.strftime("%Y-%m") + "/" + months_since
    mart = built.query("""
        select strftime(cohort_month, '%Y-%m') || '/' || months_since_first_order as cell, cohort_size,
            active_customers, retention_rate
        from marts.fct_cohort_retention where active_customers > 0
    """)
    columns = ["cohort_size", "active_customers", "retention_rate"]
    assert by_key(cohorts, "cell", columns) == by_key(mart, "cell", columns)
    orders = shown["segment_orders"]
    orders["cell"] = orders["month_start"].dt.strftime("%Y-%m") + "/" + orders["segment"]
    mart = built.query("""
        select strftime(month_start, '%Y-%m') || '/' || segment as cell, completed_orders as orders,
            net_revenue as revenue
        from marts.fct_segment_orders_monthly where segment_type = 'membership' and completed_orders > 0
    """)
    assert by_key(orders, "cell", ["orders", "revenue"]) == by_key(mart, "cell", ["orders", "revenue"])


def test_churn_page_equals_marts_and_downloads_the_action_table(app, built):
    goto(app, "churn_actions")
    actions = tables(app)[0]
    mart = built.query("select * from marts.ml_customer_actions")
    assert len(actions) == len(mart) > 0
    assert list(actions["customer_id"]) == list(mart.sort_values("action_rank")["customer_id"])  # by revenue at risk
    assert by_key(actions, "customer_id", ["churn_probability", "revenue_at_risk", "predicted_clv_12m"]) == by_key(
        mart, "customer_id", ["churn_probability", "revenue_at_risk", "predicted_clv_12m"])
    assert metrics(app)["High-risk customers"] == f"{(mart['churn_risk_tier'] == 'high').sum():,}"
    scatter = charts(app)["churn_scatter"]
    assert set(scatter["points_total"]) == {len(mart)}
    assert by_key(scatter, "customer_id", ["churn_probability"]) == by_key(
        mart[mart["customer_id"].isin(scatter["customer_id"])], "customer_id", ["churn_probability"])
    download = app.get("download_button")[0].proto
    assert download.label.startswith("Download") and download.url.endswith(".csv")  # content: browser test

    # sorting and the tier filter act on the table; the country filter on everything
    app.selectbox(key="actions_sort").set_value("churn_probability").run()
    app.multiselect(key="actions_tiers").set_value(["high"]).run()
    high = tables(app)[0]
    assert set(high["churn_risk_tier"]) == {"high"} and len(high) == (mart["churn_risk_tier"] == "high").sum()
    assert high["churn_probability"].is_monotonic_decreasing
    country = mart.merge(built.query("select customer_id, country_code from marts.dim_customers"))
    first = country["country_code"].iloc[0]
    app.multiselect(key="filter_countries").set_value([first]).run()
    in_country = country[(country["country_code"] == first) & (country["churn_risk_tier"] == "high")]
    assert sorted(tables(app)[0]["customer_id"]) == sorted(in_country["customer_id"])


def test_scatters_at_scale_show_a_stratified_sample_and_say_so(published, built, monkeypatch):
    """With fewer points allowed than customers (as at 1 M orders with the default 5,000), every scatter
    shows a sample whose rows equal the mart's, keeps each stratum's share, and its caption gives both sizes."""
    from dashboard import data as dd

    monkeypatch.setattr(dd, "MAX_SCATTER_POINTS", 200)
    monkeypatch.setenv("CIQ_PUBLISHED_PATH", str(published))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    goto(at, "loyalty_value")
    at.selectbox(key="scatter_colour").set_value("membership").run()
    scatter = charts(at)["value_scatter"]
    customers = built.query("select customer_id, membership, completed_orders, net_revenue "
                            "from marts.dim_customer_360 where is_purchaser")
    total = len(customers)
    assert total > 1000 and set(scatter["points_total"]) == {total}
    sizes = customers.groupby("membership").size()
    assert scatter.groupby("membership").size().to_dict() == {
        name: math.ceil(200 * size / total) for name, size in sizes.items()}
    assert by_key(scatter, "customer_id", ["orders", "revenue"]) == by_key(
        customers[customers["customer_id"].isin(scatter["customer_id"])], "customer_id",
        ["completed_orders", "net_revenue"])
    captions = [c.value for c in at.caption]
    assert f"Showing a sample of {len(scatter):,} of {total:,} customers, stratified by Membership" in " ".join(
        captions), captions
    goto(at, "segments")
    assert len(charts(at)["quadrant_scatter"]) <= 200 + 5
    assert any(f"of {total:,} customers, stratified by quadrant" in c.value for c in at.caption)
