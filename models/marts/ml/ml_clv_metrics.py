"""One row: how predicted value correlated with held-back spend.

Thin dbt edge: load the inputs, call the package (customer_intelligence), return the frame.
"""

from customer_intelligence.ml import model_runs
from customer_intelligence.ml.frames import from_pandas, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("ml_customer_clv")  # build after it, so the memoised run is reused, not refitted
    tables = model_runs.run(
        "clv",
        to_pandas,
        orders=dbt.ref("int_ml_orders"),
        customers=dbt.ref("dim_customers"),
        as_of=dbt.ref("int_as_of_date"),
        segment_k=dbt.config.get("segment_k"),
        churn_horizon_days=dbt.config.get("churn_horizon_days"),
        ml_random_state=dbt.config.get("ml_random_state"),
    )
    return from_pandas(tables[1], session)
