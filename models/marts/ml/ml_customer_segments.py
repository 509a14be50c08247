"""Customer grain: the k-means behavioural segment of every customer with a completed order.

Thin dbt edge: load the inputs, call the package (customer_intelligence), return the frame.
"""

from customer_intelligence.ml import model_runs
from customer_intelligence.ml.frames import from_pandas, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    tables = model_runs.run(
        "segments",
        to_pandas,
        orders=dbt.ref("int_ml_orders"),
        customers=dbt.ref("dim_customers"),
        as_of=dbt.ref("int_as_of_date"),
        segment_k=dbt.config.get("segment_k"),
        churn_horizon_days=dbt.config.get("churn_horizon_days"),
        ml_random_state=dbt.config.get("ml_random_state"),
        categories=dbt.ref("int_customer_category_spend"),
        definitions=dbt.ref("segment_definitions"),
        at_risk_inactivity_days=dbt.config.get("at_risk_inactivity_days"),
        churn_inactivity_days=dbt.config.get("churn_inactivity_days"),
    )
    return from_pandas(tables[0], session)
