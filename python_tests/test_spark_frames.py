"""The Python models' engine edge with a local Spark session (runs in .venv-spark: `make test-spark`)."""

from __future__ import annotations

import pandas as pd
import pytest
from spark_support import SKIP_REASON
from test_frames import ROWS_SQL, expected_rows, sorted_rows

from customer_intelligence.ml.frames import from_pandas, spark_from_pandas_rows, to_pandas

pytest.importorskip("pyspark", reason=SKIP_REASON)


def null_counts(spark_df) -> dict[str, int]:
    """Nulls per column, counted by Spark itself."""
    return {c: spark_df.where(spark_df[c].isNull()).count() for c in spark_df.columns}


def test_spark_dataframe_becomes_the_same_frame_as_duckdb(spark):
    """Same rows, same pandas frame, dtypes included, whichever engine dbt.ref() came from."""
    frame = to_pandas(spark.sql(ROWS_SQL))
    pd.testing.assert_frame_equal(sorted_rows(frame), expected_rows())


def test_spark_dataframe_narrowed_to_the_asked_columns(spark):
    wanted = ["is_prime", "customer_id", "revenue"]
    frame = to_pandas(spark.sql(ROWS_SQL), columns=wanted)
    pd.testing.assert_frame_equal(sorted_rows(frame), sorted_rows(expected_rows())[wanted])
    with pytest.raises(KeyError, match="no column signup_date"):
        to_pandas(spark.sql(ROWS_SQL), columns=["signup_date"])


def test_spark_timestamps_are_wall_clock_times_of_the_session_time_zone(spark):
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        frame = to_pandas(spark.sql("select timestamp '2024-07-01 10:00:00' as ts"))
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    # Spark holds the instant 14:00 UTC; shown in the session zone it is 10:00, as DuckDB would hold it.
    assert frame["ts"].tolist() == [pd.Timestamp("2024-07-01 10:00:00")]
    assert frame["ts"].dt.tz is None


def model_result() -> pd.DataFrame:
    """A frame shaped like a Python model's result: pandas 3 text, missing values, dates as datetime64."""
    return pd.DataFrame(
        {
            "customer_id": pd.array(["C1", "C2", None], dtype="str"),
            "churn_probability": [0.25, float("nan"), 0.5],
            "cluster": pd.array([1, 2, 3], dtype="int64"),
            "is_active": [True, False, True],
            "as_of_date": pd.array(["2024-12-31", "2024-12-31", None], dtype="datetime64[us]"),
        }
    )


def test_from_pandas_keeps_nulls_and_types_on_spark(spark):
    result = from_pandas(model_result(), spark)
    types = dict(result.dtypes)
    assert types == {
        "customer_id": "string",
        "churn_probability": "double",
        "cluster": "bigint",
        "is_active": "boolean",
        "as_of_date": "timestamp",
    }
    assert null_counts(result) == {
        "customer_id": 1,
        "churn_probability": 1,
        "cluster": 0,
        "is_active": 0,
        "as_of_date": 1,
    }
    assert result.where("customer_id = 'nan'").count() == 0
    assert result.where("as_of_date = timestamp '2024-12-31 00:00:00'").count() == 2


def test_round_trip_through_spark_gives_the_frame_back(spark):
    frame = model_result()
    back = to_pandas(from_pandas(frame, spark)).sort_values("cluster").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, frame)


def test_row_fallback_for_old_spark_keeps_nulls(spark):
    result = spark_from_pandas_rows(model_result().drop(columns="as_of_date"), spark)
    assert null_counts(result) == {"customer_id": 1, "churn_probability": 1, "cluster": 0, "is_active": 0}
    assert result.where("customer_id = 'nan'").count() == 0


def test_a_python_model_body_runs_unchanged_on_spark(spark):
    """The shape every Python model of the project has: ref -> to_pandas -> package -> from_pandas."""

    def model(dbt, session):
        orders = to_pandas(dbt.ref("fct_orders"))
        per_customer = orders.groupby("customer_id", as_index=False).agg(revenue=("net_revenue", "sum"))
        return from_pandas(per_customer, session)

    class FakeDbt:
        def ref(self, name: str):
            assert name == "fct_orders"
            return spark.sql(
                "select 'C1' as customer_id, cast(10.0 as double) as net_revenue, date '2024-01-01' as order_date "
                "union all select 'C1', 5.5d, date '2024-01-05' union all select 'C2', 7d, date '2024-02-01'"
            )

    result = model(FakeDbt(), spark)
    assert sorted(map(tuple, result.collect())) == [("C1", 15.5), ("C2", 7.0)]
    assert dict(result.dtypes) == {"customer_id": "string", "revenue": "double"}
