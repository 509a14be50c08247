"""The refit cadence and the model registry (issue 15.3): unit tests on small frames and a tmp DuckDB registry."""

from __future__ import annotations

import json
import logging

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml import model_runs, registry
from customer_intelligence.ml.features import SEGMENT_FEATURES

AS_OF = pd.Timestamp("2024-07-01")


def small_orders(customers: int = 120, seed: int = 3) -> pd.DataFrame:
    """Completed orders of ``customers`` customers: a seeded number of orders each, over the year before AS_OF."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        for _ in range(int(rng.integers(1, 6))):
            day = AS_OF - pd.Timedelta(days=int(rng.integers(1, 365)))
            gross = float(rng.choice([20.0, 60.0, 200.0]))
            rows.append((f"c{c:03d}", day, gross, gross * float(rng.choice([0.0, 0.3]))))
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "gross_revenue", "discount_amount"])
    return frame.assign(is_completed=True, net_revenue=frame["gross_revenue"] - frame["discount_amount"])


def entry(**changes) -> dict:
    """A registry row as :func:`registry.latest` returns it: fitted on 2024-07-01 with 100 customers, 50.0 AOV."""
    base = {
        "fit_as_of_date": pd.Timestamp("2024-07-01").date(),
        "customers": 100,
        "mean_order_value": 50.0,
        "feature_list": ["a", "b"],
        "library_versions": {"numpy": "1"},
        "options": {"k": 3},
    }
    return {**base, **changes}


def reason(fitted: dict | None, as_of: str = "2024-07-03", customers: int = 100, aov: float = 50.0, **kw):
    """refit_reason with the feature list, options and versions of :func:`entry` unless given."""
    return registry.refit_reason(
        fitted,
        pd.Timestamp(as_of),
        {"customers": customers, "mean_order_value": aov},
        kw.pop("features", ["a", "b"]),
        kw.pop("options", {"k": 3}),
        versions=kw.pop("versions", {"numpy": "1"}),
        **kw,
    )


def test_a_fresh_compatible_model_is_used():
    assert reason(entry()) is None
    assert reason(entry(), as_of="2024-07-07", customers=109, aov=54.0) is None  # 6 days, 9 % and 8 %


@pytest.mark.parametrize(
    ("fitted", "kwargs", "expected"),
    [
        (None, {}, "no fitted model"),
        (entry(), {"force": True}, "forced"),
        (entry(), {"as_of": "2024-07-08"}, "7 days old"),  # the cadence: 7 as-of days
        (entry(), {"as_of": "2024-07-20", "refit_days": 30}, None),
        (entry(), {"as_of": "2024-06-30"}, "1 days before the fit"),
        (entry(), {"features": ["a", "c"]}, "incompatible: the feature list"),
        (entry(), {"versions": {"numpy": "2"}}, "incompatible: the library versions"),
        (entry(), {"options": {"k": 4}}, "incompatible: the options"),
        (entry(), {"customers": 111}, "drifted by 11.0%"),  # 100 -> 111 customers
        (entry(), {"aov": 44.0}, "drifted by 12.0%"),  # 50 -> 44 per order
        (entry(), {"aov": 44.0, "drift_threshold": 0.15}, None),
    ],
)
def test_refit_reasons(fitted, kwargs, expected):
    got = reason(fitted, **kwargs)
    if expected is None:
        assert got is None
    else:
        assert expected in got


def test_drift_is_the_largest_relative_change_and_skips_missing_measures():
    then, now = {"customers": 200, "mean_order_value": 40.0}, {"customers": 210, "mean_order_value": 30.0}
    assert registry.drift(then, now) == 0.25  # customers +5 %, order value -25 %
    assert registry.drift({"customers": 200, "mean_order_value": float("nan")}, {"customers": 190}) == 0.05


def test_data_summary_reads_completed_orders_before_the_as_of_date():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d"],
            "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-07-01"]),
            "is_completed": [True, True, True, False, True],
            "net_revenue": [10.0, 20.0, 60.0, 999.0, 999.0],
        }
    )
    got = registry.data_summary(orders, AS_OF)
    assert got["customers"] == 2  # c's order is not completed, d's is on the as-of date
    assert got["mean_order_value"] == pytest.approx(30.0)  # (10 + 20 + 60) / 3
    assert str(got["training_start_date"]) == "2024-01-01" and str(got["training_end_date"]) == "2024-03-01"


def test_registry_rows_round_trip_and_number_versions(tmp_path):
    with duckdb.connect(str(tmp_path / "r.duckdb")) as con:
        assert registry.latest(con, "segments") is None
        row = {name: None for name in registry.REGISTRY_COLUMNS if name != "model_version"}
        row.update(analysis="segments", parameters={"centres": [[1.5, -2.0]]}, feature_list=["x"], options={},
                   library_versions={}, validation_metrics={"silhouette": 0.4})
        assert registry.save(con, row) == 1
        assert registry.save(con, {**row, "parameters": {"centres": [[0.0, 0.0]]}}) == 2
        assert registry.save(con, {**row, "analysis": "churn"}) == 1
        got = registry.latest(con, "segments")
    assert got["model_version"] == 2 and got["parameters"] == {"centres": [[0.0, 0.0]]}
    assert got["validation_metrics"] == {"silhouette": 0.4}


def run_segments(orders: pd.DataFrame, con, as_of=AS_OF, **cadence):
    """The segments of ``orders`` through model_runs with a registry (memo cleared: a new dbt process)."""
    model_runs._MEMO.clear()
    return model_runs.segments(orders, None, None, as_of, 3, 42, cadence=model_runs.Cadence(con, "reg", **cadence))


def versions(con) -> list[int]:
    return [r[0] for r in con.execute("select model_version from reg.ml_model_registry order by 1").fetchall()]


def test_segments_fit_once_then_score_with_the_registered_model(tmp_path, caplog):
    orders = small_orders()
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        fitted = run_segments(orders, con)
        assert versions(con) == [1]
        assert "segments: refit (no fitted model in the registry)" in caplog.text
        stored = registry.latest(con, "segments", "reg")
        assert stored["feature_list"] == list(SEGMENT_FEATURES) and stored["method"] == "kmeans"
        assert stored["validation_metrics"]["k"] == 3 and "scikit-learn" in stored["library_versions"]
        assert len(stored["parameters"]["centres"]) == 3

        scored = run_segments(orders, con)
        again = run_segments(orders, con)
        assert versions(con) == [1]  # fresh: no refit
        assert "scored with fitted model v1" in caplog.text
    # scoring the fitting data with the stored model gives the fit's assignments
    pd.testing.assert_frame_equal(scored[0].drop(columns="distance_to_centroid"),
                                  fitted[0].drop(columns="distance_to_centroid"))
    np.testing.assert_allclose(scored[0]["distance_to_centroid"], fitted[0]["distance_to_centroid"], rtol=1e-9)
    pd.testing.assert_frame_equal(scored[1], fitted[1], rtol=1e-9)
    # determinism: the same input scored twice is the same to the bit
    pd.testing.assert_frame_equal(again[0], scored[0], check_exact=True)
    pd.testing.assert_frame_equal(again[1], scored[1], check_exact=True)


def test_a_model_older_than_the_cadence_refits_and_a_new_day_within_it_does_not(tmp_path, caplog):
    orders = small_orders()
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        run_segments(orders, con)
        run_segments(orders, con, as_of=AS_OF + pd.Timedelta(days=6))
        assert versions(con) == [1]
        run_segments(orders, con, as_of=AS_OF + pd.Timedelta(days=7))
        assert versions(con) == [1, 2]
        assert "segments: refit (the model is 7 days old (ml_refit_days = 7))" in caplog.text
        assert str(registry.latest(con, "segments", "reg")["fit_as_of_date"]) == "2024-07-08"


def test_an_incompatible_or_drifted_model_refits(tmp_path, caplog):
    orders = small_orders()
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        run_segments(orders, con)
        con.execute("update reg.ml_model_registry set library_versions = '{\"scikit-learn\": \"0.1\"}'")
        run_segments(orders, con)
        assert versions(con) == [1, 2]
        assert "incompatible: the library versions differ" in caplog.text
        more = pd.concat([orders, small_orders(customers=40, seed=9).assign(
            customer_id=lambda f: "n" + f["customer_id"])], ignore_index=True)  # 120 -> 160 customers
        run_segments(more, con)
        assert versions(con) == [1, 2, 3]
        assert "the data drifted by 33.3%" in caplog.text
        run_segments(more, con, force=True)
        assert versions(con) == [1, 2, 3, 4]


def test_without_a_registry_every_run_fits_as_before():
    orders = small_orders()
    model_runs._MEMO.clear()
    plain = model_runs.segments(orders, None, None, AS_OF, 3, 42)
    from customer_intelligence.ml.features import customer_features, has_amounts
    from customer_intelligence.ml.segments import segments_from_features

    direct = segments_from_features(customer_features(orders, AS_OF), 3, 42, has_amounts(orders))
    pd.testing.assert_frame_equal(plain[0], direct[0], check_exact=True)
    pd.testing.assert_frame_equal(plain[1], direct[1], check_exact=True)


def test_cadence_options_are_validated_and_the_registry_sits_beside_the_marts():
    options = {"ml_refit_days": "3", "ml_drift_percent": "25", "ml_force_refit": "True"}
    cadence = model_runs.cadence_from_options(None, options, "analytics_ciq_marts")
    assert (cadence.registry, cadence.refit_days, cadence.drift_threshold, cadence.force) == (None, 3, 0.25, True)
    assert cadence.schema == "analytics_ciq_ml_registry"
    assert model_runs.cadence_from_options(None, {}).schema == "ml_registry"
    with pytest.raises(ValueError, match="var ml_force_refit must be true or false"):
        model_runs.cadence_from_options(None, {"ml_force_refit": "yes"})
    with pytest.raises(ValueError, match="var ml_refit_days must be a whole number"):
        model_runs.cadence_from_options(None, {"ml_refit_days": "0"})


def test_a_small_frame_round_trips_through_json_data_to_the_bit():
    import json

    from customer_intelligence.ml.fitted import frame_from_data, frame_to_data

    frame = pd.DataFrame(
        {
            "method": pd.array(["a", "b"], dtype="str"),
            "chosen": [True, False],
            "day": pd.to_datetime(["2024-01-01", None]).astype("datetime64[us]"),
            "rows": np.array([3, 4], dtype=np.int64),
            "mae": [0.1 + 0.2, float("nan")],
        }
    )
    back = frame_from_data(json.loads(json.dumps(frame_to_data(frame))))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def run_clv(orders: pd.DataFrame, con, as_of=AS_OF, **cadence):
    """CLV through model_runs with a registry (memo cleared: a new dbt process)."""
    model_runs._MEMO.clear()
    return model_runs.clv(orders, as_of, 90, 42, cadence=model_runs.Cadence(con, "reg", **cadence))


def test_clv_reuses_the_fitted_choice_and_metrics_while_fresh(tmp_path, caplog):
    # one order per customer: BG/NBD is not identifiable (no repeat purchase), so the test fits in a second, and
    # validation chooses a method other than the default (decayed_rate_x_aov), which the reuse must keep
    orders = small_orders(customers=60).drop_duplicates("customer_id")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        fitted = run_clv(orders, con)
        assert fitted[0]["clv_method"].iloc[0] != "bgnbd_gamma_gamma"
        assert "clv: refit (no fitted model in the registry)" in caplog.text
        scored = run_clv(orders, con)
        assert "clv: scored with fitted model v1" in caplog.text
        rows = con.execute("select model_version, method from reg.ml_model_registry where analysis = 'clv'").fetchall()
    assert rows == [(1, fitted[0]["clv_method"].iloc[0])]
    # the same data scored with the fit's method and metrics gives the fit's tables
    pd.testing.assert_frame_equal(scored[0], fitted[0], check_exact=True)
    pd.testing.assert_frame_equal(scored[1], fitted[1], check_exact=True)


def test_clv_scores_a_later_day_with_the_registered_purchase_and_spend_parameters(tmp_path, caplog):
    from customer_intelligence.ml.btyd import BgNbdParams
    from customer_intelligence.ml.clv import clv_fit
    from customer_intelligence.tools.ml_bench import synthetic_frames

    orders, _, _, as_of = synthetic_frames(2500, orders_per_customer=8, seed=5)
    later = as_of + pd.Timedelta(days=3)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        run_clv(orders, con, as_of)
        kept = json.loads(con.execute("select parameters from reg.ml_model_registry").fetchone()[0])["fitted"]
        assert BgNbdParams(**kept["bgnbd"]).r > 0 and kept["gamma_gamma"]["v"] > 0
        caplog.clear()
        day3 = run_clv(orders, con, later)
        assert "clv: scored with fitted model v1" in caplog.text and "refit" not in caplog.text
        # an older registry row without the kept parameters refits and says why
        con.execute("update reg.ml_model_registry set parameters = json_object('chosen_method', method, 'metrics', "
                    "json_extract(parameters, '$.metrics'))")
        caplog.clear()
        run_clv(orders, con, later)
        assert "clv: refit (the registered model v1 keeps no fitted parameters" in caplog.text
    # the fit made three days later, at that as-of date, differs: the kept one scored
    refitted = clv_fit(orders, later)[0]
    assert not np.array_equal(day3[0]["p_alive"].to_numpy(), refitted["p_alive"].to_numpy())
    assert (day3[0]["as_of_date"] == later).all()


def run_churn(orders: pd.DataFrame, customers: pd.DataFrame, con, as_of, **cadence):
    """Churn through model_runs with a registry (memo cleared: a new dbt process)."""
    model_runs._MEMO.clear()
    return model_runs.churn(orders, customers, as_of, 90, 42, cadence=model_runs.Cadence(con, "reg", **cadence))


def test_churn_fits_once_then_scores_with_the_registered_model_until_it_is_too_old(tmp_path, caplog):
    from customer_intelligence.tools.ml_bench import synthetic_frames

    orders, _, customers, as_of = synthetic_frames(2500, orders_per_customer=8, seed=5)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, caplog.at_level(logging.INFO):
        fitted = run_churn(orders, customers, con, as_of)
        assert "churn: refit (no fitted model in the registry)" in caplog.text
        stored = registry.latest(con, "churn", "reg")
        assert stored["method"] == fitted[0]["scoring_method"].iloc[0] == "hist_gradient_boosting"
        assert len(stored["parameters"]["fitted"]["model"]["trees"]) == 60  # the scoring model, as data
        scored = run_churn(orders, customers, con, as_of)
        assert "churn: scored with fitted model v1 (hist_gradient_boosting" in caplog.text
        run_churn(orders, customers, con, as_of + pd.Timedelta(days=6))
        assert versions(con) == [1]
        run_churn(orders, customers, con, as_of + pd.Timedelta(days=7))
        assert versions(con) == [1, 2]
        assert "churn: refit (the model is 7 days old (ml_refit_days = 7))" in caplog.text
    # the same data scored with the registered model and metrics gives the fit's tables, to the bit
    pd.testing.assert_frame_equal(scored[0], fitted[0], check_exact=True)
    pd.testing.assert_frame_equal(scored[1], fitted[1], check_exact=True)


@pytest.mark.parametrize("method", ["hist_gradient_boosting", "logistic_regression"])
def test_a_churn_classifier_kept_as_data_predicts_what_the_fitted_one_does(method):
    import json

    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from customer_intelligence.ml.fitted import classifier_from_data, classifier_to_data

    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=len(X)) > 0).astype(int)
    if method == "hist_gradient_boosting":
        X[rng.random(X.shape) < 0.1] = np.nan  # missing values take the side the fit learnt
        model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(X, y)
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    new = rng.normal(size=(500, 5))
    if method == "hist_gradient_boosting":
        new[rng.random(new.shape) < 0.1] = np.nan
    predict = classifier_from_data(json.loads(json.dumps(classifier_to_data(model, method))))
    expected = model.predict_proba(new)[:, 1]
    if method == "hist_gradient_boosting":
        np.testing.assert_array_equal(predict(new), expected)  # the same trees, summed in the same order
    else:
        np.testing.assert_allclose(predict(new), expected, rtol=1e-12)
    # an independent walk of the kept trees (numpy, no scikit-learn) gives the same probabilities
    if method == "hist_gradient_boosting":
        data = classifier_to_data(model, method)
        raw = np.full(len(new), data["baseline"])
        for tree in data["trees"]:
            node = np.zeros(len(new), dtype=np.int64)
            for _ in range(len(tree["value"])):
                leaf = np.asarray(tree["is_leaf"], dtype=bool)[node]
                x = new[np.arange(len(new)), np.asarray(tree["feature_idx"])[node]]
                left = np.where(np.isnan(x), np.asarray(tree["missing_go_to_left"], dtype=bool)[node],
                                x <= np.asarray(tree["num_threshold"])[node])
                child = np.where(left, np.asarray(tree["left"])[node], np.asarray(tree["right"])[node])
                node = np.where(leaf, node, child)
            raw += np.asarray(tree["value"])[node]
        np.testing.assert_allclose(predict(new), 1.0 / (1.0 + np.exp(-raw)), rtol=1e-12)
