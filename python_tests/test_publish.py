"""Safe publishing for BI: only a green build is published, atomically, and readers never see a partial one."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import run_dbt

from customer_intelligence.reporting.publish import (
    PublishRefused,
    main,
    publish,
    read_publication_info,
    tables_to_publish,
    verify_publication,
)

READER = Path(__file__).with_name("publish_reader.py")


def _run_results(statuses: dict[str, str], which: str = "build", select: list[str] | None = None) -> dict:
    """A minimal run_results.json: unique_id -> status; models get a relation in schema marts."""
    results = []
    for unique_id, status in statuses.items():
        name = unique_id.split(".")[-1]
        relation = f'"wh"."marts"."{name}"' if unique_id.startswith("model.") else None
        results.append({"unique_id": unique_id, "status": status, "relation_name": relation})
    return {
        "metadata": {"invocation_id": "abc", "generated_at": "2026-01-01T00:00:00Z"},
        "args": {"which": which, "select": select or [], "exclude": []},
        "results": results,
    }


def test_gate_accepts_only_a_complete_green_build():
    green = {"model.p.fct_orders": "success", "model.p.dim_date": "success", "test.p.unique_x": "pass",
             "exposure.p.dashboard": "no-op"}
    assert [t.name for t in tables_to_publish(_run_results(green))] == ["dim_date", "fct_orders"]
    for bad_status in ("fail", "error", "skipped", "runtime error", "no-op"):
        with pytest.raises(PublishRefused, match="did not pass"):
            tables_to_publish(_run_results({**green, "test.p.not_null_y": bad_status}))
    warned = _run_results({**green, "test.p.anomaly_monitor": "warn"})  # warn-severity monitors do not stop
    assert tables_to_publish(warned)
    with pytest.raises(PublishRefused, match="anomaly_monitor: warn"):
        tables_to_publish(warned, strict=True)
    with pytest.raises(PublishRefused, match="not `dbt build`"):
        tables_to_publish(_run_results(green, which="run"))
    with pytest.raises(PublishRefused, match="partial build"):
        tables_to_publish(_run_results(green, select=["fct_orders"]))


def test_publication_is_a_verified_read_only_copy_of_the_marts(built, published):
    with duckdb.connect(str(published), read_only=True) as con:
        publication = verify_publication(con)
        schemas = {row[0] for row in con.execute("select table_schema from information_schema.tables").fetchall()}
    assert schemas == {"marts", "publication"}
    marts = built.query("select table_name from information_schema.tables where table_schema = 'marts'")
    assert set(publication.tables) == {f"marts.{name}" for name in marts["table_name"]}
    assert publication.tables["marts.fct_orders"] == built.scalar("select count(*) from marts.fct_orders")
    assert published.stat().st_mode & 0o222 == 0
    current = published.parent / "parquet" / "current"
    with duckdb.connect() as con:
        orders = con.execute(f"select count(*) from '{current}/marts/fct_orders.parquet'").fetchone()[0]
    assert orders == publication.tables["marts.fct_orders"]


@pytest.fixture
def readers():
    """Reader processes started by a test; any still running at its end (a failed test) are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _start_reader(published: Path, workdir: Path, mode: str, started: list) -> tuple[subprocess.Popen, Path]:
    out = workdir / f"reader_{mode}.json"
    process = subprocess.Popen(
        [sys.executable, str(READER), str(published), str(workdir / "stop"), str(out), mode],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    started.append(process)
    deadline = time.monotonic() + 60
    while not Path(str(out) + ".ready").exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "reader did not start"
        time.sleep(0.05)
    return process, out


def _stop_readers(workdir: Path, readers: list[tuple[subprocess.Popen, Path]]) -> list[dict]:
    (workdir / "stop").touch()
    seen = []
    for process, out in readers:
        process.wait(timeout=60)
        assert process.returncode == 0, process.stdout.read()
        seen.append(json.loads(out.read_text()))
    return seen


def _copy_publication(published: Path, workdir: Path) -> Path:
    """A private copy of the session's publication, so this test's publishes touch nothing shared."""
    target = workdir / "published" / published.name
    target.parent.mkdir(parents=True)
    shutil.copy2(published, target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_readers_see_only_complete_publications_through_a_build_and_publish(generated_data, published, tmp_path,
                                                                          readers):
    bi_file = _copy_publication(published, tmp_path)
    before = read_publication_info(bi_file)
    refreshing = _start_reader(bi_file, tmp_path, "reconnect", readers)
    holding = _start_reader(bi_file, tmp_path, "hold", readers)

    rebuild = run_dbt(["build"], generated_data["raw"], tmp_path / "rebuild")
    assert rebuild.ok, rebuild.output[-3000:]
    after = publish(rebuild.warehouse, rebuild.target_dir / "run_results.json", bi_file)

    refreshed, held = _stop_readers(tmp_path, [refreshing, holding])
    assert refreshed["errors"] == [] and held["errors"] == []
    assert refreshed["reads"] >= 20, refreshed  # it really read all through the build (a read every ~0.5 s)
    # the refreshing reader moved from the old publication to the new one, nothing in between
    assert refreshed["publications"] == [before.publication_id, after.publication_id]
    # a reader holding the file open kept reading the old publication, and did not block the build
    assert held["publications"] == [before.publication_id]
    assert read_publication_info(bi_file).publication_id == after.publication_id
    assert after.tables == before.tables  # same data rebuilt: same row counts
    # no temporary file is left beside the publication
    assert sorted(p.name for p in bi_file.parent.iterdir()) == [bi_file.name]


def test_a_build_with_a_failing_test_leaves_the_publication_untouched(generated_data, published, tmp_path, readers):
    bi_file = _copy_publication(published, tmp_path)
    before_id, before_hash = read_publication_info(bi_file).publication_id, _sha256(bi_file)
    reader = _start_reader(bi_file, tmp_path, "reconnect", readers)

    # a truncated-export guard that cannot pass
    failing = run_dbt(
        ["build", "--vars", "{publish_min_completed_orders: 1000000000}"], generated_data["raw"], tmp_path / "bad"
    )
    assert not failing.ok
    assert "FAIL 1 assert_enough_completed_orders_to_publish" in failing.output
    run_results = failing.target_dir / "run_results.json"
    with pytest.raises(PublishRefused, match="assert_enough_completed_orders_to_publish: fail"):
        publish(failing.warehouse, run_results, bi_file)
    cli = ["--warehouse", str(failing.warehouse), "--run-results", str(run_results), "--published", str(bi_file),
           "--no-parquet"]
    assert main(cli) == 1

    (seen,) = _stop_readers(tmp_path, [reader])
    assert seen["errors"] == [] and seen["publications"] == [before_id]
    assert _sha256(bi_file) == before_hash
    assert sorted(p.name for p in bi_file.parent.iterdir()) == [bi_file.name]


def test_a_warehouse_changed_by_a_later_build_is_not_published(built, published, tmp_path):
    """A later build that failed or was interrupted before writing run_results.json leaves the previous, green
    run_results.json in place: the warehouse's recorded invocation id then differs and nothing is published."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(built.warehouse, warehouse)
    run_results = built.target_dir / "run_results.json"
    bi_file = tmp_path / "published" / "customer_intelligence.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # what the on-run-start hook of a later build does first
        con.execute("update dbt_meta.build_invocation set invocation_id = 'a-later-build'")
    with pytest.raises(PublishRefused, match="last written by dbt invocation a-later-build"):
        publish(warehouse, run_results, bi_file)
    assert not bi_file.parent.exists() or list(bi_file.parent.iterdir()) == []
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table dbt_meta.build_invocation")
    with pytest.raises(PublishRefused, match="no dbt_meta.build_invocation"):
        publish(warehouse, run_results, bi_file)
