"""Engagement & retention: 30-day active customers by segment over time, cohort retention heatmap, activity
matrix and orders by segment per month."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

from dashboard.data import SEGMENT_COLUMNS

st.title("Engagement & retention")
filters = shared.page_filters()
st.caption(shared.describe(filters))
segment = st.selectbox("Segment", ["membership", "rfm_segment", "loyalty_tier", "spending_quadrant"],
                       format_func=SEGMENT_COLUMNS.get, key="engagement_segment")

kpi = shared.load("kpis", filters)
st.subheader(f"Active customers ({kpi['active_window_days']}-day rolling window) by segment")
active = shared.load("rolling_active_customers", filters, segment=segment)
if shared.has_rows(active):
    shared.chart(alt.Chart(active).mark_line().encode(
        x=alt.X("date_day:T", title="Day"), y=alt.Y("active_customers:Q", title="Active customers"),
        color=alt.Color("segment:N", title=SEGMENT_COLUMNS[segment]),
        tooltip=["date_day:T", "segment", "active_customers"]).properties(height=320), key="active_trend")
    st.caption("Active on a day = at least one completed order in the window of days ending on it. "
               "Periods longer than 400 days are shown weekly.")

st.subheader("Cohort retention")
cohorts = shared.load("cohort_retention", filters)
if shared.has_rows(cohorts):
    shared.chart(alt.Chart(cohorts).mark_rect().encode(
        x=alt.X("months_since_first_order:O", title="Months since first order"),
        y=alt.Y("yearmonth(cohort_month):O", title="Cohort (first order month)"),
        color=alt.Color("retention_rate:Q", title="Retention", scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip("yearmonth(cohort_month):O", title="cohort"), "months_since_first_order",
                 "cohort_size", "active_customers", alt.Tooltip("retention_rate:Q", format=".1%")],
    ).properties(height=max(200, 9 * cohorts["cohort_month"].nunique())), key="cohort_heatmap")

left, right = st.columns(2)
with left:
    st.subheader("Activity matrix: top 40 customers")
    matrix = shared.load("activity_matrix", filters, top_n=40)
    if shared.has_rows(matrix):
        shared.chart(alt.Chart(matrix).mark_rect().encode(
            x=alt.X("yearmonth(month_start):O", title="Month"),
            y=alt.Y("customer_id:N", sort=alt.SortField("revenue_rank"), title="Customer (by revenue)"),
            color=alt.Color("orders:Q", title="Orders", scale=alt.Scale(scheme="greens")),
            tooltip=["customer_id", "yearmonth(month_start):O", "orders", alt.Tooltip("revenue:Q", format="$,.2f")],
        ).properties(height=520), key="activity_matrix")
with right:
    st.subheader("Orders by segment per month")
    monthly = shared.load("segment_orders_monthly", filters, segment=segment)
    if shared.has_rows(monthly):
        shared.chart(alt.Chart(monthly).mark_bar().encode(
            x=alt.X("yearmonth(month_start):T", title="Month"), y=alt.Y("orders:Q", title="Completed orders"),
            color=alt.Color("segment:N", title=SEGMENT_COLUMNS[segment]),
            tooltip=["yearmonth(month_start):T", "segment", "orders", alt.Tooltip("revenue:Q", format="$,.0f")],
        ).properties(height=520), key="segment_orders")
