"""Earned segment names (customer_intelligence.ml.naming): definitions from the seed, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.naming import (
    catalog_actions,
    descriptive_name,
    earn_names,
    load_catalog,
    load_definitions,
    meets,
    percentile_of,
)


def population() -> pd.DataFrame:
    """Ten customers: net revenue 10..100, recency 10..100 days, orders 1..10, tenure 400, no discount."""
    return pd.DataFrame(
        {
            "net_revenue": np.arange(10.0, 101.0, 10.0),
            "recency_days": np.arange(10.0, 101.0, 10.0),
            "orders_count": np.arange(1.0, 11.0),
            "tenure_days": np.full(10, 400.0),
            "discount_share": np.zeros(10),
        }
    )


def centre(**values: float) -> pd.DataFrame:
    base = {"net_revenue": 50.0, "recency_days": 50.0, "orders_count": 5.0, "tenure_days": 400.0, "discount_share": 0.0}
    return pd.DataFrame([{**base, **values}])


def test_every_catalogued_ml_segment_has_one_definition():
    catalog = load_catalog()
    names = set(catalog.loc[catalog["segment_type"] == "ml_segment", "segment"])
    defs = load_definitions()
    assert set(defs["segment"]) == names and defs["segment"].is_unique
    assert defs["priority"].tolist() == sorted(defs["priority"])
    assert set(catalog_actions()) == names | {"Active", "Lapsing", "Lapsed"}


def test_percentile_clause_compares_with_the_population_quantile():
    pop = population()
    # 80th percentile of 10..100 (linear) = 82: 90 meets pct >= 0.8, 80 does not
    assert meets(centre(net_revenue=90.0), "pct(net_revenue) >= 0.8", pop).tolist() == [True]
    assert meets(centre(net_revenue=80.0), "pct(net_revenue) >= 0.8", pop).tolist() == [False]
    # median recency 55: 50 is better than the median
    assert meets(centre(recency_days=50.0), "pct(recency_days) <= 0.5", pop).tolist() == [True]


def test_var_clause_uses_the_passed_threshold():
    rule = "recency_days > var(at_risk_inactivity_days)"
    assert meets(centre(recency_days=100.0), rule, population()).tolist() == [True]  # default 90
    assert meets(centre(recency_days=100.0), rule, population(), {"at_risk_inactivity_days": 120}).tolist() == [False]
    with pytest.raises(ValueError, match="unknown var"):
        meets(centre(), "recency_days > var(nope)", population())


def test_malformed_rule_is_refused_with_the_file_and_the_grammar():
    with pytest.raises(ValueError, match="segment_definitions.csv.*recency_days ~ 3.*pct\\(feature\\)"):
        meets(centre(), "recency_days ~ 3", population())


def test_names_follow_the_seed_definitions_in_priority_order():
    pop = population()
    centres = pd.concat(
        [
            centre(tenure_days=30.0, net_revenue=95.0),  # New (priority 1) although top value
            centre(net_revenue=95.0, recency_days=20.0),  # top quintile, recent: High-Value Active
            centre(net_revenue=95.0, recency_days=95.0),  # top value but past 90 days: At-Risk / Dormant
            centre(discount_share=0.3, recency_days=150.0),  # discounts, lapsing but not churned (<= 180)
            centre(discount_share=0.3, recency_days=200.0),  # discounts, churned: At-Risk / Dormant
            centre(orders_count=3.0, recency_days=60.0),  # repeat and active: Loyal Regulars
            centre(orders_count=1.0, recency_days=60.0, net_revenue=20.0),  # none: descriptive
        ],
        ignore_index=True,
    )
    names = earn_names(centres, pop, with_amounts=True, with_discounts=True)
    assert names == [
        "New",
        "High-Value Active",
        "At-Risk / Dormant",
        "Discount-Driven",
        "At-Risk / Dormant",
        "Loyal Regulars",
        "Active low-value",
    ]


def test_no_money_names_without_amounts_or_discounts():
    pop = population()
    hv = centre(net_revenue=95.0, recency_days=20.0, orders_count=1.0)
    assert earn_names(hv, pop, with_amounts=False, with_discounts=False) == ["Active rare"]
    deal = centre(discount_share=0.3, recency_days=20.0, orders_count=1.0)
    assert earn_names(deal, pop, with_amounts=True, with_discounts=False) == ["Active mid-value"]


def test_descriptive_words_hand_worked():
    pop = population()
    centres = pd.concat(
        [
            centre(recency_days=60.0, net_revenue=100.0),  # <= 90: Active; mid-rank 0.95: high-value
            centre(recency_days=120.0, net_revenue=40.0),  # <= 180: Lapsing; 0.35: mid-value
            centre(recency_days=400.0, net_revenue=10.0),  # Lapsed; 0.05: low-value
        ],
        ignore_index=True,
    )
    assert descriptive_name(centres, pop, with_amounts=True) == [
        "Active high-value",
        "Lapsing mid-value",
        "Lapsed low-value",
    ]
    assert percentile_of(np.array([100.0, 40.0]), pop["net_revenue"].to_numpy()).tolist() == [0.95, 0.35]
