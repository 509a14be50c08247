"""Fitted models as data: what the registry keeps of a fit, and scoring with it (issue 15.3).

k-means segments (:mod:`customer_intelligence.ml.segments`) are kept as their parameters: the columns
used, the scaler's means and scales, the centres in standardised space ordered by ``cluster_id``, the
centres in original units, the segment names, ``k`` and the fit's silhouette. Scoring with them
assigns every customer to the nearest stored centre; the profiles are recomputed on the scored
customers (sizes, revenue, means) and keep the fit's centres, ``k`` and silhouette.

A churn classifier is kept as its parameters too (:func:`classifier_to_data`): a gradient-boosting model
as its baseline and, per tree, the node arrays prediction reads (value, feature, threshold, the side of
missing values, children, leaf flag); a logistic regression as its scaler's means and scales, its
coefficients and intercept. :func:`classifier_from_data` turns them back into a probability function. The
trees are walked by scikit-learn's own compiled tree predictor, so the stored model predicts exactly what
the fitted one did; that predictor is a private scikit-learn class, which is safe here because the registry
refits whenever the library versions differ from the fit's (:mod:`customer_intelligence.ml.registry`).

A small table (the CLV and churn validation metrics) is kept with :func:`frame_to_data` and read back, to
the bit and with its column types, with :func:`frame_from_data`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from customer_intelligence.ml.features import LOG_FEATURES, SEGMENT_FEATURES, model_matrix, transformed_features
from customer_intelligence.ml.segments import segment_profiles

__all__ = [
    "classifier_from_data",
    "classifier_to_data",
    "frame_from_data",
    "frame_to_data",
    "score_segments",
    "segment_state",
]


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


#: The node fields of a gradient-boosting tree that prediction reads (the others, e.g. gains and counts,
#: describe the fit and are not kept).
TREE_FIELDS = ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf")


def classifier_to_data(model: Any, method: str) -> dict[str, Any]:
    """A fitted binary churn classifier as JSON-ready data (module docstring): ``method`` is
    ``hist_gradient_boosting`` (a ``HistGradientBoostingClassifier`` without categorical features) or
    ``logistic_regression`` (a ``StandardScaler`` + ``LogisticRegression`` pipeline)."""
    if method == "hist_gradient_boosting":
        if any(int(p.nodes["is_categorical"].any()) for (p,) in model._predictors):
            raise ValueError("a gradient-boosting model with categorical splits cannot be kept as data")
        trees = [{f: p.nodes[f].tolist() for f in TREE_FIELDS} for (p,) in model._predictors]
        return {"method": method, "baseline": float(model._baseline_prediction[0, 0]), "trees": trees}
    if method == "logistic_regression":
        scaler, regression = model[0], model[-1]
        return {
            "method": method,
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coef": regression.coef_[0].tolist(),
            "intercept": float(regression.intercept_[0]),
        }
    raise ValueError(f"unknown churn method {method!r}")


def _tree_predictors(trees: list[dict[str, list]]) -> list[Any]:
    """scikit-learn tree predictors over the stored node arrays (the fields not kept are zero)."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    predictors = []
    no_bitsets = np.zeros((0, 8), dtype=np.uint32)
    for tree in trees:
        nodes = np.zeros(len(tree["value"]), dtype=PREDICTOR_RECORD_DTYPE)
        for field in TREE_FIELDS:
            nodes[field] = tree[field]
        predictors.append(TreePredictor(nodes, no_bitsets, no_bitsets))
    return predictors


def classifier_from_data(data: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    """The probability of the positive class, ``X -> p`` (float64), of the classifier :func:`classifier_to_data`
    kept; ``X`` holds the model's columns in its order (float64, NaN where the value is missing)."""
    if data["method"] == "hist_gradient_boosting":
        predictors = _tree_predictors(data["trees"])
        baseline = float(data["baseline"])
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        threads = _openmp_effective_n_threads()  # the cores OpenMP may use (OMP_NUM_THREADS respected)

        def predict_trees(X: np.ndarray) -> np.ndarray:
            X = np.ascontiguousarray(X, dtype=np.float64)
            known = np.zeros((0, 8), dtype=np.uint32)
            index = np.zeros(X.shape[1], dtype=np.uint32)
            raw = np.zeros(len(X), dtype=np.float64) + baseline  # summed in the fit's order, as scikit-learn does
            for predictor in predictors:  # each row is walked alone: any thread count gives the same bits
                raw += predictor.predict(X, known, index, threads)
            return expit(raw)

        return predict_trees
    if data["method"] == "logistic_regression":
        mean, scale = np.asarray(data["mean"]), np.asarray(data["scale"])
        coef, intercept = np.asarray(data["coef"]), float(data["intercept"])

        def predict_linear(X: np.ndarray) -> np.ndarray:
            return expit(((np.asarray(X, dtype=np.float64) - mean) / scale) @ coef + intercept)

        return predict_linear
    raise ValueError(f"unknown churn method {data['method']!r}")
