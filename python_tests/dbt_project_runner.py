"""Run the dbt project from tests: each build in its own raw folder, warehouse and target path.

dbt runs as a subprocess of the venv's ``dbt`` so that every build reads its own environment
(raw folder, warehouse path) and releases the DuckDB file when it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))


@dataclass(frozen=True)
class Build:
    """Where one build of the project put its outputs."""

    raw_dir: Path
    warehouse: Path
    target_dir: Path
    result: subprocess.CompletedProcess

    @property
    def ok(self) -> bool:
        return self.result.returncode == 0

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def query(self, sql: str):
        """Run a query against the built warehouse (read-only) and return a pandas frame."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()

    def scalar(self, sql: str):
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchone()[0]


def dbt_env(raw_dir: Path, warehouse: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a build runs with."""
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "CIQ_RAW_DIR": str(raw_dir),
            "CIQ_WAREHOUSE_PATH": str(warehouse),
            "CIQ_DUCKDB_TEMP_DIR": str(warehouse.parent / ".tmp"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra_env or {})
    return env


def run_dbt(
    args: list[str],
    raw_dir: Path,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    warehouse: Path | None = None,
) -> Build:
    """Run ``dbt <args>`` on the project against ``raw_dir``; outputs go under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = warehouse or workdir / "warehouse.duckdb"
    target_dir = workdir / "target"
    cmd = [DBT, *args, "--target-path", str(target_dir), "--log-path", str(workdir / "logs")]
    result = subprocess.run(
        cmd,
        cwd=PROJECT_DIR,
        env=dbt_env(raw_dir, warehouse, extra_env),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(raw_dir=raw_dir, warehouse=warehouse, target_dir=target_dir, result=result)
