"""Segment grain: size, revenue share and centroid of each k-means segment.

Built after ml_customer_segments (the ``after`` ref), so the memoised k-means run is reused, not refitted.
"""

from customer_intelligence.ml import model_runs


def model(dbt, session):
    dbt.config(materialized="table")
    refs = {"categories": dbt.ref("int_customer_category_spend"), "definitions": dbt.ref("segment_definitions")}
    refs.update(orders=dbt.ref("int_ml_orders"), customers=dbt.ref("dim_customers"), as_of=dbt.ref("int_as_of_date"))
    after, options = dbt.ref("ml_customer_segments"), dbt.config.get("ml_options")
    return model_runs.dbt_model(dbt, session, "segments", 1, options, after=after, **refs)
