"""Compare every mart of two builds cell by cell: export a warehouse's marts to Parquet, then diff two exports.

Used to show a refactoring changes no figure: build the same data before and after, export each build
(``python -m customer_intelligence.tools.mart_parity export WAREHOUSE DIR``), then
``python -m customer_intelligence.tools.mart_parity compare BEFORE_DIR AFTER_DIR``. Rows are compared after
sorting on every column they share; floats within a relative tolerance (1e-9) to absorb summation order.
``export --all-schemas`` writes every table of every schema (``<schema>.<table>.parquet``), and
``--analyses DIR`` adds the result of each compiled analysis in DIR (``analysis.<name>.parquet``).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import duckdb
import pandas as pd

REL_TOL = 1e-9
ADDED = "note: columns added (not compared):"


def export_marts(warehouse: Path, out_dir: Path, schema: str = "marts") -> list[str]:
    """Write every table of ``schema`` in ``warehouse`` to ``out_dir/<table>.parquet``; return the table names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
        ).fetchall()]
        for table in tables:
            con.execute(f"copy (select * from {schema}.{table}) to '{out_dir / (table + '.parquet')}' (format parquet)")
    return tables


def export_all_schemas(warehouse: Path, out_dir: Path) -> list[str]:
    """Write every table and view of every schema of ``warehouse`` to ``out_dir/<schema>.<table>.parquet``; return the
    ``<schema>.<table>`` names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [f"{schema}.{table}" for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()]
        for name in tables:
            con.execute(f"copy (select * from {name}) to '{out_dir / (name + '.parquet')}' (format parquet)")
    return tables


def export_queries(warehouse: Path, sql_dir: Path, out_dir: Path) -> list[str]:
    """Run each ``*.sql`` of ``sql_dir`` (compiled analyses) on ``warehouse`` and write its result to
    ``out_dir/analysis.<name>.parquet``; return the names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for path in sorted(sql_dir.glob("*.sql")):
            con.execute(path.read_text()).df().to_parquet(out_dir / f"analysis.{path.stem}.parquet")
            names.append(path.stem)
    return names


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame's shared columns, rows in a stable order (every column, nulls last)."""
    subset = frame[columns]
    return subset.sort_values(columns, na_position="last", kind="mergesort").reset_index(drop=True)


def _equal(a: object, b: object) -> bool:
    """Two cells are equal: both null, or equal, or floats within REL_TOL."""
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-12)
    return a == b


def compare_frames(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Differences between two versions of one table: columns removed, row counts, differing cells (and a
    note naming added columns, which is not a difference)."""
    problems = []
    removed = [c for c in before.columns if c not in after.columns]
    if removed:
        problems.append(f"columns removed: {removed}")
    shared = [c for c in before.columns if c in after.columns]
    added = [c for c in after.columns if c not in before.columns]
    if added:
        problems.append(f"{ADDED} {added}")
    if len(before) != len(after):
        return problems + [f"row count {len(before)} -> {len(after)}"]
    left, right = _sorted(before, shared), _sorted(after, shared)
    for column in shared:
        bad = [i for i in range(len(left)) if not _equal(left.at[i, column], right.at[i, column])]
        if bad:
            i = bad[0]
            problems.append(f"{column}: {len(bad)} cells differ (e.g. row {i}: {left.at[i, column]!r} -> "
                            f"{right.at[i, column]!r})")
    return problems


def cell_count(directory: Path) -> int:
    """Cells (rows x columns) of every table exported in ``directory``."""
    return sum(int(frame.shape[0] * frame.shape[1]) for frame in map(pd.read_parquet, directory.glob("*.parquet")))


def compare_exports(before_dir: Path, after_dir: Path) -> dict[str, list[str]]:
    """Per table of ``before_dir``: its differences in ``after_dir`` (empty list = identical cells)."""
    report = {}
    for path in sorted(before_dir.glob("*.parquet")):
        other = after_dir / path.name
        if not other.exists():
            report[path.stem] = ["table missing after"]
            continue
        report[path.stem] = compare_frames(pd.read_parquet(path), pd.read_parquet(other))
    for path in sorted(after_dir.glob("*.parquet")):
        if not (before_dir / path.name).exists():
            report[path.stem] = ["new table (not compared)"]
    return report


def main(argv: list[str] | None = None) -> int:
    """CLI: ``export WAREHOUSE DIR`` or ``compare BEFORE_DIR AFTER_DIR`` (exit 1 on any difference)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export")
    export.add_argument("warehouse", type=Path)
    export.add_argument("out_dir", type=Path)
    export.add_argument("--all-schemas", action="store_true", help="every table of every schema, not only marts")
    export.add_argument("--analyses", type=Path, help="a folder of compiled analyses to run and export too")
    compare = sub.add_parser("compare")
    compare.add_argument("before_dir", type=Path)
    compare.add_argument("after_dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "export":
        if args.all_schemas:
            tables = export_all_schemas(args.warehouse, args.out_dir)
        else:
            tables = export_marts(args.warehouse, args.out_dir)
        queries = export_queries(args.warehouse, args.analyses, args.out_dir) if args.analyses else []
        print(f"exported {len(tables)} tables and {len(queries)} analyses to {args.out_dir}")
        return 0
    report = compare_exports(args.before_dir, args.after_dir)
    differing = {t: p for t, p in report.items() if any(not line.startswith(ADDED) for line in p)}
    for table, problems in report.items():
        verdict = "differs: " if table in differing else "identical" + ("; " if problems else "")
        print(f"{table}: {verdict}{'; '.join(problems)}")
    print(f"{len(report) - len(differing)} of {len(report)} tables identical cell by cell "
          f"({cell_count(args.before_dir)} cells before)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
