"""Tests of customer_intelligence.ml.clv: the documented formula by hand, the held-back check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.clv import CANDIDATES, SELECTION_CRITERION, clv_table
from customer_intelligence.tools.ml_bench import synthetic_frames

AS_OF = pd.Timestamp("2024-07-01")


def orders_from(rows: list[tuple]) -> pd.DataFrame:
    """rows: (order_id, customer_id, days before AS_OF, completed, net_revenue)."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "days_ago", "is_completed", "net_revenue"])
    df["order_date"] = AS_OF - pd.to_timedelta(df.pop("days_ago"), unit="D")
    df["gross_revenue"] = df["net_revenue"]
    df["discount_amount"] = 0.0
    return df


def hand_orders() -> pd.DataFrame:
    return orders_from(
        [
            ("O1", "X", 10, True, 50.0),
            ("O2", "X", 100, True, 150.0),
            ("O3", "X", 50, False, 1000.0),  # cancelled: ignored
            ("O4", "Y", 200, True, 40.0),
        ]
    )


def test_prediction_hand_worked():
    clv, _ = clv_table(hand_orders(), AS_OF, method="decayed_rate_x_aov")
    tau, prior_days, prior_orders = 180.0, 90.0, 2.0
    # decayed order weights and weighted exposures
    x_x = math.exp(-10 / tau) + math.exp(-100 / tau)
    e_x = tau * (1 - math.exp(-100 / tau))
    x_y = math.exp(-200 / tau)
    e_y = tau * (1 - math.exp(-200 / tau))
    m = (x_x + x_y) / (e_x + e_y)  # population rate
    rate_x = (x_x + m * prior_days) / (e_x + prior_days)
    rate_y = (x_y + m * prior_days) / (e_y + prior_days)
    aov_pop = 240.0 / 3  # 200 + 40 over three orders
    value_x = (2 * 100.0 + prior_orders * aov_pop) / (2 + prior_orders)  # = 90
    value_y = (1 * 40.0 + prior_orders * aov_pop) / (1 + prior_orders)  # = 200 / 3

    assert clv["customer_id"].tolist() == ["X", "Y"]
    np.testing.assert_allclose(clv["expected_orders_12m"], [365 * rate_x, 365 * rate_y])
    np.testing.assert_allclose(clv["expected_order_value"], [90.0, 200 / 3])
    np.testing.assert_allclose(
        clv["predicted_clv_12m"], [round(365 * rate_x * value_x, 2), round(365 * rate_y * value_y, 2)]
    )
    assert clv["historical_ltv"].tolist() == [200.0, 40.0]
    assert clv["orders_count"].tolist() == [2, 1]
    assert clv["aov"].tolist() == [100.0, 40.0]
    assert clv["last_order_date"].tolist() == [AS_OF - pd.Timedelta(days=10), AS_OF - pd.Timedelta(days=200)]
    # the recent, repeat customer is worth more
    assert clv["predicted_clv_12m"].iloc[0] > clv["predicted_clv_12m"].iloc[1]


def test_orders_on_or_after_as_of_are_ignored():
    base, _ = clv_table(hand_orders(), AS_OF)
    later = pd.concat([hand_orders(), orders_from([("O9", "X", 0, True, 5000.0), ("O10", "Z", -5, True, 1.0)])])
    again, _ = clv_table(later, AS_OF)
    pd.testing.assert_frame_equal(base, again)


def test_holdout_hand_worked():
    # holdout of 60 days: cutoff May 2; X (first order 100 days ago) and Y are scored; X spends 50 after it
    _, metrics = clv_table(hand_orders(), AS_OF, holdout_days=60)
    row = metrics.iloc[0]
    # two customers: BG/NBD is not fitted, the heuristic scores and is reported first
    assert (row["method"], row["chosen"], row["period"]) == ("decayed_rate_x_aov", True, "held_back")
    bg = metrics.set_index("method").loc["bgnbd_gamma_gamma"]
    assert "not identifiable" in bg["note"] and math.isnan(bg["mae"])
    # 200 days of history: no room for a 60-day validation period after 180 days of training
    assert set(metrics["period"]) == {"held_back"}
    assert row["holdout_start_date"] == AS_OF - pd.Timedelta(days=60)
    assert row["holdout_end_date"] == AS_OF
    assert (row["holdout_days"], row["customers"]) == (60, 2)
    assert row["actual_total"] == 50.0
    assert math.isnan(row["pearson_r"])  # fewer than three customers
    assert "validation" in row["note"]


def test_short_history_gives_no_holdout_metrics():
    clv, metrics = clv_table(hand_orders(), AS_OF)  # 200 days of history < 180 + 60
    assert len(clv) == 2
    row = metrics.iloc[0]
    assert row["holdout_days"] == 0
    assert math.isnan(row["pearson_r"])
    assert "too short" in row["note"]
    assert pd.isna(row["holdout_start_date"])


def test_holdout_correlation_on_synthetic_data():
    orders, _, _, as_of = synthetic_frames(5000, orders_per_customer=8, seed=2)
    clv, metrics = clv_table(orders, as_of)
    row = metrics.iloc[0]
    assert row["method"] in CANDIDATES and row["chosen"] and row["period"] == "held_back"
    assert row["holdout_days"] == 365
    assert row["pearson_r"] > 0.3
    assert row["spearman_r"] > 0.3
    assert 0.5 < row["total_ratio"] < 2.0
    # deterministic and typed
    clv2, metrics2 = clv_table(orders.iloc[::-1], as_of)
    pd.testing.assert_frame_equal(clv, clv2)
    pd.testing.assert_frame_equal(metrics, metrics2)
    assert clv["customer_id"].dtype == "str"
    assert clv["as_of_date"].dtype == "datetime64[us]"
    assert clv["orders_count"].dtype == np.int64
    assert metrics["holdout_start_date"].dtype == "datetime64[us]"
    assert (clv["predicted_clv_12m"] >= 0).all()


@pytest.mark.parametrize("col", ["historical_ltv", "predicted_clv_12m", "expected_orders_12m"])
def test_output_float_columns(col):
    clv, _ = clv_table(hand_orders(), AS_OF)
    assert clv[col].dtype == np.float64


@pytest.fixture(scope="module")
def synthetic_clv():
    orders, _, _, as_of = synthetic_frames(3000, orders_per_customer=8, seed=3)
    return orders, as_of, clv_table(orders, as_of)


def test_every_candidate_on_the_same_periods_and_chosen_on_validation(synthetic_clv):
    _, as_of, (clv, metrics) = synthetic_clv
    held = metrics[metrics["period"] == "held_back"]
    valid = metrics[metrics["period"] == "validation"]
    assert sorted(held["method"]) == sorted(valid["method"]) == sorted(CANDIDATES)
    # same held-back period and population for every candidate
    assert held["holdout_start_date"].nunique() == 1 and held["customers"].nunique() == 1
    assert held["holdout_start_date"].iloc[0] == as_of - pd.Timedelta(days=365)
    # validation: the 365 days before the held-back period, never overlapping it
    assert valid["holdout_end_date"].iloc[0] == held["holdout_start_date"].iloc[0]
    # the chosen method has the smallest rank sum (MAE + Spearman) on validation, and it scored the customers
    v = valid.set_index("method")
    score = v["mae"].rank(method="min") + v["spearman_r"].rank(ascending=False, method="min")
    chosen = min(score.index, key=lambda m: (score[m], v.loc[m, "mae"]))
    assert set(metrics.loc[metrics["chosen"], "method"]) == {chosen}
    assert (clv["clv_method"] == chosen).all()
    assert (metrics["selection_criterion"] == SELECTION_CRITERION).all()
    assert (metrics["metric_basis"] == "net_revenue").all()
    assert clv["p_alive"].between(0, 1).all()


def test_bgnbd_p_alive_ranks_a_lapsed_regular_below_a_recent_one(synthetic_clv):
    _, _, (clv, _) = synthetic_clv
    regular = clv[clv["orders_count"] >= 5]
    recent = regular[regular["last_order_date"] >= regular["as_of_date"] - pd.Timedelta(days=30)]
    lapsed = regular[regular["last_order_date"] < regular["as_of_date"] - pd.Timedelta(days=365)]
    assert len(recent) and len(lapsed)
    assert recent["p_alive"].median() > lapsed["p_alive"].median()
    assert recent["expected_purchases_horizon"].median() > lapsed["expected_purchases_horizon"].median()


def test_no_amounts_gives_no_money_but_still_counts_purchases(synthetic_clv):
    orders, as_of, _ = synthetic_clv
    no_money = orders.assign(net_revenue=None, gross_revenue=None, discount_amount=None)
    clv, metrics = clv_table(no_money, as_of)
    assert clv["predicted_clv_12m"].isna().all() and clv["historical_ltv"].isna().all()
    assert clv["expected_orders_12m"].notna().all() and (clv["expected_orders_12m"] >= 0).all()
    assert (metrics["metric_basis"] == "completed_orders").all()
    held = metrics[(metrics["period"] == "held_back") & metrics["chosen"]].iloc[0]
    assert held["actual_total"] > 0 and np.isfinite(held["mae"])
    # a warehouse that fills missing amounts with zero is read the same way
    zeros, _ = clv_table(orders.assign(net_revenue=0.0, gross_revenue=0.0, discount_amount=0.0), as_of)
    assert zeros["predicted_clv_12m"].isna().all()


def test_choose_method_ranks_error_and_ranking_together():
    from customer_intelligence.ml.clv import BGNBD, MBGNBD, METHOD, NAIVE, choose_method

    def rows(values):
        return [{"method": m, "mae": mae, "spearman_r": rho} for m, (mae, rho) in values.items()]

    # MAE ranks 1,2,3,4 and Spearman ranks 4,1,2,3: sums 5,3,5,7 -> MBG/NBD (not the lowest MAE)
    assert choose_method(rows({BGNBD: (10, 0.1), MBGNBD: (11, 0.6), METHOD: (12, 0.5), NAIVE: (13, 0.4)})) == MBGNBD
    # a tie of sums (3 and 3) goes to the lower MAE
    assert choose_method(rows({BGNBD: (12, 0.6), MBGNBD: (14, 0.1), METHOD: (11, 0.5), NAIVE: (15, 0.0)})) == METHOD
    # no finite MAE: not eligible; NaN Spearman ranks last (sums 1+3, 2+1, 3+2)
    values = {BGNBD: (float("nan"), 0.9), MBGNBD: (5, float("nan")), METHOD: (6, 0.2), NAIVE: (7, 0.1)}
    assert choose_method(rows(values)) == METHOD


def _json_round_trip(fitted: dict) -> dict:
    """What the registry keeps and reads back: the fit as JSON text."""
    import json

    return json.loads(json.dumps(fitted))


@pytest.mark.parametrize("method", [None, "bgnbd_gamma_gamma", "mbgnbd_gamma_gamma", "naive_rate_x_aov"])
def test_a_kept_clv_fit_scores_its_own_data_exactly_as_the_fit_did(synthetic_clv, method):
    from customer_intelligence.ml.clv import clv_fit, clv_score

    orders, as_of, _ = synthetic_clv
    fitted_table, _, fitted = clv_fit(orders, as_of, method=method)
    assert fitted["bgnbd"]["r"] > 0 and fitted["gamma_gamma"]["q"] > 0
    pd.testing.assert_frame_equal(clv_score(orders, as_of, _json_round_trip(fitted)), fitted_table, check_exact=True)


def test_a_kept_clv_fit_scores_a_later_day_without_fitting(synthetic_clv, monkeypatch):
    from customer_intelligence.ml import btyd
    from customer_intelligence.ml.clv import clv_fit, clv_score

    orders, as_of, _ = synthetic_clv
    orders = orders[orders["order_date"] < as_of]
    day0, _, fitted = clv_fit(orders, as_of, method="bgnbd_gamma_gamma")

    def no_fit(*args, **kwargs):
        raise AssertionError("clv_score must not fit")

    for name in ("fit_bgnbd", "fit_gamma_gamma", "fit_at_cutoff"):
        monkeypatch.setattr(btyd, name, no_fit)
    later = as_of + pd.Timedelta(days=30)
    day30 = clv_score(orders, later, _json_round_trip(fitted))
    assert day30["customer_id"].tolist() == day0["customer_id"].tolist()
    assert (day30["clv_method"] == "bgnbd_gamma_gamma").all()
    # same parameters, a month more silence: every customer's P(alive) can only fall (or stay at 1 for
    # a customer who never came back, whom BG/NBD holds alive until a repeat purchase)
    assert (day30["p_alive"] <= day0["p_alive"] + 1e-12).all()
    assert (day30["p_alive"] < day0["p_alive"]).mean() > 0.5
    # no new order and the same Gamma-Gamma parameters: the spend per purchase is the fit day's
    assert np.array_equal(day30["expected_order_value"], day0["expected_order_value"])
    value = (day30["expected_orders_12m"] * day30["expected_order_value"]).round(2)
    assert np.allclose(day30["predicted_clv_12m"], value)
