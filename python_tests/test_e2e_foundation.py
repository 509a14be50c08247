"""End to end: the project built on generated data with planted truth equals an independent pandas recomputation."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from planted_truth import expected_figures, read_raw

RAW_TABLES = ["customers", "orders", "order_lines", "products"]


def test_build_is_clean(built):
    """dbt build on the default-shaped data ends with no error and no warning."""
    summary = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", built.output)
    assert summary, built.output[-3000:]
    passed, warned, errored, skipped = map(int, summary.groups())
    assert (warned, errored, skipped) == (0, 0, 0), built.output[-3000:]
    assert passed > 50


def test_every_raw_row_is_accounted_for(built, generated_data):
    accounting = built.query("select * from marts.dq_raw_row_accounting").set_index("source_table")
    for table in RAW_TABLES:
        raw_rows = len(read_raw(generated_data["raw"], table))
        row = accounting.loc[table]
        assert row.raw_rows == raw_rows, table
        assert row.raw_rows == row.staged_rows + row.rejected_rows + row.duplicate_rows + row.superseded_rows, table


@pytest.fixture(scope="module")
def expected(generated_data):
    return expected_figures(generated_data["raw"], generated_data["truth"])


def test_orders_customers_and_revenue_equal_independent_recomputation(built, expected):
    assert expected["order_ids_unique"]
    assert built.scalar("select count(*) from marts.fct_orders") == expected["orders"]
    assert built.scalar("select count(*) from marts.fct_order_lines") == expected["lines"]
    assert built.scalar("select count(*) from marts.dim_customers") == expected["customers"]
    assert built.scalar("select count(*) from marts.fct_orders where is_completed") == expected["completed_orders"]
    revenue = built.scalar("select sum(net_revenue) from marts.fct_orders")
    assert round(revenue, 2) == round(expected["net_revenue"], 2)


def test_revenue_per_customer_equals_independent_recomputation(built, expected):
    marts = built.query(
        "select customer_id, sum(net_revenue) as revenue from marts.fct_orders "
        "where is_completed group by customer_id"
    ).set_index("customer_id")["revenue"]
    truth = expected["revenue_by_customer"]
    assert set(marts.index) == set(truth.index)
    diff = (marts.round(2) - truth.reindex(marts.index).round(2)).abs()
    assert diff.max() < 0.006


def test_every_dirt_manifest_row_ends_where_it_should(built, generated_data):
    manifest = pd.read_parquet(generated_data["truth"] / "dirt_manifest.parquet")
    assert len(manifest) > 0
    base = {
        table: built.query(f"select * from staging.base_raw__{table}").set_index("_raw_row_number")
        for table in manifest["table_name"].unique()
    }
    checked = 0
    for row in manifest.itertuples():
        table = base[row.table_name]
        got = table.loc[row.raw_row_number]
        if row.expected_outcome == "rejected":
            assert got["reject_reason"] == row.expected_reason, row
        elif row.expected_outcome == "deduplicated":
            same_key = table[(table["record_key"] == row.record_key) & table["reject_reason"].isna()]
            assert len(same_key) >= 2 and (same_key["dedup_rank"] == 1).sum() == 1, row
        elif row.expected_outcome == "kept_latest":
            assert got["dedup_rank"] == 1, row
        elif row.expected_outcome == "normalised":
            assert pd.isna(got["reject_reason"]), row
            if row.dirt_kind == "country_variant":
                assert got["country_code"] in {"US", "GB", "DE", "FR", "IN", "JP", "BR", "CA", "AU", "MX"}, row
            else:
                assert got["gender"] in {"Male", "Female", "Other"}, row
        elif row.expected_outcome == "flagged":
            assert pd.isna(got["reject_reason"]) and pd.isna(got["birth_date"]), row
            assert row.expected_reason in got["dq_flags"], row
        else:
            pytest.fail(f"unexpected outcome {row.expected_outcome}")
        checked += 1
    assert checked == len(manifest)
