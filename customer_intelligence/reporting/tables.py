"""Reading a mart that an older warehouse or publication may not have yet."""

from __future__ import annotations

from typing import Any

import pandas as pd


def table_exists(con: Any, schema: str, table: str) -> bool:
    """Whether the DuckDB connection ``con`` has the table ``schema.table``."""
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0] > 0


def read_table_or_empty(con: Any, table: str, columns: list[str], schema: str = "marts") -> pd.DataFrame:
    """Every row of ``schema.table`` in a stable order, or an empty frame with ``columns`` when it is absent."""
    if not table_exists(con, schema, table):
        return pd.DataFrame(columns=columns)
    return con.execute(f"select * from {schema}.{table} order by all").df()
