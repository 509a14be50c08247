"""Fitted models as data: what the registry keeps of a fit, and scoring with it (issue 15.3).

k-means segments (:mod:`customer_intelligence.ml.segments`) are kept as their parameters: the columns
used, the scaler's means and scales, the centres in standardised space ordered by ``cluster_id``, the
centres in original units, the segment names, ``k`` and the fit's silhouette. Scoring with them
assigns every customer to the nearest stored centre; the profiles are recomputed on the scored
customers (sizes, revenue, means) and keep the fit's centres, ``k`` and silhouette.

A small table (the CLV validation metrics) is kept with :func:`frame_to_data` and read back, to the bit
and with its column types, with :func:`frame_from_data`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from customer_intelligence.ml.features import LOG_FEATURES, SEGMENT_FEATURES, model_matrix, transformed_features
from customer_intelligence.ml.segments import segment_profiles

__all__ = ["frame_from_data", "frame_to_data", "score_segments", "segment_state"]


def _sorted(features: pd.DataFrame) -> pd.DataFrame:
    """Features in ``customer_id`` order, as :func:`~customer_intelligence.ml.segments.assign_segments` sorts them."""
    return features.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


def segment_state(features: pd.DataFrame, profiles: pd.DataFrame) -> dict[str, Any] | None:
    """The parameters of the k-means fit behind ``profiles`` (from ``assign_segments`` on ``features``),
    as JSON-ready data; ``None`` for rule-based segments (no silhouette: nothing was fitted)."""
    if len(profiles) == 0 or not np.isfinite(profiles["silhouette"]).all():
        return None
    feats = _sorted(features)
    columns = [c for c in SEGMENT_FEATURES if np.ptp(feats[c].to_numpy(dtype=np.float64)) > 0]
    _, scaler = model_matrix(feats, columns)
    profiles = profiles.sort_values("cluster_id")
    original = profiles[[f"centroid_{c}" for c in SEGMENT_FEATURES]].to_numpy(dtype=np.float64)
    used = pd.DataFrame(original[:, [SEGMENT_FEATURES.index(c) for c in columns]], columns=columns)
    logged = np.column_stack([np.log1p(used[c]) if c in LOG_FEATURES else used[c] for c in columns])
    return {
        "columns": columns,
        "scaler_mean": scaler.mean_.tolist(),
        "scaler_scale": scaler.scale_.tolist(),
        "centres": scaler.transform(logged).tolist(),
        "centres_original": original.tolist(),
        "segment_names": profiles["segment_name"].astype(str).tolist(),
        "k": int(profiles["k"].iloc[0]),
        "silhouette": float(profiles["silhouette"].iloc[0]),
    }


def _nearest(centres: np.ndarray, X: np.ndarray, rows: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre of every row of ``X`` and the Euclidean distance to it (``rows`` at a time)."""
    labels = np.empty(len(X), dtype=np.int64)
    distance = np.empty(len(X), dtype=np.float64)
    for start in range(0, len(X), rows):
        block = X[start : start + rows]
        d2 = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels[start : start + rows] = d2.argmin(axis=1)
        distance[start : start + rows] = np.sqrt(d2.min(axis=1))
    return labels, distance


def score_segments(features: pd.DataFrame, state: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(customer_segments, segment_profiles)`` of ``features`` with the stored fit ``state`` (same
    columns as :func:`~customer_intelligence.ml.segments.assign_segments`' tables); ``None`` when a
    stored cluster would have no customer (the model no longer describes the data: refit)."""
    feats = _sorted(features)
    columns = list(state["columns"])
    X = (transformed_features(feats, columns) - np.asarray(state["scaler_mean"])) / np.asarray(state["scaler_scale"])
    cluster_id, distance = _nearest(np.asarray(state["centres"], dtype=np.float64), X)
    names = np.asarray(state["segment_names"], dtype=object)[cluster_id]
    assignments = pd.DataFrame(
        {
            "customer_id": feats["customer_id"].astype("str").array,
            "cluster_id": cluster_id,
            "segment_name": pd.array(names, dtype="str"),
            "segment": pd.array(names, dtype="str"),
            "distance_to_centroid": distance,
        }
    )
    k = int(state["k"])
    if len(np.unique(cluster_id)) < k:
        return None
    centres = pd.DataFrame(state["centres_original"], columns=list(SEGMENT_FEATURES))
    centres.index = pd.Index(np.arange(k), name="cluster_id")
    return assignments, segment_profiles(feats, assignments, centres, k, float(state["silhouette"]))


def _cell(value: Any) -> Any:
    """A frame cell as JSON data: numbers and strings as they are, timestamps as ISO text, missing as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def frame_to_data(frame: pd.DataFrame) -> dict[str, Any]:
    """A small frame as JSON-ready data: its columns, their dtypes and its rows (floats exact: JSON keeps
    every digit of a double)."""
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)],
    }


def frame_from_data(data: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`frame_to_data` kept, with its column types."""
    frame = pd.DataFrame(data["rows"], columns=data["columns"], dtype=object)
    out = {}
    for column, dtype in zip(data["columns"], data["dtypes"], strict=True):
        values = frame[column]
        if dtype.startswith("datetime64"):
            out[column] = pd.to_datetime(values).astype(dtype)
        elif dtype in ("float64", "float32"):
            out[column] = pd.to_numeric(values.where(values.notna(), np.nan)).astype(dtype)
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, columns=data["columns"])
