"""The models on every generator scenario (issue 14.5): the figures, per scenario.

Scenarios come from ``customer_intelligence.tools.scenarios`` (cohort, gift_shop, grocery, event_log) plus the
project's generator (``default``, 10,000 orders, planted personas). Each raw export is mapped to the models' input
frame in pandas (:func:`customer_intelligence.tools.ml_bench.scenario_inputs`), not through a dbt build (five builds
would cost minutes of CI); the warehouse path of the same models is covered by the end-to-end tests.
"""

from __future__ import annotations

import math

import pytest

scenarios_module = pytest.importorskip("customer_intelligence.tools.scenarios")

from customer_intelligence.tools.ml_bench import scenario_report  # noqa: E402

SCENARIOS = list(scenarios_module.SCENARIOS)
MONEY_NAMES = {"High-Value Active", "Discount-Driven"}
METRICS = {"churn": ["roc_auc", "pr_auc", "precision_top_decile"], "clv": ["total_ratio", "mae", "spearman_r"]}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("ml_scenarios")
    return {name: scenario_report(name, root / name, seed=1) for name in SCENARIOS}


def held_back(report: dict, model: str):
    frame = report["churn_metrics"] if model == "churn" else report["clv_metrics"]
    return frame[frame["period"] == "held_back"].set_index("method")


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_named_segment_meets_its_definition(reports, name):
    assert reports[name]["segments_failing_definition"] == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_money_based_segment_or_value_without_amounts(reports, name):
    r = reports[name]
    if r["has_amounts"]:
        assert r["clv"]["predicted_clv_12m"].notna().all()
    else:
        assert not MONEY_NAMES & set(r["segments"])
        assert not any("value" in s for s in r["segments"])
        assert r["clv"]["predicted_clv_12m"].isna().all()


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n == "default"])
def test_planted_personas_recovered(reports, name):
    assert reports[name]["ari"] >= 0.8


def known_misses(misses: dict[str, str]) -> list:
    """The scenarios, those missing the target marked xfail(strict): a miss that starts passing fails the
    test run, so this list cannot go stale. Figures measured with seed 1 (README "Segments, churn risk and
    customer value"); the same on numpy's AVX-512 and AVX2 paths (checked with NPY_DISABLE_CPU_FEATURES)."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=misses[n])) if n in misses else n
        for n in SCENARIOS
    ]


def chosen_clv(report: dict):
    clv = held_back(report, "clv")
    return clv, clv[clv["chosen"]].iloc[0]


@pytest.mark.parametrize(
    "name",
    known_misses(
        {
            "cohort": "every candidate overpredicts a cohort whose dropout rises with each purchase: MBG/NBD "
            "(chosen on validation) 6.45x, BG/NBD 9.1x, the heuristic 26.3x, naive 45x",
            "gift_shop": "BG/NBD (chosen) predicts 1.53x the held-back spend, MBG/NBD 1.48x, heuristic 1.99x",
        }
    ),
)
def test_clv_held_back_total_ratio_within_0_8_and_1_25(reports, name):
    _, chosen = chosen_clv(reports[name])
    assert 0.8 <= chosen["total_ratio"] <= 1.25


@pytest.mark.parametrize(
    "name",
    known_misses(
        {
            "gift_shop": "BG/NBD chosen (MAE 130.6); MBG/NBD has 128.4 held back",
            "grocery": "BG/NBD chosen on validation (MAE 70.72, MBG/NBD 70.82); held back MBG/NBD 71.66, BG/NBD 72.13",
            "default": "naive chosen on validation (MAE 1520); MBG/NBD has 1383 held back, BG/NBD 1440",
        }
    ),
)
def test_clv_chosen_method_has_the_lowest_held_back_mae(reports, name):
    clv, chosen = chosen_clv(reports[name])
    assert chosen["mae"] <= clv[~clv["chosen"]]["mae"].min() + 1e-9


@pytest.mark.parametrize(
    "name",
    known_misses(
        {
            "event_log": "Spearman 0.540 (MBG/NBD, chosen) vs heuristic 0.577",
            "default": "Spearman 0.617 (naive, chosen) vs heuristic 0.699",
        }
    ),
)
def test_clv_chosen_method_ranks_at_least_as_well_as_the_heuristic(reports, name):
    clv, chosen = chosen_clv(reports[name])
    assert chosen["spearman_r"] >= clv.loc["decayed_rate_x_aov", "spearman_r"] - 1e-9


@pytest.mark.parametrize("name", SCENARIOS)
def test_churn_chosen_method_is_at_least_the_best_baseline(reports, name):
    churn = held_back(reports[name], "churn")
    chosen = churn[churn["used_for_scoring"]].index[0]
    baselines = churn.drop(index="hist_gradient_boosting")
    if churn.loc["hist_gradient_boosting", "roc_auc"] < baselines["roc_auc"].max():
        assert chosen == baselines["roc_auc"].idxmax()
    else:
        assert churn.loc[chosen, "roc_auc"] >= baselines["roc_auc"].max() - 1e-9


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_nan_metric_without_a_note(reports, name):
    for model, columns in METRICS.items():
        for method, row in held_back(reports[name], model).iterrows():
            if any(math.isnan(row[c]) for c in columns):
                assert row["note"], (model, method)
