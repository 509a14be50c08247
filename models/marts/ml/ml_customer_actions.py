"""Customer grain: the retention action list, customers ranked by revenue at risk
(churn probability x predicted 12-month value), with segment, churn tier and recommended action.

Thin dbt edge: load the inputs, call the package (customer_intelligence), return the frame.
"""

from customer_intelligence.ml.actions import action_table
from customer_intelligence.ml.frames import from_pandas, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    segments = to_pandas(dbt.ref("ml_customer_segments"))
    churn = to_pandas(dbt.ref("ml_customer_churn_scores"))
    clv = to_pandas(dbt.ref("ml_customer_clv"))
    facts = to_pandas(dbt.ref("dim_customers"), columns=["customer_id", "country_code", "membership"])
    catalog = to_pandas(dbt.ref("segment_catalog"))
    return from_pandas(action_table(segments, churn, clv, facts, catalog=catalog), session)
