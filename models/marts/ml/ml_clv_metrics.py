"""One row per CLV candidate and period: how predicted value correlated with held-back spend.

Built after ml_customer_clv (the ``after`` ref), so the memoised CLV run is reused, not refitted.
"""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    after = dbt.ref("ml_customer_clv")
    inputs = {"orders": dbt.ref("int_ml_orders"), "customers": dbt.ref("dim_customers")}
    inputs["as_of"] = dbt.ref("int_as_of_date")
    return model_runs.dbt_model(dbt, session, "clv", 1, dbt.config.get("ml_options"), after=after, **inputs)
