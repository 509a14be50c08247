"""Demographics: revenue by age group, with vs without children, gender by country, preferred categories."""

from __future__ import annotations

import altair as alt
import shared
import streamlit as st

st.title("Demographics")
filters = shared.page_filters()
st.caption(shared.describe(filters))

AGE_ORDER = ["under 18", "18-30", "31-40", "41-50", "51-60", "61-70", "71+", "unknown"]


def tooltip(label: str) -> list:
    return [alt.Tooltip("segment:N", title=label), "customers:Q", alt.Tooltip("revenue:Q", format="$,.0f"),
            alt.Tooltip("revenue_share:Q", format=".1%")]


left, right = st.columns(2)
with left:
    st.subheader("Revenue by age group")
    ages = shared.load("by_segment", filters, segment="age_group")
    if shared.has_rows(ages):
        shared.chart(alt.Chart(ages).mark_bar().encode(
            x=alt.X("segment:N", sort=AGE_ORDER, title="Age group"), y=alt.Y("revenue:Q", title="Revenue"),
            tooltip=tooltip("age group")).properties(height=300), key="age_revenue")
with right:
    st.subheader("With vs without children")
    children = shared.load("by_segment", filters, segment="children_status")
    if shared.has_rows(children):
        shared.chart(alt.Chart(children).mark_arc(innerRadius=50).encode(
            theta="revenue:Q", color=alt.Color("segment:N", title="Children"),
            tooltip=tooltip("children")).properties(height=300), key="children_revenue")
        st.caption(" · ".join(f"{row.segment}: {shared.percent(row.revenue_share)} of revenue"
                              for row in children.itertuples()))

left, right = st.columns(2)
with left:
    st.subheader("Gender by country")
    gender = shared.load("gender_by_country", filters)
    if shared.has_rows(gender):
        shared.chart(alt.Chart(gender).mark_bar().encode(
            x=alt.X("country_code:N", title="Country"), y=alt.Y("customers:Q", title="Customers"),
            color=alt.Color("gender:N", title="Gender"),
            tooltip=["country_code", "gender", "customers", alt.Tooltip("revenue:Q", format="$,.0f")],
        ).properties(height=300), key="gender_country")
with right:
    st.subheader("Preferred categories")
    categories = shared.load("by_segment", filters, segment="preferred_category")
    if shared.has_rows(categories):
        shared.chart(alt.Chart(categories).mark_bar().encode(
            y=alt.Y("segment:N", sort="-x", title=None), x=alt.X("customers:Q", title="Customers"),
            tooltip=tooltip("category")).properties(height=300), key="categories")
        st.caption("Preferred category = the category of a customer's highest spend over their history.")
