"""Customer-level behavioural features computed from the order mart.

Everything here is a pure function of its inputs: no I/O, no global state, no randomness.

Input frames
------------
``orders`` (one row per order; the dbt models pass ``int_ml_orders`` with the columns of
:data:`customer_intelligence.ml.model_runs.ML_ORDER_COLUMNS`):
    ``customer_id`` (str), ``order_date`` (date / datetime64; a time part is ignored),
    ``is_completed`` (bool; if absent, ``status == "completed"`` is used), ``gross_revenue``,
    ``discount_amount``, ``net_revenue`` (floats, may be null when the data has no amounts;
    ``net_revenue`` defaults to gross - discount). Other columns (e.g. ``order_id``) are ignored.
``customer_categories`` (optional, one row per customer x category with completed spend):
    ``customer_id``, ``category``, ``net_revenue``.
``customers`` (optional, one row per customer, ``dim_customers``): ``customer_id``, ``signup_date``
    (may be null).

Dates may be datetime64 (fastest), ``datetime.date`` objects (what ``DuckDB DATE -> arrow -> pandas``
gives by default) or ISO strings; ids are compared as strings.

Rules
-----
* Only **completed** orders dated strictly **before** ``as_of`` count. Cancelled / returned / pending
  orders and anything on or after ``as_of`` are ignored.
* The population is every customer with at least one completed order before ``as_of``. A customer whose
  only orders were cancelled has no row (they are not a customer yet, in revenue terms).
* ``as_of`` defaults to the day after the last order of any status (see :func:`resolve_as_of`).
* Days are whole calendar days: ``recency_days = as_of - last_order_date`` (so an order the day before
  ``as_of`` gives 1) and ``tenure_days = as_of - customer_since`` where ``customer_since`` is the earlier
  of the first completed order and the signup date (a signup date on/after ``as_of`` is ignored).
* ``category_breadth`` counts distinct categories with positive completed spend in
  ``customer_categories``; it is 0 when that frame is not given. That frame has no dates, so it is
  **not** time-filtered: the churn and CLV models never use it.

Output of :func:`customer_features` (one row per customer, sorted by ``customer_id``, RangeIndex)
-------------------------------------------------------------------------------------------------
=====================  ==================  ==================================================
column                 dtype               meaning
=====================  ==================  ==================================================
customer_id            str                 customer key
orders_count           int64               completed orders before ``as_of``
net_revenue            float64             sum of completed net revenue (rounded to cents)
gross_revenue          float64             sum of completed gross revenue (rounded to cents)
discount_amount        float64             sum of completed discounts (rounded to cents)
aov                    float64             ``net_revenue / orders_count``
discount_share         float64             ``discount_amount / gross_revenue`` (0 if gross is 0)
recency_days           int64               days from the last completed order to ``as_of``
tenure_days            int64               days from ``customer_since`` to ``as_of``
category_breadth       int64               distinct categories bought (0 if unknown)
first_order_date       datetime64[us]      first completed order date
last_order_date        datetime64[us]      last completed order date
=====================  ==================  ==================================================

The standardised model matrix (:func:`model_matrix`) uses :data:`SEGMENT_FEATURES` with
``log1p`` applied to the skewed, non-negative columns listed in :data:`LOG_FEATURES` and then a
``StandardScaler`` (zero mean, unit variance; a constant column becomes all zeros).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.preprocessing import StandardScaler

__all__ = [
    "FEATURE_COLUMNS",
    "LOG_FEATURES",
    "SEGMENT_FEATURES",
    "OrderArrays",
    "PeriodAggregates",
    "aggregate_period",
    "customer_features",
    "features_from_arrays",
    "model_matrix",
    "has_amounts",
    "sample_index",
    "prepare_orders",
    "resolve_as_of",
    "signup_days_for",
    "category_breadth_for",
    "to_day_number",
    "day_to_timestamp",
    "transformed_features",
    "window_counts",
    "NAT_DAY",
    "DATE_DTYPE",
]

#: Columns of the feature frame, in order.
FEATURE_COLUMNS: list[str] = [
    "customer_id",
    "orders_count",
    "net_revenue",
    "gross_revenue",
    "discount_amount",
    "aov",
    "discount_share",
    "recency_days",
    "tenure_days",
    "category_breadth",
    "first_order_date",
    "last_order_date",
]

#: Features used for segmentation (k-means), in matrix column order.
SEGMENT_FEATURES: list[str] = [
    "net_revenue",
    "orders_count",
    "recency_days",
    "tenure_days",
    "aov",
    "discount_share",
    "category_breadth",
]

#: Features that are log1p-transformed before standardising (skewed, non-negative counts and money).
LOG_FEATURES: frozenset[str] = frozenset(
    {"net_revenue", "orders_count", "recency_days", "tenure_days", "aov", "category_breadth"}
)

DATE_DTYPE = "datetime64[us]"
_EPOCH = np.datetime64("1970-01-01", "D")


def has_amounts(orders: pd.DataFrame) -> bool:
    """Whether the orders carry money: a ``net_revenue`` (or ``gross_revenue``) column with a non-zero value.

    Data without amounts (an event log) has these columns null, or zero where a warehouse filled them;
    the models then give no money-based value or segment name.
    """
    for col in ("net_revenue", "gross_revenue"):
        if col in orders.columns:
            values = pd.to_numeric(orders[col], errors="coerce").to_numpy(dtype=np.float64)
            return bool(np.nan_to_num(values).any())
    return False


def sample_index(n: int, size: int, random_state: int) -> np.ndarray:
    """Sorted seeded sample of ``size`` row positions out of ``n`` (all rows when ``n <= size``).

    The one sampling rule of the ML models (k-means fit and silhouette, churn training and
    validation caps, BG/NBD fits): same ``(n, size, random_state)``, same rows.
    """
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=size, replace=False))


# --------------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------------
def to_day_number(values: pd.Series | np.ndarray | list) -> np.ndarray:
    """Convert dates / timestamps to whole days since 1970-01-01 (int64; NaT becomes ``INT64_MIN``).

    Accepts datetime64 of any unit, timezone-aware timestamps (the local calendar day is kept),
    ``datetime.date`` objects and ISO strings. Use :data:`NAT_DAY` to test for missing values.
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s, errors="coerce", format="ISO8601")
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    days = np.asarray(s.to_numpy()).astype("datetime64[D]")
    return days.astype(np.int64)


#: Marker used by :func:`to_day_number` for missing dates (the integer value of NaT).
NAT_DAY: int = int(np.datetime64("NaT", "D").astype(np.int64))


def day_to_timestamp(days: np.ndarray | int) -> np.ndarray | pd.Timestamp:
    """Inverse of :func:`to_day_number`: day numbers to ``datetime64[us]`` (array) or a Timestamp."""
    if np.isscalar(days):
        return pd.Timestamp(_EPOCH + np.timedelta64(int(days), "D"))
    arr = np.asarray(days, dtype=np.int64)
    out = (_EPOCH + arr.astype("timedelta64[D]")).astype(DATE_DTYPE)
    out[arr == NAT_DAY] = np.datetime64("NaT")
    return out


def _as_timestamp(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


# --------------------------------------------------------------------------------------------------
# preparation
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderArrays:
    """Completed orders as flat numpy arrays keyed by an integer customer code.

    ``customer_ids[code]`` is the customer key; codes follow the sorted order of the ids, so the
    result does not depend on the row order of the input frame. Rows are sorted by ``day`` (stable),
    which makes any date window a contiguous slice. ``customer_ids`` also lists customers whose orders
    were all dropped (e.g. only cancelled ones); they never have a positive count. Only completed orders with a
    customer and a date are kept. ``max_day_any_status`` is the last order day of any status (used
    for the default ``as_of``); ``min_day`` the first completed order day.
    """

    customer_ids: pd.api.extensions.ExtensionArray
    code: np.ndarray
    day: np.ndarray
    net: np.ndarray
    gross: np.ndarray
    discount: np.ndarray
    max_day_any_status: int
    min_day: int

    @property
    def n_customers(self) -> int:
        """Number of customer codes (customers with any dated order, completed or not)."""
        return len(self.customer_ids)


def _completed_mask(orders: pd.DataFrame) -> np.ndarray:
    if "is_completed" in orders.columns:
        col = orders["is_completed"]
        return col.fillna(False).to_numpy(dtype=bool)
    if "status" in orders.columns:
        return (orders["status"].astype("str").str.lower() == "completed").fillna(False).to_numpy(dtype=bool)
    raise KeyError("orders needs an 'is_completed' (or 'status') column")


def _float_col(orders: pd.DataFrame, name: str) -> np.ndarray:
    col = orders[name]
    if col.dtype == np.float64:
        return col.to_numpy(dtype=np.float64, na_value=0.0)
    return pd.to_numeric(col, errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)


def _str_ids(values: pd.Series | np.ndarray | pd.api.extensions.ExtensionArray) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return s if s.dtype == "str" else s.astype("str")


def prepare_orders(orders: pd.DataFrame) -> OrderArrays:
    """Validate ``orders`` and reduce it to :class:`OrderArrays` (completed orders only).

    Rows with a null customer or date are dropped. ``net_revenue`` defaults to
    ``gross_revenue - discount_amount`` when the column is missing; null money counts as 0.
    """
    for col in ("customer_id", "order_date"):
        if col not in orders.columns:
            raise KeyError(f"orders needs a '{col}' column")
    day_all = to_day_number(orders["order_date"])
    cust = orders["customer_id"]
    valid = (day_all != NAT_DAY) & cust.notna().to_numpy()
    max_any = int(day_all[valid].max()) if valid.any() else NAT_DAY
    keep_idx = np.flatnonzero(valid & _completed_mask(orders))

    gross = _float_col(orders, "gross_revenue") if "gross_revenue" in orders.columns else None
    discount = _float_col(orders, "discount_amount") if "discount_amount" in orders.columns else None
    if "net_revenue" in orders.columns:
        net = _float_col(orders, "net_revenue")
    elif gross is not None:
        net = gross - (discount if discount is not None else 0.0)
    else:
        raise KeyError("orders needs 'net_revenue' or 'gross_revenue'")

    day = day_all[keep_idx]
    # sort by day once, so that every date window is a contiguous slice (see aggregate_period);
    # a span under 65,536 days sorts as uint16 offsets (a linear-time radix sort)
    if len(day) and int(day.max()) - int(day.min()) < 65_536:
        order = np.argsort((day - day.min()).astype(np.uint16), kind="stable")
    else:
        order = np.argsort(day, kind="stable")
    rows = keep_idx[order]
    # factorize the whole column (no string copies); customers without a completed order get a code
    # too, but never appear in any aggregate (their count stays 0)
    code_all, uniques = pd.factorize(_str_ids(cust), sort=True)
    code = code_all[rows]
    net_k = net[rows]
    gross_k = gross[rows] if gross is not None else net_k + (discount[rows] if discount is not None else 0.0)
    discount_k = discount[rows] if discount is not None else np.zeros(len(rows))
    return OrderArrays(
        customer_ids=pd.array(uniques, dtype="str"),
        code=code.astype(np.int64, copy=False),
        day=day[order],
        net=net_k,
        gross=gross_k,
        discount=discount_k,
        max_day_any_status=max_any,
        min_day=int(day.min()) if len(day) else NAT_DAY,
    )


def resolve_as_of(prep: OrderArrays, as_of: object | None) -> int:
    """Return ``as_of`` as a day number; ``None`` / ``""`` / NaT mean the day after the last order (any status)."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()) or pd.isna(as_of):
        if prep.max_day_any_status == NAT_DAY:
            raise ValueError("cannot default as_of: orders has no dated rows")
        return prep.max_day_any_status + 1
    ts = _as_timestamp(as_of)
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


# --------------------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodAggregates:
    """Per-customer-code aggregates of completed orders in ``[since_day, until_day)``.

    Arrays have length ``n_customers``; ``first_day`` / ``last_day`` are ``NAT_DAY`` where
    ``count == 0``.
    """

    count: np.ndarray
    net: np.ndarray
    gross: np.ndarray
    discount: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray


def _window(prep: OrderArrays, until_day: int, since_day: int | None) -> slice:
    lo = 0 if since_day is None else int(np.searchsorted(prep.day, since_day, side="left"))
    hi = int(np.searchsorted(prep.day, until_day, side="left"))
    return slice(lo, max(hi, lo))


def window_counts(
    prep: OrderArrays, until_day: int, since_day: int | None = None, with_net: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Completed orders (and, if asked, net revenue) per customer code in ``[since_day, until_day)``.

    A cheaper sibling of :func:`aggregate_period` for windows where only counts / revenue are needed.
    """
    sl = _window(prep, until_day, since_day)
    count = np.bincount(prep.code[sl], minlength=prep.n_customers).astype(np.int64)
    if not with_net:
        return count, None
    return count, np.round(np.bincount(prep.code[sl], weights=prep.net[sl], minlength=prep.n_customers), 2)


def aggregate_period(prep: OrderArrays, until_day: int, since_day: int | None = None) -> PeriodAggregates:
    """Aggregate completed orders dated in ``[since_day, until_day)`` per customer code (vectorised).

    Only the day-sorted slice of orders inside the window is read.
    """
    sl = _window(prep, until_day, since_day)
    code = prep.code[sl]
    day = prep.day[sl]
    n = prep.n_customers
    count = np.bincount(code, minlength=n).astype(np.int64)
    net = np.round(np.bincount(code, weights=prep.net[sl], minlength=n), 2)
    gross = np.round(np.bincount(code, weights=prep.gross[sl], minlength=n), 2)
    discount = np.round(np.bincount(code, weights=prep.discount[sl], minlength=n), 2)
    big = np.iinfo(np.int64).max
    first = np.full(n, big, dtype=np.int64)
    np.minimum.at(first, code, day)
    last = np.full(n, NAT_DAY, dtype=np.int64)
    np.maximum.at(last, code, day)
    first[count == 0] = NAT_DAY
    return PeriodAggregates(count, net, gross, discount, first, last)


def signup_days_for(customer_ids: np.ndarray, customers: pd.DataFrame | None) -> np.ndarray | None:
    """Signup day numbers aligned to ``customer_ids`` (``NAT_DAY`` where unknown), or None.

    A customer listed more than once gets the earliest known signup date.
    """
    if customers is None or "signup_date" not in customers.columns:
        return None
    signup = to_day_number(customers["signup_date"])
    pos = _positions(customer_ids, customers["customer_id"])
    keep = (pos >= 0) & (signup != NAT_DAY)
    big = np.iinfo(np.int64).max
    out = np.full(len(customer_ids), big, dtype=np.int64)
    np.minimum.at(out, pos[keep], signup[keep])
    out[out == big] = NAT_DAY
    return out


def _positions(customer_ids: pd.api.extensions.ExtensionArray | np.ndarray, keys: pd.Series) -> np.ndarray:
    """Position of each ``keys`` value in ``customer_ids`` (-1 where absent or null); hash look-up in Arrow."""
    value_set = pa.array(_str_ids(customer_ids))
    looked_up = pa.array(_str_ids(keys))
    if looked_up.type != value_set.type:
        looked_up = looked_up.cast(value_set.type)
    found = pc.index_in(looked_up, value_set=value_set)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def category_breadth_for(customer_ids: np.ndarray, customer_categories: pd.DataFrame | None) -> np.ndarray:
    """Distinct categories with positive spend per customer, aligned to ``customer_ids`` (int64)."""
    out = np.zeros(len(customer_ids), dtype=np.int64)
    if customer_categories is None or len(customer_categories) == 0:
        return out
    cc = customer_categories
    if "net_revenue" in cc.columns:
        cc = cc[pd.to_numeric(cc["net_revenue"], errors="coerce").fillna(0.0).to_numpy() > 0]
    cc = cc[["customer_id", "category"]].dropna()
    pos = _positions(customer_ids, cc["customer_id"])
    cat, cats = pd.factorize(_str_ids(cc["category"]))
    hit = pos >= 0
    width = max(len(cats), 1)
    pairs = np.sort(pos[hit] * width + cat[hit])
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs  # distinct (customer, category)
    out += np.bincount(pairs // width, minlength=len(customer_ids)).astype(np.int64)
    return out


def features_from_arrays(
    prep: OrderArrays,
    as_of_day: int,
    signup_day: np.ndarray | None = None,
    category_breadth: np.ndarray | None = None,
    include_ids: bool = True,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature frame at ``as_of_day`` from prepared arrays.

    Returns the frame (see module docstring) and the customer codes of its rows, so callers can align
    other per-code arrays. Only data strictly before ``as_of_day`` is read. ``include_ids=False`` leaves
    out the ``customer_id`` column (cheaper for internal training frames; rows are still in id order).
    """
    agg = aggregate_period(prep, as_of_day)
    codes = np.flatnonzero(agg.count > 0)
    count = agg.count[codes]
    net = agg.net[codes]
    gross = agg.gross[codes]
    discount = agg.discount[codes]
    first = agg.first_day[codes]
    last = agg.last_day[codes]
    since = first.copy()
    if signup_day is not None:
        s = signup_day[codes]
        usable = (s != NAT_DAY) & (s < as_of_day)
        since = np.where(usable, np.minimum(since, s), since)
    with np.errstate(divide="ignore", invalid="ignore"):
        aov = net / count
        share = np.where(gross > 0, discount / np.where(gross > 0, gross, 1.0), 0.0)
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(prep.customer_ids[codes], dtype="str") if include_ids else None,
            "orders_count": count.astype(np.int64),
            "net_revenue": net,
            "gross_revenue": gross,
            "discount_amount": discount,
            "aov": aov.astype(np.float64),
            "discount_share": np.clip(share, 0.0, 1.0).astype(np.float64),
            "recency_days": (as_of_day - last).astype(np.int64),
            "tenure_days": (as_of_day - since).astype(np.int64),
            "category_breadth": (
                category_breadth[codes].astype(np.int64)
                if category_breadth is not None
                else np.zeros(len(codes), dtype=np.int64)
            ),
            "first_order_date": day_to_timestamp(first),
            "last_order_date": day_to_timestamp(last),
        }
    )
    if not include_ids:
        frame = frame.drop(columns="customer_id")
    return frame, codes


def customer_features(
    orders: pd.DataFrame,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    customer_categories: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per customer with behavioural features at ``as_of`` (see the module docstring).

    Parameters
    ----------
    orders:
        The order mart (one row per order).
    as_of:
        Reference date; orders dated on or after it are ignored. ``None``: day after the last order.
    customer_categories:
        Optional customer x category spend, for ``category_breadth``.
    customers:
        Optional customer dimension, for ``signup_date`` (tenure).
    """
    prep = prepare_orders(orders)
    as_of_day = resolve_as_of(prep, as_of)
    signup = signup_days_for(prep.customer_ids, customers)
    breadth = category_breadth_for(prep.customer_ids, customer_categories)
    frame, _ = features_from_arrays(prep, as_of_day, signup, breadth)
    return frame


def model_matrix(
    features: pd.DataFrame,
    columns: list[str] | None = None,
    scaler: StandardScaler | None = None,
) -> tuple[np.ndarray, StandardScaler]:
    """Standardised model matrix from a feature frame.

    Columns in :data:`LOG_FEATURES` are ``log1p``-transformed (negative values are clipped to 0 first),
    then all columns are standardised. Pass a fitted ``scaler`` to reuse it (e.g. to transform new
    rows with the training scaling); otherwise one is fitted on ``features``.

    Returns the float64 matrix (rows in ``features`` order) and the scaler.
    """
    cols = list(columns) if columns is not None else list(SEGMENT_FEATURES)
    raw = transformed_features(features, cols)
    if scaler is None:
        scaler = StandardScaler().fit(raw)
    return scaler.transform(raw), scaler


def transformed_features(features: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The un-standardised model inputs: ``log1p`` for :data:`LOG_FEATURES`, raw otherwise."""
    parts = []
    for col in columns:
        v = features[col].to_numpy(dtype=np.float64)
        v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
        if col in LOG_FEATURES:
            v = np.log1p(np.clip(v, 0.0, None))
        parts.append(v)
    return np.column_stack(parts) if parts else np.empty((len(features), 0))
