"""One row: how predicted value correlated with held-back spend.

Thin dbt edge: load the inputs, call the package (customer_intelligence), return the frame.
"""

from customer_intelligence import model_runs
from customer_intelligence.frames import from_pandas, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("ml_customer_clv")  # build after it, so the memoised run is reused, not refitted
    with model_runs.exclusive():  # one model at a time loads and computes (memory)
        inputs = model_runs.prepare_inputs(
            to_pandas,
            orders=dbt.ref("int_ml_orders"),
            customers=dbt.ref("dim_customers"),
            as_of=dbt.ref("int_as_of_date"),
            segment_k=dbt.config.get("segment_k"),
            churn_horizon_days=dbt.config.get("churn_horizon_days"),
            ml_random_state=dbt.config.get("ml_random_state"),
        )
        tables = model_runs.clv(inputs["orders"], inputs["as_of"])
        del inputs  # free the input frames before the next model loads its own
    return from_pandas(tables[1], session)
