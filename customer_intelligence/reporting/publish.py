"""Publish the marts for BI: a read-only copy replaced atomically, and only after a fully green `dbt build`.

DuckDB allows one read-write process or many read-only processes per file, so BI tools must not read the
warehouse that `dbt build` writes. Instead, after a build whose every node succeeded and every test passed
(read from ``run_results.json``), the marts are copied into a NEW DuckDB file under a temporary name,
checked, made read-only, and moved over the published file with ``os.replace`` (an atomic rename on POSIX).
The warehouse must have been last written by that very build (its invocation id, recorded by the
on-run-start hook ``record_build_invocation``), so a later failed or interrupted build is never published.
A reader that has the old file open keeps reading the old publication (its inode); a reader that opens the
path afterwards gets the new one; nobody ever sees a half-written publication. A failed or partial build,
or a stale ``run_results.json``, is refused and the last good publication stays as it was.

Each publication carries its own manifest, ``publication.publication_tables`` (row count and checksum of
every table) and ``publication.publication_info``, so a reader can verify that what it reads is complete
(:func:`verify_publication`). Optionally the same tables are exported as Parquet into a versioned folder and
a ``current`` symlink is swapped atomically to it.

**Every DuckDB client opens it.** The file is written with storage version :data:`STORAGE_VERSION` (the
oldest 1.x format; DuckDB 2.0's own format is unreadable for the 1.x ODBC/JDBC/Node clients BI tools bundle).

**Audit before publish** (write-audit-publish). Before the new file replaces the current publication, the
key figures of both (customers, orders, net revenue; the shares of RFM segments, loyalty tiers, ML segments and
churn-risk tiers) are compared (:func:`audit`). A total that moved more than ``CIQ_PUBLISH_MAX_TOTAL_SHIFT``
(default 0.20 = 20 %) or a share that moved more than ``CIQ_PUBLISH_MAX_SHARE_SHIFT_POINTS`` (default 10
percentage points) refuses the publication with the diff, unless the run accepts it (``--accept-shift`` or
``CIQ_ACCEPT_SHIFT=1``). The diff is kept in ``publication.publication_audit`` and in the Parquet
``_publication.json``. The first publication has nothing to compare with and is not audited.

**Both formats switch together.** The Parquet version folder is written from the new file before the file is
swapped; the ``current`` symlink is swapped right after it. A publish killed in between leaves the two on
different publications for a moment: the next publish (or ``python -m customer_intelligence.reporting.publish`` again)
completes the lagging ``current`` first, and removes what a killed publish left behind (``.tmp`` files and
folders). Publishers take a lock on the publication's folder, so two never run at once.

**Readers.** DuckDB caches one database instance per file path and process: while a process holds any
connection to the published path, a new ``duckdb.connect(path)`` in that process gets the SAME instance, hence
the OLD publication. :func:`open_current_publication` always opens the publication that is current now.

CLI: ``python -m customer_intelligence.reporting.publish`` (paths from the same environment variables as the build).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from customer_intelligence.reporting import publish_audit as pa
from customer_intelligence.reporting.tables import table_exists
from customer_intelligence.sql_text import quote_identifier as _quote

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)
META_SCHEMA = "publication"
OK_STATUSES = frozenset({"success", "pass", "warn"})
NO_OP_RESOURCES = frozenset({"exposure", "saved_query", "semantic_model", "metric"})
PARQUET_VERSIONS_KEPT = 3
# The storage format of the published file: the oldest DuckDB 1.x format that keeps every column type of the
# marts (checked by python_tests/test_publish_clients.py with DuckDB 1.4 in its own venv). DuckDB 0.10 - 2.x
# read it. Override with CIQ_PUBLICATION_STORAGE_VERSION (e.g. 'v2.0.0' when every reader is 2.x).
STORAGE_VERSION = "v1.0.0"
READER_CATALOG = "ciq_publication"  # the catalog name open_current_publication attaches the file as
WRITER_CATALOG = "ciq_new_publication"


class PublishRefused(RuntimeError):
    """The build is not fit to publish; the last good publication is left untouched."""


class IncompletePublication(RuntimeError):
    """A published file does not match its own manifest."""


@dataclass(frozen=True)
class PublishedTable:
    """One relation that a build produced and the publication will carry."""

    schema: str
    name: str


@dataclass(frozen=True)
class Publication:
    """What a publish wrote, or what a reader verified; ``notes`` says what a publish repaired or audited."""

    publication_id: str
    dbt_invocation_id: str
    tables: dict[str, int]
    notes: tuple[str, ...] = field(default_factory=tuple)


def _relation_parts(relation_name: str) -> list[str]:
    """Split a dbt relation name such as '"wh"."marts"."fct_orders"' into its unquoted parts."""
    parts, current, quoted = [], "", False
    for char in relation_name:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def tables_to_publish(run_results: dict, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
                      strict: bool = False) -> list[PublishedTable]:
    """Check that ``run_results`` is a complete, green `dbt build` and return the relations to publish.

    Refuses (``PublishRefused``) when the run was not a `build`, was partial (select/exclude/selector), or
    any node did not end in success/pass/warn (error, fail, skipped, runtime error; no-op only for exposures
    and other nodes that have nothing to run). Tests of severity warn are the project's monitors ("reported,
    nothing stops"); ``strict`` refuses their warnings too.
    Returns the models and seeds built in ``schemas``, sorted.
    """
    args = run_results.get("args", {})
    if args.get("which") != "build":
        raise PublishRefused(f"run_results.json is from `dbt {args.get('which')}`, not `dbt build`")
    partial = {key: args.get(key) for key in ("select", "exclude", "selector") if args.get(key)}
    if partial:
        raise PublishRefused(f"a partial build ({partial}) is not published; run a full `dbt build`")
    ok = OK_STATUSES - ({"warn"} if strict else set())

    def passed(result: dict) -> bool:
        # exposures (and other nodes with nothing to run) end as no-op in a build
        resource_type = result["unique_id"].split(".")[0]
        return result["status"] in ok or (result["status"] == "no-op" and resource_type in NO_OP_RESOURCES)

    bad = [f"{r['unique_id']}: {r['status']}" for r in run_results.get("results", []) if not passed(r)]
    if bad:
        shown = "; ".join(bad[:10]) + (f"; ... ({len(bad)} in all)" if len(bad) > 10 else "")
        raise PublishRefused(f"the build did not pass: {shown}")
    tables = set()
    for result in run_results.get("results", []):
        if result["unique_id"].split(".")[0] not in ("model", "seed") or not result.get("relation_name"):
            continue
        parts = _relation_parts(result["relation_name"])
        if len(parts) >= 2 and parts[-2] in schemas:
            tables.add(PublishedTable(parts[-2], parts[-1]))
    if not tables:
        raise PublishRefused(f"the build produced no relation in schemas {schemas}")
    return sorted(tables, key=lambda t: (t.schema, t.name))


def table_checksum(con: duckdb.DuckDBPyConnection, *name_parts: str) -> tuple[int, str]:
    """Row count and an order-independent checksum (sum of row hashes) of one table, e.g. ('marts', 'x')."""
    relation = ".".join(_quote(part) for part in name_parts)
    count, checksum = con.execute(
        f"select count(*), coalesce(sum(hash(t)), 0)::varchar from {relation} as t"
    ).fetchone()
    return int(count), str(checksum)


def verify_publication(con: duckdb.DuckDBPyConnection) -> Publication:
    """Check a published database against its own manifest; raise ``IncompletePublication`` if it differs.

    Every table listed in ``publication.publication_tables`` must exist with the recorded row count and
    checksum, and the info row must name the same number of tables.
    """
    info = con.execute(
        f"select publication_id, dbt_invocation_id, table_count from {META_SCHEMA}.publication_info"
    ).fetchall()
    if len(info) != 1:
        raise IncompletePublication(f"expected one publication_info row, found {len(info)}")
    publication_id, invocation_id, table_count = info[0]
    listed = con.execute(
        f"select table_schema, table_name, row_count, checksum from {META_SCHEMA}.publication_tables"
    ).fetchall()
    if len(listed) != table_count:
        raise IncompletePublication(f"{publication_id}: {len(listed)} tables listed, {table_count} expected")
    tables = {}
    for schema, name, row_count, checksum in listed:
        actual = table_checksum(con, schema, name)
        if actual != (row_count, checksum):
            raise IncompletePublication(
                f"{publication_id}: {schema}.{name} has {actual[0]} rows/checksum {actual[1]}, "
                f"manifest says {row_count}/{checksum}"
            )
        tables[f"{schema}.{name}"] = row_count
    return Publication(publication_id, invocation_id, tables)


def open_current_publication(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the publication that is current NOW (default: the build's published path).

    ``duckdb.connect(path)`` returns a connection to the process's cached database instance for ``path`` while
    any other connection to it is open, so a long-running process (a notebook, an app server) that keeps one
    connection keeps reading the publication of that moment. This opens a private in-memory instance and
    attaches the file read-only, so each call reads the file the path names at the time of the call. The
    publication is the default catalog: query ``marts.<table>`` as usual. Close the connection when done.
    """
    target = Path(path) if path is not None else Path(default_paths()["published"])
    if not target.exists():
        raise FileNotFoundError(f"no publication at {target}: run `make build` (it publishes after a green build)")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {_sql_string(str(target))} as {_quote(READER_CATALOG)} (read_only)")
        con.execute(f"use {_quote(READER_CATALOG)}")
    except BaseException:
        con.close()
        raise
    return con


def read_publication_info(path: Path) -> Publication | None:
    """The manifest of the publication at ``path`` (not re-verified), or None when there is none."""
    if not path.exists():
        return None
    with open_current_publication(path) as con:
        publication_id, invocation_id = con.execute(
            f"select publication_id, dbt_invocation_id from {META_SCHEMA}.publication_info"
        ).fetchone()
        rows = con.execute(
            f"select table_schema || '.' || table_name, row_count from {META_SCHEMA}.publication_tables"
        ).fetchall()
    return Publication(publication_id, invocation_id, dict(rows))


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry (so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _publish_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the publication's folder (one publisher at a time; readers are not affected)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PublishRefused(f"another publish is running on {folder}; try again when it has finished") from error
        yield
    finally:
        os.close(fd)  # releases the lock


def storage_version(env: dict[str, str] | None = None) -> str:
    """The storage version the published file is written with (``CIQ_PUBLICATION_STORAGE_VERSION`` or the default)."""
    env = os.environ if env is None else env
    return env.get("CIQ_PUBLICATION_STORAGE_VERSION", "").strip() or STORAGE_VERSION


def _write_publication_file(tmp_path: Path, warehouse: Path, tables: list[PublishedTable],
                            publication_id: str, invocation_id: str, run_generated_at: str,
                            version: str = STORAGE_VERSION) -> dict[str, int]:
    """Copy ``tables`` from the warehouse into a new DuckDB file (storage ``version``) with its manifest."""
    counts = {}
    with duckdb.connect(":memory:") as con:
        con.execute(f"set temp_directory = {_sql_string(str(tmp_path) + '.spill')}")
        con.execute(f"attach {_sql_string(str(tmp_path))} as {_quote(WRITER_CATALOG)} "
                    f"(storage_version {_sql_string(version)})")
        con.execute(f"use {_quote(WRITER_CATALOG)}")
        con.execute(f"attach {_sql_string(str(warehouse))} as src (read_only)")
        _check_warehouse_invocation(con, invocation_id)
        for schema in sorted({t.schema for t in tables}) + [META_SCHEMA]:
            con.execute(f"create schema if not exists {_quote(schema)}")
        con.execute(
            f"create table {META_SCHEMA}.publication_tables (table_schema varchar not null, "
            "table_name varchar not null, row_count bigint not null, checksum varchar not null)"
        )
        for table in tables:
            target = f"{_quote(table.schema)}.{_quote(table.name)}"
            con.execute(f"create table {target} as select * from src.{target}")
            src_count, src_checksum = table_checksum(con, "src", table.schema, table.name)
            row_count, checksum = table_checksum(con, table.schema, table.name)
            if (row_count, checksum) != (src_count, src_checksum):
                raise PublishRefused(f"copy of {table.schema}.{table.name} differs from the warehouse")
            con.execute(
                f"insert into {META_SCHEMA}.publication_tables values (?, ?, ?, ?)",
                [table.schema, table.name, row_count, checksum],
            )
            counts[f"{table.schema}.{table.name}"] = row_count
        con.execute(
            f"create table {META_SCHEMA}.publication_info as select ? as publication_id, "
            "cast(? as timestamp) as published_at, ? as dbt_invocation_id, cast(? as timestamp) as dbt_generated_at, "
            "? as table_count, ? as storage_version",
            [publication_id, datetime.now(UTC).replace(tzinfo=None), invocation_id,
             run_generated_at.rstrip("Z"), len(tables), version],
        )
        con.execute("detach src")
        verify_publication(con)
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute(f"detach {_quote(WRITER_CATALOG)}")
    return counts


def _audit_new_file(tmp_path: Path, published: Path, limits: pa.AuditLimits,
                    accept_shift: bool) -> tuple[list[dict], str | None]:
    """Compare the new file's key figures with the current publication's; keep the diff in the new file.

    Returns the diff records and a note for the output. Raises ``PublishRefused`` with the readable diff when a
    figure moved past its limit and the shift is not accepted. No current publication: no audit (no records).
    """
    if not published.exists():
        return [], None
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach {_sql_string(str(published))} as current_pub (read_only)")
        con.execute(f"attach {_sql_string(str(tmp_path))} as new_pub")
        current_id = con.execute(f"select publication_id from current_pub.{META_SCHEMA}.publication_info"
                                 ).fetchone()[0]
        shifts = pa.compare(pa.key_figures(con, "current_pub"), pa.key_figures(con, "new_pub"), limits)
        breached = [s for s in shifts if s.breached]
        records = pa.shifts_as_records(shifts, accept_shift)
        con.execute(
            f"create table new_pub.{META_SCHEMA}.publication_audit (compared_with varchar, figure varchar, "
            "kind varchar, current_value double, new_value double, shift double, limit_value double, "
            "breached boolean, accepted boolean)"
        )
        for record in records:
            con.execute(f"insert into new_pub.{META_SCHEMA}.publication_audit values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [current_id, *record.values()])
        con.execute("checkpoint new_pub")
    if breached and not accept_shift:
        raise PublishRefused(
            f"the new build's key figures moved past the audit limits compared with the current publication "
            f"{current_id} ({len(breached)} of {len(shifts)} figures):\n{pa.format_diff(shifts, only_breached=True)}"
            f"\nIf the shift is expected (a new or corrected dataset), publish with --accept-shift or "
            f"{pa.ENV_ACCEPT_SHIFT}=1; the limits are {pa.ENV_MAX_TOTAL_SHIFT}={limits.max_total_shift:g} "
            f"(relative, on a total) and {pa.ENV_MAX_SHARE_SHIFT}={limits.max_share_shift_points:g} "
            "(percentage points, on a share)"
        )
    if breached:
        return records, (f"audit: {len(breached)} of {len(shifts)} key figures moved past the limits vs "
                         f"{current_id}, accepted:\n{pa.format_diff(shifts, only_breached=True)}")
    return records, f"audit: {len(shifts)} key figures within the limits vs {current_id}"


def _check_warehouse_invocation(con: duckdb.DuckDBPyConnection, invocation_id: str) -> None:
    """Refuse unless the attached warehouse (``src``) was last written by the build of ``invocation_id``.

    The on-run-start hook ``record_build_invocation`` records each build's invocation id in the warehouse, so a
    later build that failed or was interrupted (and left the previous, green run_results.json in place) is
    caught here.
    """
    try:
        rows = con.execute("select invocation_id from src.dbt_meta.build_invocation").fetchall()
    except duckdb.CatalogException as error:
        raise PublishRefused("the warehouse has no dbt_meta.build_invocation (written by the on-run-start hook "
                             "record_build_invocation); rebuild with `dbt build`") from error
    recorded = rows[0][0] if len(rows) == 1 else None
    if recorded != invocation_id:
        raise PublishRefused(f"the warehouse was last written by dbt invocation {recorded}, not by the build "
                             f"{invocation_id} that run_results.json describes (a later build failed or was "
                             "interrupted?)")


def _remove_tmp(tmp_path: Path) -> None:
    """Remove a temporary publication file, its write-ahead log and spill folder, if they are there."""
    for leftover in (tmp_path, Path(str(tmp_path) + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(str(tmp_path) + ".spill", ignore_errors=True)


def _sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _write_parquet_version(source: Path, parquet_dir: Path, publication_id: str,
                           audit_records: list[dict] | None = None) -> Path:
    """Export the publication file ``source`` to ``parquet_dir/<publication_id>/<schema>/<table>.parquet``.

    Written under a temporary name and renamed, so a version folder is always complete. Does not touch
    ``current`` (see :func:`_point_current`).
    """
    parquet_dir.mkdir(parents=True, exist_ok=True)
    version_dir = parquet_dir / publication_id
    if version_dir.is_dir():
        return version_dir
    tmp_dir = parquet_dir / f".{publication_id}.tmp"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach {_sql_string(str(source))} as src (read_only)")
        for schema, name in con.execute(
            f"select table_schema, table_name from src.{META_SCHEMA}.publication_tables order by 1, 2"
        ).fetchall():
            out = tmp_dir / schema / f"{name}.parquet"
            out.parent.mkdir(exist_ok=True)
            con.execute(f"copy src.{_quote(schema)}.{_quote(name)} to {_sql_string(str(out))} (format parquet)")
        manifest = con.execute(f"select * from src.{META_SCHEMA}.publication_tables order by 1, 2").df()
    (tmp_dir / "_publication.json").write_text(json.dumps(
        {"publication_id": publication_id, "tables": manifest.to_dict(orient="records"),
         "audit": audit_records or []}, indent=2, default=str))
    os.replace(tmp_dir, version_dir)
    _fsync_dir(parquet_dir)
    return version_dir


def _point_current(parquet_dir: Path, publication_id: str) -> None:
    """Swap the ``current`` symlink to ``publication_id`` atomically; keep the newest versions and current."""
    link_tmp = parquet_dir / f".current.{uuid.uuid4().hex}"
    os.symlink(publication_id, link_tmp)
    os.replace(link_tmp, parquet_dir / "current")
    _fsync_dir(parquet_dir)
    versions = sorted(p for p in parquet_dir.iterdir() if p.is_dir() and not p.is_symlink()
                      and not p.name.startswith("."))
    for old in versions[:-PARQUET_VERSIONS_KEPT]:
        if old.name != publication_id:
            shutil.rmtree(old, ignore_errors=True)


def parquet_current_id(parquet_dir: Path) -> str | None:
    """The publication id the Parquet ``current`` symlink points to (None when there is none)."""
    link = parquet_dir / "current"
    return os.readlink(link) if link.is_symlink() else None


def _remove_leftovers(published: Path, parquet_dir: Path | None) -> list[str]:
    """Remove what a killed publish left (temporary files and folders); return their names.

    Called under the publish lock, so nothing of a running publish is removed.
    """
    removed = []
    for leftover in published.parent.glob(f".{published.name}.*.tmp*"):
        removed.append(leftover.name)
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    if parquet_dir is not None and parquet_dir.is_dir():
        for leftover in list(parquet_dir.glob(".*.tmp")) + list(parquet_dir.glob(".current.*")):
            removed.append(f"{parquet_dir.name}/{leftover.name}")
            shutil.rmtree(leftover) if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()
    return removed


def _complete_lagging_parquet(published: Path, parquet_dir: Path) -> str | None:
    """Bring the Parquet ``current`` to the published file's publication (after a publish was killed).

    Returns a note when something was completed, None when both formats already agree.
    """
    if not published.exists():
        return None
    info = read_publication_info(published)
    if parquet_current_id(parquet_dir) == info.publication_id:
        return None
    with open_current_publication(published) as con:
        has_audit = table_exists(con, META_SCHEMA, "publication_audit")
        audit = con.execute(f"select * exclude (compared_with) from {META_SCHEMA}.publication_audit"
                            ).df().to_dict(orient="records") if has_audit else []
    existed = (parquet_dir / info.publication_id).is_dir()
    _write_parquet_version(published, parquet_dir, info.publication_id, audit)
    _point_current(parquet_dir, info.publication_id)
    how = "pointed `current` at its complete version folder" if existed else "exported it"
    return (f"completed the Parquet export of {info.publication_id}, which a previous publish left lagging "
            f"behind the DuckDB file ({how})")


def publish(warehouse: Path, run_results_path: Path, published: Path, parquet_dir: Path | None = None,
            schemas: tuple[str, ...] = PUBLISHED_SCHEMAS, strict: bool = False, accept_shift: bool = False,
            limits: pa.AuditLimits | None = None, version: str | None = None) -> Publication:
    """Publish the marts of a green build atomically; raise ``PublishRefused`` and change nothing otherwise.

    Under a lock on the publication's folder: removes what a killed publish left, completes a lagging Parquet
    export, writes the new file (storage ``version``), audits it against the current publication (``limits``;
    ``accept_shift`` publishes past them), writes its Parquet version folder, then swaps the DuckDB file and
    right after it the Parquet ``current`` symlink.
    """
    if not run_results_path.exists():
        raise PublishRefused(f"no run_results.json at {run_results_path}: run `dbt build` first")
    run_results = json.loads(run_results_path.read_text())
    tables = tables_to_publish(run_results, schemas, strict)
    invocation_id = run_results["metadata"]["invocation_id"]
    published.parent.mkdir(parents=True, exist_ok=True)
    with _publish_lock(published.parent):
        notes = []
        removed = _remove_leftovers(published, parquet_dir)
        if removed:
            notes.append(f"removed what an interrupted publish left: {', '.join(sorted(removed))}")
        if parquet_dir is not None:
            completed = _complete_lagging_parquet(published, parquet_dir)
            if completed:
                notes.append(completed)
        previous = read_publication_info(published)
        if previous is not None and previous.dbt_invocation_id == invocation_id:
            if notes:  # this build was published; an interrupted publish is now complete
                return Publication(previous.publication_id, invocation_id, previous.tables, tuple(notes))
            raise PublishRefused(
                f"build {invocation_id} is already published as {previous.publication_id}; a build publishes "
                "once (run_results.json may be stale, for example after an interrupted build)"
            )
        if not warehouse.exists():
            raise PublishRefused(f"no warehouse at {warehouse}")
        publication_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + invocation_id[:8]
        tmp_path = published.with_name(f".{published.name}.{publication_id}.tmp")
        try:
            counts = _write_publication_file(tmp_path, warehouse, tables, publication_id, invocation_id,
                                             run_results["metadata"]["generated_at"], version or storage_version())
            records, audit_note = _audit_new_file(tmp_path, published, limits or pa.AuditLimits(), accept_shift)
            if audit_note:
                notes.append(audit_note)
            if parquet_dir is not None:
                _write_parquet_version(tmp_path, parquet_dir, publication_id, records)
            os.chmod(tmp_path, 0o444)
            with open(tmp_path, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp_path, published)
            _fsync_dir(published.parent)
            if parquet_dir is not None:
                _point_current(parquet_dir, publication_id)
        except duckdb.Error as error:  # e.g. a build holds the warehouse's write lock
            raise PublishRefused(f"cannot read the warehouse {warehouse} ({error}); is a build running?") from error
        finally:
            _remove_tmp(tmp_path)
            if parquet_dir is not None:
                shutil.rmtree(parquet_dir / f".{publication_id}.tmp", ignore_errors=True)
    return Publication(publication_id, invocation_id, counts, tuple(notes))


def default_paths(env: dict[str, str] | None = None) -> dict[str, Path | None]:
    """Warehouse, run_results, published file and Parquet folder from the build's environment variables."""
    env = dict(os.environ if env is None else env)
    warehouse = Path(env.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb"))
    target = Path(env.get("DBT_TARGET_PATH", "target"))
    default_published = warehouse.parent / "published" / "customer_intelligence.duckdb"
    published = Path(env.get("CIQ_PUBLISHED_PATH", str(default_published)))
    parquet = env.get("CIQ_PUBLISHED_PARQUET_DIR", str(published.parent / "parquet"))
    return {
        "warehouse": warehouse,
        "run_results": target / "run_results.json",
        "published": published,
        "parquet_dir": Path(parquet) if parquet else None,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: publish, print what was published, exit 1 when refused."""
    defaults = default_paths()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=defaults["warehouse"])
    parser.add_argument("--run-results", type=Path, default=defaults["run_results"])
    parser.add_argument("--published", type=Path, default=defaults["published"])
    parser.add_argument("--parquet-dir", type=Path, default=defaults["parquet_dir"],
                        help="versioned Parquet export with a `current` symlink; empty CIQ_PUBLISHED_PARQUET_DIR = off")
    parser.add_argument("--no-parquet", action="store_true", help="skip the Parquet export")
    parser.add_argument("--strict", action="store_true", help="refuse a build whose tests warned (warn severity)")
    parser.add_argument("--accept-shift", action="store_true",
                        help=f"publish even if key figures moved past the audit limits (or {pa.ENV_ACCEPT_SHIFT}=1)")
    args = parser.parse_args(argv)
    try:
        limits = pa.limits_from_env(dict(os.environ))
        publication = publish(args.warehouse, args.run_results, args.published,
                              None if args.no_parquet else args.parquet_dir, strict=args.strict,
                              accept_shift=args.accept_shift or pa.accept_shift_from_env(dict(os.environ)),
                              limits=limits)
    except (PublishRefused, ValueError) as refused:
        print(f"NOT PUBLISHED: {refused}\nThe last good publication is unchanged.", file=sys.stderr)
        return 1
    for note in publication.notes:
        print(note)
    rows = sum(publication.tables.values())
    print(f"published {publication.publication_id}: {len(publication.tables)} tables, {rows:,} rows")
    print(f"published: {args.published.resolve()} (open read-only; storage {storage_version()}, DuckDB >= 0.10)")
    if args.parquet_dir is not None and not args.no_parquet:
        print(f"parquet:   {args.parquet_dir.absolute() / 'current'} -> {publication.publication_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
