"""Independent recomputation (pandas, no SQL) of the clean data from the raw files and the dirt manifest.

The generator records every dirty row it planted. Removing what the manifest says must go
(rejected rows, duplicate copies, superseded versions) leaves the clean truth, from which the
expected marts figures are computed here with plain pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEYS = {"customers": ["customer_id"], "orders": ["order_id"], "order_lines": ["order_id", "line_number"]}


def read_raw(raw_dir: Path, table: str) -> pd.DataFrame:
    """A raw table with its 0-based row position."""
    frame = pd.read_parquet(raw_dir / f"{table}.parquet")
    frame["_row"] = np.arange(len(frame))
    return frame


def clean_table(raw_dir: Path, manifest: pd.DataFrame, table: str) -> pd.DataFrame:
    """Raw rows minus those the manifest says are rejected, duplicate copies, or superseded versions."""
    frame = read_raw(raw_dir, table)
    mine = manifest[manifest["table_name"] == table]
    removed = mine.loc[mine["expected_outcome"].isin(["rejected", "deduplicated"]), "raw_row_number"]
    frame = frame[~frame["_row"].isin(removed)]
    latest_rows = mine.loc[mine["expected_outcome"] == "kept_latest", "raw_row_number"]
    if len(latest_rows):
        key = KEYS[table]
        latest = frame[frame["_row"].isin(latest_rows)]
        superseded = frame.merge(latest[key + ["_row"]], on=key, suffixes=("", "_latest"))
        superseded = superseded.loc[superseded["_row"] != superseded["_row_latest"], "_row"]
        frame = frame[~frame["_row"].isin(superseded)]
    return frame.reset_index(drop=True)


def expected_figures(raw_dir: Path, truth_dir: Path) -> dict:
    """Orders, customers and net revenue (per customer and total) from the clean truth."""
    manifest = pd.read_parquet(truth_dir / "dirt_manifest.parquet")
    customers = clean_table(raw_dir, manifest, "customers")
    orders = clean_table(raw_dir, manifest, "orders")
    lines = clean_table(raw_dir, manifest, "order_lines")
    lines = lines.assign(
        net=(lines["quantity"] * lines["unit_price"] - lines["discount_amount"]).round(2)
    )
    order_net = lines.groupby("order_id")["net"].sum().round(2)
    orders = orders.assign(net_amount=orders["order_id"].map(order_net).fillna(0.0))
    completed = orders[orders["status"].str.strip().str.lower() == "completed"]
    revenue_by_customer = completed.groupby("customer_id")["net_amount"].sum()
    return {
        "customers": customers["customer_id"].nunique(),
        "customer_rows": len(customers),
        "orders": len(orders),
        "order_ids_unique": orders["order_id"].is_unique,
        "lines": len(lines),
        "completed_orders": len(completed),
        "net_revenue": float(completed["net_amount"].sum()),
        "revenue_by_customer": revenue_by_customer,
        "orders_by_customer": orders.groupby("customer_id").size(),
        "clean_orders": orders,
    }
