"""The dbt edge of the ML models: option validation, the memo, and the small-data rule fallback."""

from __future__ import annotations

import pandas as pd
import pytest

from customer_intelligence.ml import model_runs, segments


def orders_frame(rows: list[tuple]) -> pd.DataFrame:
    """Orders from (customer_id, date, gross, discount) tuples, all completed."""
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "gross_revenue", "discount_amount"])
    return frame.assign(
        order_id=[str(i) for i in range(len(frame))],
        order_date=pd.to_datetime(frame["order_date"]),
        is_completed=True,
        net_revenue=frame["gross_revenue"] - frame["discount_amount"],
        item_count=1,
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("5", 5), (5, 5), (" 12 ", 12), ("", None), (None, None), ("none", None)]
)
def test_parse_int_option_accepts_whole_numbers_and_empty(value, expected):
    assert model_runs.parse_int_option(value, "segment_k", 2, 12, allow_empty=True) == expected


@pytest.mark.parametrize("value", ["1", "13", "five", "3.5", "-4", "5; drop table x"])
def test_parse_int_option_rejects_malformed_values_with_the_var_name(value):
    with pytest.raises(ValueError, match="var segment_k must be a whole number from 2 to 12"):
        model_runs.parse_int_option(value, "segment_k", 2, 12)


def test_rule_segments_follow_the_documented_order():
    as_of = "2024-07-01"
    orders = orders_frame(
        [
            ("new", "2024-06-01", 50.0, 0.0),  # tenure 30 days -> New
            ("gone", "2023-01-01", 500.0, 0.0),  # silent 547 days -> At-Risk / Dormant (despite high value)
            ("deal", "2023-06-01", 100.0, 40.0),  # 40 % discount, active -> Discount-Driven
            ("deal", "2024-06-15", 100.0, 40.0),
            ("big", "2023-06-01", 900.0, 0.0),  # top-quarter revenue, active -> High-Value Active
            ("big", "2024-06-20", 900.0, 0.0),
            ("reg", "2023-06-01", 100.0, 0.0),  # none of the above -> Loyal Regulars
            ("reg", "2024-06-20", 100.0, 0.0),
        ]
    )
    features = model_runs.customer_features(orders, as_of)
    assignments, profiles = segments.rule_segment_tables(features)
    got = dict(zip(assignments["customer_id"], assignments["segment"], strict=True))
    assert got == {
        "big": "High-Value Active",
        "deal": "Discount-Driven",
        "gone": "At-Risk / Dormant",
        "new": "New",
        "reg": "Loyal Regulars",
    }
    assert profiles["customers"].sum() == 5
    assert profiles["revenue_share"].sum() == pytest.approx(1.0)


def test_segments_fall_back_to_rules_below_the_k_means_minimum(caplog):
    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0), ("b", "2024-02-01", 20.0, 0.0)])
    assignments, profiles = model_runs.segments(orders, None, None, "2024-03-01", None, 42)
    assert len(assignments) == 2 and profiles["silhouette"].isna().all()
    assert "k-means skipped" in caplog.text


def test_memo_reuses_a_run_for_the_same_input_and_recomputes_for_another():
    calls = []
    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0)])
    first = model_runs.memoised("t", (1,), orders, lambda: calls.append(1) or "x")
    second = model_runs.memoised("t", (1,), orders.copy(), lambda: calls.append(2) or "y")
    other = model_runs.memoised("t", (1,), orders_frame([("a", "2024-01-02", 10.0, 0.0)]), lambda: "z")
    assert (first, second, other, calls) == ("x", "x", "z", [1])


def test_memo_forgets_an_analysis_once_each_of_its_tables_was_served():
    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0)])
    calls = []

    def compute():
        calls.append(1)
        return ("scores", "metrics")

    tables = model_runs.memoised("served", (1,), orders, compute)
    model_runs.served(tables, 0)
    assert model_runs.memoised("served", (1,), orders, compute) is tables  # one table still to serve
    model_runs.served(tables, 0)  # the same table again does not complete it
    assert model_runs.memoised("served", (1,), orders, compute) is tables and len(calls) == 1
    model_runs.served(tables, 1)
    assert not any(value is tables for value in model_runs._MEMO.values())
    model_runs.memoised("served", (1,), orders, compute)  # asked again: computed again
    assert len(calls) == 2
    model_runs.release_memory()  # gc, Arrow pool, malloc_trim: runs without error


def test_memo_recomputes_when_the_customers_or_categories_frame_changes():
    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0)])
    customers = pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2023-01-01"])})
    later = customers.assign(signup_date=pd.to_datetime(["2023-06-01"]))
    first = model_runs.memoised("c", (1,), orders, lambda: "first", customers, None)
    same = model_runs.memoised("c", (1,), orders, lambda: "again", customers.copy(), None)
    changed = model_runs.memoised("c", (1,), orders, lambda: "changed", later, None)
    with_categories = model_runs.memoised(
        "c", (1,), orders, lambda: "categories", customers, pd.DataFrame({"customer_id": ["a"], "category": ["x"]})
    )
    assert (first, same, changed, with_categories) == ("first", "first", "changed", "categories")


def test_two_threads_asking_for_one_analysis_compute_it_once_and_never_overlap():
    import threading
    import time

    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0)])
    running, overlaps, calls = [0], [], []
    guard = threading.Lock()

    def compute(label):
        def run():
            with guard:
                running[0] += 1
                overlaps.append(running[0])
            time.sleep(0.2)  # long enough for the other thread to arrive while this one computes
            calls.append(label)
            with guard:
                running[0] -= 1
            return label

        return run

    results = {}
    model_runs._MEMO.clear()  # earlier tests' entries must not evict this test's shared analysis

    def ask(label, params):
        results[label] = model_runs.memoised(label[0], params, orders, compute(label))

    asks = ((("same", 1), (7,)), (("same", 2), (7,)), (("other", 3), (8,)))
    threads = [threading.Thread(target=ask, args=a) for a in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(overlaps) == 1  # never two analyses computing at once
    assert sorted(label[0] for label in calls) == ["other", "same"]  # the shared analysis ran once
    assert results[("same", 1)] == results[("same", 2)]


def test_exclusive_holds_the_analysis_lock_and_is_reentrant():
    import threading

    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0)])
    with model_runs.exclusive():
        # re-entrant: memoised takes the same lock inside a model's exclusive block
        assert model_runs.memoised("x", (1,), orders, lambda: "ok") == "ok"
        seen = []
        other = threading.Thread(target=lambda: seen.append(model_runs._COMPUTE_LOCK.acquire(timeout=0.1)))
        other.start()
        other.join()
        assert seen == [False]  # another thread cannot start a model meanwhile


def test_run_loads_the_inputs_and_returns_the_analysis_tables():
    from customer_intelligence.ml.frames import to_pandas

    orders = orders_frame([("a", "2024-01-01", 10.0, 0.0), ("b", "2024-02-01", 20.0, 5.0)])
    customers = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": [None, None], "country": ["DE", "FR"]})
    as_of = pd.DataFrame({"as_of_date": [pd.Timestamp("2024-03-01")]})
    options = {"segment_k": None, "churn_horizon_days": 90, "ml_random_state": 42}
    tables = model_runs.run("clv", to_pandas, orders=orders, customers=customers, as_of=as_of, **options)
    expected = model_runs.clv(orders, pd.Timestamp("2024-03-01"))
    pd.testing.assert_frame_equal(tables[0], expected[0])
    with pytest.raises(ValueError, match="unknown analysis 'kmeans'"):
        model_runs.run("kmeans", to_pandas, orders=orders, customers=customers, as_of=as_of, **options)
