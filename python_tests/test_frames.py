"""The Python models' engine edge on DuckDB and pandas (customer_intelligence.ml.frames); Spark: test_spark_frames."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from customer_intelligence.ml.frames import from_pandas, select_columns, to_arrow, to_pandas

# The same rows are built on Spark in test_spark_frames.py: both engines must give this frame.
ROWS_SQL = """
    select 'C1' as customer_id, cast(3 as bigint) as orders, cast(1.5 as double) as revenue,
        date '2024-01-02' as first_date, timestamp '2024-01-02 10:00:00' as first_ts, true as is_prime
    union all
    select 'C2', cast(null as bigint), cast(null as double), cast(null as date), cast(null as timestamp), false
"""


def expected_rows() -> pd.DataFrame:
    """The frame ROWS_SQL must give, written by hand."""
    return pd.DataFrame(
        {
            "customer_id": pd.array(["C1", "C2"], dtype="str"),
            "orders": [3.0, float("nan")],  # an integer column with a null arrives as float64
            "revenue": [1.5, float("nan")],
            "first_date": pd.array([dt.date(2024, 1, 2), None], dtype=object),
            "first_ts": pd.array([pd.Timestamp("2024-01-02 10:00:00"), pd.NaT], dtype="datetime64[us]"),
            "is_prime": [True, False],
        }
    )


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id").reset_index(drop=True)


def test_duckdb_relation_becomes_the_expected_frame():
    con = duckdb.connect()
    frame = to_pandas(con.sql(ROWS_SQL))
    pd.testing.assert_frame_equal(sorted_rows(frame), expected_rows())


def test_arrow_inputs_and_pandas_pass_through():
    con = duckdb.connect()
    table = con.sql(ROWS_SQL).arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    pd.testing.assert_frame_equal(sorted_rows(to_pandas(reader)), expected_rows())
    frame = expected_rows()
    assert to_pandas(frame) is frame
    assert to_arrow(frame).num_rows == 2


def test_from_pandas_returns_the_frame_itself_on_duckdb():
    frame = expected_rows()
    assert from_pandas(frame, duckdb.connect()) is frame


def test_unsupported_objects_are_named_in_the_error():
    with pytest.raises(TypeError, match="cannot read a builtins.dict"):
        to_pandas({"customer_id": ["C1"]})
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        from_pandas([1, 2], duckdb.connect())


def test_only_the_asked_columns_are_fetched_in_the_asked_order():
    con = duckdb.connect()
    wanted = ["is_prime", "customer_id", "revenue"]
    expected = sorted_rows(expected_rows())[wanted]
    relation = con.sql(ROWS_SQL)
    assert select_columns(relation, wanted).columns == wanted  # projected on DuckDB, nothing fetched yet
    pd.testing.assert_frame_equal(sorted_rows(to_pandas(relation, columns=wanted)), expected)
    table = relation.arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    pd.testing.assert_frame_equal(sorted_rows(to_pandas(table, columns=wanted)), expected)
    assert table.num_columns == 6  # a caller's Arrow table is left intact
    pd.testing.assert_frame_equal(sorted_rows(to_pandas(expected_rows(), columns=wanted)), expected)


def test_a_column_name_with_a_quote_is_projected_safely():
    con = duckdb.connect()
    relation = con.sql('select 1 as "odd""name", 2 as other')
    assert to_pandas(relation, columns=['odd"name'])['odd"name'].tolist() == [1]


def test_a_missing_column_is_named():
    con = duckdb.connect()
    with pytest.raises(KeyError, match="no column signup_date among customer_id"):
        to_pandas(con.sql(ROWS_SQL), columns=["customer_id", "signup_date"])
    with pytest.raises(KeyError, match="no column signup_date"):
        select_columns(expected_rows(), ["signup_date"])
    with pytest.raises(ValueError, match="no columns"):
        select_columns(expected_rows(), [])


def test_dates_as_datetime64_when_asked():
    con = duckdb.connect()
    frame = sorted_rows(to_pandas(con.sql(ROWS_SQL), columns=["customer_id", "first_date"], dates_as_objects=False))
    assert frame["first_date"].dtype.kind == "M"  # datetime64, not Python date objects
    assert frame["first_date"].iloc[0] == pd.Timestamp("2024-01-02") and pd.isna(frame["first_date"].iloc[1])
