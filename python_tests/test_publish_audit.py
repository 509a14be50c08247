"""Audit before publish, formats that switch together, and readers of the current publication.

Every test here works on small hand-made warehouses (a few rows per mart, a hand-written run_results.json),
so no dbt build is needed; each figure below is worked out by hand from the rows the test writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer_intelligence.reporting.publish import (
    PublishRefused,
    open_current_publication,
    parquet_current_id,
    publish,
    read_publication_info,
    verify_publication,
)
from customer_intelligence.reporting.publish_audit import AuditLimits, compare, key_figures, limits_from_env

PROJECT_DIR = Path(__file__).resolve().parents[1]


def make_build(folder: Path, invocation_id: str, customers: int, revenue: float,
               segments: dict[str, int] | None = None) -> tuple[Path, Path]:
    """A warehouse as a green build leaves it, and its run_results.json.

    ``customers`` purchasers (plus one non-purchaser, who is never counted), ``customers * 2`` orders,
    ``revenue``; ``segments`` gives the RFM segment of the purchasers (default: all 'Champions').
    """
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "warehouse.duckdb"
    segments = segments or {"Champions": customers}
    assert sum(segments.values()) == customers
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema dbt_meta; create schema marts")
        con.execute("create table dbt_meta.build_invocation as select ? as invocation_id", [invocation_id])
        con.execute("create table marts.kpi_overview as select ?::bigint as total_customers, "
                    "?::bigint as total_orders, ?::decimal(18, 2) as net_revenue", [customers, customers * 2, revenue])
        rows = [(i, True, name, "Gold") for i, name in enumerate(
            name for name, count in segments.items() for _ in range(count))]
        rows.append((len(rows), False, "No Purchase", "None"))
        con.execute("create table marts.dim_customer_360 (customer_id integer, is_purchaser boolean, "
                    "rfm_segment varchar, loyalty_tier varchar)")
        con.executemany("insert into marts.dim_customer_360 values (?, ?, ?, ?)", rows)
    run_results = {
        "metadata": {"invocation_id": invocation_id, "generated_at": "2026-01-01T00:00:00Z"},
        "args": {"which": "build", "select": [], "exclude": []},
        "results": [{"unique_id": f"model.p.{name}", "status": "success", "relation_name": f'"wh"."marts"."{name}"'}
                    for name in ("kpi_overview", "dim_customer_360")],
    }
    (folder / "run_results.json").write_text(json.dumps(run_results))
    return warehouse, folder / "run_results.json"


@pytest.fixture
def site(tmp_path) -> dict[str, Path]:
    """Where the tests publish: the DuckDB file and the Parquet folder."""
    return {"published": tmp_path / "pub" / "customer_intelligence.duckdb", "parquet": tmp_path / "pub" / "parquet"}


def _publish(site, build: tuple[Path, Path], **kwargs):
    return publish(build[0], build[1], site["published"], site["parquet"], **kwargs)


def test_key_figures_and_shifts_are_the_hand_worked_ones(tmp_path):
    warehouse, _ = make_build(tmp_path / "a", "inv-a", customers=4, revenue=100,
                              segments={"Champions": 3, "Lost": 1})
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as a (read_only)")
        figures = key_figures(con, "a")
    # the non-purchaser is left out of the shares; ML marts are absent, so their figures are skipped
    assert figures == {"customers": ("total", 4.0), "orders": ("total", 8.0), "net revenue": ("total", 100.0),
                       "RFM segment: Champions": ("share", 0.75), "RFM segment: Lost": ("share", 0.25),
                       "loyalty tier: Gold": ("share", 1.0)}
    after = {**figures, "customers": ("total", 5.0), "RFM segment: Champions": ("share", 0.6),
             "RFM segment: Lost": ("share", 0.2), "RFM segment: New": ("share", 0.2)}
    shifts = {s.figure: s for s in compare(figures, after, AuditLimits(0.2, 10))}
    assert shifts["customers"].shift == pytest.approx(0.25) and shifts["customers"].breached  # 5/4 - 1 > 20 %
    assert shifts["RFM segment: Champions"].shift == pytest.approx(-15.0) and shifts["RFM segment: Champions"].breached
    assert shifts["RFM segment: Lost"].shift == pytest.approx(-5.0) and not shifts["RFM segment: Lost"].breached
    assert shifts["RFM segment: New"].shift == pytest.approx(20.0)  # appeared: 0 -> 20 %
    assert not shifts["orders"].breached and shifts["orders"].shift == 0


def test_limits_come_from_the_environment_and_bad_values_are_explained():
    assert limits_from_env({}) == AuditLimits(0.20, 10.0)
    assert limits_from_env({"CIQ_PUBLISH_MAX_TOTAL_SHIFT": "50%", "CIQ_PUBLISH_MAX_SHARE_SHIFT_POINTS": "3"}) \
        == AuditLimits(0.5, 3.0)
    with pytest.raises(ValueError, match="CIQ_PUBLISH_MAX_TOTAL_SHIFT='lots' is not a number"):
        limits_from_env({"CIQ_PUBLISH_MAX_TOTAL_SHIFT": "lots"})


def test_a_shift_past_the_limits_refuses_with_a_diff_unless_accepted(tmp_path, site):
    first = _publish(site, make_build(tmp_path / "a", "inv-a", customers=10, revenue=1000))
    assert first.notes == ()  # first publication: nothing to audit against
    small_change = _publish(site, make_build(tmp_path / "b", "inv-b", customers=11, revenue=1100))  # +10 %
    assert any("within the limits" in note for note in small_change.notes)

    halved = make_build(tmp_path / "c", "inv-c", customers=5, revenue=400, segments={"Champions": 3, "Lost": 2})
    with pytest.raises(PublishRefused) as refused:
        _publish(site, halved)
    message = str(refused.value)
    assert f"compared with the current publication {small_change.publication_id}" in message
    assert "customers" in message and "-54.5 %" in message  # 5 / 11 - 1
    assert "net revenue" in message and "-63.6 %" in message  # 400 / 1100 - 1
    assert "RFM segment: Lost" in message and "+40.0 pts" in message  # 0 % -> 2 of 5
    assert "orders" not in message.split("\n")[0] and "--accept-shift" in message and "CIQ_ACCEPT_SHIFT=1" in message
    assert read_publication_info(site["published"]).publication_id == small_change.publication_id
    assert parquet_current_id(site["parquet"]) == small_change.publication_id
    assert sorted(p.name for p in site["published"].parent.iterdir()) == ["customer_intelligence.duckdb", "parquet"]

    # looser limits from the environment let the same build through; so does accepting the shift
    loose = _publish(site, halved, limits=AuditLimits(0.7, 50), accept_shift=False)
    assert any("within the limits" in note for note in loose.notes)
    accepted = _publish(site, make_build(tmp_path / "d", "inv-d", customers=50, revenue=9000), accept_shift=True)
    assert any("accepted" in note for note in accepted.notes)
    with open_current_publication(site["published"]) as con:
        audit = con.execute("select figure, breached, accepted, compared_with from publication.publication_audit "
                            "where figure = 'customers'").fetchall()
    assert audit == [("customers", True, True, loose.publication_id)]
    manifest = json.loads((site["parquet"] / "current" / "_publication.json").read_text())
    assert {row["figure"]: row["accepted"] for row in manifest["audit"]}["customers"] is True


def test_the_cli_refuses_with_the_diff_and_accepts_with_the_env_var(tmp_path, site):
    _publish(site, make_build(tmp_path / "a", "inv-a", customers=10, revenue=1000))
    warehouse, run_results = make_build(tmp_path / "b", "inv-b", customers=30, revenue=1000)
    command = [sys.executable, "-m", "customer_intelligence.reporting.publish", "--warehouse", str(warehouse),
               "--run-results", str(run_results), "--published", str(site["published"]),
               "--parquet-dir", str(site["parquet"])]
    env = {k: v for k, v in os.environ.items() if k != "CIQ_ACCEPT_SHIFT"}
    refused = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, env=env)
    assert refused.returncode == 1
    assert "NOT PUBLISHED" in refused.stderr and "+200.0 % (limit ±20 %)" in refused.stderr, refused.stderr
    accepted = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR,
                              env={**env, "CIQ_ACCEPT_SHIFT": "1"})
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted" in accepted.stdout and "customers" in accepted.stdout


def test_a_publish_killed_between_the_two_formats_is_completed_by_the_next(tmp_path, site):
    """Issue 19 item 9: the DuckDB file is new, Parquet `current` old, temporary leftovers lie around."""
    first = _publish(site, make_build(tmp_path / "a", "inv-a", customers=10, revenue=1000))
    second_build = make_build(tmp_path / "b", "inv-b", customers=10, revenue=1010)
    second = publish(*second_build, site["published"], None)  # as if killed before the Parquet export
    (site["parquet"] / f".{second.publication_id}.tmp" / "marts").mkdir(parents=True)  # a half-written export
    stale = site["published"].with_name(f".customer_intelligence.duckdb.{second.publication_id}.tmp")
    stale.write_bytes(b"half a file")
    assert parquet_current_id(site["parquet"]) == first.publication_id

    # the same build again: it is published, so the run completes the lagging export instead of refusing
    again = _publish(site, second_build)
    assert again.publication_id == second.publication_id
    assert any("completed the Parquet export" in note for note in again.notes)
    assert any("removed what an interrupted publish left" in note for note in again.notes)
    assert parquet_current_id(site["parquet"]) == second.publication_id
    assert not stale.exists() and not list(site["parquet"].glob(".*"))
    with duckdb.connect() as con:
        revenue = con.execute(f"select net_revenue from '{site['parquet']}/current/marts/kpi_overview.parquet'"
                              ).fetchone()[0]
    assert float(revenue) == 1010
    with pytest.raises(PublishRefused, match="already published"):  # nothing left to complete
        _publish(site, second_build)


def test_a_version_folder_written_before_the_kill_is_pointed_at(tmp_path, site):
    first = _publish(site, make_build(tmp_path / "a", "inv-a", customers=10, revenue=1000))
    second = _publish(site, make_build(tmp_path / "b", "inv-b", customers=10, revenue=1010))
    os.replace(site["parquet"] / "current", site["parquet"] / "current.bak")  # killed before the symlink swap
    os.symlink(first.publication_id, site["parquet"] / "current")
    os.remove(site["parquet"] / "current.bak")
    third = _publish(site, make_build(tmp_path / "c", "inv-c", customers=10, revenue=1020))
    assert any("pointed `current` at its complete version folder" in note for note in third.notes)
    assert parquet_current_id(site["parquet"]) == third.publication_id
    assert second.publication_id != third.publication_id


def test_open_current_publication_sees_a_new_publication_while_an_old_connection_is_held(tmp_path, site):
    """Issue 19 item 10: DuckDB's per-process instance cache keeps a second plain connect on the old file."""
    first = _publish(site, make_build(tmp_path / "a", "inv-a", customers=10, revenue=1000))
    path = str(site["published"])
    held = duckdb.connect(path, read_only=True)
    try:
        second = _publish(site, make_build(tmp_path / "b", "inv-b", customers=10, revenue=1010))
        with duckdb.connect(path, read_only=True) as plain:  # what the old README advice gave: the old one
            assert verify_publication(plain).publication_id == first.publication_id
        with open_current_publication(site["published"]) as current:
            assert verify_publication(current).publication_id == second.publication_id
            assert float(current.execute("select net_revenue from marts.kpi_overview").fetchone()[0]) == 1010
    finally:
        held.close()
