"""Read a publication as an independent DuckDB client would: every table's row count and content checksum.

Usage: python publication_client_reader.py PUBLISHED_DUCKDB PARQUET_VERSION_DIR
Runs under any DuckDB version (it imports nothing from the project), e.g. DuckDB 1.4 in its own venv.
Prints JSON: {"duckdb_version", "duckdb": {"schema.table": [rows, sha256]}, "parquet": {...}}. The checksum is
computed in Python over the rows as Python values (sorted reprs), so it does not depend on DuckDB's hash().
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb


def rows_checksum(rows: list[tuple]) -> list:
    """Row count and a checksum of the rows' values that ignores row order."""
    digest = hashlib.sha256()
    for line in sorted(repr(row) for row in rows):
        digest.update(line.encode())
        digest.update(b"\n")
    return [len(rows), digest.hexdigest()]


def main(published: str, parquet_dir: str) -> None:
    """Print every published table's count and checksum, from the DuckDB file and from the Parquet folder."""
    out: dict = {"duckdb_version": duckdb.__version__, "duckdb": {}, "parquet": {}}
    con = duckdb.connect(published, read_only=True)
    tables = con.execute(
        "select table_schema, table_name from publication.publication_tables order by 1, 2"
    ).fetchall()
    for schema, name in tables:
        out["duckdb"][f"{schema}.{name}"] = rows_checksum(con.execute(f'select * from "{schema}"."{name}"').fetchall())
    con.close()
    reader = duckdb.connect()
    for path in sorted(Path(parquet_dir).glob("*/*.parquet")):
        rows = reader.execute("select * from read_parquet(?)", [str(path)]).fetchall()
        out["parquet"][f"{path.parent.name}.{path.stem}"] = rows_checksum(rows)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
