"""The models on every generator scenario (issue 14.5): the figures, per scenario.

Scenarios come from ``customer_intelligence.tools.scenarios`` (cohort, gift_shop, grocery, event_log) plus the
project's generator (``default``, 10,000 orders, planted personas). Each raw export is mapped to the models' input
frame in pandas (:func:`customer_intelligence.ml_bench.scenario_inputs`), not through a dbt build (five builds
would cost minutes of CI); the warehouse path of the same models is covered by the end-to-end tests.
"""

from __future__ import annotations

import math

import pytest

scenarios_module = pytest.importorskip("customer_intelligence.tools.scenarios")

from customer_intelligence.ml_bench import scenario_report  # noqa: E402

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


@pytest.mark.parametrize("name", SCENARIOS)
def test_clv_chosen_method_on_the_held_back_period(reports, name):
    clv = held_back(reports[name], "clv")
    chosen = clv[clv["chosen"]].iloc[0]
    others = clv[~clv["chosen"]]
    print(f"\n{name} CLV: chosen {chosen.name}; {clv[['total_ratio', 'mae', 'spearman_r']].round(3).to_dict('index')}")
    assert 0.8 <= chosen["total_ratio"] <= 1.25
    assert chosen["mae"] <= others["mae"].min() + 1e-9
    assert chosen["spearman_r"] >= clv.loc["decayed_rate_x_aov", "spearman_r"] - 1e-9


@pytest.mark.parametrize("name", SCENARIOS)
def test_churn_chosen_method_is_at_least_the_best_baseline(reports, name):
    churn = held_back(reports[name], "churn")
    chosen = churn[churn["used_for_scoring"]].index[0]
    baselines = churn.drop(index="hist_gradient_boosting")
    best = baselines["roc_auc"].idxmax()
    print(f"\n{name} churn: chosen {chosen}; held-back ROC AUC {churn['roc_auc'].round(3).to_dict()}")
    if churn.loc["hist_gradient_boosting", "roc_auc"] < baselines["roc_auc"].max():
        assert chosen == best
    else:
        assert churn.loc[chosen, "roc_auc"] >= baselines["roc_auc"].max() - 1e-9


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_nan_metric_without_a_note(reports, name):
    for model, columns in METRICS.items():
        for method, row in held_back(reports[name], model).iterrows():
            if any(math.isnan(row[c]) for c in columns):
                assert row["note"], (model, method)
