"""Customer grain: historical LTV and predicted 12-month value (customer_intelligence.ml.clv)."""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    orders, customers, as_of = dbt.ref("int_ml_orders"), dbt.ref("dim_customers"), dbt.ref("int_as_of_date")
    options = dbt.config.get("ml_options")
    return model_runs.dbt_model(dbt, session, "clv", 0, options, orders=orders, customers=customers, as_of=as_of)
