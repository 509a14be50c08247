"""Customer grain: churn probability and risk tier of every current customer (customer_intelligence.ml)."""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    refs = {"orders": dbt.ref("int_ml_orders"), "customers": dbt.ref("dim_customers")}
    options, as_of = dbt.config.get("ml_options"), dbt.ref("int_as_of_date")
    return model_runs.dbt_model(dbt, session, "churn", 0, options, as_of=as_of, **refs)
