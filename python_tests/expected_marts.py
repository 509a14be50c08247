"""Independent pandas recomputation of the customer marts from the clean planted data.

Works on the frames of ``planted_truth.expected_figures`` (clean orders with their net amount) and
the clean customers table; never reads the warehouse. The rules mirror the documented definitions
(models/marts/customers/_customers__docs.md), written again here in plain pandas:

- customers = customers with at least one completed order dated before the as-of date;
- recency = days from the last completed order to the as-of date; frequency = completed orders;
  monetary = net revenue rounded to cents;
- score = 1 + floor(buckets * (rank - 1) / n), rank = 1 + customers with a strictly worse value
  (5 buckets for R/F/M, 100 for the spending score).
"""

from __future__ import annotations

import pandas as pd

BANDS = ("1 order", "2-3 orders", "4-5 orders", "6+ orders")


def frequency_band(completed_orders: int) -> str:
    """The order-frequency band of a number of completed orders (at least 1)."""
    if completed_orders == 1:
        return "1 order"
    if completed_orders <= 3:
        return "2-3 orders"
    if completed_orders <= 5:
        return "4-5 orders"
    return "6+ orders"


def rank_score(worse_count: pd.Series, buckets: int) -> pd.Series:
    """Score 1..buckets from the number of customers with a strictly worse value (integer arithmetic)."""
    n = len(worse_count)
    return 1 + (buckets * worse_count.astype("int64")) // n


def strictly_worse(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """For each value, how many values of the series are strictly worse."""
    ordered = values if higher_is_better else -values
    return (ordered.rank(method="min") - 1).astype("int64")


def default_as_of(clean_orders: pd.DataFrame) -> pd.Timestamp:
    """The default as-of date: the day after the last valid order date (any status)."""
    return pd.Timestamp(clean_orders["order_ts"].max()).normalize() + pd.Timedelta(days=1)


def customer_metrics(clean_orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per purchasing customer: completed orders, net revenue, recency and R/F/M/spending scores."""
    orders = clean_orders.assign(order_date=pd.to_datetime(clean_orders["order_ts"]).dt.normalize())
    orders = orders[orders["order_date"] < as_of]
    completed = orders[orders["status"].str.strip().str.lower() == "completed"]
    per_customer = completed.groupby("customer_id").agg(
        completed_orders=("order_id", "size"),
        net_revenue=("net_amount", "sum"),
        last_order_date=("order_date", "max"),
    )
    per_customer["net_revenue"] = per_customer["net_revenue"].round(2)
    per_customer["recency_days"] = (as_of - per_customer["last_order_date"]).dt.days
    per_customer["recency_score"] = rank_score(strictly_worse(per_customer["recency_days"], False), 5)
    per_customer["frequency_score"] = rank_score(strictly_worse(per_customer["completed_orders"], True), 5)
    monetary_worse = strictly_worse(per_customer["net_revenue"], True)
    per_customer["monetary_score"] = rank_score(monetary_worse, 5)
    per_customer["spending_score"] = rank_score(monetary_worse, 100)
    per_customer["frequency_band"] = per_customer["completed_orders"].map(frequency_band)
    return per_customer


def kpis(
    metrics: pd.DataFrame,
    clean_orders: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    at_risk_days: int = 90,
    churn_days: int = 180,
    window_days: int = 30,
) -> dict:
    """The headline KPIs from the per-customer metrics and the clean customers table."""
    orders_before = clean_orders[pd.to_datetime(clean_orders["order_ts"]).dt.normalize() < as_of]
    profile = customers.set_index("customer_id").reindex(metrics.index)
    membership = profile["membership"].str.strip()
    known_membership = membership.isin(["Prime", "Non-Prime"])
    total_customers = len(metrics)
    total_orders = int(metrics["completed_orders"].sum())
    revenue = float(metrics["net_revenue"].sum())
    return {
        "total_customers": total_customers,
        "total_orders": total_orders,
        "orders_placed": len(orders_before),
        "net_revenue": revenue,
        "average_order_value": revenue / total_orders,
        "lifetime_value": revenue / total_customers,
        "repeat_customers": int((metrics["completed_orders"] >= 2).sum()),
        "repeat_purchase_rate": float((metrics["completed_orders"] >= 2).mean()),
        "prime_customers": int((membership == "Prime").sum()),
        "prime_share": float((membership == "Prime").sum() / known_membership.sum()),
        "average_annual_income": float(profile["annual_income"].mean()),
        "average_spending_score": float(metrics["spending_score"].mean()),
        "active_customers": int((metrics["recency_days"] <= window_days).sum()),
        "at_risk_customers": int(
            ((metrics["recency_days"] > at_risk_days) & (metrics["recency_days"] <= churn_days)).sum()
        ),
        "churned_customers": int((metrics["recency_days"] > churn_days).sum()),
    }


def bands(metrics: pd.DataFrame) -> pd.DataFrame:
    """Customers and net revenue per order-frequency band (every band, zeros included)."""
    grouped = metrics.groupby("frequency_band").agg(
        customers=("completed_orders", "size"), net_revenue=("net_revenue", "sum")
    )
    return grouped.reindex(list(BANDS), fill_value=0)
