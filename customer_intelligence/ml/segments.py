"""Behavioural customer segments: standardised features, k-means, and business names.

Method
------
1. Features per customer come from :func:`customer_intelligence.ml.features.customer_features`;
   the model matrix is :data:`~customer_intelligence.ml.features.SEGMENT_FEATURES` with ``log1p`` on
   money, counts and day spans, then standardised (:func:`~customer_intelligence.ml.features.model_matrix`).
   A feature that is constant (e.g. ``category_breadth`` when no category data is given) carries no
   information and is dropped.
2. ``k`` is fixed by the caller or chosen by :func:`choose_k`: the mean silhouette over ``k_range``
   (default 5..8), computed on a seeded random sample (default 5,000 rows) of the customers; the
   smallest ``k`` whose score is within :data:`SILHOUETTE_TOLERANCE` (0.02) of the best wins. Scores
   of neighbouring ``k`` are often that close, and taking the plain maximum let one more day of data
   switch ``k`` and rename whole clusters (16 % of the customers of one scenario changed segment).
3. :func:`fit_segments` fits ``KMeans`` (:data:`N_INIT` = 20 restarts, ``random_state`` fixed; 4 restarts
   found different local optima on data one day apart) on a seeded sample
   of at most ``fit_sample_size`` rows (default 50,000) and assigns every customer to the nearest
   centroid. Rows are sorted by ``customer_id`` before sampling, so shuffled input gives identical
   assignments.
4. **Earned names** (:mod:`customer_intelligence.ml.naming`): each cluster centre, back in original
   units, is tested against the definitions of seed ``segment_definitions`` in priority order and
   takes the first name it meets (e.g. High-Value Active: net revenue at least the population's 80th
   percentile, recency better than the median and within ``at_risk_inactivity_days``); names that need
   amounts or discounts are never given on data without them. A centre meeting no definition gets a
   descriptive name from its recency and value, e.g. "Lapsed mid-value". Clusters earning the same
   name are one segment: they share ``segment_name`` and keep their own ``cluster_id``. There are no
   numeric suffixes. ``cluster_id`` orders clusters by name (catalogued names in
   :data:`SEGMENT_NAMES` order, then descriptive names) and then by centre, so ids and names do not
   depend on the arbitrary k-means label order.
5. Below :data:`MIN_KMEANS_CUSTOMERS` customers k-means is skipped and the same definitions name each
   customer (:func:`rule_segment`).

Outputs
-------
The population is every customer with at least one completed order before ``as_of``.

``customer_segments`` (one row per customer, sorted by ``customer_id``):

=====================  =======  ===============================================================
customer_id            str      customer key
cluster_id             int64    0..k-1, ordered by segment name, then centre (see above)
segment_name           str      earned or descriptive name, e.g. "Loyal Regulars", "Lapsed mid-value"
segment                str      the same as segment_name (kept for the action table)
distance_to_centroid   float64  Euclidean distance to the cluster centre in standardised space
=====================  =======  ===============================================================

``segment_profiles`` (one row per cluster, sorted by ``cluster_id``):

===========================  =======  ===========================================================
cluster_id                   int64
segment_name                 str
segment                      str
customers                    int64    customers in the cluster
customer_share               float64  customers / all customers
net_revenue                  float64  total completed net revenue of the cluster
revenue_share                float64  net_revenue / total net revenue
centroid_<feature>           float64  k-means centre back in original units (``expm1`` of the log
                                      features), one column per feature in SEGMENT_FEATURES; a
                                      dropped constant feature gets its constant value
mean_<feature>               float64  plain mean of the feature in the cluster
k                            int64    number of clusters used
silhouette                   float64  silhouette of the final clustering on the seeded sample
===========================  =======  ===========================================================
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from customer_intelligence.ml.features import (
    LOG_FEATURES,
    SEGMENT_FEATURES,
    customer_features,
    has_amounts,
    model_matrix,
    sample_index,
)
from customer_intelligence.ml.naming import earn_names

__all__ = [
    "MIN_KMEANS_CUSTOMERS",
    "SEGMENT_NAMES",
    "assign_segments",
    "choose_k",
    "fit_segments",
    "name_order_key",
    "rule_segment",
    "rule_segment_tables",
    "segment_profiles",
    "segment_tables",
    "segments_from_features",
]

log = logging.getLogger(__name__)

#: The catalogued names a segment can earn, in display (cluster_id) order (seed segment_catalog, type
#: ml_segment); their definitions are in seed segment_definitions (:mod:`customer_intelligence.ml.naming`).
SEGMENT_NAMES: tuple[str, ...] = (
    "High-Value Active",
    "Loyal Regulars",
    "Discount-Driven",
    "New",
    "At-Risk / Dormant",
)

DEFAULT_K_RANGE: tuple[int, ...] = (5, 6, 7, 8)
#: The smallest k whose mean silhouette is within this of the best is chosen (parsimony, stability).
SILHOUETTE_TOLERANCE: float = 0.02
#: k-means restarts (the best inertia is kept).
N_INIT: int = 20


def choose_k(
    X: np.ndarray,
    k_range: Iterable[int] = DEFAULT_K_RANGE,
    sample_size: int = 5_000,
    random_state: int = 42,
    n_init: int = N_INIT,
    tolerance: float = SILHOUETTE_TOLERANCE,
) -> tuple[int, dict[int, float]]:
    """Pick ``k`` by mean silhouette on a seeded sample of ``X``.

    Each candidate ``k`` fits ``KMeans(n_init=n_init, random_state=random_state)`` on the sample and
    scores it with ``silhouette_score`` on the same sample. Candidates with ``k >= n_sample`` are
    skipped. Returns the smallest ``k`` scoring within ``tolerance`` of the best score, and the score
    per ``k``.
    """
    idx = sample_index(len(X), sample_size, random_state)
    Xs = X[idx]
    n_distinct = len(np.unique(Xs, axis=0)) if len(Xs) <= 50_000 else len(Xs)
    scores: dict[int, float] = {}
    for k in sorted(set(int(k) for k in k_range)):
        if k < 2 or k >= n_distinct:
            continue
        with threadpool_limits(limits=1):
            labels = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit_predict(Xs)
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(Xs, labels))
    if not scores:
        raise ValueError("not enough distinct customers to choose k")
    top = max(scores.values())
    return min(k for k, v in scores.items() if round(v, 12) >= round(top - tolerance, 12)), scores


def fit_segments(
    X: np.ndarray,
    k: int,
    random_state: int = 42,
    fit_sample_size: int = 50_000,
    n_init: int = N_INIT,
) -> tuple[KMeans, np.ndarray, np.ndarray]:
    """Fit k-means on a seeded sample of ``X`` and assign every row.

    Returns the fitted model, the label of every row (k-means' own arbitrary numbering) and the
    Euclidean distance of every row to its centre.
    """
    idx = sample_index(len(X), fit_sample_size, random_state)
    # single-threaded native code: deterministic and not slowed down by spinning threads on a busy host
    with threadpool_limits(limits=1):
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(X[idx])
        labels, dist = _nearest(model.cluster_centers_, X)
    return model, labels, dist


def _nearest(centers: np.ndarray, X: np.ndarray, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre and distance for each row, in bounded-memory chunks."""
    labels = np.empty(len(X), dtype=np.int64)
    dist = np.empty(len(X), dtype=np.float64)
    c2 = (centers**2).sum(axis=1)
    for start in range(0, len(X), chunk):
        xb = X[start : start + chunk]
        d2 = (xb**2).sum(axis=1)[:, None] - 2.0 * xb @ centers.T + c2[None, :]
        lab = d2.argmin(axis=1)
        labels[start : start + chunk] = lab
        dist[start : start + chunk] = np.sqrt(((xb - centers[lab]) ** 2).sum(axis=1))
    return labels, dist


def name_order_key(name: str) -> tuple[int, str]:
    """Display order of a segment name: catalogued names in :data:`SEGMENT_NAMES` order, then descriptive
    names alphabetically."""
    return (SEGMENT_NAMES.index(name), "") if name in SEGMENT_NAMES else (len(SEGMENT_NAMES), name)


def segment_profiles(
    features: pd.DataFrame,
    assignments: pd.DataFrame,
    centroids_original: pd.DataFrame,
    k: int,
    silhouette: float,
    feature_columns: Sequence[str] = SEGMENT_FEATURES,
) -> pd.DataFrame:
    """Per-cluster profile: size, revenue share, centroid in original units, feature means.

    ``features`` and ``assignments`` must be row-aligned; ``centroids_original`` is indexed by
    ``cluster_id`` with one column per feature.
    """
    df = pd.DataFrame(
        {
            "cluster_id": assignments["cluster_id"].to_numpy(),
            "net_revenue": features["net_revenue"].to_numpy(dtype=np.float64),
        }
    )
    for col in feature_columns:
        df[f"mean_{col}"] = features[col].to_numpy(dtype=np.float64)
    grouped = df.groupby("cluster_id", sort=True)
    prof = grouped.agg(
        customers=("net_revenue", "size"),
        net_revenue=("net_revenue", "sum"),
        **{f"mean_{c}": (f"mean_{c}", "mean") for c in feature_columns},
    )
    prof = prof.reindex(centroids_original.index, fill_value=0)
    total_customers = max(len(df), 1)
    total_rev = float(df["net_revenue"].sum())
    names = assignments.drop_duplicates("cluster_id").set_index("cluster_id")
    out = pd.DataFrame({"cluster_id": centroids_original.index.to_numpy(dtype=np.int64)})
    out["segment_name"] = pd.array(names.loc[out["cluster_id"], "segment_name"].to_numpy(), dtype="str")
    out["segment"] = pd.array(names.loc[out["cluster_id"], "segment"].to_numpy(), dtype="str")
    out["customers"] = prof["customers"].to_numpy(dtype=np.int64)
    out["customer_share"] = out["customers"] / total_customers
    out["net_revenue"] = np.round(prof["net_revenue"].to_numpy(dtype=np.float64), 2)
    out["revenue_share"] = out["net_revenue"] / total_rev if total_rev > 0 else 0.0
    for c in feature_columns:
        out[f"centroid_{c}"] = centroids_original[c].to_numpy(dtype=np.float64)
    for c in feature_columns:
        out[f"mean_{c}"] = prof[f"mean_{c}"].to_numpy(dtype=np.float64)
    out["k"] = np.int64(k)
    out["silhouette"] = float(silhouette)
    return out


def assign_segments(
    features: pd.DataFrame,
    k: int | None = None,
    random_state: int = 42,
    k_range: Iterable[int] = DEFAULT_K_RANGE,
    silhouette_sample_size: int = 5_000,
    fit_sample_size: int = 50_000,
    feature_columns: Sequence[str] = SEGMENT_FEATURES,
    with_amounts: bool = True,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment customers: returns ``(customer_segments, segment_profiles)`` (see module docstring).

    ``features`` is a frame from :func:`~customer_intelligence.ml.features.customer_features` (any row
    order). ``k=None`` chooses ``k`` by silhouette over ``k_range``. ``with_amounts=False`` (the data has
    no money) keeps money-based names away; ``definitions`` / ``variables`` are the seed
    segment_definitions and the dbt vars its rules name (defaults: the seed CSV and
    :data:`~customer_intelligence.ml.naming.DEFAULT_VARS`).
    """
    if len(features) == 0:
        return _empty_assignments(), _empty_profiles(feature_columns)
    feats = features.reset_index(drop=True)
    if not pd.Index(feats["customer_id"]).is_monotonic_increasing:
        feats = feats.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    spans = {c: np.ptp(feats[c].to_numpy(dtype=np.float64)) for c in feature_columns}
    cols = [c for c in feature_columns if spans[c] > 0]
    constants = {c: float(feats[c].iloc[0]) for c in feature_columns if c not in cols}
    if not cols:
        raise ValueError("all segmentation features are constant")
    X, scaler = model_matrix(feats, cols)
    n_distinct = len(np.unique(X[: min(len(X), 50_000)], axis=0))
    if k is None:
        k, scores = choose_k(X, k_range, silhouette_sample_size, random_state)
        log.info("segments: silhouette by k %s -> k=%d", {kk: round(v, 4) for kk, v in scores.items()}, k)
    k = int(min(k, max(n_distinct, 1)))
    model, raw_labels, dist = fit_segments(X, k, random_state, fit_sample_size)

    # centres back in original units (expm1 of the log features; a dropped constant keeps its value)
    cent = pd.DataFrame(scaler.inverse_transform(model.cluster_centers_), columns=cols)
    for c in cols:
        if c in LOG_FEATURES:
            cent[c] = np.expm1(cent[c])
    for c, v in constants.items():
        cent[c] = v
    cent = cent[list(feature_columns)]
    names = earn_names(cent, feats, with_amounts, with_discounts(feats), definitions, variables)
    # cluster ids: by name, then (same name) by the centre's values, so they do not depend on k-means labels
    key_vals = np.round(model.cluster_centers_, 9)
    order = sorted(range(k), key=lambda i: (name_order_key(names[i]), tuple(key_vals[i])))
    new_id = np.empty(k, dtype=np.int64)
    new_id[order] = np.arange(k)
    cluster_id = new_id[raw_labels]
    names_by_id = np.asarray([names[i] for i in order], dtype=object)

    assignments = pd.DataFrame(
        {
            "customer_id": feats["customer_id"].astype("str").array,
            "cluster_id": cluster_id.astype(np.int64),
            "segment_name": pd.array(names_by_id[cluster_id], dtype="str"),
            "segment": pd.array(names_by_id[cluster_id], dtype="str"),
            "distance_to_centroid": dist.astype(np.float64),
        }
    )
    cent = cent.iloc[order].reset_index(drop=True)
    cent.index = pd.Index(np.arange(k), name="cluster_id")

    sidx = sample_index(len(X), silhouette_sample_size, random_state)
    sil = (
        float(silhouette_score(X[sidx], cluster_id[sidx]))
        if 1 < len(np.unique(cluster_id[sidx])) < len(sidx)
        else float("nan")
    )
    profiles = segment_profiles(feats, assignments, cent, k, sil, feature_columns)
    return assignments, profiles


def _empty_assignments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([], dtype="str"),
            "cluster_id": np.array([], dtype=np.int64),
            "segment_name": pd.array([], dtype="str"),
            "segment": pd.array([], dtype="str"),
            "distance_to_centroid": np.array([], dtype=np.float64),
        }
    )


def _empty_profiles(feature_columns: Sequence[str]) -> pd.DataFrame:
    cols: dict[str, object] = {
        "cluster_id": np.array([], dtype=np.int64),
        "segment_name": pd.array([], dtype="str"),
        "segment": pd.array([], dtype="str"),
        "customers": np.array([], dtype=np.int64),
        "customer_share": np.array([], dtype=np.float64),
        "net_revenue": np.array([], dtype=np.float64),
        "revenue_share": np.array([], dtype=np.float64),
    }
    for c in feature_columns:
        cols[f"centroid_{c}"] = np.array([], dtype=np.float64)
    for c in feature_columns:
        cols[f"mean_{c}"] = np.array([], dtype=np.float64)
    cols["k"] = np.array([], dtype=np.int64)
    cols["silhouette"] = np.array([], dtype=np.float64)
    return pd.DataFrame(cols)


def with_discounts(features: pd.DataFrame) -> bool:
    """Whether the data has discounts at all (any completed discount above zero)."""
    column = "discount_amount" if "discount_amount" in features.columns else "discount_share"
    return bool((np.nan_to_num(features[column].to_numpy(dtype=np.float64)) > 0).any())


def segment_tables(
    orders: pd.DataFrame,
    customer_categories: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    as_of: _dt.date | str | pd.Timestamp | None = None,
    k: int | None = None,
    random_state: int = 42,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entry point: ``(customer_segments, segment_profiles)`` at ``as_of`` (features computed once)."""
    feats = customer_features(orders, as_of, customer_categories, customers)
    return segments_from_features(feats, k, random_state, has_amounts(orders), definitions, variables)


#: Below this many customers with a completed order, k-means is not meaningful: rules segment them.
MIN_KMEANS_CUSTOMERS = 50


def rule_segment(
    features: pd.DataFrame,
    with_amounts: bool = True,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> pd.Series:
    """The fallback segment of each customer when there are too few customers for k-means: the same
    definitions as the clusters' (:func:`~customer_intelligence.ml.naming.earn_names`), each customer
    being its own centre."""
    names = earn_names(features, features, with_amounts, with_discounts(features), definitions, variables)
    return pd.Series(names, index=features.index, dtype="str")


def rule_segment_tables(
    features: pd.DataFrame,
    with_amounts: bool = True,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment tables with the same columns as k-means', from :func:`rule_segment` (distance 0, k = segments)."""
    features = features.sort_values("customer_id").reset_index(drop=True)
    segment = rule_segment(features, with_amounts, definitions, variables)
    cluster_of = {name: i for i, name in enumerate(sorted(set(segment), key=name_order_key))}
    assignments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].astype("str"),
            "cluster_id": segment.map(cluster_of).astype("int64"),
            "segment_name": segment,
            "segment": segment,
            "distance_to_centroid": 0.0,
        }
    )
    grouped = features.assign(segment=segment).groupby("segment", sort=False)
    profiles = grouped.size().rename("customers").to_frame()
    profiles["customer_share"] = profiles["customers"] / max(len(features), 1)
    profiles["net_revenue"] = grouped["net_revenue"].sum()
    total = float(features["net_revenue"].sum())
    profiles["revenue_share"] = profiles["net_revenue"] / total if total else 0.0
    means = grouped[list(SEGMENT_FEATURES)].mean()
    for prefix in ("centroid", "mean"):
        for column in SEGMENT_FEATURES:
            profiles[f"{prefix}_{column}"] = means[column]
    profiles = profiles.reset_index()
    profiles.insert(0, "cluster_id", profiles["segment"].map(cluster_of))
    profiles.insert(1, "segment_name", profiles["segment"])
    profiles["k"] = len(profiles)
    profiles["silhouette"] = float("nan")
    profiles = profiles.astype({"cluster_id": "int64", "customers": "int64", "k": "int64"})
    columns = ["cluster_id", "segment_name", "segment", "customers", "customer_share", "net_revenue", "revenue_share"]
    rest = [c for c in profiles.columns if c not in columns]
    return assignments, profiles[columns + rest].sort_values("cluster_id").reset_index(drop=True)


def segments_from_features(
    features: pd.DataFrame,
    k: int | None = None,
    random_state: int = 42,
    with_amounts: bool = True,
    definitions: pd.DataFrame | None = None,
    variables: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(customer_segments, segment_profiles)`` from a feature frame: k-means, or the rules of
    :func:`rule_segment` below :data:`MIN_KMEANS_CUSTOMERS` customers (a ``WARNING`` says so)."""
    if len(features) < MIN_KMEANS_CUSTOMERS:
        log.warning(
            "segments: %d customers with a completed order (< %d): k-means skipped, rule-based segments used",
            len(features),
            MIN_KMEANS_CUSTOMERS,
        )
        return rule_segment_tables(features, with_amounts, definitions, variables)
    return assign_segments(
        features,
        k=k,
        random_state=random_state,
        with_amounts=with_amounts,
        definitions=definitions,
        variables=variables,
    )
