"""Churn & actions: revenue vs churn risk per customer, and the retention team's action table."""

from __future__ import annotations

import shared
import streamlit as st

st.title("Churn & actions")
filters = shared.page_filters()
st.caption(shared.describe(filters))
st.info("The churn-risk scores and the action table come with the ML models.")
