"""Monitors on the default-shaped data: source freshness reads the raw files, and the rejected-share
and anomaly monitors stay quiet on the clean generated data (the shared build has 0 warnings: see
test_e2e_foundation.test_build_is_clean)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from dbt_project_runner import run_dbt


def test_source_freshness_reads_the_newest_valid_update(generated_data, tmp_path):
    """`dbt source freshness` with thresholds from the environment: the generated data ends in
    December 2024, so it is older than 1 day (warn) but younger than 100,000 days (no error)."""
    build = run_dbt(
        ["source", "freshness"],
        generated_data["raw"],
        tmp_path,
        extra_env={"CIQ_FRESHNESS_WARN_DAYS": "1", "CIQ_FRESHNESS_ERROR_DAYS": "100000"},
    )
    assert build.ok, build.output[-3000:]
    sources = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    results = {r["unique_id"].split(".")[-1]: r for r in sources}
    assert set(results) == {"customers", "orders"}  # order_lines and products have no updated_at
    now = pd.Timestamp(dt.datetime.now())
    for table, result in results.items():
        assert result["status"] == "warn", table
        assert result["criteria"]["warn_after"] == {"count": 1, "period": "day"}
        assert result["criteria"]["error_after"] == {"count": 100000, "period": "day"}
        raw = pd.read_parquet(generated_data["raw"] / f"{table}.parquet", columns=["updated_at"])["updated_at"]
        newest_valid = raw[raw <= now].max()  # future-dated dirt does not make a table look fresh
        assert pd.Timestamp(result["max_loaded_at"]).tz_localize(None) == newest_valid, table
