"""BG/NBD and Gamma-Gamma: published CDNOW estimates and hand-worked closed forms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.btyd import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_p_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    gamma_gamma_expected_spend,
    gamma_gamma_log_likelihood,
    rfm_summary,
)

CDNOW_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cdnow"
CDNOW = CDNOW_DIR / "cdnow_customers_summary_with_transactions.csv"
ONES = BgNbdParams(1.0, 1.0, 1.0, 1.0, float("nan"), 0, True)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_bgnbd_reproduces_fader_hardie_lee_cdnow(cdnow):
    fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert len(cdnow) == 2357 and fit.customers == 2357
    assert fit.r == pytest.approx(0.243, abs=5e-4)
    assert fit.alpha == pytest.approx(4.414, abs=5e-3)
    assert fit.a == pytest.approx(0.793, abs=5e-4)
    assert fit.b == pytest.approx(2.426, abs=5e-3)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    # FHL 2005 section 5: customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in 39 weeks
    e, fallbacks = bgnbd_expected_purchases(fit, [2], [30.43], [38.86], 39.0)
    assert e[0] == pytest.approx(1.226, abs=1e-3) and fallbacks == 0


def test_gamma_gamma_reproduces_published_cdnow(cdnow):
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.customers == int((cdnow["x"] > 0).sum()) == 946
    assert fit.p == pytest.approx(6.25, abs=0.01)
    assert fit.q == pytest.approx(3.74, abs=0.01)
    assert fit.v == pytest.approx(15.45, abs=0.02)


def test_bgnbd_log_likelihood_hand_cases():
    # x = 0, T = 1, all parameters 1: P(no purchase in (0,1]) = integral e^-l e^-l dl = 1/2
    assert bgnbd_log_likelihood(1, 1, 1, 1, [0], [0], [1])[0] == pytest.approx(math.log(0.5))
    # x = 1, t_x = 1, T = 2: B(1,2)/B(1,1) [3^-2 + 1/1 * 2^-2] = 1/2 (1/9 + 1/4) = 13/72
    assert bgnbd_log_likelihood(1, 1, 1, 1, [1], [1], [2])[0] == pytest.approx(math.log(13 / 72))


def test_p_alive_and_no_purchase_hand_cases():
    # nobody dies before a repeat purchase
    assert bgnbd_p_alive(ONES, [0], [0], [5])[0] == 1.0
    # x = 1, t_x = 1, T = 2: 1 / (1 + 1/1 * (3/2)^2) = 4/13
    assert bgnbd_p_alive(ONES, [1], [1], [2])[0] == pytest.approx(4 / 13)
    # x = 0, T = 1, t = 1: alive; lambda | history ~ Gamma(1, 2): P(no purchase) = 2/3
    assert bgnbd_p_no_purchase(ONES, [0], [0], [1], 1.0)[0] == pytest.approx(2 / 3)
    # x = 1, t_x = 1, T = 2, t = 1: 1 - 4/13 (1 - (3/4)^2) = 1 - 4/13 * 7/16
    assert bgnbd_p_no_purchase(ONES, [1], [1], [2], 1.0)[0] == pytest.approx(1 - 4 / 13 * 7 / 16)
    # a customer who just bought, seen for long, is more likely alive than one silent for as long
    p = bgnbd_p_alive(ONES, [3, 3], [50, 5], [52, 52])
    assert p[0] > p[1]


def test_expected_purchases_without_dropout_is_the_gamma_poisson_mean():
    # p -> 0 (b huge): E[Y(t)] -> (r + x) / (alpha + T) * t
    no_dropout = BgNbdParams(2.0, 3.0, 2.0, 1e9, float("nan"), 0, True)
    e, _ = bgnbd_expected_purchases(no_dropout, [4.0], [9.0], [10.0], 13.0)
    assert e[0] == pytest.approx(6.0 / 13.0 * 13.0, rel=1e-5)


def test_gamma_gamma_hand_cases():
    # zbar | nu ~ Exp(nu) (p = 1, x = 1), nu ~ Gamma(2, 1): density at 1 = int nu^2 e^-2nu = 1/4
    assert gamma_gamma_log_likelihood(1.0, 2.0, 1.0, [1], [1.0])[0] == pytest.approx(math.log(0.25))
    gg = GammaGammaParams(1.0, 2.0, 1.0, float("nan"), 0, True)
    # p (v + x zbar) / (p x + q - 1) = (1 + 2) / 2; a customer without repeats gets p v / (q - 1) = 1
    assert gamma_gamma_expected_spend(gg, [1, 0], [2.0, np.nan]).tolist() == pytest.approx([1.5, 1.0])
    assert gg.population_mean == 1.0


def test_rfm_summary_hand_case():
    # customer 0: days 10, 10 (same day: one purchase of 30), 15, 30; customer 1: one order; customer 2: after cutoff
    code = np.array([0, 0, 0, 0, 1, 2])
    day = np.array([10, 10, 15, 30, 20, 40])
    net = np.array([10.0, 20.0, 5.0, 15.0, 7.0, 9.0])
    s = rfm_summary(code, day, net, cutoff_day=40, n_customers=3)
    assert s["code"].tolist() == [0, 1]
    assert s["x"].tolist() == [2.0, 0.0]
    assert s["t_x"].tolist() == [20.0, 0.0]
    assert s["T"].tolist() == [30.0, 20.0]
    assert s["zbar"].iloc[0] == pytest.approx(10.0) and np.isnan(s["zbar"].iloc[1])


# --------------------------------------------------------------------------------------------------
# MBG/NBD and a Monte-Carlo check of the conditional expectations
# --------------------------------------------------------------------------------------------------
def test_mbgnbd_hand_cases():
    mbg = BgNbdParams(1.0, 1.0, 1.0, 1.0, float("nan"), 0, True, "mbgnbd")
    # p ~ U(0,1), lambda ~ Exp(1), x = 0, T = 1: dead at once (E[p] = 1/2) or alive and silent
    # (E[1-p] E[e^-lambda] = 1/2 * 1/2): L = 3/4
    assert bgnbd_log_likelihood(1, 1, 1, 1, [0], [0], [1], "mbgnbd")[0] == pytest.approx(math.log(0.75))
    # P(alive | x = 0, T = 1) = (1/2 * 1/2) / (3/4) = 1/3 (BG/NBD would say 1)
    assert bgnbd_p_alive(mbg, [0], [0], [1])[0] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        bgnbd_log_likelihood(1, 1, 1, 1, [0], [0], [1], "pareto")


def simulate(params: BgNbdParams, n: int, T: float, t: float, seed: int) -> pd.DataFrame:
    """Customers born at 0 (first purchase), observed to ``T``; purchases counted in ``(T, T + t]``.

    While alive a customer buys at Poisson rate lambda ~ Gamma(r, 1/alpha); after each repeat purchase
    (and, for MBG/NBD, after the first one too) they drop out with probability p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    alive = rng.random(n) >= p if params.variant == "mbgnbd" else np.ones(n, dtype=bool)
    now = np.zeros(n)
    x, t_x, y = np.zeros(n), np.zeros(n), np.zeros(n)
    while alive.any():
        now = np.where(alive, now + rng.exponential(1.0, n) / lam, now)
        in_cal, in_hold = alive & (now <= T), alive & (now > T) & (now <= T + t)
        x += in_cal
        t_x = np.where(in_cal, now, t_x)
        y += in_hold
        alive &= (now <= T + t) & (rng.random(n) >= p)
    return pd.DataFrame({"x": x, "t_x": t_x, "T": T, "y": y})


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_conditional_expected_purchases_match_a_simulation(variant):
    # E[ E[Y | x, t_x, T] | x ] = E[Y | x]: the closed form, averaged per x, must match the simulated
    # hold-out purchases within 4 standard errors (parameters of CDNOW's magnitude, in weeks)
    params = BgNbdParams(0.5, 5.0, 0.8, 2.5, float("nan"), 0, True, variant)
    sim = simulate(params, 40_000, T=40.0, t=30.0, seed=7)
    sim["e"] = bgnbd_expected_purchases(params, sim["x"], sim["t_x"], sim["T"], 30.0)[0]
    sim["none"] = bgnbd_p_no_purchase(params, sim["x"], sim["t_x"], sim["T"], 30.0)
    sim["group"] = sim["x"].clip(upper=3)
    for _, g in sim.groupby("group"):
        se = g["y"].std() / math.sqrt(len(g))
        assert abs(g["e"].mean() - g["y"].mean()) <= 4 * se + 1e-3
        se0 = math.sqrt(0.25 / len(g))
        assert abs(g["none"].mean() - (g["y"] == 0).mean()) <= 4 * se0
    # the other variant's formula on the same customers misses (the check can fail)
    other = BgNbdParams(0.5, 5.0, 0.8, 2.5, float("nan"), 0, True, "mbgnbd" if variant == "bgnbd" else "bgnbd")
    wrong = bgnbd_expected_purchases(other, sim["x"], sim["t_x"], sim["T"], 30.0)[0]
    zero = sim["x"] == 0
    se = sim.loc[zero, "y"].std() / math.sqrt(zero.sum())
    assert abs(wrong[zero].mean() - sim.loc[zero, "y"].mean()) > 4 * se


def test_fit_mbgnbd_recovers_simulated_parameters():
    truth = BgNbdParams(0.5, 5.0, 0.8, 2.5, float("nan"), 0, True, "mbgnbd")
    sim = simulate(truth, 8_000, T=52.0, t=0.0, seed=11)
    fit = fit_mbgnbd(sim["x"], sim["t_x"], sim["T"])
    assert fit.variant == "mbgnbd"
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(getattr(truth, name), rel=0.25), name
    # the right model fits its own data better than BG/NBD does
    assert fit.log_likelihood > fit_bgnbd(sim["x"], sim["t_x"], sim["T"]).log_likelihood


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_expected_purchases_of_a_near_poisson_population(variant):
    # r, alpha huge (no rate heterogeneity, what a fit gives on such data): scipy's hyp2f1 is NaN there.
    # The rate is then known, lambda = r / alpha, and a live customer with dropout p expects
    # (1 - exp(-lambda p t)) / p purchases in t; p | alive ~ Beta(a, b + x + s), s = 1 for MBG/NBD
    from scipy.integrate import quad
    from scipy.stats import beta

    lam, t = 0.05, 52.0
    params = BgNbdParams(1e6, 1e6 / lam, 2.0, 7.0, float("nan"), 0, True, variant)
    s = 1 if variant == "mbgnbd" else 0
    x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 30.0, 60.0]), np.array([20.0, 60.0, 70.0])
    e, fallbacks = bgnbd_expected_purchases(params, x, t_x, T, t)
    alive = bgnbd_p_alive(params, x, t_x, T)
    for i in range(3):
        dens = beta(params.a, params.b + x[i] + s).pdf
        want = quad(lambda p, d=dens: -np.expm1(-lam * p * t) / p * d(p), 0.0, 1.0)[0]
        assert e[i] == pytest.approx(alive[i] * want, rel=1e-3)
    assert fallbacks == 0
