"""Churn & actions: revenue vs churn risk per customer, churn risk by segment, and the retention team's
action table (sortable, downloadable as CSV)."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

from dashboard.data import ACTION_TABLE_ROWS, MAX_SCATTER_POINTS

st.title("Churn & actions")
filters = shared.page_filters()
st.caption(shared.describe(filters))

if not all(shared.has_table(name) for name in ("ml_customer_actions", "ml_customer_churn_scores")):
    st.info("The churn scores and the action table are not in this publication (the ML models did not run).")
    st.stop()

summary = shared.load("action_summary", filters)
metrics = shared.load("churn_model_metrics")
scoring = metrics[metrics["used_for_scoring"]].iloc[0] if metrics["used_for_scoring"].any() else metrics.iloc[0]
cards = st.columns(4)
cards[0].metric("High-risk customers", shared.count(summary["high_risk_customers"]),
                help="Churn probability ≥ 0.7")
cards[1].metric("Revenue at risk", shared.money_compact(summary["revenue_at_risk"]),
                help="Σ churn probability × predicted 12-month value")
cards[2].metric("Avg. churn probability", shared.percent(summary["average_churn_probability"]))
cards[3].metric("Churn model ROC AUC", f"{scoring['roc_auc']:.3f}",
                help=f"{scoring['method']} on the validation window; recency-rule baseline "
                     f"{scoring['baseline_roc_auc']:.3f}")

left, right = st.columns([3, 2])
with left:
    st.subheader("Revenue vs churn risk")
    points = shared.load("churn_points", filters, max_points=MAX_SCATTER_POINTS, stratify_by="segment")
    if shared.has_rows(points):
        shared.chart(alt.Chart(points).mark_circle(size=30, opacity=0.6).encode(
            x=alt.X("revenue:Q", title="Revenue (period)", scale=alt.Scale(type="symlog")),
            y=alt.Y("churn_probability:Q", title="Churn probability", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title="K-means segment"),
            tooltip=["customer_id", "segment", alt.Tooltip("revenue:Q", format="$,.2f"),
                     alt.Tooltip("churn_probability:Q", format=".1%"), "churn_risk_tier",
                     alt.Tooltip("predicted_clv_12m:Q", format="$,.0f"),
                     alt.Tooltip("revenue_at_risk:Q", format="$,.0f")],
        ).properties(height=380), key="churn_scatter", renderer="canvas")
        st.caption(shared.sample_caption(points, "k-means segment"))
with right:
    st.subheader("Churn risk by segment")
    by_segment = shared.load("churn_by_segment", filters)
    if shared.has_rows(by_segment):
        shared.chart(alt.Chart(by_segment).mark_bar().encode(
            y=alt.Y("segment:N", sort="-x", title=None), x=alt.X("revenue_at_risk:Q", title="Revenue at risk"),
            color=alt.Color("average_churn_probability:Q", title="Avg. churn prob.",
                            scale=alt.Scale(scheme="orangered", domain=[0, 1])),
            tooltip=["segment", "customers", "high_risk_customers",
                     alt.Tooltip("average_churn_probability:Q", format=".1%"),
                     alt.Tooltip("revenue_at_risk:Q", format="$,.0f")],
        ).properties(height=380), key="churn_by_segment")

st.subheader("Action table")
sortable = {"revenue_at_risk": "Revenue at risk", "churn_probability": "Churn probability",
            "predicted_clv_12m": "Predicted 12-month value", "net_revenue": "Revenue to date",
            "recency_days": "Days since last order", "last_order_date": "Last order"}
controls = st.columns([2, 1, 2])
sort_by = controls[0].selectbox("Sort by", list(sortable), format_func=sortable.get, key="actions_sort")
descending = controls[1].toggle("Descending", value=True, key="actions_descending")
tiers = controls[2].multiselect("Churn risk tier", ["high", "medium", "low"], key="actions_tiers",
                                placeholder="All tiers")
shown = shared.load("action_table", filters, sort_by=sort_by, descending=descending, tiers=tuple(tiers),
                    limit=ACTION_TABLE_ROWS)
total = int(shown["rows_total"].iloc[0]) if len(shown) else 0
shown = shown.drop(columns="rows_total")
st.dataframe(
    shown, hide_index=True, key="actions_table",
    column_config={"action_rank": st.column_config.NumberColumn("rank"),
                   "last_order_date": st.column_config.DateColumn("last order", format="YYYY-MM-DD"),
                   "net_revenue": st.column_config.NumberColumn("revenue to date", format="dollar"),
                   "churn_probability": st.column_config.ProgressColumn("churn probability", min_value=0,
                                                                        max_value=1, format="percent"),
                   "predicted_clv_12m": st.column_config.NumberColumn("predicted 12-m value", format="dollar"),
                   "revenue_at_risk": st.column_config.NumberColumn("revenue at risk", format="dollar"),
                   "recommended_action": st.column_config.TextColumn("recommended action", width="large"),
                   "churn_drivers": st.column_config.TextColumn("why at risk (top drivers)", width="large")},
)
st.download_button("Download the action table (CSV)", shown.to_csv(index=False).encode("utf-8"),
                   file_name="customer_actions.csv", mime="text/csv", key="actions_csv",
                   icon=":material/download:")
shown_text = (f"{total:,} customers" if len(shown) >= total
              else f"The first {len(shown):,} of {total:,} customers in this order")
st.caption(f"{shown_text}. Click a column header to sort the rows shown in place; the CSV has the rows and "
           "order shown.")
