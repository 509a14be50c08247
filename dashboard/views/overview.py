"""Overview: KPI cards, the repeat-rate gauge against its target, and the monthly trend."""

from __future__ import annotations

import altair as alt
import pandas as pd
import shared
import streamlit as st

st.title("Customer overview")
filters = shared.page_filters()
st.caption(shared.describe(filters))
kpi = shared.load("kpis", filters)

row1 = st.columns(5)
row1[0].metric("Customers", shared.count(kpi["customers"]), help="Distinct customers with a completed order")
row1[1].metric("Orders", shared.count(kpi["orders"]), help="Completed orders")
if kpi["has_amounts"]:
    row1[2].metric("Revenue", shared.money_compact(kpi["revenue"]),
                   help=f"{shared.money2(kpi['revenue'])}: net of discounts, completed orders only")
    row1[3].metric("Average order value", shared.money2(kpi["average_order_value"]), help="Revenue ÷ orders")
    row1[4].metric("Lifetime value", shared.money2(kpi["lifetime_value"]), help="Revenue ÷ customers")
else:  # row rule R8: an export without amount, quantity or price
    for column, label in zip(row1[2:], ("Revenue", "Average order value", "Lifetime value"), strict=True):
        column.metric(label, shared.NO_AMOUNTS, help="The export has no amount, quantity or price column")
row2 = st.columns(5)
row2[0].metric("Repeat purchase rate", shared.percent(kpi["repeat_purchase_rate"]),
               help="Customers with 2+ completed orders ÷ customers")
row2[1].metric("Prime share", shared.percent(kpi["prime_share"]),
               help="Prime customers ÷ customers with a known membership")
row2[2].metric("At-risk rate", shared.percent(kpi["at_risk_rate"]),
               help="Customers whose activity status is At Risk (inactivity rule) ÷ customers")
row2[3].metric(f"Active customers ({kpi['active_window_days']} d)", shared.count(kpi["active_customers"]),
               help="Customers with a completed order in the last days of the period")
row2[4].metric("Avg. annual income", shared.money(kpi["average_annual_income"]),
               help=f"Average spending score {kpi['average_spending_score']:.1f}")

gauge_col, trend_col = st.columns([1, 2])
with gauge_col:
    st.subheader("Repeat purchase rate vs target")
    rate, target = kpi["repeat_purchase_rate"], kpi["repeat_rate_target"]
    rate = 0.0 if pd.isna(rate) else rate
    arcs = pd.DataFrame({"part": ["rate", "rest"], "value": [rate, 1 - rate], "position": [0, 1]})
    half = 3.14159265 / 2
    base = alt.Chart(arcs).encode(
        theta=alt.Theta("value:Q", stack=True, scale=alt.Scale(range=[-half, half])),
        color=alt.Color("part:N", scale=alt.Scale(domain=["rate", "rest"],
                        range=["#2e7d32" if rate >= target else "#ef6c00", "#e0e0e0"]), legend=None),
        order=alt.Order("position:Q"),
        tooltip=[alt.Tooltip("value:Q", format=".1%")],
    )
    gauge = base.mark_arc(innerRadius=70, outerRadius=110)
    target_angle = -half + target * 2 * half
    marker = alt.Chart(pd.DataFrame({"theta": [target_angle], "theta2": [target_angle + 0.02]})).mark_arc(
        innerRadius=62, outerRadius=118, color="#212121").encode(
        theta=alt.Theta("theta:Q", scale=None), theta2="theta2:Q")
    label = alt.Chart(pd.DataFrame({"text": [shared.percent(rate)]})).mark_text(
        fontSize=26, fontWeight="bold", dy=-12).encode(text="text:N")
    shared.chart(alt.layer(gauge, marker, label).properties(height=200), key="gauge")
    st.caption(f"Target {shared.percent(target)} (var `repeat_rate_target`); black tick = target.")
with trend_col:
    st.subheader("Revenue and customers by month")
    trend = shared.load("monthly_trend", filters)
    if shared.has_rows(trend):
        revenue = alt.Chart(trend).mark_bar(opacity=0.7).encode(
            x=alt.X("month_start:T", title="Month"), y=alt.Y("revenue:Q", title="Revenue"),
            tooltip=["month_start:T", alt.Tooltip("revenue:Q", format="$,.0f"), "orders:Q", "customers:Q"])
        customers = alt.Chart(trend).mark_line(color="#d81b60", point=True).encode(
            x="month_start:T", y=alt.Y("customers:Q", title="Customers"))
        shared.chart(alt.layer(revenue, customers).resolve_scale(y="independent").properties(height=260),
                     key="trend")

seg_col1, seg_col2 = st.columns(2)
by_rfm = shared.load("by_segment", filters, segment="rfm_segment")
with seg_col1:
    st.subheader("Customers by RFM segment")
    if shared.has_rows(by_rfm):
        shared.chart(alt.Chart(by_rfm).mark_bar().encode(
            y=alt.Y("segment:N", sort="-x", title=None), x=alt.X("customers:Q", title="Customers"),
            tooltip=["segment", "customers", alt.Tooltip("customer_share:Q", format=".1%")]), key="rfm_customers")
with seg_col2:
    st.subheader("Revenue contribution by RFM segment")
    if not by_rfm.empty:
        shared.chart(alt.Chart(by_rfm).mark_bar(color="#5e35b1").encode(
            y=alt.Y("segment:N", sort="-x", title=None), x=alt.X("revenue:Q", title="Revenue"),
            tooltip=["segment", alt.Tooltip("revenue:Q", format="$,.0f"),
                     alt.Tooltip("revenue_share:Q", format=".1%")]), key="rfm_revenue")
st.caption(shared.env_summary())
