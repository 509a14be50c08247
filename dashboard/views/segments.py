"""Segments: income × spending-score quadrants with each quadrant's action (seed 000), RFM segments, and the
k-means segment profiles."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

from dashboard.data import MAX_SCATTER_POINTS

st.title("Segments")
filters = shared.page_filters()
st.caption(shared.describe(filters))

st.subheader("Income × spending score")
quadrants = shared.load("spending_quadrants", filters)
points = shared.load("customer_points", filters, max_points=MAX_SCATTER_POINTS, stratify_by="spending_quadrant")
known = points.dropna(subset=["annual_income", "spending_score"])
if shared.has_rows(known):
    income_threshold = float(quadrants["income_threshold"].iloc[0])
    score_threshold = float(quadrants["spending_score_threshold"].iloc[0])
    scatter = alt.Chart(known).mark_circle(size=26, opacity=0.6).encode(
        x=alt.X("annual_income:Q", title="Annual income"), y=alt.Y("spending_score:Q", title="Spending score (1-100)"),
        color=alt.Color("spending_quadrant:N", title="Quadrant", scale=shared.quadrant_scale()),
        tooltip=["customer_id", alt.Tooltip("annual_income:Q", format="$,.0f"), "spending_score",
                 "spending_quadrant", alt.Tooltip("revenue:Q", format="$,.2f")])
    vertical = alt.Chart({"values": [{"x": income_threshold}]}).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    horizontal = alt.Chart({"values": [{"y": score_threshold}]}).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    shared.chart((scatter + vertical + horizontal).properties(height=400), key="quadrant_scatter", renderer="canvas")
    st.caption(shared.sample_caption(points, "quadrant"))
    st.caption(f"Split at income {shared.money(income_threshold)} and spending score {score_threshold:g} "
               "(vars `quadrant_income_threshold`, `quadrant_spending_score_threshold`; default the medians).")
by_name = quadrants.set_index("spending_quadrant")
for row_names in (("Potential Growers", "VIPs"), ("At Risk", "Underperformers")):  # the quadrants' positions
    for column, name in zip(st.columns(2), row_names, strict=True):
        if name not in by_name.index:
            continue
        quadrant = by_name.loc[name]
        box = column.container(border=True)
        colour = shared.QUADRANT_COLOURS[name][1]
        box.markdown(f"**:{colour}[{name}]** — {shared.count(quadrant['customers'])} customers, "
                     f"{shared.money(quadrant['revenue'])} revenue")
        box.caption(quadrant["description"])
        box.markdown(f"**Action:** {quadrant['recommended_action']}")
shown = quadrants[quadrants["customers"] > 0] if not quadrants.empty else quadrants
st.dataframe(
    shown[["spending_quadrant", "customers", "revenue", "average_annual_income", "average_spending_score",
           "description", "recommended_action"]],
    hide_index=True, key="quadrant_table",
    column_config={"spending_quadrant": "quadrant",
                   "revenue": st.column_config.NumberColumn(format="dollar"),
                   "average_annual_income": st.column_config.NumberColumn("avg. income", format="dollar"),
                   "average_spending_score": st.column_config.NumberColumn("avg. score", format="%.1f"),
                   "recommended_action": st.column_config.TextColumn("strategic action", width="large")},
)

st.subheader("RFM segments")
rfm = shared.load("rfm_segments", filters)
if shared.has_rows(rfm):
    shared.chart(alt.Chart(rfm).mark_bar().encode(
        y=alt.Y("rfm_segment:N", sort=list(rfm["rfm_segment"]), title=None),
        x=alt.X("customers:Q", title="Customers"), color=alt.Color("average_recency_days:Q", title="Avg. recency (d)"),
        tooltip=["rfm_segment", "customers", alt.Tooltip("revenue:Q", format="$,.0f"),
                 alt.Tooltip("average_recency_days:Q", format=".0f"), "description"],
    ).properties(height=320), key="rfm_bar")
    st.dataframe(rfm[["rfm_segment", "customers", "revenue", "average_recency_days", "average_recency_score",
                      "average_frequency_score", "average_monetary_score", "description"]],
                 hide_index=True, key="rfm_table",
                 column_config={"revenue": st.column_config.NumberColumn(format="dollar"),
                                "average_recency_days": st.column_config.NumberColumn(format="%.0f"),
                                "average_recency_score": st.column_config.NumberColumn("R", format="%.2f"),
                                "average_frequency_score": st.column_config.NumberColumn("F", format="%.2f"),
                                "average_monetary_score": st.column_config.NumberColumn("M", format="%.2f")})

st.subheader("K-means segment profiles")
if not shared.has_table("ml_segment_profiles"):
    st.info("The k-means segments are not in this publication (the ML models did not run).")
else:
    profiles = shared.load("ml_segment_profiles", filters)
    left, right = st.columns([2, 3])
    with left:
        shared.chart(alt.Chart(profiles).mark_bar().encode(
            y=alt.Y("segment_name:N", sort=list(profiles["segment_name"]), title=None),
            x=alt.X("revenue_share:Q", title="Share of revenue", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title="Segment"),
            tooltip=["segment_name", "customers", alt.Tooltip("customer_share:Q", format=".1%"),
                     alt.Tooltip("revenue:Q", format="$,.0f"), alt.Tooltip("revenue_share:Q", format=".1%")],
        ).properties(height=260), key="ml_revenue_share")
    with right:
        st.dataframe(
            profiles[["cluster_id", "segment_name", "customers", "customer_share", "revenue", "revenue_share",
                      "average_orders", "average_order_value", "average_recency_days", "centroid_net_revenue",
                      "centroid_orders_count", "centroid_recency_days", "centroid_discount_share"]],
            hide_index=True, key="ml_profiles",
            column_config={"cluster_id": st.column_config.NumberColumn("cluster"),
                           "customer_share": st.column_config.NumberColumn(format="percent"),
                           "revenue": st.column_config.NumberColumn(format="dollar"),
                           "revenue_share": st.column_config.NumberColumn(format="percent"),
                           "average_orders": st.column_config.NumberColumn(format="%.1f"),
                           "average_order_value": st.column_config.NumberColumn(format="dollar"),
                           "average_recency_days": st.column_config.NumberColumn(format="%.0f"),
                           "centroid_net_revenue": st.column_config.NumberColumn(format="dollar"),
                           "centroid_orders_count": st.column_config.NumberColumn(format="%.1f"),
                           "centroid_recency_days": st.column_config.NumberColumn(format="%.0f"),
                           "centroid_discount_share": st.column_config.NumberColumn(format="percent")})
    st.caption("Sizes and averages are for the filtered customers; centroids (original units) describe the "
               "model's clusters.")
