"""Helpers for the bad-input corpus: write raw files, count their rows independently, read dbt results.

Raw row counts are computed here with the csv module and pyarrow, independently of DuckDB and of
the project's SQL, so the warehouse's accounting can be checked against them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RAW_TABLES = ["customers", "orders", "order_lines", "products"]


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    """Write a CSV with the csv module (RFC-4180 quoting of commas, quotes and newlines); None as empty."""
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def write_parquet(path: Path, columns: dict[str, tuple[pa.DataType, list]]) -> Path:
    """Write a Parquet file from {column: (arrow type, values)}."""
    table = pa.table({name: pa.array(values, type=dtype) for name, (dtype, values) in columns.items()})
    pq.write_table(table, path)
    return path


def raw_row_count(raw_dir: Path, table: str, encodings: dict[str, str] | None = None) -> int:
    """Data rows of a table's raw file, counted without DuckDB: 0 when absent, empty or header-only."""
    parquet = raw_dir / f"{table}.parquet"
    if parquet.exists():
        return pq.read_metadata(parquet).num_rows
    path = raw_dir / f"{table}.csv"
    if not path.exists() or path.stat().st_size == 0:
        return 0
    encoding = (encodings or {}).get(table, "utf-8-sig")
    with path.open(encoding=encoding, newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


def outcomes(build, table: str) -> dict[int, str]:
    """Where each raw row of a table went: its reject reason, 'staged', or its drop reason
    ('duplicate': an exact copy; 'superseded_version': an older version of an order)."""
    frame = build.query(
        f"select _raw_row_number, reject_reason, drop_reason, dedup_rank from staging.base_raw__{table} "
        "order by _raw_row_number"
    )
    result = {}
    for row in frame.to_dict("records"):
        reason = row["reject_reason"]
        if isinstance(reason, str):
            result[int(row["_raw_row_number"])] = reason
        elif row["dedup_rank"] == 1:
            result[int(row["_raw_row_number"])] = "staged"
        else:
            drop = row["drop_reason"]
            result[int(row["_raw_row_number"])] = drop if isinstance(drop, str) else "duplicate"
    return result


def accounting(build) -> dict[str, dict]:
    """marts.dq_raw_row_accounting as {table: row}."""
    frame = build.query("select * from marts.dq_raw_row_accounting")
    return {row["source_table"]: row for row in frame.to_dict("records")}


def data_test_statuses(build) -> dict[str, str]:
    """Status (pass / warn / fail / error / skipped) of every data test, by test name."""
    results = json.loads((build.target_dir / "run_results.json").read_text())
    return {r["unique_id"].split(".")[2]: r["status"] for r in results["results"] if r["unique_id"].startswith("test.")}


def model_statuses(build) -> dict[str, str]:
    """Status (success / error / skipped) of every model, by model name."""
    results = json.loads((build.target_dir / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[-1]: r["status"] for r in results["results"] if r["unique_id"].startswith("model.")
    }
