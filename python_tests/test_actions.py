"""Tests of customer_intelligence.ml.actions: ranking by revenue at risk and recommended actions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_intelligence.ml.actions import ACTIONS, DEFAULT_ACTION, OUTPUT_COLUMNS, action_table


def inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    segments = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],  # C4 has no segment
            "segment_name": ["High-Value Active", "Lapsing mid-value", "At-Risk / Dormant"],
            "segment": ["High-Value Active", "Lapsing mid-value", "At-Risk / Dormant"],
        }
    )
    churn = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "churn_probability": [0.5, 0.2, 0.9, 0.5],
            "churn_risk_tier": ["medium", "low", "high", "medium"],
            "scoring_method": ["hist_gradient_boosting"] * 4,
            "recency_days": [10, 20, 300, 40],
            "net_revenue": [1000.0, 800.0, 30.0, 200.0],
            "last_order_date": pd.to_datetime(["2024-12-22", "2024-12-12", "2024-03-06", "2024-11-22"]),
        }
    )
    clv = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "predicted_clv_12m": [100.0, 500.0, 10.0, 200.0]})
    return segments, churn, clv


def test_ranking_hand_worked():
    # revenue at risk: C1 0.5*100 = 50, C2 0.2*500 = 100, C3 0.9*10 = 9, C4 0.5*200 = 100.
    # C2 and C4 tie at 100: customer_id breaks the tie.
    out = action_table(*inputs())
    assert list(out.columns) == OUTPUT_COLUMNS
    assert out["customer_id"].tolist() == ["C2", "C4", "C1", "C3"]
    assert out["action_rank"].tolist() == [1, 2, 3, 4]
    assert out["revenue_at_risk"].tolist() == [100.0, 100.0, 50.0, 9.0]
    by_id = out.set_index("customer_id")
    # a descriptive segment takes the action of its recency word
    assert by_id.loc["C2", "recommended_action"] == ACTIONS["Lapsing"]
    assert by_id.loc["C2", "segment_name"] == "Lapsing mid-value"
    assert by_id.loc["C1", "recommended_action"] == "Retention and loyalty programme: early access, VIP service"
    assert by_id.loc["C3", "recommended_action"] == "Low-cost win-back campaign; deprioritise if low value"
    assert by_id.loc["C4", "segment"] == "Unsegmented"
    assert by_id.loc["C4", "recommended_action"] == DEFAULT_ACTION
    assert by_id.loc["C3", "last_order_date"] == pd.Timestamp("2024-03-06")
    assert by_id.loc["C3", "net_revenue"] == 30.0


def test_action_strings_per_segment():
    # read from seeds/segment_catalog.csv (types ml_segment and ml_trait), the one place they are written
    assert ACTIONS == {
        "High-Value Active": "Retention and loyalty programme: early access, VIP service",
        "Loyal Regulars": "Cross-sell and upgrade to Prime / VIP tier",
        "Discount-Driven": "Targeted value offers with margin guardrails; move from discounts to loyalty points",
        "New": "Onboarding series and second-purchase incentive",
        "At-Risk / Dormant": "Low-cost win-back campaign; deprioritise if low value",
        "Active": "Nurture: relevant recommendations and a reason for the next order",
        "Lapsing": "Reactivate: a timely reminder or offer before the customer is lost",
        "Lapsed": "Low-cost win-back; deprioritise if low value",
    }


def test_actions_follow_a_catalog_passed_by_dbt():
    segments, churn, clv = inputs()
    catalog = pd.DataFrame(
        {
            "segment_type": ["ml_segment", "ml_trait", "gender"],
            "segment": ["High-Value Active", "Lapsing", "Male"],
            "recommended_action": ["Call them", "Send a reminder", "unused"],
        }
    )
    out = action_table(segments, churn, clv, catalog=catalog).set_index("customer_id")
    assert out.loc["C1", "recommended_action"] == "Call them"
    assert out.loc["C2", "recommended_action"] == "Send a reminder"
    assert out.loc["C3", "recommended_action"] == DEFAULT_ACTION  # not in this catalog


def test_input_order_does_not_matter_and_dtypes():
    segments, churn, clv = inputs()
    a = action_table(segments, churn, clv)
    b = action_table(segments.iloc[::-1], churn.iloc[[2, 0, 3, 1]], clv.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)
    assert a["action_rank"].dtype == np.int64
    assert a["customer_id"].dtype == "str"
    assert a["recommended_action"].dtype == "str"
    assert a["last_order_date"].dtype == "datetime64[us]"
    assert a["revenue_at_risk"].dtype == np.float64
    assert a["recency_days"].dtype == np.int64


def test_customer_facts_override_and_missing_clv():
    segments, churn, clv = inputs()
    facts = pd.DataFrame({"customer_id": ["C3", "C1"], "net_revenue": [31.0, 999.0]})
    out = action_table(segments, churn, clv[clv["customer_id"] != "C2"], facts).set_index("customer_id")
    assert out.loc["C1", "net_revenue"] == 999.0
    assert out.loc["C3", "net_revenue"] == 31.0
    assert out.loc["C2", "net_revenue"] == 800.0  # not in the facts: the churn table's value is kept
    # no CLV for C2: predicted value and revenue at risk are 0
    assert out.loc["C2", "predicted_clv_12m"] == 0.0
    assert out.loc["C2", "revenue_at_risk"] == 0.0
