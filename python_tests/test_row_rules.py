"""Row rules R1-R10 (README "Row rules"): hand-made raw files, one build per file set, every figure
worked out by hand from the rows below (not read back from the warehouse first).

- line_build: an orders-only, line-level export with gift-shop column names (InvoiceNo, StockCode,
  InvoiceDate, ...), cases that do not interfere (different order ids / customers);
- event_build: an event log without order id or amounts (customer + purchase date);
- gate_build: an order-grain file set where most rows are rejected: the gate fails and explains.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd
import pytest
from bad_input import accounting, data_test_statuses, model_statuses, outcomes, write_csv
from dbt_project_runner import run_dbt

BUILD = ["build", "--exclude-resource-type", "unit_test"]

LINE_HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
               "Country", "updated_at", "Batch"]
LINE_ROWS = [
    # R1: two products' lines with equal quantity and price are two lines; r2 repeats r1 in every column
    ("1001", "A1", "Mug", "2", "2024-03-01 10:00:00", "5.00", "K1", "United Kingdom", None, "b1", "staged"),
    ("1001", "A2", "Cup", "2", "2024-03-01 10:00:00", "5.00", "K1", "United Kingdom", None, "b1", "staged"),
    ("1001", "A2", "Cup", "2", "2024-03-01 10:00:00", "5.00", "K1", "United Kingdom", None, "b1", "duplicate"),
    # R1: rows differing only in an unmapped column (Batch) are not duplicates
    ("1002", "A1", "Mug", "2", "2024-03-02 10:00:00", "5.00", "K1", "United Kingdom", None, "b1", "staged"),
    ("1002", "A1", "Mug", "2", "2024-03-02 10:00:00", "5.00", "K1", "United Kingdom", None, "b2", "staged"),
    # R4: a wholesale quantity above max_quantity (10,000) is kept and flagged
    ("1003", "A3", "Pallet", "20000", "2024-03-03 09:00:00", "1.00", "K2", "France", None, "b1", "staged"),
    # R4: a 1997 order builds (min_order_date 1900-01-01)
    ("1004", "A1", "Mug", "3", "1997-06-01 12:00:00", "4.00", "K2", "France", None, "b1", "staged"),
    # R5: a zero-quantity line is kept with zero value
    ("1005", "A1", "Mug", "0", "2024-03-04 12:00:00", "5.00", "K2", "France", None, "b1", "staged"),
    # R6: a credit note (prefix C) of 1 x 5.00 for K1
    ("C123", "A1", "Mug", "-1", "2024-03-05 12:00:00", "5.00", "K1", "United Kingdom", None, "b1", "staged"),
    # R6: a mixed order: 3 x 5.00 bought, 1 x 5.00 returned
    ("1006", "A1", "Mug", "3", "2024-03-06 12:00:00", "5.00", "K3", "Germany", None, "b1", "staged"),
    ("1006", "A2", "Cup", "-1", "2024-03-06 12:00:00", "5.00", "K3", "Germany", None, "b1", "staged"),
    # R7: an order re-sent with a later updated_at: the latest version (one line of 15.00) wins
    ("1007", "A1", "Mug", "1", "2024-03-07 12:00:00", "10.00", "K3", "Germany", "2024-03-07 12:00:00", "b1",
     "superseded_version"),
    ("1007", "A2", "Cup", "1", "2024-03-07 12:00:00", "10.00", "K3", "Germany", "2024-03-07 12:00:00", "b1",
     "superseded_version"),
    ("1007", "A1", "Mug", "1", "2024-03-07 12:00:00", "15.00", "K3", "Germany", "2024-03-08 09:00:00", "b1",
     "staged"),
    # R7: two customers on one order id: both rows rejected, never given to min(customer_id)
    ("1008", "A1", "Mug", "1", "2024-03-08 12:00:00", "5.00", "K1", "United Kingdom", None, "b1",
     "conflicting_order_fields"),
    ("1008", "A2", "Cup", "1", "2024-03-08 12:00:00", "5.00", "K4", "United Kingdom", None, "b1",
     "conflicting_order_fields"),
    # R9: K1's latest order says France
    ("1009", "A1", "Mug", "1", "2024-03-09 12:00:00", "5.00", "K1", "France", None, "b1", "staged"),
]


@pytest.fixture(scope="module")
def line_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("row_rules_line")
    raw = root / "raw"
    raw.mkdir()
    write_csv(raw / "orders.csv", LINE_HEADER, [row[:-1] for row in LINE_ROWS])
    return run_dbt(BUILD, raw, root)


def test_line_build_succeeds_and_says_what_it_did(line_build):
    assert line_build.ok, line_build.output[-5000:]
    out = line_build.output
    # R3: known names are mapped, and said so; unrelated columns are listed, never silently ignored
    assert "raw orders: mapped StockCode to orders.product_id" in out
    assert "raw orders: mapped InvoiceNo to orders.order_id" in out
    assert "raw orders: mapped InvoiceDate to orders.order_ts" in out
    assert "kept in the row hash, not used: Description, Batch" in out
    # R7: the build output counts multi-line orders (1001, 1002, 1006), superseded versions and conflicts
    assert re.search(r"raw orders row rules: 17 raw rows, 12 kept, 2 rejected, 1 exact duplicates dropped, "
                     r"2 superseded versions; 3 order ids with several lines", out), out[-4000:]
    assert "1 order ids rejected conflicting_order_fields" in out


def test_line_build_every_row_ends_where_it_should(line_build):
    assert outcomes(line_build, "orders") == {i: row[-1] for i, row in enumerate(LINE_ROWS)}
    drops = line_build.query("select _raw_row_number, drop_reason from staging.base_raw__orders "
                             "where drop_reason is not null order by 1")
    assert drops.values.tolist() == [[2, "duplicate"], [11, "superseded_version"], [12, "superseded_version"]]
    rows = accounting(line_build)["orders"]
    assert (rows["raw_rows"], rows["staged_rows"], rows["rejected_rows"], rows["duplicate_rows"],
            rows["superseded_rows"]) == (17, 12, 2, 1, 2)
    assert (rows["outlier_rows"], rows["zero_quantity_rows"], rows["return_rows"], rows["credit_note_rows"],
            rows["exact_duplicate_kept_rows"]) == (1, 1, 2, 1, 0)


def test_line_build_order_measures(line_build):
    orders = line_build.query(
        "select order_id, customer_id, status, is_completed, gross_revenue, discounts, returns, net_revenue, "
        "is_outlier, line_count from marts.fct_orders order by order_id"
    ).set_index("order_id")
    assert sorted(orders.index) == ["1001", "1002", "1003", "1004", "1005", "1006", "1007", "1009", "C123"]
    # 1001: two lines 2 x 5.00 of different products; the exact copy of the second is gone
    assert orders.loc["1001", ["line_count", "net_revenue"]].tolist() == [2, 20.0]
    assert orders.loc["1002", ["line_count", "net_revenue"]].tolist() == [2, 20.0]
    assert orders.loc["1003", ["net_revenue", "is_outlier"]].tolist() == [20000.0, True]
    assert orders.loc["1004", ["status", "net_revenue"]].tolist() == ["completed", 12.0]
    assert orders.loc["1005", ["status", "net_revenue"]].tolist() == ["completed", 0.0]
    # the credit note: a return order of its own, net -5.00, not a purchase
    assert orders.loc["C123", ["customer_id", "status", "is_completed"]].tolist() == ["K1", "returned", False]
    assert orders.loc["C123", ["gross_revenue", "discounts", "returns", "net_revenue"]].tolist() == [0, 0, 5, -5]
    # the mixed order: gross from the positive line, returns from the negative one
    assert orders.loc["1006", ["gross_revenue", "returns", "net_revenue"]].tolist() == [15.0, 5.0, 10.0]
    # the re-sent order: the latest version only
    assert orders.loc["1007", ["line_count", "net_revenue"]].tolist() == [1, 15.0]
    lines = line_build.query("select product_id, quantity, is_outlier, is_return from marts.fct_order_lines "
                             "where order_id = '1003' or order_id = 'C123' order by order_id")
    assert lines["quantity"].tolist() == [20000.0, -1.0]
    assert lines["is_outlier"].tolist() == [True, False] and lines["is_return"].tolist() == [False, True]


def test_line_build_customers_and_kpis_are_net(line_build):
    c = line_build.query("select customer_id, completed_orders, net_revenue from marts.dim_customer_360 "
                         "order by customer_id").set_index("customer_id")
    # K1: 1001 (20) + 1002 (20) + 1009 (5) - C123 (5); the credit note is not an order
    assert c.loc["K1"].tolist() == [3, 40.0]
    assert c.loc["K2"].tolist() == [3, 20012.0]
    assert c.loc["K3"].tolist() == [2, 25.0]
    assert "K4" not in c.index  # only on the rejected conflicting order
    kpi = line_build.query("select total_orders, net_revenue from marts.kpi_overview")
    assert kpi.iloc[0].tolist() == [8, 20077.0]
    # R9: the orders file's Country reaches dim_customers (latest order wins: K1's 1009 says France)
    dims = line_build.query("select customer_id, country_code from marts.dim_customers order by 1")
    assert dims.values.tolist() == [["K1", "FR"], ["K2", "FR"], ["K3", "DE"]]
    # R4: the outlier warn test warns, it does not fail
    assert data_test_statuses(line_build)["fct_orders_outliers_flagged"] == "warn"


# --------------------------------------------------------------------------------------------------
# An event log: no order id, no amounts. Identical rows are two purchases (R2); money is NULL (R8).
# --------------------------------------------------------------------------------------------------
EVENT_ROWS = [("E1", "2024-05-01"), ("E1", "2024-05-01"), ("E1", "2024-05-10"), ("E2", "2024-05-03")]


@pytest.fixture(scope="module")
def event_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("row_rules_event")
    raw = root / "raw"
    raw.mkdir()
    write_csv(raw / "orders.csv", ["CustomerID", "PurchaseDate"], EVENT_ROWS)
    return run_dbt(BUILD, raw, root)


def test_event_log_builds_with_null_money(event_build):
    assert event_build.ok, event_build.output[-5000:]
    orders = event_build.query("select order_id, customer_id, net_revenue, gross_revenue from marts.fct_orders "
                               "order by order_id")
    assert orders["order_id"].tolist() == ["row-1", "row-2", "row-3", "row-4"]
    assert orders["net_revenue"].isna().all() and orders["gross_revenue"].isna().all()
    c = event_build.query("select customer_id, completed_orders, recency_days from marts.dim_customer_360 "
                          "order by 1").set_index("customer_id")
    # as of the day after the last order (2024-05-11): E1 bought 3 times, last 2024-05-10
    assert c.loc["E1"].tolist() == [3, 1]
    assert c.loc["E2"].tolist() == [1, 8]
    rows = accounting(event_build)["orders"]
    assert (rows["staged_rows"], rows["duplicate_rows"], rows["exact_duplicate_kept_rows"]) == (4, 0, 1)


# --------------------------------------------------------------------------------------------------
# A failing gate explains itself; the quarantine is built anyway. Order grain, no updated_at.
# --------------------------------------------------------------------------------------------------
GATE_ORDERS = (
    [(f"G{i}", "Z1", "18950315") for i in range(1, 16)]  # YYYYMMDD dates before min_order_date (1900-01-01)
    + [("G16", "Z1", "2024-01-01"), ("G17", "Z1", "2024-01-02"),
       ("G18", "Z1", "2024-01-03"), ("G18", "Z1", "2024-01-04"),  # two versions, no updated_at: conflict
       ("G19", "Z1", "2024-01-05"), ("G19", "Z1", "2024-01-05")]  # an exact copy: one order
    + [(f"G{i}", "Z1", f"2024-02-0{i - 19}") for i in range(20, 24)]
)


@pytest.fixture(scope="module")
def gate_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("row_rules_gate")
    raw = root / "raw"
    raw.mkdir()
    write_csv(raw / "orders.csv", ["order_id", "customer_id", "order_ts"], GATE_ORDERS)
    write_csv(raw / "order_lines.csv", ["order_id", "line_number", "product_id", "quantity", "unit_price"],
              [("G16", "1", "P1", "1", "10"), ("G18", "1", "P1", "1", "10")])
    write_csv(raw / "products.csv", ["product_id", "product_name"], [("P1", "Mug"), ("", "No key"), ("", "Other")])
    return run_dbt(BUILD, raw, root)


def test_failing_gate_explains_and_the_quarantine_is_built(gate_build):
    b = gate_build
    assert not b.ok
    out = b.output
    # 15 too-old dates + 2 conflicting versions of 25 rows = 68 %
    assert "ERROR: raw orders: 17 of 25 rows rejected (68.0 %), above var rejected_share_error = 0.05" in out
    assert re.search(r"order_date_too_old: 15 rows; to change: .*min_order_date", out)
    assert "e.g. row=0, order_id=G1, customer_id=Z1, order_ts=18950315" in out
    assert "conflicting_order_versions: 2 rows; to change: " in out
    tests = data_test_statuses(b)
    assert tests["row_gate_error_orders"] == "fail"
    # a small table (3 rows, under rejected_share_min_rows) is not failed, but warns loudly
    assert tests["row_gate_warn_products"] == "warn" and tests["row_gate_error_products"] == "pass"
    assert "WARNING: raw products: 2 of 3 rows rejected (66.7 %)" in out
    models = model_statuses(b)
    assert models["stg_raw__rejected_rows"] == "success"
    assert models["dq_raw_row_accounting"] == "success"
    assert models["fct_orders"] == "skipped"
    reasons = b.query("select reject_reason, count(*) as n from staging.stg_raw__rejected_rows "
                      "where source_table = 'orders' group by 1 order by 1").values.tolist()
    assert reasons == [["conflicting_order_versions", 2], ["order_date_too_old", 15]]
    got = outcomes(b, "orders")
    assert [got[i] for i in range(17, 21)] == ["conflicting_order_versions", "conflicting_order_versions",
                                               "duplicate", "staged"]
    assert outcomes(b, "order_lines") == {0: "staged", 1: "unknown_order"}


# --------------------------------------------------------------------------------------------------
# R6 attribution: a credit carrying the original order (ReturnOf -> original_order_id) moves its
# refund to that order; an unknown id or another customer's order falls back to a return order of
# its own, flagged unmatched_original_order. Line grain, one line per order.
# --------------------------------------------------------------------------------------------------
CREDIT_HEADER = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "ReturnOf"]
CREDIT_ROWS = [
    ("O100", "A1", "1", "2024-04-01 10:00:00", "100.00", "K1", None),   # an order of 100
    ("C200", "A1", "-1", "2024-05-02 10:00:00", "30.00", "K1", "O100"),  # -30 referencing it
    ("C300", "A1", "-1", "2024-05-03 10:00:00", "10.00", "K1", "X999"),  # -10, unknown id
    ("O500", "A1", "1", "2024-06-01 10:00:00", "50.00", "K2", None),    # K2's order of 50
    ("C400", "A1", "-1", "2024-06-02 10:00:00", "5.00", "K2", "O100"),   # -5 referencing K1's order
]


@pytest.fixture(scope="module")
def credit_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("row_rules_credit")
    raw = root / "raw"
    raw.mkdir()
    write_csv(raw / "orders.csv", CREDIT_HEADER, CREDIT_ROWS)
    select = ["--select", "+kpi_overview", "+dim_customer_360", "dq_raw_row_accounting",
              "--indirect-selection", "cautious"]
    return run_dbt(BUILD + select, raw, root)


def test_credit_is_attributed_to_its_original_order(credit_build):
    assert credit_build.ok, credit_build.output[-5000:]
    assert "raw orders: mapped ReturnOf to orders.original_order_id" in credit_build.output
    orders = credit_build.query(
        "select order_id, status, attributed_to_order_id, returns, net_revenue from marts.fct_orders order by 1"
    ).set_index("order_id")
    # every staged order keeps its row
    assert sorted(orders.index) == ["C200", "C300", "C400", "O100", "O500"]
    # O100: 100 - the 30 of C200 = 70; C200 stays, returned, its money moved (0)
    assert orders.loc["O100", ["returns", "net_revenue"]].tolist() == [30.0, 70.0]
    assert orders.loc["C200", ["status", "attributed_to_order_id", "returns", "net_revenue"]].tolist() == [
        "returned", "O100", 0.0, 0.0]
    # unknown id / another customer's order: today's rule, a return order of its own
    assert orders.loc["C300", ["status", "returns", "net_revenue"]].tolist() == ["returned", 10.0, -10.0]
    assert orders.loc["C400", ["status", "returns", "net_revenue"]].tolist() == ["returned", 5.0, -5.0]
    assert orders.loc[["C300", "C400", "O100", "O500"], "attributed_to_order_id"].isna().all()
    assert orders.loc["O500", ["returns", "net_revenue"]].tolist() == [0.0, 50.0]


def test_unmatched_references_are_flagged_and_counted(credit_build):
    flags = credit_build.query("select order_id, coalesce(dq_flags, '') from staging.stg_raw__orders "
                               "order by 1").values.tolist()
    assert flags == [["C200", "return,credit_note"], ["C300", "unmatched_original_order,return,credit_note"],
                     ["C400", "unmatched_original_order,return,credit_note"], ["O100", ""], ["O500", ""]]
    assert "unmatched_original_order=2" in credit_build.output
    rows = accounting(credit_build)["orders"]
    assert (rows["staged_rows"], rows["credit_note_rows"], rows["unmatched_original_order_rows"]) == (5, 3, 2)


def test_totals_are_the_same_with_attribution(credit_build):
    c = credit_build.query("select customer_id, completed_orders, net_revenue from marts.dim_customer_360 "
                           "order by 1").set_index("customer_id")
    # K1: 100 - 30 - 10 = 60 (one purchase); K2: 50 - 5 = 45
    assert c.loc["K1"].tolist() == [1, 60.0]
    assert c.loc["K2"].tolist() == [1, 45.0]
    kpi = credit_build.query("select total_orders, net_revenue from marts.kpi_overview")
    assert kpi.iloc[0].tolist() == [2, 105.0]


def test_a_new_credit_changes_its_original_in_an_incremental_run(credit_build, tmp_path):
    """fct_orders run incremental: a credit arriving later must rewrite its (unchanged) original's row."""
    raw = tmp_path / "raw"
    raw.mkdir()
    # C600: -20 referencing K2's O500 (50): O500 becomes returns 20, net 30
    write_csv(raw / "orders.csv", CREDIT_HEADER,
              CREDIT_ROWS + [("C600", "A1", "-1", "2024-06-05 10:00:00", "20.00", "K2", "O500")])
    frames = {}
    for name, extra in (("incremental", []), ("full", ["--full-refresh"])):
        warehouse = tmp_path / name / "warehouse.duckdb"
        warehouse.parent.mkdir()
        shutil.copyfile(credit_build.warehouse, warehouse)
        run = run_dbt(["run", "--select", "+fct_orders", "--vars", "{order_facts_materialization: incremental}",
                       *extra], raw, tmp_path / name, warehouse=warehouse)
        assert run.ok, run.output[-5000:]
        if name == "incremental":
            assert "Full rebuild of" not in run.output
        with duckdb.connect(str(warehouse), read_only=True) as con:
            frames[name] = con.execute("select * from marts.fct_orders order by order_id").df()
    pd.testing.assert_frame_equal(frames["incremental"], frames["full"])
    orders = frames["incremental"].set_index("order_id")
    assert orders.loc["O500", ["returns", "net_revenue"]].tolist() == [20.0, 30.0]
    assert orders.loc["C600", ["attributed_to_order_id", "returns", "net_revenue"]].tolist() == ["O500", 0.0, 0.0]
