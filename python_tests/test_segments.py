"""Tests of customer_intelligence.segments: naming rules, k-means wrapper, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_intelligence.features import SEGMENT_FEATURES, customer_features
from customer_intelligence.ml_bench import synthetic_frames
from customer_intelligence.segments import (
    SEGMENT_NAMES,
    assign_segments,
    base_segment,
    choose_k,
    name_clusters,
    segment_tables,
)

Z_COLS = ["net_revenue", "orders_count", "recency_days", "tenure_days", "aov", "discount_share"]

# Prototype centroids (z-scores). Scores by NAME_RULES, worked by hand:
#            HVA=R+A-Rc  LR=F+T-Rc-D  DD=2D  New=-2T-F  ARD=2Rc-F
# dormant       -2.5        -2.5        0      0          5
# new            0          -2          0      5         -1
# discount       0           0          5      0          0
# hva            4.5         2.5        0     -2         -3
# loyal          1.2         3.8       -0.6   -3.5       -3.5
PROTOTYPES = {
    "dormant": [-0.5, -1.0, 2.0, 0.5, 0.0, 0.0],
    "new": [-1.0, -1.0, -1.0, -2.0, 0.0, 0.0],
    "discount": [0.0, 0.0, 0.0, 0.0, 0.0, 2.5],
    "hva": [2.0, 1.0, -1.0, 0.5, 1.5, 0.0],
    "loyal": [0.5, 1.5, -1.0, 1.0, -0.3, -0.3],
}
EXPECTED = {
    "dormant": "At-Risk / Dormant",
    "new": "New",
    "discount": "Discount-Driven",
    "hva": "High-Value Active",
    "loyal": "Loyal Regulars",
}


def centroids(keys: list[str], extra: dict[str, list[float]] | None = None) -> pd.DataFrame:
    table = {**PROTOTYPES, **(extra or {})}
    return pd.DataFrame([table[k] for k in keys], columns=Z_COLS)


def test_name_clusters_hand_worked():
    keys = ["dormant", "new", "discount", "hva", "loyal"]
    assert name_clusters(centroids(keys)) == [EXPECTED[k] for k in keys]


def test_name_clusters_independent_of_cluster_order():
    keys = ["loyal", "discount", "hva", "dormant", "new"]
    assert name_clusters(centroids(keys)) == [EXPECTED[k] for k in keys]


def test_name_clusters_extra_cluster_gets_suffix():
    # a second dormant-like cluster: ARD = 2*1.5 + 1 = 4 < 5, so the first keeps the plain name
    extra = {"dormant2": [-0.5, -1.0, 1.5, 0.5, 0.0, 0.0]}
    keys = ["dormant2", "dormant", "new", "discount", "hva", "loyal"]
    names = name_clusters(centroids(keys, extra))
    assert names == ["At-Risk / Dormant 2"] + [EXPECTED[k] for k in keys[1:]]
    assert len(set(names)) == len(names)


def test_name_clusters_fewer_than_five():
    assert name_clusters(centroids(["hva", "dormant", "discount"])) == [
        "High-Value Active",
        "At-Risk / Dormant",
        "Discount-Driven",
    ]


def test_base_segment():
    assert base_segment("Loyal Regulars 2") == "Loyal Regulars"
    assert base_segment("At-Risk / Dormant") == "At-Risk / Dormant"


def two_group_features() -> pd.DataFrame:
    """Six customers in two identical groups; tenure, discount share and breadth are constant."""
    hi = dict(net_revenue=1000.0, orders_count=10, recency_days=5, aov=100.0)
    lo = dict(net_revenue=50.0, orders_count=1, recency_days=300, aov=50.0)
    rows = [hi, lo, hi, lo, lo, hi]
    f = pd.DataFrame(rows)
    f.insert(0, "customer_id", [f"C{i}" for i in range(6)])
    f["tenure_days"] = 400
    f["discount_share"] = 0.02
    f["category_breadth"] = 3
    return f


def test_assign_segments_hand_two_groups():
    # z-scores are +-1 on the four varying features. High group: HVA = R + A - Rc = 3 > LR = F - Rc = 2;
    # low group: ARD = 2 Rc - F = 3 > New = -F = 1. So the high group is High-Value Active (cluster 0)
    # and the low group At-Risk / Dormant (cluster 1).
    f = two_group_features()
    seg, prof = assign_segments(f, k=2)
    assert seg["customer_id"].tolist() == [f"C{i}" for i in range(6)]
    assert seg["segment_name"].tolist() == [
        "High-Value Active",
        "At-Risk / Dormant",
        "High-Value Active",
        "At-Risk / Dormant",
        "At-Risk / Dormant",
        "High-Value Active",
    ]
    assert seg["cluster_id"].tolist() == [0, 1, 0, 1, 1, 0]
    np.testing.assert_allclose(seg["distance_to_centroid"], 0.0, atol=1e-9)

    assert prof["cluster_id"].tolist() == [0, 1]
    assert prof["customers"].tolist() == [3, 3]
    assert prof["net_revenue"].tolist() == [3000.0, 150.0]
    np.testing.assert_allclose(prof["revenue_share"], [3000 / 3150, 150 / 3150])
    np.testing.assert_allclose(prof["customer_share"], [0.5, 0.5])
    np.testing.assert_allclose(prof["centroid_net_revenue"], [1000.0, 50.0])
    np.testing.assert_allclose(prof["centroid_orders_count"], [10.0, 1.0])
    np.testing.assert_allclose(prof["centroid_recency_days"], [5.0, 300.0])
    np.testing.assert_allclose(prof["centroid_aov"], [100.0, 50.0])
    np.testing.assert_allclose(prof["centroid_tenure_days"], [400.0, 400.0])  # constant feature
    np.testing.assert_allclose(prof["centroid_discount_share"], [0.02, 0.02])
    np.testing.assert_allclose(prof["mean_net_revenue"], [1000.0, 50.0])
    assert prof["k"].tolist() == [2, 2]


def test_output_columns_and_dtypes():
    seg, prof = assign_segments(two_group_features(), k=2)
    assert list(seg.columns) == ["customer_id", "cluster_id", "segment_name", "segment", "distance_to_centroid"]
    assert seg["customer_id"].dtype == "str"
    assert seg["segment_name"].dtype == "str"
    assert seg["cluster_id"].dtype == np.int64
    assert seg["distance_to_centroid"].dtype == np.float64
    expected = (
        ["cluster_id", "segment_name", "segment", "customers", "customer_share", "net_revenue", "revenue_share"]
        + [f"centroid_{c}" for c in SEGMENT_FEATURES]
        + [f"mean_{c}" for c in SEGMENT_FEATURES]
        + ["k", "silhouette"]
    )
    assert list(prof.columns) == expected
    assert prof["customers"].dtype == np.int64
    assert all(prof[c].dtype == np.float64 for c in expected if c.startswith(("centroid_", "mean_")))


def test_choose_k_finds_separated_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 20]], dtype=float)
    X = np.vstack([c + rng.normal(0, 0.5, size=(200, 2)) for c in centers])
    k, scores = choose_k(X, k_range=range(3, 9), sample_size=600, random_state=1)
    assert k == 5
    assert set(scores) == set(range(3, 9))


@pytest.fixture(scope="module")
def synthetic():
    orders, cats, customers, as_of = synthetic_frames(4000, orders_per_customer=8, seed=11)
    return orders, cats, customers, as_of


def test_segments_deterministic_and_row_order_free(synthetic):
    orders, cats, customers, as_of = synthetic
    a1, p1 = segment_tables(orders, cats, customers, as_of)
    a2, p2 = segment_tables(orders, cats, customers, as_of)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(p1, p2)
    shuffled = orders.sample(frac=1.0, random_state=7).reset_index(drop=True)
    a3, p3 = segment_tables(shuffled, cats.iloc[::-1], customers.iloc[::-1], as_of)
    pd.testing.assert_frame_equal(a1, a3)
    pd.testing.assert_frame_equal(p1, p3)


def test_segments_recover_synthetic_personas(synthetic):
    orders, cats, customers, as_of = synthetic
    seg, prof = segment_tables(orders, cats, customers, as_of)
    truth = seg.merge(customers[["customer_id", "persona"]], on="customer_id")
    assert adjusted_rand_score(truth["persona"], truth["segment"]) >= 0.8
    # profile bookkeeping
    assert prof["customers"].sum() == len(seg)
    assert prof["revenue_share"].sum() == pytest.approx(1.0)
    assert prof["segment_name"].is_unique
    assert set(prof["segment"]) <= set(SEGMENT_NAMES)


def test_fixed_k_above_five_gives_unique_suffixed_names(synthetic):
    orders, cats, customers, as_of = synthetic
    feats = customer_features(orders, as_of, cats, customers)
    seg, prof = assign_segments(feats, k=7)
    assert len(prof) == 7
    assert prof["segment_name"].is_unique
    assert set(SEGMENT_NAMES) <= set(prof["segment_name"])
    suffixed = [n for n in prof["segment_name"] if n not in SEGMENT_NAMES]
    assert len(suffixed) == 2 and all(n.rsplit(" ", 1)[1].isdigit() for n in suffixed)
    # cluster ids follow the canonical name order
    order = [SEGMENT_NAMES.index(s) for s in prof["segment"]]
    assert order == sorted(order)
    assert prof["cluster_id"].tolist() == list(range(7))
    # the same customer always carries the same cluster id / name pair
    pairs = seg.drop_duplicates(["cluster_id", "segment_name"])
    assert len(pairs) == 7


def test_empty_features():
    feats = customer_features(
        pd.DataFrame(
            {
                "order_id": ["O1"],
                "customer_id": ["C1"],
                "order_date": pd.to_datetime(["2024-01-01"]),
                "is_completed": [False],
                "gross_revenue": [1.0],
                "discount_amount": [0.0],
                "net_revenue": [1.0],
            }
        ),
        "2024-02-01",
    )
    seg, prof = assign_segments(feats)
    assert len(seg) == 0 and len(prof) == 0
    assert "segment_name" in seg.columns and "centroid_aov" in prof.columns
