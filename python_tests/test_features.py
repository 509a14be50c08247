"""Tests of customer_intelligence.ml.features on hand-worked frames."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from customer_intelligence.ml.features import (
    FEATURE_COLUMNS,
    customer_features,
    model_matrix,
    to_day_number,
)

AS_OF = "2024-03-01"


def hand_orders() -> pd.DataFrame:
    """Nine orders; expected features are worked out by hand in the tests below."""
    rows = [
        # order_id, customer, date, completed, gross, discount
        ("O1", "C1", "2024-01-01", True, 100.0, 10.0),
        ("O2", "C1", "2024-02-01", True, 50.0, 0.0),
        ("O3", "C1", "2024-02-15", False, 999.0, 0.0),  # cancelled: ignored
        ("O4", "C1", "2024-03-05", True, 500.0, 0.0),  # after as_of: ignored
        ("O5", "C2", "2024-02-29", True, 20.0, 5.0),  # single order, the day before as_of
        ("O6", "C3", "2024-02-10", False, 30.0, 0.0),  # C3's only order was cancelled
        ("O7", "C4", "2024-03-01", True, 40.0, 0.0),  # on as_of: ignored
        ("O8", "C5", "2024-01-10", True, 60.0, 30.0),
        ("O9", "C5", "2024-01-20", True, 40.0, 0.0),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "is_completed", "gross", "disc"])
    return pd.DataFrame(
        {
            "order_id": df["order_id"],
            "customer_id": df["customer_id"],
            "order_date": pd.to_datetime(df["order_date"]),
            "is_completed": df["is_completed"],
            "gross_revenue": df["gross"],
            "discount_amount": df["disc"],
            "net_revenue": df["gross"] - df["disc"],
            "item_count": 1,
        }
    )


def hand_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C5"],
            "signup_date": pd.to_datetime(["2023-12-01", None, "2024-01-01", "2024-02-10"]),
        }
    )


def hand_categories() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C5", "C9"],
            "category": ["Books", "Toys", "Garden", "Books", "Books"],
            "net_revenue": [90.0, 50.0, 0.0, 70.0, 5.0],  # Garden has no spend: not counted
        }
    )


def test_hand_worked_features():
    f = customer_features(hand_orders(), AS_OF, hand_categories(), hand_customers())
    assert list(f.columns) == FEATURE_COLUMNS
    # C3 (only cancelled) and C4 (only an order on as_of) have no row
    assert f["customer_id"].tolist() == ["C1", "C2", "C5"]
    c1, c2, c5 = (f.iloc[i] for i in range(3))

    # C1: O1 + O2 only. 2024 is a leap year: Feb 1 -> Mar 1 is 29 days; Dec 1 -> Mar 1 is 31+31+29 = 91.
    assert c1["orders_count"] == 2
    assert c1["net_revenue"] == 140.0
    assert c1["gross_revenue"] == 150.0
    assert c1["discount_amount"] == 10.0
    assert c1["aov"] == 70.0
    assert c1["discount_share"] == pytest.approx(10 / 150)
    assert c1["recency_days"] == 29
    assert c1["tenure_days"] == 91  # from the signup date, earlier than the first order
    assert c1["category_breadth"] == 2
    assert c1["first_order_date"] == pd.Timestamp("2024-01-01")
    assert c1["last_order_date"] == pd.Timestamp("2024-02-01")

    # C2: one order the day before as_of, no signup date
    assert (c2["orders_count"], c2["net_revenue"], c2["aov"]) == (1, 15.0, 15.0)
    assert c2["discount_share"] == 0.25
    assert (c2["recency_days"], c2["tenure_days"], c2["category_breadth"]) == (1, 1, 0)
    assert c2["first_order_date"] == c2["last_order_date"] == pd.Timestamp("2024-02-29")

    # C5: signup after the first order -> tenure from the first order (Jan 10 -> Mar 1 = 21+29+1 = 51);
    # recency Jan 20 -> Mar 1 = 11+29+1 = 41
    assert (c5["orders_count"], c5["net_revenue"], c5["aov"]) == (2, 70.0, 35.0)
    assert c5["discount_share"] == pytest.approx(0.3)
    assert (c5["recency_days"], c5["tenure_days"], c5["category_breadth"]) == (41, 51, 1)


def test_dtypes():
    f = customer_features(hand_orders(), AS_OF, hand_categories(), hand_customers())
    assert f["customer_id"].dtype == "str"
    for col in ("orders_count", "recency_days", "tenure_days", "category_breadth"):
        assert f[col].dtype == np.int64, col
    for col in ("net_revenue", "gross_revenue", "discount_amount", "aov", "discount_share"):
        assert f[col].dtype == np.float64, col
    for col in ("first_order_date", "last_order_date"):
        assert f[col].dtype == "datetime64[us]", col


def test_optional_inputs_absent():
    f = customer_features(hand_orders(), AS_OF)
    assert f["category_breadth"].tolist() == [0, 0, 0]
    # without signup dates tenure starts at the first completed order: Jan 1 -> Mar 1 = 60
    assert f["tenure_days"].tolist() == [60, 1, 51]


def test_default_as_of_is_day_after_last_order():
    f = customer_features(hand_orders())
    # last order (any status) is 2024-03-05 -> as_of 2024-03-06; O4 and O7 now count
    assert f["customer_id"].tolist() == ["C1", "C2", "C4", "C5"]
    c1 = f.iloc[0]
    assert (c1["orders_count"], c1["net_revenue"], c1["recency_days"]) == (3, 640.0, 1)
    # an empty dbt var means "default" too
    pd.testing.assert_frame_equal(customer_features(hand_orders(), ""), f)


def test_row_order_does_not_matter():
    orders = hand_orders()
    a = customer_features(orders, AS_OF, hand_categories(), hand_customers())
    shuffled = orders.sample(frac=1.0, random_state=3).reset_index(drop=True)
    b = customer_features(shuffled, AS_OF, hand_categories().iloc[::-1], hand_customers().iloc[::-1])
    pd.testing.assert_frame_equal(a, b)


def test_status_column_and_derived_net_revenue():
    orders = hand_orders()
    alt = orders.drop(columns=["is_completed", "net_revenue"])
    alt["status"] = np.where(orders["is_completed"], "completed", "cancelled")
    pd.testing.assert_frame_equal(customer_features(alt, AS_OF), customer_features(orders, AS_OF))


def test_date_objects_and_times_of_day():
    orders = hand_orders()
    as_dates = orders.assign(order_date=[d.date() for d in orders["order_date"]])
    late = orders.assign(order_date=orders["order_date"] + pd.Timedelta(hours=23, minutes=59))
    base = customer_features(orders, dt.date(2024, 3, 1))
    pd.testing.assert_frame_equal(customer_features(as_dates, pd.Timestamp(AS_OF)), base)
    pd.testing.assert_frame_equal(customer_features(late, AS_OF), base)


def test_no_completed_orders_gives_empty_frame():
    orders = hand_orders().assign(is_completed=False)
    f = customer_features(orders, AS_OF)
    assert len(f) == 0
    assert list(f.columns) == FEATURE_COLUMNS


def test_to_day_number():
    days = to_day_number(pd.Series(pd.to_datetime(["1970-01-02", "2024-03-01 13:00", None], format="ISO8601")))
    assert days[0] == 1
    assert days[1] == 19783  # 2024-03-01 is day 19783 since 1970-01-01
    assert days[2] < -(10**15)  # NaT marker


def test_model_matrix_hand():
    feats = pd.DataFrame(
        {
            "net_revenue": [math.e - 1, math.e**3 - 1],  # log1p -> 1, 3 -> standardised -1, +1
            "discount_share": [0.1, 0.3],  # not logged -> -1, +1
            "orders_count": [2, 2],  # constant -> 0
        }
    )
    X, scaler = model_matrix(feats, ["net_revenue", "discount_share", "orders_count"])
    np.testing.assert_allclose(X, [[-1.0, -1.0, 0.0], [1.0, 1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(scaler.mean_, [2.0, 0.2, math.log(3)])
    # reuse the fitted scaling on new rows
    X2, _ = model_matrix(feats.iloc[[0]], ["net_revenue", "discount_share", "orders_count"], scaler)
    np.testing.assert_allclose(X2, [[-1.0, -1.0, 0.0]], atol=1e-12)
