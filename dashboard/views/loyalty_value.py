"""Loyalty & value: order-frequency bands, orders vs revenue per customer, segment × country matrix,
membership split."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

from dashboard.data import MAX_SCATTER_POINTS, SEGMENT_COLUMNS

st.title("Loyalty & value")
filters = shared.page_filters()
st.caption(shared.describe(filters))

bands = shared.load("frequency_bands", filters)
band_col, pie_col = st.columns([3, 2])
with band_col:
    st.subheader("Customer order-frequency distribution")
    shared.chart(alt.Chart(bands).mark_bar().encode(
        x=alt.X("segment:N", sort=list(bands["segment"]), title="Completed orders in the period"),
        y=alt.Y("customers:Q", title="Customers"),
        tooltip=["segment", "customers", alt.Tooltip("customer_share:Q", format=".1%"),
                 alt.Tooltip("revenue:Q", format="$,.0f"), alt.Tooltip("revenue_share:Q", format=".1%")],
    ).properties(height=280), key="bands")
    st.dataframe(
        bands[["segment", "customers", "customer_share", "revenue", "revenue_share"]].rename(
            columns={"segment": "band"}),
        hide_index=True, key="bands_table",
        column_config={"customer_share": st.column_config.NumberColumn("share of customers", format="percent"),
                       "revenue": st.column_config.NumberColumn(format="dollar"),
                       "revenue_share": st.column_config.NumberColumn("share of revenue", format="percent")},
    )
with pie_col:
    st.subheader("Prime vs Non-Prime")
    membership = shared.load("by_segment", filters, segment="membership")
    if shared.has_rows(membership):
        measure = st.radio("Measure", ["customers", "revenue"], horizontal=True, key="pie_measure")
        shared.chart(alt.Chart(membership).mark_arc(innerRadius=40).encode(
            theta=alt.Theta(f"{measure}:Q"), color=alt.Color("segment:N", title="Membership"),
            tooltip=["segment", "customers", alt.Tooltip("customer_share:Q", format=".1%"),
                     alt.Tooltip("revenue:Q", format="$,.0f"), alt.Tooltip("revenue_share:Q", format=".1%")],
        ).properties(height=260), key="membership_pie")

st.subheader("Customer value vs loyalty")
labels = {**SEGMENT_COLUMNS, "ml_segment": "K-means segment"}
colour_options = (["ml_segment"] if shared.has_table("ml_customer_segments") else []) + [
    "rfm_segment", "membership", "loyalty_tier", "spending_quadrant"]
colour_by = st.selectbox("Colour by", colour_options, format_func=labels.get, key="scatter_colour")
points = shared.load("customer_points", filters, max_points=MAX_SCATTER_POINTS, stratify_by=colour_by)
if shared.has_rows(points):
    shared.chart(alt.Chart(points).mark_circle(size=28, opacity=0.6).encode(
        x=alt.X("orders:Q", title="Orders per customer"), y=alt.Y("revenue:Q", title="Revenue per customer"),
        color=alt.Color(f"{colour_by}:N", title=labels[colour_by]),
        tooltip=["customer_id", "orders", alt.Tooltip("revenue:Q", format="$,.2f"), colour_by],
    ).properties(height=380), key="value_scatter", renderer="canvas")
    st.caption(shared.sample_caption(points, labels[colour_by]))

st.subheader("Segment × country")
left, right = st.columns(2)
segment = left.radio("Rows", ["membership", "rfm_segment"], format_func=SEGMENT_COLUMNS.get, horizontal=True,
                     key="matrix_rows")
measures = {"customers": "Customers", "revenue": "Revenue", "average_order_value": "AOV",
            "repeat_purchase_rate": "Repeat purchase rate"}
measure = right.radio("Value", list(measures), format_func=measures.get, horizontal=True, key="matrix_value")
matrix = shared.load("segment_country_matrix", filters, segment=segment)
if shared.has_rows(matrix):
    formats = {"customers": ",.0f", "revenue": "$,.0f", "average_order_value": "$,.2f",
               "repeat_purchase_rate": ".1%"}
    base = alt.Chart(matrix).encode(x=alt.X("country_code:N", title="Country"),
                                    y=alt.Y("segment:N", title=SEGMENT_COLUMNS[segment]))
    heat = base.mark_rect().encode(color=alt.Color(f"{measure}:Q", title=measures[measure]),
                                   tooltip=["segment", "country_code", "customers",
                                            alt.Tooltip("revenue:Q", format="$,.0f"),
                                            alt.Tooltip("average_order_value:Q", format="$,.2f"),
                                            alt.Tooltip("repeat_purchase_rate:Q", format=".1%")])
    text = base.mark_text(fontSize=10).encode(text=alt.Text(f"{measure}:Q", format=formats[measure]))
    shared.chart((heat + text).properties(height=max(120, 34 * matrix["segment"].nunique())), key="matrix")
    table = matrix.pivot(index="segment", columns="country_code", values=measure)
    table["Total"] = matrix.groupby("segment")[measure].sum() if measure in ("customers", "revenue") else None
    st.dataframe(table, key="matrix_table")
