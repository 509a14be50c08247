"""Buy-till-you-die models: BG/NBD and MBG/NBD (purchases and P(alive)) and Gamma-Gamma (spend per purchase).

All three are fitted by maximum likelihood with scipy (parameters optimised in log space with
``scipy.optimize.minimize``, L-BFGS-B, bounded to ``exp(+-LOG_BOUND)``, with a weak prior on the log
parameters that pins the flat ridges, ``LOG_PARAM_PENALTY``). The likelihoods and the
closed-form predictions follow:

* Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2) - BG/NBD: while alive a customer buys at a Poisson rate
  ``lambda ~ Gamma(r, alpha)``; after each purchase they drop out with probability ``p ~ Beta(a, b)``.
* Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
  JMR 42(4); Fader and Hardie (2013), "The Gamma-Gamma model of monetary value" - the spend of a
  purchase is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, v)``, independent of the purchase process.

Inputs per customer (the "RFM summary", :func:`rfm_summary`): ``x`` = repeat purchases (purchase
days after the first), ``t_x`` = time from the first to the last purchase, ``T`` = time from the first
purchase to the cutoff, ``zbar`` = mean spend of the repeat purchases (Gamma-Gamma only, ``x > 0``).
Any time unit works as long as it is the same for fitting and predicting (the package uses weeks).

Closed forms (``d = 1 if x > 0 else 0``):

* log-likelihood (FHL 2005 eq. 6):
  ``ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
  + ln[(alpha+T)^-(r+x) + d a/(b+x-1) (alpha+t_x)^-(r+x)]``
* ``P(alive) = 1 / (1 + d a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))`` (eq. 11)
* expected purchases in ``(T, T+t]`` (eq. 10):
  ``E[Y(t)] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
  x P(alive)``
* probability of no purchase in ``(T, T+t]``: death only happens right after a purchase, so a
  customer alive at ``T`` with rate ``lambda`` makes none with probability ``exp(-lambda t)``; the
  posterior of ``lambda`` given alive is ``Gamma(r+x, alpha+T)``:
  ``P(Y(t) = 0) = 1 - P(alive) [1 - ((alpha+T)/(alpha+T+t))^(r+x)]``
* Gamma-Gamma log-likelihood per customer with ``x > 0``:
  ``ln G(px+q) - ln G(px) - ln G(q) + q ln v + (px-1) ln zbar + px ln x - (px+q) ln(x zbar + v)``
  and the expected spend per purchase ``E[Z | x, zbar] = p (v + x zbar) / (p x + q - 1)``
  (population mean ``p v / (q - 1)`` for ``x = 0``).

MBG/NBD (Batislam, Denizel and Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", IJRM 24(3)) differs in one assumption: a customer may also drop out right
after the *first* purchase, so a customer with no repeat purchase is not certainly alive (BG/NBD gives
every ``x = 0`` customer ``P(alive) = 1``, and predicts repeat purchases for one-time buyers who left
long ago). Its closed forms are BG/NBD's with ``b + x - 1`` replaced by ``b + x`` (one more survived
dropout chance) and the ``d`` indicator dropped (applies at ``x = 0`` too):

* ``ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
  + ln[(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)]``
* ``P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``
* ``E[Y(t)] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
  x P(alive)``; ``P(Y(t) = 0)`` as for BG/NBD.

The variant is a field of :class:`BgNbdParams` (``variant = "bgnbd"`` or ``"mbgnbd"``); every function
below reads it, so a fitted parameter set always predicts with its own model.

The product ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)`` is evaluated by :func:`_scaled_hyp2f1`: scipy's
``hyp2f1`` where it is finite, otherwise its power series summed in log space. scipy returns NaN when
``r + x`` is large (thousands), which is what a fit gives on data without rate heterogeneity (``r`` and
``alpha`` both large, a near-Poisson population). The old fallback there, the posterior mean rate with
no future dropout, overstated the purchases of such data by 20-50 % (issue 14). Rows where even the
series does not converge keep that fallback and are counted (the second value returned by
:func:`bgnbd_expected_purchases`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from customer_intelligence.ml.features import sample_index

__all__ = [
    "BgNbdParams",
    "GammaGammaParams",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_no_purchase",
    "fit_at_cutoff",
    "fit_bgnbd",
    "fit_mbgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "rfm_summary",
]

#: Parameters are optimised as logs bounded to +- this value (exp(12) ~ 1.6e5).
LOG_BOUND: float = 12.0

#: Weight of a weak Gaussian prior on the log parameters (``alpha`` and ``v`` divided by the data's mean ``T``
#: and mean spend first, so the prior is unit-free and centred on r = a = b = p = q = 1): the objective is
#: ``-ln L + LOG_PARAM_PENALTY * sum(theta^2)``, as lifetimes' ``penalizer_coef`` but on the log scale. On data
#: without rate heterogeneity or dropout the likelihood has flat ridges to infinity (``r, alpha`` or ``a, b``
#: large together); without the prior the optimiser stopped anywhere on them, and where it stopped changed with
#: the CPU's floating-point path (numpy's AVX-512 exp/log), enough to change which CLV method won on validation.
#: At 1e-3 the prior costs at most 0.6 log-likelihood units (all four log parameters at the bound) and moves
#: the CDNOW estimates in their fourth digit (``python_tests/test_btyd.py``).
LOG_PARAM_PENALTY: float = 1e-3


#: The purchase-model variants: BG/NBD (FHL 2005) and MBG/NBD (Batislam et al. 2007).
VARIANTS: tuple[str, ...] = ("bgnbd", "mbgnbd")


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD (or MBG/NBD, ``variant``) parameters and the maximised log-likelihood (sum over customers)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    converged: bool
    variant: str = "bgnbd"

    @property
    def shift(self) -> int:
        """1 for MBG/NBD (a dropout chance at the first purchase too), 0 for BG/NBD."""
        return _shift(self.variant)


def _shift(variant: str) -> int:
    if variant not in VARIANTS:
        raise ValueError(f"unknown purchase model {variant!r}; expected one of {', '.join(VARIANTS)}")
    return int(variant == "mbgnbd")


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and the maximised log-likelihood (customers with ``x > 0``)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int
    converged: bool

    @property
    def population_mean(self) -> float:
        """Mean spend per purchase of a new customer, ``p v / (q - 1)`` (NaN when ``q <= 1``)."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("nan")


#: The parameters a BTYD scoring used: ``(purchase model, spend model)``, each None when not fitted.
KeptParams = tuple[BgNbdParams | None, GammaGammaParams | None]


def _arr(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x, t_x, T, variant: str = "bgnbd"
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6; MBG/NBD with ``variant="mbgnbd"``), vectorised."""
    x, t_x, T = _arr(x), _arr(t_x), _arr(T)
    s = _shift(variant)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x + s) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        dead = np.log(a) - np.log(np.maximum(b + x - 1.0 + s, 1e-300)) - (r + x) * np.log(alpha + t_x)
        a4 = np.where((x > 0) | (s == 1), dead, -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _log_odds_dead(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``ln[a/(b+x-1+s) ((alpha+T)/(alpha+t_x))^(r+x)]``; ``-inf`` for ``x = 0`` under BG/NBD (``s = 0``)."""
    r, alpha, a, b, s = params.r, params.alpha, params.a, params.b, params.shift
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(a) - np.log(np.maximum(b + x - 1.0 + s, 1e-300)) + (r + x) * (
            np.log(alpha + T) - np.log(alpha + t_x)
        )
    return np.where((x > 0) | (s == 1), v, -np.inf)


def bgnbd_p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """Probability that each customer is still alive at ``T`` (FHL 2005 eq. 11; MBG/NBD by ``params.variant``)."""
    x, t_x, T = _arr(x), _arr(t_x), _arr(T)
    return np.exp(-np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T)))


def bgnbd_p_no_purchase(params: BgNbdParams, x, t_x, T, t: float) -> np.ndarray:
    """Probability of no purchase in ``(T, T + t]`` (see the module docstring)."""
    x, t_x, T = _arr(x), _arr(t_x), _arr(T)
    none_if_alive = np.exp((params.r + x) * (np.log(params.alpha + T) - np.log(params.alpha + T + t)))
    return 1.0 - bgnbd_p_alive(params, x, t_x, T) * (1.0 - none_if_alive)


#: Most terms the log-space series of :func:`_scaled_hyp2f1` sums before giving up on a row.
SERIES_MAX_TERMS: int = 20_000


def _scaled_hyp2f1(a, b, c, z) -> np.ndarray:
    """``(1 - z)^a 2F1(a, b; c; z)`` for ``0 <= z < 1`` (``b, c > 0``), elementwise.

    scipy's ``hyp2f1`` where finite; elsewhere the series ``sum_k (a)_k (b)_k / ((c)_k k!) z^k``, its
    terms accumulated in log space (all are positive), until a term after the largest one is below
    ``1e-17`` of the sum; NaN where :data:`SERIES_MAX_TERMS` terms do not get there.
    """
    a, b, c, z = np.broadcast_arrays(_arr(a), _arr(b), _arr(c), _arr(z))
    with np.errstate(all="ignore"):
        out = np.exp(a * np.log1p(-z)) * hyp2f1(a, b, c, z)
    bad = ~np.isfinite(out)
    if not bad.any():
        return out
    ab, bb, cb, zb = a[bad], b[bad], c[bad], z[bad]
    log_z = np.log(np.where(zb > 0, zb, 1.0))
    log_term = np.zeros(len(ab))
    log_sum = np.zeros(len(ab))
    done = zb == 0
    for k in range(SERIES_MAX_TERMS):
        if done.all():
            break
        step = np.log(ab + k) + np.log(bb + k) - np.log(cb + k) - np.log(k + 1.0) + log_z
        log_term = log_term + step
        log_sum = np.where(done, log_sum, np.logaddexp(log_sum, log_term))
        done |= (step < 0) & (log_term < log_sum - 39.0)
    series = np.where(done, np.exp(ab * np.log1p(-zb) + log_sum), np.nan)
    out = out.copy()
    out[bad] = series
    return out


def bgnbd_expected_purchases(params: BgNbdParams, x, t_x, T, t: float) -> tuple[np.ndarray, int]:
    """Expected purchases in ``(T, T + t]`` per customer (FHL 2005 eq. 10; MBG/NBD by ``params.variant``)
    and the fallback count."""
    x, t_x, T = _arr(x), _arr(t_x), _arr(T)
    r, alpha, a, b, s = params.r, params.alpha, params.a, params.b, params.shift
    p_alive = bgnbd_p_alive(params, x, t_x, T)
    with np.errstate(all="ignore"):
        scaled = _scaled_hyp2f1(r + x, b + x + s, a + b + x - 1.0 + s, t / (alpha + T + t))
        e = (a + b + x - 1.0 + s) / (a - 1.0) * (1.0 - scaled) * p_alive
    fallback = ~np.isfinite(e) | (e < 0)
    if fallback.any():
        e = np.where(fallback, p_alive * (r + x) / (alpha + T) * t, e)
    return e, int(fallback.sum())


def _minimise(neg_ll, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Minimise ``neg_ll(theta) + LOG_PARAM_PENALTY * |theta|^2`` over ``|theta_i| <= LOG_BOUND``; return the
    optimum, the *unpenalised* negative log-likelihood there, and whether the optimiser converged."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)

    def objective(theta: np.ndarray) -> float:
        return neg_ll(theta) + LOG_PARAM_PENALTY * float(np.dot(theta, theta))

    res = minimize(objective, start, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-12, "gtol": 1e-8})
    converged = bool(res.success)
    if not converged:
        # a Nelder-Mead polish where L-BFGS-B stopped early (its numerical gradient can be rough)
        res2 = minimize(objective, res.x, method="Nelder-Mead",
                        options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 2000})
        converged = bool(res2.success)
        if res2.fun <= res.fun and np.all(np.abs(res2.x) <= LOG_BOUND):
            res = res2
    return res.x, float(neg_ll(res.x)), converged


def _weighted(keys: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Identical rows collapsed with a count (the likelihood is a sum over customers)."""
    g = keys.groupby(list(keys.columns), sort=True).size()
    return g.index.to_frame(index=False), g.to_numpy(dtype=np.float64)


def fit_bgnbd(x, t_x, T, variant: str = "bgnbd") -> BgNbdParams:
    """Maximum-likelihood BG/NBD fit (``variant="mbgnbd"``: MBG/NBD; start ``r = alpha = a = b = 1``)."""
    _shift(variant)
    rows, w = _weighted(pd.DataFrame({"x": _arr(x), "t_x": _arr(t_x), "T": _arr(T)}))
    xv, tv, Tv = (rows[c].to_numpy(dtype=np.float64) for c in ("x", "t_x", "T"))
    scale = float(np.mean(Tv * w) / np.mean(w)) if len(w) else 1.0

    def neg_ll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):  # Nelder-Mead may step far out: an overflow is an infinite loss
            r, alpha, a, b = np.exp(theta)
            ll = bgnbd_log_likelihood(r, alpha * scale, a, b, xv, tv, Tv, variant)
            val = -float(np.dot(w, ll))
        return val if np.isfinite(val) else 1e300

    theta, nll, ok = _minimise(neg_ll, np.zeros(4))
    r, alpha, a, b = np.exp(theta)
    return BgNbdParams(float(r), float(alpha * scale), float(a), float(b), -nll, int(w.sum()), ok, variant)


def fit_mbgnbd(x, t_x, T) -> BgNbdParams:
    """Maximum-likelihood MBG/NBD fit (:func:`fit_bgnbd` with ``variant="mbgnbd"``)."""
    return fit_bgnbd(x, t_x, T, "mbgnbd")


def gamma_gamma_log_likelihood(p: float, q: float, v: float, x, zbar) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend ``zbar`` over ``x > 0`` purchases."""
    x, zbar = _arr(x), _arr(zbar)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(x * zbar + v)
    )


def fit_gamma_gamma(x, zbar) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma fit on customers with ``x > 0`` and ``zbar > 0``."""
    x, zbar = _arr(x), _arr(zbar)
    keep = (x > 0) & (zbar > 0) & np.isfinite(zbar)
    xv, zv = x[keep], zbar[keep]
    scale = float(np.mean(zv)) if len(zv) else 1.0

    def neg_ll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            p, q, v = np.exp(theta)
            val = -float(gamma_gamma_log_likelihood(p, q, v * scale, xv, zv).sum())
        return val if np.isfinite(val) else 1e300

    theta, nll, ok = _minimise(neg_ll, np.zeros(3))
    p, q, v = np.exp(theta)
    return GammaGammaParams(float(p), float(q), float(v * scale), -nll, int(keep.sum()), ok)


def gamma_gamma_expected_spend(params: GammaGammaParams, x, zbar) -> np.ndarray:
    """Expected spend per future purchase: ``p (v + x zbar) / (p x + q - 1)`` (the population mean at ``x = 0``)."""
    x, zbar = _arr(x), np.nan_to_num(_arr(zbar))
    p, q, v = params.p, params.q, params.v
    return p * (v + x * zbar) / (p * x + q - 1.0)


def rfm_summary(code: np.ndarray, day: np.ndarray, net: np.ndarray, cutoff_day: int, n_customers: int) -> pd.DataFrame:
    """BTYD summary in days per customer code from completed orders dated before ``cutoff_day``.

    Purchases on the same day are one purchase (their spend summed), as in the BG/NBD papers. Columns:
    ``code``, ``x`` (repeat purchase days), ``t_x`` and ``T`` (days), ``zbar`` (mean spend of the repeat
    purchase days; NaN when ``x = 0``), ``first_day``; one row per code with a purchase before the cutoff.
    """
    keep = day < cutoff_day
    frame = pd.DataFrame({"code": code[keep], "day": day[keep], "net": net[keep]})
    per_day = frame.groupby(["code", "day"], sort=True)["net"].sum().reset_index()
    g = per_day.groupby("code", sort=True)
    first = g["day"].min()
    last = g["day"].max()
    days = g.size()
    first_spend = g["net"].first()  # per_day is sorted by (code, day): the first row is the first day
    total = g["net"].sum()
    x = (days - 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        zbar = np.where(x > 0, (total - first_spend) / x.where(x > 0, 1.0), np.nan)
    return pd.DataFrame(
        {
            "code": first.index.to_numpy(dtype=np.int64),
            "x": x.to_numpy(),
            "t_x": (last - first).to_numpy(dtype=np.float64),
            "T": (cutoff_day - first).to_numpy(dtype=np.float64),
            "zbar": np.asarray(zbar, dtype=np.float64),
            "first_day": first.to_numpy(dtype=np.int64),
        }
    )


#: Customers a BG/NBD or Gamma-Gamma fit reads at most (a seeded sample; every customer is scored).
FIT_SAMPLE_SIZE: int = 100_000
#: Below this many customers a fit is not attempted (four parameters need a population to estimate).
MIN_FIT_CUSTOMERS: int = 50
#: Time unit of the fits: weeks (days / 7), the unit of the published CDNOW estimates.
DAYS_PER_UNIT: float = 7.0


def fit_at_cutoff(
    code: np.ndarray,
    day: np.ndarray,
    net: np.ndarray,
    cutoff_day: int,
    n_customers: int,
    variant: str = "bgnbd",
    sample_size: int = FIT_SAMPLE_SIZE,
    random_state: int = 42,
) -> tuple[pd.DataFrame, BgNbdParams | None, np.ndarray]:
    """``(summary, params, fit sample rows)``: the :func:`rfm_summary` at ``cutoff_day`` and a purchase-model
    fit (weeks) on a seeded sample of it; ``params`` is None with fewer than :data:`MIN_FIT_CUSTOMERS`
    customers or no repeat purchase (not identifiable)."""
    s = rfm_summary(code, day, net, cutoff_day, n_customers)
    x = s["x"].to_numpy()
    idx = sample_index(len(s), sample_size, random_state)
    if len(s) < MIN_FIT_CUSTOMERS or (x > 0).sum() == 0:
        return s, None, idx
    t_x, T = s["t_x"].to_numpy() / DAYS_PER_UNIT, s["T"].to_numpy() / DAYS_PER_UNIT
    return s, fit_bgnbd(x[idx], t_x[idx], T[idx], variant), idx


def btyd_scores(
    code: np.ndarray,
    day: np.ndarray,
    net: np.ndarray,
    cutoff_day: int,
    n_customers: int,
    horizons_days: dict[str, float],
    with_spend: bool = True,
    sample_size: int = FIT_SAMPLE_SIZE,
    random_state: int = 42,
    variant: str = "bgnbd",
    kept: KeptParams | None = None,
) -> tuple[pd.DataFrame, BgNbdParams | None, GammaGammaParams | None]:
    """Fit BG/NBD (MBG/NBD with ``variant="mbgnbd"``; and Gamma-Gamma when ``with_spend``) on orders
    before ``cutoff_day`` and score everyone.

    Returns one row per customer code with a purchase before the cutoff: the summary columns of
    :func:`rfm_summary`, ``p_alive``, and per named horizon ``expected_<name>`` (purchases) and
    ``p_none_<name>`` (no purchase); ``expected_spend`` (per purchase, NaN without spend). Time is
    in weeks inside the fits (:data:`DAYS_PER_UNIT`). With fewer than :data:`MIN_FIT_CUSTOMERS`
    customers, or no repeat purchase at all, the fit is not identifiable: the scores are NaN and the
    parameters None.

    With ``kept`` (the two parameter sets an earlier call returned) nothing is fitted: the customers'
    summaries at ``cutoff_day`` are scored with those parameters (``variant``, the sample and the seed are
    then not read).
    """
    if kept is None:
        s, params, idx = fit_at_cutoff(code, day, net, cutoff_day, n_customers, variant, sample_size, random_state)
    else:
        s, idx, (params, kept_gg) = rfm_summary(code, day, net, cutoff_day, n_customers), None, kept
    x, t_x, T = s["x"].to_numpy(), s["t_x"].to_numpy() / DAYS_PER_UNIT, s["T"].to_numpy() / DAYS_PER_UNIT
    out = s.copy()
    if params is None:
        out["p_alive"] = np.nan
        for name in horizons_days:
            out[f"expected_{name}"] = np.nan
            out[f"p_none_{name}"] = np.nan
        out["expected_spend"] = np.nan
        return out, None, None
    out["p_alive"] = bgnbd_p_alive(params, x, t_x, T)
    for name, days in horizons_days.items():
        out[f"expected_{name}"] = bgnbd_expected_purchases(params, x, t_x, T, days / DAYS_PER_UNIT)[0]
        out[f"p_none_{name}"] = bgnbd_p_no_purchase(params, x, t_x, T, days / DAYS_PER_UNIT)
    gg = None
    zbar = s["zbar"].to_numpy()
    if kept is not None:
        gg = kept_gg if with_spend else None
    elif with_spend and ((x > 0) & (zbar > 0)).sum() >= 2:
        gg = fit_gamma_gamma(x[idx], zbar[idx])
    if gg is not None:
        if gg.q > 1.0:
            out["expected_spend"] = gamma_gamma_expected_spend(gg, x, zbar)
        else:  # q <= 1: no finite population mean; the customer's own mean, else the overall mean
            overall = float(np.nanmean(zbar))
            out["expected_spend"] = np.where(np.isfinite(zbar), zbar, overall)
    else:
        out["expected_spend"] = np.nan
    return out, params, gg
