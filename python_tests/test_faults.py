"""Faults: a `dbt build` killed with SIGKILL while a model runs leaves a usable warehouse; the next
build succeeds and reaches the same figures as an uninterrupted build of the same data.

DuckDB writes every change to a write-ahead log (<warehouse>.wal) and only commits whole
transactions; dbt-duckdb creates each table in a transaction (create ... __dbt_tmp, rename). A
process killed mid-model leaves the WAL behind with the uncommitted work; the next connection
replays the committed part and drops the rest, so no manual handling is needed.
"""

from __future__ import annotations

import re
import subprocess
import time

from dbt_project_runner import DBT, PROJECT_DIR, Build, dbt_env, run_dbt

KILL_WHEN = re.compile(r"START sql \w+ model marts\.fct_order_lines")  # deep in the build, after staging
BUILD = ["build", "--exclude-resource-type", "unit_test"]  # unit tests do not touch the warehouse


def mart_figures(build: Build) -> dict[str, float]:
    """Row count of every table in schema marts, plus total net revenue and customers."""
    tables = build.query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
    )["table_name"].tolist()
    figures = {t: build.scalar(f"select count(*) from marts.{t}") for t in tables}
    figures["net_revenue"] = round(build.scalar("select sum(net_revenue) from marts.fct_orders"), 2)
    figures["rejected_rows"] = build.scalar("select count(*) from staging.stg_raw__rejected_rows")
    return figures


def test_build_killed_mid_model_recovers_to_the_same_result(generated_data, built, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    log = tmp_path / "logs" / "dbt.log"
    cmd = [DBT, *BUILD, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env=dbt_env(generated_data["raw"], warehouse),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    try:
        while not KILL_WHEN.search(log.read_text() if log.exists() else ""):
            assert proc.poll() is None, "the build ended before a mart started"
            assert time.monotonic() < deadline, "no mart started within 10 minutes"
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL to the process this test started
        proc.wait()
    assert proc.returncode == -9
    assert "Done. PASS=" not in log.read_text()  # it really was cut off mid-build

    # the killed warehouse still opens and holds what was committed before the kill
    killed = Build(generated_data["raw"], warehouse, tmp_path / "target", None)
    assert killed.scalar("select count(*) from staging.base_raw__orders") > 0

    rebuilt = run_dbt(BUILD, generated_data["raw"], tmp_path, warehouse=warehouse)
    assert rebuilt.ok, rebuilt.output[-4000:]
    assert mart_figures(rebuilt) == mart_figures(built)
