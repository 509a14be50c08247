"""Shared fixtures: one generated dataset and one full dbt build, shared by every test that needs it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbt_project_runner import Build, run_dbt  # noqa: E402
from spark_support import BUILD_TIMES, SKIP_REASON, build_package_on_spark, local_spark_session  # noqa: E402

E2E_ORDERS = 20_000
E2E_SEED = 7
# The Spark tests' data: Spark's cost is per model, not per row, at this size.
SPARK_TEST_ORDERS = int(os.environ.get("CIQ_SPARK_TEST_ORDERS", "5000"))


def generate_into(root: Path, orders: int) -> dict[str, Path]:
    """Generate ``orders`` orders (seed E2E_SEED) into ``root``/raw with the planted truth in ``root``/truth."""
    from customer_intelligence.tools.generate import generate

    raw, truth = root / "raw", root / "truth"
    generate(orders=orders, seed=E2E_SEED, out_dir=raw, truth_dir=truth, progress=False)
    return {"raw": raw, "truth": truth, "root": root}


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory) -> dict[str, Path]:
    """A small generated dataset with dirt, and its planted truth."""
    return generate_into(tmp_path_factory.mktemp("generated"), E2E_ORDERS)


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


@pytest.fixture(scope="session")
def spark_data(tmp_path_factory) -> dict[str, Path]:
    """The Spark tests' generated data (SPARK_TEST_ORDERS orders, seed 7) and its planted truth."""
    pytest.importorskip("pyspark", reason=SKIP_REASON)
    return generate_into(tmp_path_factory.mktemp("spark_data"), SPARK_TEST_ORDERS)


@pytest.fixture(scope="session")
def spark_builds(spark_data, request) -> dict:
    """The two builds every Spark test compares: the standalone DuckDB build of the Spark data, and the one
    Spark build (the project as a dbt package of a host project, raw tables from the metastore,
    spark_support.build_package_on_spark), with their wall times."""
    root = spark_data["root"]
    start = time.perf_counter()
    duck = run_dbt(["build"], spark_data["raw"], root / "duckdb")
    duck_seconds = time.perf_counter() - start
    assert duck.ok, duck.output[-5000:]
    on_spark = build_package_on_spark(spark_data["raw"], root / "host")
    times = {
        "orders": SPARK_TEST_ORDERS,
        "duckdb_seconds": round(duck_seconds, 1),
        "spark_seconds": round(on_spark["seconds"], 1),
    }
    request.config.stash[BUILD_TIMES] = times  # printed in the terminal summary below
    spark_output = on_spark["build"].stdout + on_spark["build"].stderr
    return {"duckdb": duck, "spark_output": spark_output, "spark_dir": on_spark["spark_dir"],
            "spark_project": on_spark["project"], "times": times}


def pytest_terminal_summary(terminalreporter, config):
    """After the Spark tests: the wall time of the DuckDB build and of the Spark build of the same data."""
    times = config.stash.get(BUILD_TIMES, None)
    if times:
        terminalreporter.write_line(
            f"build times on {times['orders']} generated orders: DuckDB {times['duckdb_seconds']} s, "
            f"Spark (dbt-spark session, local[2], as a package) {times['spark_seconds']} s"
        )
