"""Customer intelligence dashboard (Streamlit): `make dashboard`, or `streamlit run dashboard/app.py`.

Pages are in dashboard/views/ (not pages/, which Streamlit would also serve as a second, file-based
navigation). Reads only the published marts (see customer_intelligence.reporting.publish). Every page starts with
`shared.page_filters()`: the sidebar filters (date range, membership segment, country), whose values are kept
in st.session_state so that they apply to every visual on every page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import shared` from the pages
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # the project's package without a venv .pth

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/loyalty_value.py", title="Loyalty & value", icon=":material/loyalty:"),
    st.Page("views/segments.py", title="Segments", icon=":material/scatter_plot:"),
    st.Page("views/demographics.py", title="Demographics", icon=":material/groups:"),
    st.Page("views/engagement_retention.py", title="Engagement & retention", icon=":material/timeline:"),
    st.Page("views/churn_actions.py", title="Churn & actions", icon=":material/warning:"),
    st.Page("views/who_moved.py", title="Who moved", icon=":material/swap_horiz:"),
]

st.set_page_config(page_title="Customer intelligence", page_icon=":material/insights:", layout="wide")
st.navigation(PAGES).run()
