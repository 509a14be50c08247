"""Tests of customer_intelligence.ml.churn: labels, point-in-time features, metrics, fallback, model."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.churn import (
    METRIC_COLUMNS,
    MODEL_FEATURES,
    churn_fit,
    churn_score,
    churn_tables,
    evaluate_scores,
    recency_rule_probability,
    risk_tier,
    training_frame,
)
from customer_intelligence.tools.ml_bench import synthetic_frames


def make_orders(rows: list[tuple]) -> pd.DataFrame:
    """rows: (order_id, customer_id, date, completed, net_revenue)."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "is_completed", "net_revenue"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["gross_revenue"] = df["net_revenue"]
    df["discount_amount"] = 0.0
    return df


CUTOFF = "2024-04-01"


def hand_orders() -> pd.DataFrame:
    return make_orders(
        [
            # A: orders on Jan 1 and Mar 22; buys again Apr 15 (inside [Apr 1, May 1)) -> not churned
            ("O1", "A", "2024-01-01", True, 10.0),
            ("O2", "A", "2024-03-22", True, 20.0),
            ("O3", "A", "2024-04-15", True, 30.0),
            # B: one order Feb 1; next on May 1 = cutoff + 30, outside the window -> churned
            ("O4", "B", "2024-02-01", True, 40.0),
            ("O5", "B", "2024-05-01", True, 50.0),
            # C: one order Mar 31; only a cancelled order in the window -> churned
            ("O6", "C", "2024-03-31", True, 5.0),
            ("O7", "C", "2024-04-10", False, 5.0),
            # D: first order inside the window: not in the training population
            ("O8", "D", "2024-04-05", True, 7.0),
        ]
    )


def test_labels_and_point_in_time_features_hand_worked():
    tf = training_frame(hand_orders(), CUTOFF, horizon_days=30)
    assert tf["customer_id"].tolist() == ["A", "B", "C"]
    assert tf["churned"].tolist() == [0, 1, 1]
    a, b, c = (tf.iloc[i] for i in range(3))
    # recency to Apr 1: A Mar 22 -> 10, B Feb 1 -> 29 + 31 = 60, C Mar 31 -> 1
    assert (a["recency_days"], b["recency_days"], c["recency_days"]) == (10, 60, 1)
    # windows: last 30 days = [Mar 2, Apr 1), previous = [Feb 1, Mar 2)
    assert (a["orders_last_horizon"], a["orders_prev_horizon"]) == (1, 0)
    assert (b["orders_last_horizon"], b["orders_prev_horizon"]) == (0, 1)
    assert (c["orders_last_horizon"], c["orders_prev_horizon"]) == (1, 0)
    assert a["net_revenue_last_horizon"] == 20.0
    assert (a["orders_count"], a["net_revenue"]) == (2, 30.0)
    # A: Jan 1 -> Mar 22 is 81 days over one gap; B single order: gap = tenure (60); ratio = recency / gap
    assert a["mean_gap_days"] == 81.0
    assert a["recency_gap_ratio"] == pytest.approx(10 / 81)
    assert (b["mean_gap_days"], b["recency_gap_ratio"]) == (60.0, 1.0)
    assert set(MODEL_FEATURES) <= set(tf.columns)


def test_training_features_do_not_leak_data_after_cutoff():
    orders = hand_orders()
    before = training_frame(orders, CUTOFF, horizon_days=30)

    mutated = orders.copy()
    after = mutated["order_date"] >= pd.Timestamp(CUTOFF)
    mutated.loc[after, "net_revenue"] = 9999.0  # change amounts after the cutoff
    mutated.loc[after, "is_completed"] = ~mutated.loc[after, "is_completed"]  # flip statuses
    extra = make_orders(
        [
            ("X1", "B", "2024-04-02", True, 500.0),  # B now buys in the window
            ("X2", "A", "2025-01-01", True, 1.0),
            ("X3", "NEW", "2024-04-01", True, 3.0),  # a brand-new customer on the cutoff day
        ]
    )
    mutated = pd.concat([mutated, extra], ignore_index=True)
    customers = pd.DataFrame({"customer_id": ["NEW", "A"], "signup_date": pd.to_datetime(["2024-04-01", None])})
    after_frame = training_frame(mutated, CUTOFF, horizon_days=30, customers=customers)

    feature_cols = [c for c in before.columns if c != "churned"]
    pd.testing.assert_frame_equal(before[feature_cols], after_frame[feature_cols])
    # ... while the labels do see the future, as they should
    assert after_frame["churned"].tolist() != before["churned"].tolist()


def test_recency_rule_probability_and_tiers():
    p = recency_rule_probability(np.array([0, 90, 180]), 90)
    np.testing.assert_allclose(p, [0.0, 1 - math.exp(-1), 1 - math.exp(-2)])
    assert risk_tier(np.array([0.0, 0.39, 0.4, 0.69, 0.7, 1.0])).tolist() == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_evaluate_scores_hand_worked():
    # pairs (pos, neg): 0.9>0.8, 0.9>0.1, 0.3<0.8, 0.3>0.1 -> AUC 3/4.
    # ranking 1,0,1,0 -> AP = 0.5 * 1/1 + 0.5 * 2/3 = 5/6. Top decile = ceil(0.4) = 1 row: y = 1.
    m = evaluate_scores(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1]))
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["pr_auc"] == pytest.approx(5 / 6)
    assert m["precision_top_decile"] == 1.0
    assert m["base_rate"] == 0.5
    one_class = evaluate_scores(np.array([1, 1]), np.array([0.2, 0.3]))
    assert math.isnan(one_class["roc_auc"])


def test_short_history_falls_back_to_rule(caplog):
    orders = hand_orders()  # about four months of history < 2 x 90 + 90 days
    with caplog.at_level(logging.WARNING, logger="customer_intelligence.ml.churn"):
        scored, metrics = churn_tables(orders, None, "2024-05-02", horizon_days=90)
    assert "recency rule" in caplog.text and "shorter than the 270 needed" in caplog.text
    assert (scored["scoring_method"] == "recency_rule").all()
    np.testing.assert_allclose(scored["churn_probability"], scored["recency_rule_probability"])
    # A's last order Apr 15 -> recency 17 on May 2
    a = scored.set_index("customer_id").loc["A"]
    assert a["recency_days"] == 17
    assert a["churn_probability"] == pytest.approx(1 - math.exp(-17 / 90))
    assert a["churn_risk_tier"] == "low"
    assert list(metrics.columns) == METRIC_COLUMNS
    candidates = ["hist_gradient_boosting", "recency_rule", "bgnbd_p_no_purchase"]
    assert metrics["method"].tolist() == candidates * 2
    assert metrics["period"].tolist() == ["held_back"] * 3 + ["selection"] * 3
    assert metrics["used_for_scoring"].tolist() == [False, True, False] * 2
    assert "shorter" in metrics["note"].iloc[0]
    assert math.isnan(metrics["roc_auc"].iloc[0])


def test_no_churners_falls_back_to_rule(caplog):
    # 30 customers buying every 20 days for two years: nobody churns, so no model can be trained
    days = pd.date_range("2022-01-01", "2023-12-31", freq="20D")
    rows = [(f"O{c}_{i}", f"C{c:02d}", d, True, 10.0) for c in range(30) for i, d in enumerate(days)]
    with caplog.at_level(logging.WARNING, logger="customer_intelligence.ml.churn"):
        scored, metrics = churn_tables(make_orders(rows), None, "2024-01-01", horizon_days=90)
    assert (scored["scoring_method"] == "recency_rule").all()
    assert "fewer than" in metrics["note"].iloc[0]
    assert "recency rule" in caplog.text


@pytest.fixture(scope="module")
def synthetic_churn():
    orders, _, customers, as_of = synthetic_frames(6000, orders_per_customer=8, seed=5)
    return orders, customers, as_of, churn_tables(orders, customers, as_of)


def test_model_beats_recency_baseline_on_synthetic_data(synthetic_churn):
    _, _, _, (scored, metrics) = synthetic_churn
    model = metrics.iloc[0]
    assert (model["method"], model["period"]) == ("hist_gradient_boosting", "held_back")
    assert model["used_for_scoring"]
    assert model["roc_auc"] >= 0.75
    assert model["roc_auc"] > model["baseline_roc_auc"]
    assert metrics["baseline_roc_auc"].iloc[1] == metrics["roc_auc"].iloc[1]
    assert model["training_snapshots"] == 4
    assert model["scoring_train_cutoff_date"] == pd.Timestamp("2024-10-03")
    assert model["train_cutoff_date"] == pd.Timestamp("2024-07-05")  # as_of 2025-01-01 - 180 days
    assert model["validation_cutoff_date"] == pd.Timestamp("2024-10-03")
    assert model["train_first_cutoff_date"] == pd.Timestamp("2023-10-09")  # 3 x 90 days earlier
    assert (scored["scoring_method"] == "hist_gradient_boosting").all()
    assert scored["churn_probability"].between(0, 1).all()
    assert set(scored["churn_risk_tier"]) <= {"low", "medium", "high"}


def test_churn_outputs_deterministic_and_typed(synthetic_churn):
    orders, customers, as_of, (scored, metrics) = synthetic_churn
    shuffled = orders.sample(frac=1.0, random_state=1).reset_index(drop=True)
    scored2, metrics2 = churn_tables(shuffled, customers, as_of)
    pd.testing.assert_frame_equal(scored, scored2)
    pd.testing.assert_frame_equal(metrics, metrics2)
    assert scored["customer_id"].is_monotonic_increasing
    assert scored["customer_id"].dtype == "str"
    assert scored["churn_risk_tier"].dtype == "str"
    assert scored["as_of_date"].dtype == "datetime64[us]"
    assert scored["last_order_date"].dtype == "datetime64[us]"
    assert scored["recency_days"].dtype == np.int64
    assert metrics["train_cutoff_date"].dtype == "datetime64[us]"
    assert metrics["training_rows"].dtype == np.int64


def test_method_is_chosen_on_the_selection_split_and_reported_on_the_later_one(synthetic_churn):
    _, _, as_of, (scored, metrics) = synthetic_churn
    selection = metrics[metrics["period"] == "selection"].set_index("method")
    held = metrics[metrics["period"] == "held_back"].set_index("method")
    # selection labels [as_of - 180, as_of - 90) end where the held-back labels start
    assert (selection["validation_cutoff_date"] == as_of - pd.Timedelta(days=180)).all()
    assert (selection["validation_end_date"] == held["validation_cutoff_date"]).all()
    assert (held["validation_end_date"] == as_of).all()
    # the highest selection ROC AUC scored the customers, whatever the held-back figures say
    chosen = selection["roc_auc"].idxmax()
    assert metrics.loc[metrics["used_for_scoring"], "method"].unique().tolist() == [chosen]
    assert (scored["scoring_method"] == chosen).all()
    # every candidate is evaluated on the same held-back customers
    assert held["validation_rows"].nunique() == 1
    assert held.loc["bgnbd_p_no_purchase", "roc_auc"] > 0.5


def test_forced_scoring_method_scores_with_bgnbd(synthetic_churn):
    orders, customers, as_of, _ = synthetic_churn
    scored, metrics = churn_tables(orders, customers, as_of, scoring="bgnbd_p_no_purchase")
    assert (scored["scoring_method"] == "bgnbd_p_no_purchase").all()
    assert scored["churn_probability"].between(0, 1).all()
    assert metrics["selection_criterion"].str.startswith("forced").all()
    # a customer who bought yesterday is less likely to lapse than one silent for a year
    recent = scored.loc[scored["recency_days"] <= 7, "churn_probability"].median()
    silent = scored.loc[scored["recency_days"] >= 365, "churn_probability"].median()
    assert recent < silent


def _json_round_trip(fitted: dict) -> dict:
    """What the registry keeps and reads back: the fit as JSON text."""
    import json

    return json.loads(json.dumps(fitted))


@pytest.mark.parametrize(
    ("method", "scoring"),
    [
        ("hist_gradient_boosting", None),
        ("logistic_regression", "logistic_regression"),
        ("hist_gradient_boosting", "bgnbd_p_no_purchase"),
        ("hist_gradient_boosting", "recency_rule"),
    ],
)
def test_a_kept_fit_scores_its_own_data_exactly_as_the_fit_did(synthetic_churn, method, scoring):
    orders, customers, as_of, _ = synthetic_churn
    scored, _, fitted = churn_fit(orders, customers, as_of, method=method, scoring=scoring)
    assert fitted["chosen"] == (scoring or method)
    assert (fitted["model"] is not None) == (fitted["chosen"] == method)
    again = churn_score(orders, customers, as_of, _json_round_trip(fitted))
    pd.testing.assert_frame_equal(again, scored, check_exact=True)  # every column, drivers included
    assert (again["scoring_method"] == fitted["chosen"]).all()


def test_a_kept_fit_scores_a_later_day_without_refitting(synthetic_churn, monkeypatch):
    orders, customers, as_of, _ = synthetic_churn
    orders = orders[orders["order_date"] < as_of]  # nothing on the as-of day: the next day adds no order
    scored, _, fitted = churn_fit(orders, customers, as_of)
    import customer_intelligence.ml.churn as churn_module

    def no_fit(*args, **kwargs):
        raise AssertionError("churn_score must not fit")

    monkeypatch.setattr(churn_module, "_fit", no_fit)
    monkeypatch.setattr(churn_module, "bgnbd_params_at", no_fit)
    later = as_of + pd.Timedelta(days=1)
    day = churn_score(orders, customers, later, _json_round_trip(fitted))
    assert (day["as_of_date"] == later).all()
    assert day["customer_id"].tolist() == scored["customer_id"].tolist()
    assert (day["recency_days"] == scored["recency_days"] + 1).all()
    assert (day["scoring_method"] == "hist_gradient_boosting").all()
    assert (day["churn_probability"] != scored["churn_probability"]).any()  # the model sees the silent day
