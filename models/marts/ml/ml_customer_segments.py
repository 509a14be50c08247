"""Customer grain: the k-means behavioural segment of every customer with a completed order."""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    customers = dict(orders=dbt.ref("int_ml_orders"), customers=dbt.ref("dim_customers"))
    customers.update(as_of=dbt.ref("int_as_of_date"))
    rules = dict(categories=dbt.ref("int_customer_category_spend"), definitions=dbt.ref("segment_definitions"))
    return model_runs.dbt_model(dbt, session, "segments", 0, dbt.config.get("ml_options"), **customers, **rules)
