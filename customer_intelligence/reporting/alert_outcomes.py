"""Alert outcomes in the findings report: how right the past churn alerts were.

Reads ``marts.agg_alert_precision`` (its 'All' x 'All' row: alerts fired, judged, right). An alert is right
when the customer placed no completed order within the churn horizon after it (``ml_alert_outcomes``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from customer_intelligence.reporting.tables import read_table_or_empty

#: Below this precision the past alerts are a weakness (more false alarms than right calls), else a strength.
MIN_ALERT_PRECISION = 0.5
ALERT_PRECISION_RULE = (f"the precision of past churn alerts (no order within the churn horizon): a strength at or "
                        f"above {MIN_ALERT_PRECISION:.0%}, a weakness below; only alerts whose horizon has ended")


def load_alert_precision(con: Any) -> pd.DataFrame:
    """agg_alert_precision, or an empty frame when the warehouse has none."""
    return read_table_or_empty(con, "agg_alert_precision", ["segment", "high_value_basis", "alerts", "judged_alerts",
                                                            "correct_alerts", "alert_precision"])


def overall_alert_precision(precision: pd.DataFrame) -> dict[str, Any] | None:
    """The 'All' x 'All' row as plain figures, with the worst-judged segment; None when nothing is judged."""
    if precision.empty:
        return None
    overall = precision[(precision["segment"] == "All") & (precision["high_value_basis"] == "All")]
    if overall.empty or int(overall["judged_alerts"].iloc[0]) == 0:
        return None
    row = overall.iloc[0]
    segments = precision[(precision["segment"] != "All") & (precision["high_value_basis"] == "All")
                         & (precision["judged_alerts"] > 0)]
    worst = segments.sort_values(["alert_precision", "segment"], kind="mergesort").iloc[0] if len(segments) else None
    return {
        "alerts": int(row["alerts"]),
        "judged_alerts": int(row["judged_alerts"]),
        "correct_alerts": int(row["correct_alerts"]),
        "precision": float(row["alert_precision"]),
        "worst_segment": None if worst is None else str(worst["segment"]),
        "worst_precision": None if worst is None else float(worst["alert_precision"]),
    }
