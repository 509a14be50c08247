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

CLI: ``python -m customer_intelligence.publish`` (paths from the same environment variables as the build).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)
META_SCHEMA = "publication"
OK_STATUSES = frozenset({"success", "pass", "warn"})
NO_OP_RESOURCES = frozenset({"exposure", "saved_query", "semantic_model", "metric"})
PARQUET_VERSIONS_KEPT = 3


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
    """What a publish wrote, or what a reader verified."""

    publication_id: str
    dbt_invocation_id: str
    tables: dict[str, int]


def _quote(identifier: str) -> str:
    """Quote a SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


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


def read_publication_info(path: Path) -> Publication | None:
    """The manifest of the publication at ``path`` (not re-verified), or None when there is none."""
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
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


def _write_publication_file(tmp_path: Path, warehouse: Path, tables: list[PublishedTable],
                            publication_id: str, invocation_id: str, run_generated_at: str) -> dict[str, int]:
    """Copy ``tables`` from the warehouse into a new DuckDB file with its manifest; return row counts."""
    counts = {}
    with duckdb.connect(str(tmp_path)) as con:
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
            "? as table_count",
            [publication_id, datetime.now(UTC).replace(tzinfo=None), invocation_id,
             run_generated_at.rstrip("Z"), len(tables)],
        )
        con.execute("detach src")
        verify_publication(con)
        con.execute("checkpoint")
    return counts


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
    """Remove a temporary publication file and its write-ahead log, if they are there."""
    for leftover in (tmp_path, Path(str(tmp_path) + ".wal")):
        leftover.unlink(missing_ok=True)


def _sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _export_parquet(published: Path, parquet_dir: Path, publication_id: str) -> Path:
    """Export the publication to ``parquet_dir/<publication_id>/<schema>/<table>.parquet``; swap ``current``."""
    parquet_dir.mkdir(parents=True, exist_ok=True)
    version_dir = parquet_dir / publication_id
    tmp_dir = parquet_dir / f".{publication_id}.tmp"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    with duckdb.connect(str(published), read_only=True) as con:
        for schema, name in con.execute(
            f"select table_schema, table_name from {META_SCHEMA}.publication_tables order by 1, 2"
        ).fetchall():
            out = tmp_dir / schema / f"{name}.parquet"
            out.parent.mkdir(exist_ok=True)
            con.execute(f"copy {_quote(schema)}.{_quote(name)} to {_sql_string(str(out))} (format parquet)")
        manifest = con.execute(f"select * from {META_SCHEMA}.publication_tables order by 1, 2").df()
    (tmp_dir / "_publication.json").write_text(
        json.dumps({"publication_id": publication_id, "tables": manifest.to_dict(orient="records")}, indent=2)
    )
    os.replace(tmp_dir, version_dir)
    link_tmp = parquet_dir / f".current.{uuid.uuid4().hex}"
    os.symlink(version_dir.name, link_tmp)
    os.replace(link_tmp, parquet_dir / "current")
    _fsync_dir(parquet_dir)
    versions = sorted(p for p in parquet_dir.iterdir() if p.is_dir() and not p.is_symlink()
                      and not p.name.startswith("."))
    for old in versions[:-PARQUET_VERSIONS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return version_dir


def publish(warehouse: Path, run_results_path: Path, published: Path, parquet_dir: Path | None = None,
            schemas: tuple[str, ...] = PUBLISHED_SCHEMAS, strict: bool = False) -> Publication:
    """Publish the marts of a green build atomically; raise ``PublishRefused`` and change nothing otherwise."""
    if not run_results_path.exists():
        raise PublishRefused(f"no run_results.json at {run_results_path}: run `dbt build` first")
    run_results = json.loads(run_results_path.read_text())
    tables = tables_to_publish(run_results, schemas, strict)
    invocation_id = run_results["metadata"]["invocation_id"]
    previous = read_publication_info(published)
    if previous is not None and previous.dbt_invocation_id == invocation_id:
        raise PublishRefused(
            f"build {invocation_id} is already published as {previous.publication_id}; a build publishes once "
            "(run_results.json may be stale, for example after an interrupted build)"
        )
    published.parent.mkdir(parents=True, exist_ok=True)
    publication_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + invocation_id[:8]
    tmp_path = published.with_name(f".{published.name}.{publication_id}.tmp")
    if not warehouse.exists():
        raise PublishRefused(f"no warehouse at {warehouse}")
    try:
        counts = _write_publication_file(tmp_path, warehouse, tables, publication_id, invocation_id,
                                         run_results["metadata"]["generated_at"])
    except duckdb.Error as error:  # e.g. a build holds the warehouse's write lock
        _remove_tmp(tmp_path)
        raise PublishRefused(f"cannot read the warehouse {warehouse} ({error}); is a build running?") from error
    except BaseException:
        _remove_tmp(tmp_path)
        raise
    try:
        os.chmod(tmp_path, 0o444)
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, published)
        _fsync_dir(published.parent)
    finally:
        _remove_tmp(tmp_path)
    if parquet_dir is not None:
        _export_parquet(published, parquet_dir, publication_id)
    return Publication(publication_id, invocation_id, counts)


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
    args = parser.parse_args(argv)
    try:
        publication = publish(args.warehouse, args.run_results, args.published,
                              None if args.no_parquet else args.parquet_dir, strict=args.strict)
    except PublishRefused as refused:
        print(f"NOT PUBLISHED: {refused}. The last good publication is unchanged.", file=sys.stderr)
        return 1
    rows = sum(publication.tables.values())
    print(f"published {publication.publication_id}: {len(publication.tables)} tables, {rows:,} rows")
    print(f"published: {args.published.resolve()} (open read-only)")
    if args.parquet_dir is not None and not args.no_parquet:
        print(f"parquet:   {args.parquet_dir.absolute() / 'current'} -> {publication.publication_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
