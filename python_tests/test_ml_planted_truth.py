"""The ML models recover what the generator planted (customer_intelligence.tools.generate, no dirt).

50,000 orders (5,000 customers) are generated into a temporary directory; the model inputs are
built from the raw files with pandas, the way the marts define them (completed orders only for
revenue; net = gross - discount; categories from completed order lines). The measured values are
printed (run with ``-s`` to see them) and attached to the test report as user properties.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_intelligence.ml.actions import action_table
from customer_intelligence.ml.churn import churn_tables
from customer_intelligence.ml.clv import clv_table
from customer_intelligence.ml.segments import SEGMENT_NAMES, segment_tables

generate_module = pytest.importorskip("customer_intelligence.tools.generate")

ORDERS = 50_000
SEED = 42


def model_inputs(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(orders, customer_categories, customers)`` from the generator's raw parquet files."""
    orders_raw = pd.read_parquet(raw / "orders.parquet")
    lines = pd.read_parquet(raw / "order_lines.parquet")
    products = pd.read_parquet(raw / "products.parquet")
    customers_raw = pd.read_parquet(raw / "customers.parquet")

    lines = lines.merge(products[["product_id", "category"]], on="product_id", how="left")
    lines["gross"] = lines["quantity"] * lines["unit_price"]
    per_order = lines.groupby("order_id", as_index=False).agg(
        gross_revenue=("gross", "sum"), discount_amount=("discount_amount", "sum"), item_count=("quantity", "sum")
    )
    orders = orders_raw.merge(per_order, on="order_id", how="left")
    orders[["gross_revenue", "discount_amount"]] = orders[["gross_revenue", "discount_amount"]].fillna(0.0)
    orders = pd.DataFrame(
        {
            "order_id": orders["order_id"],
            "customer_id": orders["customer_id"],
            "order_date": orders["order_ts"].dt.floor("D"),
            "is_completed": orders["status"] == "completed",
            "gross_revenue": orders["gross_revenue"],
            "discount_amount": orders["discount_amount"],
            "net_revenue": orders["gross_revenue"] - orders["discount_amount"],
            "item_count": orders["item_count"].fillna(0).astype("int64"),
        }
    )

    completed = orders_raw.loc[orders_raw["status"] == "completed", ["order_id", "customer_id"]]
    cl = lines.merge(completed, on="order_id")
    cl["net"] = cl["gross"] - cl["discount_amount"]
    categories = cl.groupby(["customer_id", "category"], as_index=False).agg(net_revenue=("net", "sum"))

    customers = pd.DataFrame(
        {"customer_id": customers_raw["customer_id"], "signup_date": customers_raw["signup_ts"].dt.floor("D")}
    )
    return orders, categories, customers


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    base = tmp_path_factory.mktemp("planted")
    generate_module.generate(ORDERS, SEED, base / "raw", base / "truth", fmt="parquet", dirt_rate=0.0, progress=False)
    orders, categories, customers = model_inputs(base / "raw")
    truth = pd.read_parquet(base / "truth" / "personas.parquet")
    return orders, categories, customers, truth


@pytest.fixture(scope="module")
def outputs(planted):
    orders, categories, customers, _ = planted
    as_of = None  # the day after the last order, 2025-01-01
    segments, profiles = segment_tables(orders, categories, customers, as_of)
    churn, churn_metrics = churn_tables(orders, customers, as_of)
    clv, clv_metrics = clv_table(orders, as_of)
    actions = action_table(segments, churn, clv)
    return segments, profiles, churn, churn_metrics, clv, clv_metrics, actions


def test_segments_recover_planted_personas(planted, outputs, record_property):
    *_, truth = planted
    segments, profiles = outputs[0], outputs[1]
    joined = segments.merge(truth, on="customer_id", how="inner")
    assert len(joined) == len(segments)
    # clusters earning the same name are one segment: the ARI is on the names
    ari = adjusted_rand_score(joined["segment_truth"], joined["segment_name"])
    k = int(profiles["k"].iloc[0])
    print(f"\nplanted segments: k={k}, ARI(segment_name)={ari:.3f}")
    record_property("segments_ari", round(ari, 4))
    record_property("segments_k", k)
    assert ari >= 0.8
    assert set(profiles["segment"]) == set(SEGMENT_NAMES)
    # every planted segment is mostly found under its own name
    share = pd.crosstab(joined["segment_truth"], joined["segment"], normalize="index")
    for name in SEGMENT_NAMES:
        assert share.loc[name, name] >= 0.8, name


def test_churn_model_beats_recency_baseline(outputs, record_property):
    churn, metrics = outputs[2], outputs[3]
    model = metrics.iloc[0]  # the model on the held-back split
    print(
        f"\nplanted churn: method={model['method']} ROC AUC={model['roc_auc']:.3f} "
        f"PR AUC={model['pr_auc']:.3f} top-decile precision={model['precision_top_decile']:.3f} "
        f"base rate={model['base_rate']:.3f} baseline ROC AUC={model['baseline_roc_auc']:.3f}"
    )
    record_property("churn_auc", round(float(model["roc_auc"]), 4))
    record_property("churn_baseline_auc", round(float(model["baseline_roc_auc"]), 4))
    assert model["used_for_scoring"]
    assert model["roc_auc"] >= 0.75
    assert model["roc_auc"] > model["baseline_roc_auc"]
    assert (churn["scoring_method"] == model["method"]).all()


def test_clv_correlates_with_held_back_spend(outputs, record_property):
    metrics = outputs[5].iloc[0]  # the chosen method on the held-back period
    print(
        f"\nplanted CLV: holdout {metrics['holdout_days']} days, pearson={metrics['pearson_r']:.3f}, "
        f"spearman={metrics['spearman_r']:.3f}, predicted/actual={metrics['total_ratio']:.3f}, "
        f"top-decile capture={metrics['top_decile_capture']:.3f}"
    )
    record_property("clv_pearson", round(float(metrics["pearson_r"]), 4))
    assert metrics["pearson_r"] > 0
    assert metrics["spearman_r"] > 0


def test_action_table_covers_every_scored_customer(outputs):
    segments, churn, actions = outputs[0], outputs[2], outputs[6]
    assert len(actions) == len(churn) == len(segments)
    assert actions["action_rank"].tolist() == list(range(1, len(actions) + 1))
    assert actions["revenue_at_risk"].is_monotonic_decreasing
    assert (actions["segment"] != "Unsegmented").all()
