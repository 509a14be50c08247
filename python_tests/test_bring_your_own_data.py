"""Bring-your-own data: partial exports build, with hand-worked expected figures."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from dbt_project_runner import Build, run_dbt


def write(path, text: str) -> None:
    path.write_text(textwrap.dedent(text).lstrip())


def build_orders_csv(root, orders_csv: str, column_map: str) -> Build:
    """A green `dbt build` of one orders.csv (``orders_csv``, dedented) read with ``column_map`` (the orders'
    raw_column_map as YAML), in ``root``."""
    raw = root / "raw"
    raw.mkdir()
    write(raw / "orders.csv", orders_csv)
    build = run_dbt(["build", "--vars", f"{{raw_column_map: {{orders: {column_map}}}}}"], raw, root)
    assert build.ok, build.output[-4000:]
    return build


@pytest.fixture(scope="module")
def orders_only_build(tmp_path_factory):
    """A single orders CSV: no order id, a date column named differently, an amount per row."""
    return build_orders_csv(
        tmp_path_factory.mktemp("orders_only"),
        """
        CustomerID,OrderDate,amount
        A,2024-01-10,100.00
        A,2024-02-10,50.50
        B,2024-02-11,20.00
        C,2024-03-01,10.25
        A,2024-03-05,9.50
        """,
        "{customer_id: CustomerID, order_ts: OrderDate}",
    )


def test_orders_only_each_row_is_one_order(orders_only_build):
    b = orders_only_build
    assert b.scalar("select count(*) from marts.fct_orders") == 5
    assert b.scalar("select count(*) from marts.dim_customers") == 3
    # 100.00 + 50.50 + 20.00 + 10.25 + 9.50
    assert b.scalar("select round(sum(net_revenue), 2) from marts.fct_orders") == 190.25
    assert b.scalar("select sum(net_revenue) from marts.fct_orders where customer_id = 'A'") == 160.0


def test_orders_only_missing_attributes_show_unknown(orders_only_build):
    b = orders_only_build
    profile = b.query("select distinct gender, country_code, membership, age_group from marts.dim_customers")
    assert profile.to_dict("records") == [
        {"gender": "Unknown", "country_code": "ZZ", "membership": "Unknown", "age_group": "unknown"}
    ]
    assert b.scalar("select count(*) from marts.fct_order_lines where product_id <> 'unknown'") == 0


@pytest.fixture(scope="module")
def line_level_build(tmp_path_factory):
    """A line-level export (Online-Retail style): invoices with several lines, cancellations as negative quantities."""
    return build_orders_csv(
        tmp_path_factory.mktemp("line_level"),
        """
        InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
        536365,85123A,6,12/1/2010 8:26,2.55,17850,United Kingdom
        536365,71053,6,12/1/2010 8:26,3.39,17850,United Kingdom
        536366,22633,6,12/1/2010 8:28,1.85,17850,United Kingdom
        C536379,D,-1,12/1/2010 9:41,27.50,14527,United Kingdom
        536380,22961,2,12/2/2010 9:41,1.45,14527,United Kingdom
        536381,22961,0,12/2/2010 9:45,1.45,14527,United Kingdom
        """,
        "{order_id: InvoiceNo, product_id: StockCode, order_ts: InvoiceDate}",
    )


def test_line_level_lines_roll_up_to_orders(line_level_build):
    b = line_level_build
    orders = b.query("select order_id, status, line_count, net_amount from marts.fct_orders order by order_id")
    # row rule R5: the zero-quantity line 536381 is an order of zero value (kept, flagged)
    assert orders["order_id"].tolist() == ["536365", "536366", "536380", "536381", "C536379"]
    # 6 x 2.55 + 6 x 3.39 = 35.64
    assert orders.set_index("order_id").loc["536365", "net_amount"] == pytest.approx(35.64)
    assert orders.set_index("order_id").loc["536365", "line_count"] == 2
    # row rule R6: a credit note (prefix C) is a return order
    assert orders.set_index("order_id").loc["C536379", "status"] == "returned"


def test_line_level_credit_notes_reduce_revenue(line_level_build):
    b = line_level_build
    # row rule R6: completed 35.64 + 11.10 + 2.90 + 0 = 49.64, minus the credit note's 1 x 27.50
    assert b.scalar("select round(sum(net_revenue), 2) from marts.fct_orders") == pytest.approx(22.14)
    assert b.scalar("select returns from marts.fct_orders where order_id = 'C536379'") == pytest.approx(27.50)
    assert b.scalar("select count(*) from marts.fct_orders where is_completed") == 4


def test_line_level_zero_quantity_is_kept_and_flagged(line_level_build):
    b = line_level_build
    # row rule R5: nothing is rejected; the zero-quantity line is kept and counted
    assert b.scalar("select count(*) from staging.stg_raw__rejected_rows") == 0
    accounting = b.query("select * from marts.dq_raw_row_accounting where source_table = 'orders'").iloc[0]
    assert (accounting.raw_rows, accounting.staged_rows, accounting.rejected_rows) == (6, 6, 0)
    assert (accounting.zero_quantity_rows, accounting.return_rows, accounting.credit_note_rows) == (1, 1, 1)


def test_orders_only_customer_marts_hand_worked(orders_only_build):
    """Customer marts on the orders-only file, worked by hand. As of 2024-03-06 (day after the last order):
    A 3 orders 160.00, last 03-05 (1 day); B 1 order 20.00, last 02-11 (24 days); C 1 order 10.25, last 03-01 (5 days).
    Scores 1 + floor(5 (rank - 1) / 3), rank = 1 + customers strictly worse:
    R: B 1, C 2, A 4; F: B and C tie at 1 -> 1, A 4; M: C 1, B 2, A 4; spending C 1, B 34, A 67."""
    b = orders_only_build
    kpis = b.query("select * from marts.kpi_overview").iloc[0]
    assert str(kpis.as_of_date)[:10] == "2024-03-06"
    assert (kpis.total_customers, kpis.total_orders, kpis.repeat_customers) == (3, 5, 1)
    assert kpis.net_revenue == pytest.approx(190.25)
    assert kpis.average_order_value == pytest.approx(38.05)
    assert kpis.repeat_purchase_rate == pytest.approx(1 / 3)
    assert pd.isna(kpis.prime_share) and pd.isna(kpis.average_annual_income)
    customers = b.query(
        "select customer_id, recency_days, recency_score, frequency_score, monetary_score, spending_score, "
        "rfm_segment, frequency_band, loyalty_tier, spending_quadrant, customer_status from marts.dim_customer_360 "
        "order by customer_id"
    )
    assert customers.drop(columns="customer_id").values.tolist() == [
        [1, 4, 4, 4, 67, "Loyal Customers", "2-3 orders", "Periodic", "Unknown Income", "Active"],
        [24, 1, 1, 2, 34, "Hibernating", "1 order", "One-time", "Unknown Income", "Active"],
        [5, 2, 1, 1, 1, "Hibernating", "1 order", "One-time", "Unknown Income", "Active"],
    ]


def test_orders_only_demographic_marts_show_unknown(orders_only_build):
    b = orders_only_build
    for mart, column, unknown in [
        ("agg_customers_by_age_group", "age_group", "unknown"),
        ("agg_customers_by_gender", "gender", "Unknown"),
        ("agg_customers_by_children_status", "children_status", "Unknown"),
        ("agg_customers_by_membership", "membership", "Unknown"),
        ("agg_customers_by_preferred_category", "preferred_category", "Unknown"),
        ("agg_customers_by_country_gender", "country_code", "ZZ"),
    ]:
        rows = b.query(f"select {column}, customers, net_revenue from marts.{mart} where customers > 0")
        assert rows[column].tolist() == [unknown], mart
        assert rows["customers"].tolist() == [3], mart
        assert rows["net_revenue"].iloc[0] == pytest.approx(190.25), mart
