"""Method grain: validation metrics of the churn model and the recency-rule baseline.

Built after ml_customer_churn_scores (the ``after`` ref), so the memoised churn run is reused, not refitted.
"""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    refs = dict(orders=dbt.ref("int_ml_orders"), customers=dbt.ref("dim_customers"), as_of=dbt.ref("int_as_of_date"))
    options = dbt.config.get("ml_options")
    return model_runs.dbt_model(dbt, session, "churn", 1, options, after=dbt.ref("ml_customer_churn_scores"), **refs)
