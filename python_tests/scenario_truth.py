"""Independent answers for the scenario tests: the row rules of row_rules.md applied in pandas to the raw rows.

Written from the specification (not from the project's SQL). Scope: an orders-only file (no order_lines,
customers or products file), as the scenarios cohort, gift_shop, grocery and event_log write it.

- R1/R2: exact duplicates compare every column of the raw row. With an order id column (``auto``) copies after the
  first are dropped (``duplicate``); without one every row is its own order (identical rows = separate orders).
- Rejected: no customer (``null_customer_id``), a date that does not parse or before 1900-01-01 (R4). A rejected
  row stays rejected when it also repeats another row (the quarantine lists every rejected raw row); exact
  duplicates are counted among the other rows. (row_rules.md does not say which comes first; this is our reading.)
- R7 (line grain): rows of one order id are the lines of one order; an id whose rows disagree on customer or order
  timestamp is rejected whole (``conflicting_order_fields``).
- R5: zero quantity / price / amount lines are kept with zero value.
- R6: line value = amount if the file has one, else quantity x unit price, else NULL (R8). A line with a negative
  value is a return line; an order id starting with the credit-note prefix is a credit note. Per order:
  ``gross_revenue`` = sum of positive line values, ``returns`` = absolute sum of negative line values (all lines of a
  credit note), ``net_revenue = gross - returns`` (no discounts in these files). A credit note, or an order with
  only negative lines, is ``returned``: it counts in net revenue and returns, not as a purchase. Others are
  ``completed`` purchases.
- As-of date: the day after the last order date (any status). Customers = customers with at least one completed
  order before it; frequency = completed orders; recency = days from the last completed order; monetary = net
  revenue of all the customer's orders (returns included), rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

BANDS = ("1 order", "2-3 orders", "4-5 orders", "6+ orders")


@dataclass(frozen=True)
class FileSpec:
    """How to read one scenario's orders file: contract column -> file column, and the date format."""

    columns: dict[str, str]
    date_format: str  # strptime pattern, or "ISO8601"
    credit_note_prefix: str = "C"


def frequency_band(orders: int) -> str:
    """1 order / 2-3 / 4-5 / 6+."""
    return "1 order" if orders == 1 else "2-3 orders" if orders <= 3 else "4-5 orders" if orders <= 5 else "6+ orders"


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def classify_rows(raw: pd.DataFrame, spec: FileSpec) -> pd.DataFrame:
    """One row per raw row with its fate: 'kept', 'duplicate' or 'rejected', and the parsed contract values."""
    cols = spec.columns
    rows = pd.DataFrame(index=raw.index)
    rows["customer_id"] = _text(raw[cols["customer_id"]])
    ts_text = _text(raw[cols["order_ts"]])
    rows["order_ts"] = pd.to_datetime(ts_text, format=spec.date_format, errors="coerce")
    for name in ("quantity", "unit_price", "amount"):
        rows[name] = pd.to_numeric(raw[cols[name]], errors="coerce") if name in cols else float("nan")
    rows["order_id"] = _text(raw[cols["order_id"]]) if "order_id" in cols else "row-" + pd.Series(
        range(1, len(raw) + 1), index=raw.index).astype(str)
    fate = pd.Series("kept", index=raw.index)
    bad = rows["customer_id"].isna() | rows["order_ts"].isna() | (rows["order_ts"] < pd.Timestamp("1900-01-01"))
    fate[bad] = "rejected"
    if "order_id" in cols:
        fate[~bad & raw.astype("string").duplicated(keep="first")] = "duplicate"
    if "order_id" in cols:
        live = fate == "kept"
        per_id = rows[live].groupby("order_id").agg(c=("customer_id", "nunique"), t=("order_ts", "nunique"))
        conflicting = per_id.index[(per_id["c"] > 1) | (per_id["t"] > 1)]
        fate[live & rows["order_id"].isin(conflicting)] = "rejected"
    rows["fate"] = fate
    if "amount" in cols:
        rows["value"] = rows["amount"]
    elif "quantity" in cols and "unit_price" in cols:
        rows["value"] = rows["quantity"] * rows["unit_price"]
    else:
        rows["value"] = float("nan")
    return rows


def orders_table(rows: pd.DataFrame, spec: FileSpec, has_money: bool) -> pd.DataFrame:
    """One row per order of the kept rows: customer, date, status, gross, returns, net."""
    kept = rows[rows["fate"] == "kept"].copy()
    kept["positive"] = kept["value"].clip(lower=0)
    kept["negative"] = (-kept["value"]).clip(lower=0)
    kept["has_positive"] = kept["value"] > 0
    kept["has_nonneg"] = kept["value"] >= 0
    orders = kept.groupby("order_id").agg(
        customer_id=("customer_id", "first"), order_ts=("order_ts", "first"), gross=("positive", "sum"),
        negative=("negative", "sum"), has_nonneg=("has_nonneg", "any"))
    credit = orders.index.str.startswith(spec.credit_note_prefix) if spec.credit_note_prefix else False
    orders["is_credit_note"] = credit
    if has_money:
        orders["status"] = "completed"
        orders.loc[orders["is_credit_note"] | ~orders["has_nonneg"], "status"] = "returned"
        # a credit note's positive lines are credits too
        orders["returns"] = orders["negative"] + orders["gross"].where(orders["is_credit_note"], 0.0)
        orders["gross"] = orders["gross"].where(~orders["is_credit_note"], 0.0)
        orders["net"] = orders["gross"] - orders["returns"]
    else:
        orders["status"] = "completed"
        orders[["gross", "returns", "net"]] = float("nan")
    orders["order_date"] = orders["order_ts"].dt.normalize()
    return orders


@dataclass(frozen=True)
class Truth:
    """The independent figures of one scenario."""

    row_fates: dict[str, int]
    as_of: pd.Timestamp
    kpis: dict[str, float | int | None]
    customers: pd.DataFrame  # index customer_id: recency_days, frequency, monetary
    bands: pd.DataFrame  # index frequency_band: customers, net_revenue


def compute(raw: pd.DataFrame, spec: FileSpec) -> Truth:
    """Every figure the scenario test compares, from the raw rows."""
    has_money = "amount" in spec.columns or {"quantity", "unit_price"} <= set(spec.columns)
    rows = classify_rows(raw, spec)
    orders = orders_table(rows, spec, has_money)
    as_of = orders["order_date"].max() + pd.Timedelta(days=1)
    orders = orders[orders["order_date"] < as_of]
    completed = orders[orders["status"] == "completed"]
    per_customer = completed.groupby("customer_id").agg(
        frequency=("status", "size"), last_order=("order_date", "max"))
    per_customer["recency_days"] = (as_of - per_customer["last_order"]).dt.days
    money = orders.groupby("customer_id")["net"].sum(min_count=1)
    per_customer["monetary"] = money.reindex(per_customer.index).round(2) if has_money else float("nan")
    net = round(float(orders["net"].sum()), 2) if has_money else None
    n_orders = len(completed)
    n_customers = len(per_customer)
    kpis = {
        "total_customers": n_customers,
        "total_orders": n_orders,
        "repeat_customers": int((per_customer["frequency"] >= 2).sum()),
        "repeat_purchase_rate": (per_customer["frequency"] >= 2).sum() / n_customers,
        "net_revenue": net,
        "gross_revenue": round(float(orders["gross"].sum()), 2) if has_money else None,
        "returns": round(float(orders["returns"].sum()), 2) if has_money else None,
        "average_order_value": round(net / n_orders, 2) if has_money else None,
    }
    per_customer["frequency_band"] = per_customer["frequency"].map(frequency_band)
    bands = per_customer.groupby("frequency_band").agg(
        customers=("frequency", "size"), net_revenue=("monetary", "sum"))
    if not has_money:
        bands["net_revenue"] = float("nan")
    bands["net_revenue"] = bands["net_revenue"].round(2)
    fates = rows["fate"].value_counts().to_dict()
    return Truth({k: int(v) for k, v in fates.items()}, as_of, kpis,
                 per_customer[["recency_days", "frequency", "monetary"]], bands)
