"""The publication opens in every client: DuckDB 1.4 (a separate venv) and SQLAlchemy + duckdb-engine.

DuckDB 1.x is what the ODBC/JDBC drivers and the Node API (Evidence) that BI tools bundle are built on; the
publication is written with storage version ``v1.0.0`` so that they open it (issue 16). The DuckDB 1.4 venv is
created once under ``.venv-duckdb14/`` (``make duckdb14-setup`` does the same) and reused by later runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer_intelligence.reporting.publish import STORAGE_VERSION, parquet_current_id, read_publication_info

PROJECT_DIR = Path(__file__).resolve().parents[1]
READER = Path(__file__).with_name("publication_client_reader.py")
OLD_DUCKDB = "1.4.5"  # the newest 1.4 patch; 1.4 reads storage versions up to v1.4.0
OLD_VENV = PROJECT_DIR / ".venv-duckdb14"


def _old_duckdb_python() -> Path:
    """The venv's python with duckdb==OLD_DUCKDB, created when its stamp is missing; skip if pip cannot install."""
    python, stamp = OLD_VENV / "bin" / "python", OLD_VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == OLD_DUCKDB:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(OLD_VENV)], check=True)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"duckdb=={OLD_DUCKDB}"],
                             capture_output=True, text=True)
    if install.returncode != 0:
        pytest.skip(f"cannot install duckdb=={OLD_DUCKDB} from the package registry into {OLD_VENV} "
                    f"(is it reachable?): {install.stderr.strip()[-500:]}")
    stamp.write_text(OLD_DUCKDB + "\n")
    return python


@pytest.fixture(scope="module")
def old_duckdb_python() -> Path:
    """A python that imports DuckDB 1.4 (and nothing of the project)."""
    return _old_duckdb_python()


def _read(python: Path, published: Path) -> dict:
    parquet_version = published.parent / "parquet" / "current" / "marts"
    result = subprocess.run([str(python), str(READER), str(published), str(parquet_version.parent)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_duckdb_1_4_reads_every_table_of_both_formats_as_duckdb_2_does(published, old_duckdb_python):
    old, new = _read(old_duckdb_python, published), _read(Path(sys.executable), published)
    assert old["duckdb_version"] == OLD_DUCKDB and new["duckdb_version"].startswith("2.")
    manifest = read_publication_info(published).tables
    assert set(old["duckdb"]) == set(manifest) and len(manifest) > 30
    assert {name: count for name, (count, _) in old["duckdb"].items()} == manifest
    assert old["duckdb"] == new["duckdb"]  # same row counts and content checksums, table by table
    assert old["parquet"] == new["parquet"] == old["duckdb"]  # the Parquet export holds the same rows
    assert parquet_current_id(published.parent / "parquet") == read_publication_info(published).publication_id


def test_the_publication_records_its_storage_version(published):
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select storage_version from publication.publication_info").fetchone()[0] \
            == STORAGE_VERSION


def test_sqlalchemy_and_duckdb_engine_read_the_marts_read_only(published):
    """What Superset (and pandas.read_sql) do: a SQLAlchemy engine on duckdb:///<file> with read_only."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("duckdb_engine")
    engine = sqlalchemy.create_engine(f"duckdb:///{published}", connect_args={"read_only": True})
    try:
        manifest = read_publication_info(published).tables
        names = sqlalchemy.inspect(engine).get_table_names(schema="marts")
        assert {f"marts.{name}" for name in names} == set(manifest)
        with engine.connect() as connection:
            for name in names:
                count = connection.execute(sqlalchemy.text(f'select count(*) from marts."{name}"')).scalar_one()
                assert count == manifest[f"marts.{name}"], name
            revenue = connection.execute(sqlalchemy.text("select net_revenue from marts.kpi_overview")).scalar_one()
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
                connection.execute(sqlalchemy.text("create table marts.x as select 1"))
    finally:
        engine.dispose()
    with duckdb.connect(str(published), read_only=True) as con:
        assert revenue == con.execute("select net_revenue from marts.kpi_overview").fetchone()[0]
