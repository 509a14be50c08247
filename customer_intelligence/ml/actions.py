"""Customer action table: who to act on first, and what to do, by segment.

``revenue_at_risk = churn_probability x predicted_clv_12m``: the part of next year's expected value that
is lost if the churn risk materialises. Customers are ranked by it (descending; ties by ``customer_id``
ascending, so the ranking is stable) and each gets the recommended action of their segment
(:data:`ACTIONS`, keyed by the base segment name). The table also carries net revenue and churn
probability per customer, which is the data for a revenue-vs-churn-risk scatter.

Inputs (the outputs of the other modules, joined on ``customer_id``; the churn table defines the
population, i.e. every customer with a completed order before ``as_of``):

* ``segments``: ``customer_id``, ``segment_name``, ``segment`` (from ``segment_tables``)
* ``churn``: ``customer_id``, ``churn_probability``, ``churn_risk_tier``, ``scoring_method``,
  ``recency_days``, ``net_revenue``, ``last_order_date`` (from ``churn_tables``)
* ``clv``: ``customer_id``, ``predicted_clv_12m`` (from ``clv_table``)
* ``customer_facts`` (optional): ``customer_id`` and any of ``net_revenue``, ``last_order_date``; where
  given (not null), these override the values carried by ``churn`` (e.g. lifetime facts from
  ``dim_customers``).

A customer missing from ``segments`` gets segment ``"Unsegmented"`` and action :data:`DEFAULT_ACTION`;
missing from ``clv`` gets ``predicted_clv_12m = 0``.

Output (one row per customer, sorted by ``action_rank``):

=====================  ==============  ==============================================================
action_rank            int64           1 = highest revenue at risk
customer_id            str
segment_name           str             e.g. "Loyal Regulars 2"
segment                str             base segment
last_order_date        datetime64[us]
recency_days           int64
net_revenue            float64         historical net revenue
churn_probability      float64
churn_risk_tier        str             low / medium / high
scoring_method         str             which churn method scored the customer
predicted_clv_12m      float64
revenue_at_risk        float64         churn_probability x predicted_clv_12m (rounded to cents)
recommended_action     str
churn_driver_N         str             N = 1..3: the customer's top churn drivers with their size
churn_driver_N_points  float64         each driver's contribution in probability points (null if none)
=====================  ==============  ==============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_intelligence.ml.features import DATE_DTYPE
from customer_intelligence.ml.naming import catalog_actions

__all__ = ["ACTIONS", "DEFAULT_ACTION", "action_table", "recommended_action"]

#: Recommended action per segment name and per recency word of a descriptive name (seed segment_catalog,
#: types ml_segment and ml_trait: the one place they are defined).
ACTIONS: dict[str, str] = catalog_actions()
DEFAULT_ACTION = "Review manually: no segment assigned"
UNSEGMENTED = "Unsegmented"

#: The churn drivers carried from the churn table (:mod:`customer_intelligence.ml.drivers`), null when absent.
DRIVER_COLUMNS: list[str] = [f"churn_driver_{i}{suffix}" for i in (1, 2, 3) for suffix in ("", "_points")]

OUTPUT_COLUMNS: list[str] = [
    "action_rank",
    "customer_id",
    "segment_name",
    "segment",
    "last_order_date",
    "recency_days",
    "net_revenue",
    "churn_probability",
    "churn_risk_tier",
    "scoring_method",
    "predicted_clv_12m",
    "revenue_at_risk",
    "recommended_action",
    *DRIVER_COLUMNS,
]


def recommended_action(segment: str, actions: dict[str, str] | None = None) -> str:
    """The action of a segment: its own (a catalogued name), else that of its first word (the recency word
    of a descriptive name such as "Lapsed mid-value"), else :data:`DEFAULT_ACTION`."""
    actions = ACTIONS if actions is None else actions
    name = str(segment)
    return actions.get(name) or actions.get(name.split(" ", 1)[0]) or DEFAULT_ACTION


def _align(base_ids: np.ndarray, other: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``other[columns]`` re-ordered to ``base_ids`` (missing rows become NA).

    Fast path when ``other`` already has exactly the same ids in the same order (the usual case: all
    module outputs are sorted by ``customer_id``); otherwise a hash look-up on the ids. Duplicated
    ids in ``other`` keep their first row.
    """
    ids = other["customer_id"].astype("str").to_numpy()
    if len(ids) == len(base_ids) and np.array_equal(ids, base_ids):
        return other[columns].reset_index(drop=True)
    index = pd.Index(ids)
    if not index.is_unique:
        first = ~index.duplicated(keep="first")
        other, index = other[first], index[first]
    pos = index.get_indexer(pd.Index(base_ids))
    out = other[columns].iloc[np.where(pos >= 0, pos, 0)].reset_index(drop=True)
    missing = pos < 0
    if missing.any():
        numeric = [c for c in columns if pd.api.types.is_bool_dtype(out[c]) or pd.api.types.is_integer_dtype(out[c])]
        out = out.astype(dict.fromkeys(numeric, "float64"))
        out.loc[missing, :] = None
    return out


def action_table(
    segments: pd.DataFrame,
    churn: pd.DataFrame,
    clv: pd.DataFrame,
    customer_facts: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank customers by revenue at risk and attach the segment's recommended action.

    ``catalog`` is the seed segment_catalog (as ``dbt.ref`` gives it); default: the seed CSV.

    See the module docstring for inputs, the ranking rule and the output columns.
    """
    base_ids = churn["customer_id"].astype("str").to_numpy()
    carried = [c for c in ("recency_days", "net_revenue", "last_order_date", *DRIVER_COLUMNS) if c in churn.columns]
    df = churn[["churn_probability", "churn_risk_tier", "scoring_method", *carried]].reset_index(drop=True)
    df.insert(0, "customer_id", base_ids)
    seg_cols = ["segment_name"] + (["segment"] if "segment" in segments.columns else [])
    df[seg_cols] = _align(base_ids, segments, seg_cols)
    df["predicted_clv_12m"] = _align(base_ids, clv, ["predicted_clv_12m"])["predicted_clv_12m"].to_numpy()
    if customer_facts is not None:
        fact_cols = [c for c in ("net_revenue", "last_order_date") if c in customer_facts.columns]
        if fact_cols:
            facts = _align(base_ids, customer_facts, fact_cols)
            for c in fact_cols:
                if c in df.columns:  # override where the facts have a value
                    df[c] = facts[c].where(facts[c].notna(), df[c])
                else:
                    df[c] = facts[c].to_numpy()
    for col, default in (("recency_days", 0), ("net_revenue", 0.0)):
        if col not in df.columns:
            df[col] = default
    if "last_order_date" not in df.columns:
        df["last_order_date"] = pd.NaT

    seg_name = df["segment_name"].astype("str").fillna(UNSEGMENTED)
    seg_name = seg_name.where(df["segment_name"].notna(), UNSEGMENTED)
    if "segment" in df.columns:
        seg = df["segment"].astype("str").where(df["segment"].notna(), UNSEGMENTED)
    else:
        seg = seg_name
    prob = df["churn_probability"].to_numpy(dtype=np.float64)
    value = df["predicted_clv_12m"].fillna(0.0).to_numpy(dtype=np.float64)
    risk = np.round(np.nan_to_num(prob) * value, 2)

    out = pd.DataFrame(
        {
            "customer_id": pd.array(df["customer_id"].to_numpy(), dtype="str"),
            "segment_name": pd.array(seg_name.to_numpy(), dtype="str"),
            "segment": pd.array(seg.to_numpy(), dtype="str"),
            "last_order_date": pd.to_datetime(df["last_order_date"]).astype(DATE_DTYPE).to_numpy(),
            "recency_days": df["recency_days"].fillna(0).to_numpy(dtype=np.int64),
            "net_revenue": df["net_revenue"].fillna(0.0).to_numpy(dtype=np.float64),
            "churn_probability": prob,
            "churn_risk_tier": pd.array(df["churn_risk_tier"].to_numpy(), dtype="str"),
            "scoring_method": pd.array(df["scoring_method"].to_numpy(), dtype="str"),
            "predicted_clv_12m": value,
            "revenue_at_risk": risk,
        }
    )
    for col in DRIVER_COLUMNS:
        values = df[col] if col in df.columns else pd.Series([None] * len(df))
        is_points = col.endswith("_points")
        out[col] = values.to_numpy(dtype=np.float64) if is_points else pd.array(values.to_numpy(), dtype="str")
    known = ACTIONS if catalog is None else catalog_actions(catalog)
    actions = {s: recommended_action(s, known) if s != UNSEGMENTED else DEFAULT_ACTION for s in out["segment"].unique()}
    out["recommended_action"] = pd.array(out["segment"].map(actions).to_numpy(), dtype="str")
    if pd.Index(out["customer_id"]).is_monotonic_increasing:
        # rows are already in id order: a stable sort on the risk alone breaks ties by id
        out = out.iloc[np.argsort(-risk, kind="stable")]
    else:
        out = out.sort_values(["revenue_at_risk", "customer_id"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)
    out.insert(0, "action_rank", np.arange(1, len(out) + 1, dtype=np.int64))
    return out[OUTPUT_COLUMNS]
