"""Who moved: how customers moved between segments from one as-of date of the segment history to the next
(agg_segment_migrations), as a from × to matrix of customers and revenue for a chosen period."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

from dashboard.data import MIGRATION_SEGMENT_TYPES

st.title("Who moved")
filters = shared.page_filters()
st.caption(shared.describe(filters))
st.caption("Segments are recorded per as-of date (fct_customer_segment_history); the membership and country "
           "filters choose the customers, the period is chosen below (the date filter does not apply).")

if not shared.has_table("agg_segment_migrations"):
    st.info("The segment history is not in this publication.")
    st.stop()

left, right = st.columns(2)
segment_type = left.selectbox("Segment type", list(MIGRATION_SEGMENT_TYPES), format_func=MIGRATION_SEGMENT_TYPES.get,
                              key="migration_type")
periods = shared.load("migration_periods")
label = MIGRATION_SEGMENT_TYPES[segment_type]
if periods.empty:
    st.info("The segment history has one as-of date, so nobody has moved yet: the next build (or "
            "`python -m customer_intelligence.tools.backfill_segment_history`) records another. Segments now:")
    sizes = shared.load("latest_segment_sizes", filters, segment_type=segment_type)
    if sizes.empty:
        shared.no_data()
    for column, (measure, title, number_format) in zip(
            st.columns(2), [("customers", "Customers", ",.0f"), ("net_revenue", "Revenue to date", "$,.0f")],
            strict=True):
        with column:
            if not sizes.empty:
                shared.chart(alt.Chart(sizes).mark_bar().encode(
                    y=alt.Y("segment:N", sort="-x", title=label), x=alt.X(f"{measure}:Q", title=title),
                    tooltip=["segment", alt.Tooltip(f"{measure}:Q", format=number_format)],
                ).properties(height=320), key=f"segment_sizes_{measure}")
    st.stop()

choices = {f"{row.from_date:%Y-%m-%d} → {row.to_date:%Y-%m-%d}": row.to_date.date() for row in periods.itertuples()}
period = right.selectbox("Period", list(choices), key="migration_period")
moves = shared.load("segment_migrations", filters, segment_type=segment_type, to_date=choices[period])
if moves.empty:
    shared.no_data()
    st.stop()

measures = {"customers": ("Customers", ",.0f"), "net_revenue": ("Revenue to date", "$,.0f"),
            "period_net_revenue": ("Revenue in the period", "$,.0f")}
measure = st.radio("Value", list(measures), format_func=lambda m: measures[m][0], horizontal=True,
                   key="migration_value")
title, number_format = measures[measure]
moved = moves[moves["is_migration"].fillna(False).astype(bool)]
down = moves[moves["is_downgrade"].fillna(False).astype(bool)]
cards = st.columns(4)
cards[0].metric("Customers at both dates", shared.count(moves["customers"].sum()))
cards[1].metric("Moved segment", shared.count(moved["customers"].sum()))
cards[2].metric("Moved down", shared.count(down["customers"].sum()),
                help="To a later segment in the seed segment_catalog's order (e.g. Loyal Customers → At Risk)")
cards[3].metric("Revenue to date of those moving down", shared.money_compact(down["net_revenue"].sum()))

base = alt.Chart(moves).encode(x=alt.X("to_segment:N", title=f"{label} at the end"),
                               y=alt.Y("from_segment:N", title=f"{label} at the start"))
heat = base.mark_rect().encode(
    color=alt.Color(f"{measure}:Q", title=title, scale=alt.Scale(scheme="blues")),
    tooltip=["from_segment", "to_segment", alt.Tooltip("customers:Q", format=",.0f"),
             alt.Tooltip("net_revenue:Q", format="$,.0f"), alt.Tooltip("period_net_revenue:Q", format="$,.0f")])
text = base.mark_text(fontSize=10).encode(text=alt.Text(f"{measure}:Q", format=number_format))
height = max(160, 30 * moves["from_segment"].nunique())
shared.chart((heat + text).properties(height=height), key="migration_matrix")
st.dataframe(moves.sort_values("customers", ascending=False), hide_index=True, key="migration_table",
             column_config={"net_revenue": st.column_config.NumberColumn("revenue to date", format="dollar"),
                            "period_net_revenue": st.column_config.NumberColumn("revenue in the period",
                                                                                 format="dollar")})
