"""The polars-notebook peer of the benchmark: the pandas peer's figures (customer RFM summary,
order-frequency bands and headline KPIs) computed with polars' lazy API.

Same steps and rules as :func:`customer_intelligence.tools.bench.peer_worker`: read the files, drop bad and
duplicate rows (latest ``updated_at`` wins; lines: positive quantity and price, last duplicate wins),
join lines to orders, net revenue of completed orders, per-customer recency / frequency / monetary
with quintile scores, bands and KPIs. Timed from the first read to the last figure (polars already
imported, as in a running notebook).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

BANDS = ["1", "2-3", "4-5", "6+"]


def band_of(frequency: Any) -> Any:
    """The order-frequency band of a polars expression (1, 2-3, 4-5, 6+), as the pandas peer's pd.cut."""
    import polars as pl

    return (pl.when(frequency <= 1).then(pl.lit("1"))
            .when(frequency <= 3).then(pl.lit("2-3"))
            .when(frequency <= 5).then(pl.lit("4-5"))
            .otherwise(pl.lit("6+")))


def quintile(expression: Any, descending: bool = False) -> Any:
    """1-5 quintile score of a polars expression from its ordinal rank (ties by position)."""
    import polars as pl

    rank = expression.rank("ordinal", descending=descending)
    return ((rank - 1) * 5 // pl.len() + 1).cast(pl.Int8)


def polars_peer_worker(raw: str) -> dict[str, Any]:
    """The peer's figures with polars; the same result shape as the pandas peer."""
    import polars as pl

    raw_dir = Path(raw)
    start = time.perf_counter()
    known = (pl.scan_parquet(raw_dir / "customers.parquet").select(pl.col("customer_id").str.strip_chars())
             .drop_nulls().unique())
    today = dt.datetime.combine(dt.date.today(), dt.time())
    orders = (
        pl.scan_parquet(raw_dir / "orders.parquet")
        .with_columns(pl.col("order_id").str.strip_chars(), pl.col("customer_id").str.strip_chars())
        .drop_nulls(["order_id", "customer_id", "order_ts"])
        .filter((pl.col("order_ts") >= dt.datetime(2000, 1, 1)) & (pl.col("order_ts").dt.truncate("1d") <= today))
        .join(known, on="customer_id", how="semi")
        .sort(["order_id", "updated_at"], nulls_last=False, maintain_order=True)
        .unique("order_id", keep="last", maintain_order=True)
    )
    lines = (
        pl.scan_parquet(raw_dir / "order_lines.parquet")
        .drop_nulls(["order_id"])
        .filter((pl.col("quantity") > 0) & (pl.col("unit_price") > 0))
        .unique(["order_id", "line_number"], keep="last", maintain_order=True)
        .join(orders.select("order_id"), on="order_id", how="semi")
        .with_columns(net=(pl.col("quantity") * pl.col("unit_price") - pl.col("discount_amount").fill_null(0))
                      .round(2))
        .group_by("order_id").agg(pl.col("net").sum().round(2))
    )
    orders = (
        orders.join(lines, on="order_id", how="left")
        .with_columns(pl.col("net").fill_null(0.0))
        .with_columns(revenue=pl.when(pl.col("status") == "completed").then(pl.col("net")).otherwise(0.0))
        .collect()
    )
    as_of = orders["order_ts"].max().replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    completed = orders.filter(pl.col("status") == "completed")
    rfm = (
        completed.lazy().group_by("customer_id")
        .agg(frequency=pl.len(), monetary=pl.col("revenue").sum(), first_order=pl.col("order_ts").min(),
             last_order=pl.col("order_ts").max())
        .with_columns(recency_days=(pl.lit(as_of) - pl.col("last_order").dt.truncate("1d")).dt.total_days())
        .sort("customer_id")
        .with_columns(r_score=quintile(pl.col("recency_days"), descending=True),
                      f_score=quintile(pl.col("frequency")), m_score=quintile(pl.col("monetary")),
                      band=band_of(pl.col("frequency")))
        .with_columns(rfm_code=pl.concat_str(["r_score", "f_score", "m_score"]))
        .collect()
    )
    bands = rfm.group_by("band").agg(customers=pl.len(), revenue=pl.col("monetary").sum())
    counts = dict(zip(bands["band"].to_list(), bands["customers"].to_list(), strict=True))

    total_revenue = float(orders["revenue"].sum())
    customers, n_completed = rfm.height, completed.height
    kpis = {
        "customers": int(customers),
        "orders": int(n_completed),
        "revenue": round(total_revenue, 2),
        "aov": total_revenue / n_completed if n_completed else None,
        "ltv": total_revenue / customers if customers else None,
        "repeat_purchase_rate": float((rfm["frequency"] >= 2).mean()) if customers else None,
    }
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "kpis": kpis, "all_orders": int(orders.height),
            "bands": {band: int(counts.get(band, 0)) for band in BANDS}}
