"""Corrected re-exports (issue 19, item 1): a plain ``dbt build`` on a warehouse that already holds
the order facts must leave exactly what a fresh build of the current raw files would. Each build is of the
order facts, the models they read and their tests (see ``BUILD``).

One warehouse, three plain builds, each on a rewritten ``orders.csv`` (line grain: the orders file
alone, one row per order here, no ``updated_at``, status absent = completed, quantity 1):

1. five orders: O1 10 and O2 20 (C1), O3 30 and O4 40 (C2), O5 50 (C3): revenue 150;
2. the re-export corrects O2 to 25 (no updated_at says so) and drops O4:
   revenue 10 + 25 + 30 + 50 = 115, O4 gone from both facts, every test green;
3. a different dataset (N1..N5 of customers D1..D3) in the same warehouse: rebuilt in full by
   itself, with a line saying why; revenue 7.50 + 12.50 + 5 + 100 + 30 = 155.

Before the fix, build 2 kept O2 at 20 and O4 (a relationships test failed), and build 3 kept the
old orders next to the new ones.
"""

from __future__ import annotations

import pandas as pd
import pytest
from bad_input import write_csv
from dbt_project_runner import Build, run_dbt

# The order facts, what they read and their tests (``cautious``: only tests whose every parent is built): the
# models the re-exports change; the marts after them read these facts and are tested by every other build.
# The order facts are tables by default (rebuilt on every run, trivially equal to a fresh build); these builds
# run them incremental, the mode whose comparison with the loaded rows is under test.
BUILD = ["build", "--exclude-resource-type", "unit_test", "--select", "+fct_orders", "+fct_order_lines",
         "+dim_customers", "--indirect-selection", "cautious",
         "--vars", "{order_facts_materialization: incremental}"]
HEADER = ["order_id", "customer_id", "order_ts", "amount"]
FIRST = [
    ["O1", "C1", "2024-01-05 10:00:00", "10.00"],
    ["O2", "C1", "2024-02-05 10:00:00", "20.00"],
    ["O3", "C2", "2024-01-10 10:00:00", "30.00"],
    ["O4", "C2", "2024-03-01 10:00:00", "40.00"],
    ["O5", "C3", "2024-02-20 10:00:00", "50.00"],
]
# the re-export: O2's amount corrected, O4 deleted, the other rows as first sent
CORRECTED = [FIRST[0], ["O2", "C1", "2024-02-05 10:00:00", "25.00"], FIRST[2], FIRST[4]]
OTHER_DATASET = [
    ["N1", "D1", "2025-05-01 09:00:00", "7.50"],
    ["N2", "D1", "2025-05-03 09:00:00", "12.50"],
    ["N3", "D2", "2025-05-02 09:00:00", "5.00"],
    ["N4", "D3", "2025-05-04 09:00:00", "100.00"],
    ["N5", "D3", "2025-05-06 09:00:00", "30.00"],
]
REBUILD_LINE = "Full rebuild of {table}: the raw orders are a different dataset: 4 of the 4 orders loaded in {table}"


def orders(build: Build) -> pd.DataFrame:
    """fct_orders' key figures, by order id."""
    return build.query(
        "select order_id, customer_id, net_revenue, line_count, customer_order_sequence, completed_order_sequence "
        "from marts.fct_orders order by order_id"
    ).set_index("order_id")


def lines(build: Build) -> dict[str, float]:
    """fct_order_lines' net amount, by line id."""
    frame = build.query("select order_line_id, net_amount from marts.fct_order_lines order by order_line_id")
    return dict(zip(frame["order_line_id"], frame["net_amount"], strict=True))


def customers(build: Build) -> list[str]:
    """dim_customers' customer ids."""
    return list(build.query("select customer_id from marts.dim_customers order by customer_id")["customer_id"])


@pytest.fixture(scope="module")
def reexports(tmp_path_factory) -> dict[str, Build]:
    """The three builds, in order, on one warehouse."""
    root = tmp_path_factory.mktemp("reexports")
    raw = root / "raw"
    raw.mkdir()
    warehouse = root / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    builds = {}
    for name, rows in (("first", FIRST), ("corrected", CORRECTED), ("other", OTHER_DATASET)):
        write_csv(raw / "orders.csv", HEADER, rows)
        builds[name] = run_dbt(BUILD, raw, root / name, warehouse=warehouse)
        # the warehouse is shared: read each state before the next build replaces it
        ok = builds[name].ok
        builds[name + "_orders"] = orders(builds[name]) if ok else None
        builds[name + "_lines"] = lines(builds[name]) if ok else None
        builds[name + "_customers"] = customers(builds[name]) if ok else None
    return builds


def test_first_build(reexports):
    assert reexports["first"].ok, reexports["first"].output[-5000:]
    frame = reexports["first_orders"]
    assert frame["net_revenue"].sum() == pytest.approx(150.0)
    assert list(frame.index) == ["O1", "O2", "O3", "O4", "O5"]


def test_a_corrected_amount_without_updated_at_gives_the_new_revenue(reexports):
    build = reexports["corrected"]
    assert build.ok, build.output[-5000:]
    frame = reexports["corrected_orders"]
    assert frame.loc["O2", "net_revenue"] == pytest.approx(25.0)
    assert frame["net_revenue"].sum() == pytest.approx(10 + 25 + 30 + 50)
    assert reexports["corrected_lines"]["O2-1"] == pytest.approx(25.0)


def test_an_order_deleted_from_the_export_is_gone_and_the_build_is_green(reexports):
    build = reexports["corrected"]
    assert build.ok, build.output[-5000:]
    frame = reexports["corrected_orders"]
    assert list(frame.index) == ["O1", "O2", "O3", "O5"]
    assert sorted(reexports["corrected_lines"]) == ["O1-1", "O2-1", "O3-1", "O5-1"]
    # C2 has one order left: its sequence is 1
    assert frame.loc["O3", "customer_order_sequence"] == 1
    assert reexports["corrected_customers"] == ["C1", "C2", "C3"]


def test_the_corrected_build_was_incremental(reexports):
    """The same dataset corrected is not a reason for a full rebuild."""
    assert "Full rebuild of" not in reexports["corrected"].output


def test_a_different_dataset_is_rebuilt_in_full_with_a_line_saying_why(reexports):
    build = reexports["other"]
    assert build.ok, build.output[-5000:]
    for table in ("fct_orders", "fct_order_lines"):
        assert REBUILD_LINE.format(table=table) in build.output
        assert build.output.count(f"Full rebuild of {table}:") == 1
    frame = reexports["other_orders"]
    assert list(frame.index) == ["N1", "N2", "N3", "N4", "N5"]
    assert frame["net_revenue"].sum() == pytest.approx(7.50 + 12.50 + 5.00 + 100.00 + 30.00)
    assert frame["customer_order_sequence"].to_dict() == {"N1": 1, "N2": 2, "N3": 1, "N4": 1, "N5": 2}
    assert sorted(reexports["other_lines"]) == ["N1-1", "N2-1", "N3-1", "N4-1", "N5-1"]
    assert reexports["other_customers"] == ["D1", "D2", "D3"]
