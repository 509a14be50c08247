"""Shared fixtures: one generated dataset and one full dbt build, shared by every test that needs it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbt_project_runner import Build, run_dbt  # noqa: E402
from spark_support import BUILD_TIMES, SKIP_REASON, local_spark_session  # noqa: E402

E2E_ORDERS = 20_000
E2E_SEED = 7


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory) -> dict[str, Path]:
    """A small generated dataset with dirt, and its planted truth."""
    from customer_intelligence.tools.generate import generate

    root = tmp_path_factory.mktemp("generated")
    raw, truth = root / "raw", root / "truth"
    generate(orders=E2E_ORDERS, seed=E2E_SEED, out_dir=raw, truth_dir=truth, progress=False)
    return {"raw": raw, "truth": truth, "root": root}


@pytest.fixture(scope="session")
def built(generated_data, tmp_path_factory) -> Build:
    """One full `dbt build` of the project on the generated dataset."""
    build = run_dbt(["build"], generated_data["raw"], tmp_path_factory.mktemp("build"))
    assert build.ok, build.output[-5000:]
    return build


@pytest.fixture(scope="session")
def published(built, tmp_path_factory) -> Path:
    """The marts of the shared build, published for BI (read-only DuckDB file; Parquet beside it)."""
    from customer_intelligence.reporting.publish import publish

    root = tmp_path_factory.mktemp("published")
    path = root / "customer_intelligence.duckdb"
    publish(built.warehouse, built.target_dir / "run_results.json", path, parquet_dir=root / "parquet")
    return path


@pytest.fixture(scope="session")
def spark():
    """A local SparkSession for the Spark tests; skips them when pyspark is not installed."""
    pytest.importorskip("pyspark", reason=SKIP_REASON)
    session = local_spark_session()
    yield session
    session.stop()


def pytest_terminal_summary(terminalreporter, config):
    """After the Spark tests: the wall time of the DuckDB build and of the Spark build of the same data."""
    times = config.stash.get(BUILD_TIMES, None)
    if times:
        terminalreporter.write_line(
            f"build times on {times['orders']} generated orders: DuckDB {times['duckdb_seconds']} s, "
            f"Spark (dbt-spark session, local[2]) {times['spark_seconds']} s"
        )
