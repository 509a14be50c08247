"""Churn drivers (customer_intelligence.ml.drivers): break-down contributions worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.drivers import baseline_frame, contributions, driver_table


def frame() -> pd.DataFrame:
    """Three customers with the columns the driver groups read."""
    return pd.DataFrame(
        {
            "recency_days": [200.0, 10.0, 20.0],
            "recency_gap_ratio": [10.0, 0.5, 1.0],
            "mean_gap_days": [20.0, 20.0, 20.0],
            "orders_last_horizon": [0.0, 3.0, 2.0],
            "net_revenue_last_horizon": [0.0, 90.0, 60.0],
            "orders_prev_horizon": [1.0, 3.0, 2.0],
            "orders_same_window_last_year": [1.0, 1.0, 1.0],
            "orders_count": [5.0, 9.0, 7.0],
            "tenure_days": [400.0, 400.0, 400.0],
        }
    )


def additive(f: pd.DataFrame) -> np.ndarray:
    """0.1 + 0.5 if silent for more than 60 days + 0.2 if no order in the last horizon."""
    return 0.1 + 0.5 * (f["recency_days"] > 60) + 0.2 * (f["orders_last_horizon"] == 0)


def test_baseline_is_the_median():
    b = baseline_frame(frame())
    assert (b["recency_days"], b["orders_last_horizon"], b["orders_count"]) == (20.0, 2.0, 7.0)


def test_additive_score_contributions_hand_worked():
    # baseline customer: recency 20, 2 orders last horizon -> 0.1. Customer 0 puts back recency (+0.5)
    # first, then the last-horizon orders (+0.2); nothing else changes the score.
    c = contributions(additive, frame())
    assert c.loc[0, "recency"] == pytest.approx(0.5)
    assert c.loc[0, "recent_orders"] == pytest.approx(0.2)
    assert c.drop(columns=["recency", "recent_orders"]).loc[0].abs().sum() == 0
    # customers 1 and 2 are no riskier than the typical customer
    assert (c.loc[[1, 2]].to_numpy() == 0).all()
    # contributions add up to p(customer) - p(baseline customer)
    assert c.loc[0].sum() == pytest.approx(0.8 - 0.1)


def test_redundant_features_credit_the_first_that_explains_the_risk():
    # the score reads either signal: silent > 60 days OR no recent order -> 0.9, else 0.1
    def either(f: pd.DataFrame) -> np.ndarray:
        return np.where((f["recency_days"] > 60) | (f["orders_last_horizon"] == 0), 0.9, 0.1)

    c = contributions(either, frame())
    # one-at-a-time occlusion would give 0 to both; the step-up order credits recency (tie order) with all
    assert c.loc[0, "recency"] == pytest.approx(0.8) and c.loc[0, "recent_orders"] == 0


def test_driver_texts_in_the_customers_terms():
    f = frame()
    table = driver_table(f, contributions(additive, f))
    assert table.loc[0, "churn_driver_1"] == (
        "no order for 200 days (usual gap 20 days; typical customer 20 days): +50 pts"
    )
    assert table.loc[0, "churn_driver_2"] == "0 orders in the last horizon (typical 2 orders): +20 pts"
    assert pd.isna(table.loc[0, "churn_driver_3"]) and np.isnan(table.loc[0, "churn_driver_3_points"])
    assert table.loc[0, "churn_driver_1_points"] == pytest.approx(50.0)
    assert table["churn_driver_1"].iloc[1:].isna().all()


def _reference_contributions(score, f: pd.DataFrame, steps: int = 3) -> pd.DataFrame:
    """The break-down order worked one customer at a time, independently of the vectorised code."""
    from customer_intelligence.ml.drivers import DRIVER_GROUPS

    base = baseline_frame(f)
    out = pd.DataFrame(0.0, index=f.index, columns=list(DRIVER_GROUPS))
    for i in f.index:
        own = f.loc[[i]].reset_index(drop=True)
        now = own.copy()
        for group in DRIVER_GROUPS.values():
            for c in group.columns:
                now[c] = base[c]
        now["recency_gap_ratio"] = now["recency_days"] / now["mean_gap_days"].clip(lower=1.0)
        left = list(DRIVER_GROUPS)
        for _ in range(steps):
            p_now = float(score(now)[0])
            rises = {}
            for name in left:
                trial = now.copy()
                for c in DRIVER_GROUPS[name].columns:
                    trial[c] = own[c]
                trial["recency_gap_ratio"] = trial["recency_days"] / trial["mean_gap_days"].clip(lower=1.0)
                rises[name] = (float(score(trial)[0]) - p_now, trial)
            best = max(left, key=lambda n: (round(rises[n][0], 12), -left.index(n)))
            out.loc[i, best], now = rises[best]
            left.remove(best)
    return out


def test_contributions_match_a_customer_by_customer_reference_and_skip_groups_already_put_back():
    rng = np.random.default_rng(7)
    n = 40
    f = pd.DataFrame(
        {
            "recency_days": rng.integers(1, 400, n).astype(float),
            "mean_gap_days": rng.integers(5, 90, n).astype(float),
            "orders_last_horizon": rng.integers(0, 5, n).astype(float),
            "net_revenue_last_horizon": rng.uniform(0, 300, n),
            "orders_prev_horizon": rng.integers(0, 5, n).astype(float),
            "orders_same_window_last_year": rng.integers(0, 3, n).astype(float),
            "orders_count": rng.integers(1, 30, n).astype(float),
            "tenure_days": rng.integers(30, 2000, n).astype(float),
        }
    )
    f["recency_gap_ratio"] = f["recency_days"] / f["mean_gap_days"]
    rows_scored: list[int] = []

    def logistic(x: pd.DataFrame) -> np.ndarray:  # interactions, so the order of the groups matters
        rows_scored.append(len(x))
        z = (
            0.01 * x["recency_days"] * (1 + 0.3 * (x["orders_last_horizon"] == 0))
            - 0.4 * x["orders_prev_horizon"]
            - 0.002 * x["tenure_days"] * (x["orders_count"] > 5)
            + 0.5 * x["recency_gap_ratio"].clip(upper=4)
            - 0.3 * x["orders_same_window_last_year"]
        )
        return 1.0 / (1.0 + np.exp(-(z.to_numpy() - 2.0)))

    c = contributions(logistic, f)
    rows_scored_fast = sum(rows_scored)
    expected = _reference_contributions(logistic, f)
    pd.testing.assert_frame_equal(c, expected[c.columns], check_exact=False, atol=1e-12, rtol=0)
    # the typical customer once, six groups in step one, then only the groups not yet put back: 5 and 4 a row
    assert rows_scored_fast == n * (1 + 6 + 5 + 4)
