"""The "who moved" finding: the largest downgrade between the last two as-of dates of the segment history.

Reads ``marts.agg_segment_migrations`` (one row per period, segment type, from-segment and to-segment;
``is_downgrade`` from the seed segment_catalog's order). The finding names the from -> to move with the
most customers in the latest period among the RFM segments and the customer status, e.g. "312 Loyal
Customers customers moved to At Risk between 2024-11-01 and 2024-12-01; they brought $1.2M to date".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from customer_intelligence.reporting.tables import read_table_or_empty

#: The segment types the finding considers (loyalty tiers and quadrants barely move down).
MIGRATION_SEGMENT_TYPES = ("rfm_segment", "customer_status")
MIGRATION_RULE = ("the largest move of customers to a later RFM segment or customer status (seed segment_catalog's "
                  "order) between the last two as-of dates of the segment history")


def load_migrations(con: Any) -> pd.DataFrame:
    """agg_segment_migrations, or an empty frame when the warehouse has none (an older publication)."""
    return read_table_or_empty(con, "agg_segment_migrations", ["from_date", "to_date", "segment_type", "from_segment",
                                                               "to_segment", "is_downgrade", "customers",
                                                               "net_revenue"])


def largest_downgrade(migrations: pd.DataFrame) -> dict[str, Any] | None:
    """The latest period's downgrade with the most customers (ties: revenue, then names), with the
    customers present at both dates; None without a period or a downgrade."""
    if migrations.empty:
        return None
    latest = migrations[migrations["to_date"] == migrations["to_date"].max()]
    present = int(latest.loc[latest["segment_type"] == MIGRATION_SEGMENT_TYPES[0], "customers"].sum())
    moves = latest[latest["is_downgrade"].astype(bool) & latest["segment_type"].isin(MIGRATION_SEGMENT_TYPES)]
    if moves.empty or present == 0:
        return None
    top = moves.sort_values(["customers", "net_revenue", "segment_type", "from_segment", "to_segment"],
                            ascending=[False, False, True, True, True], kind="mergesort").iloc[0]
    return {
        "from_date": str(pd.Timestamp(top["from_date"]).date()),
        "to_date": str(pd.Timestamp(top["to_date"]).date()),
        "segment_type": str(top["segment_type"]),
        "from_segment": str(top["from_segment"]),
        "to_segment": str(top["to_segment"]),
        "customers": int(top["customers"]),
        "net_revenue": float(top["net_revenue"]),
        "present_customers": present,
    }
