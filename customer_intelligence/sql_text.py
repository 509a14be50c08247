"""SQL text shared by the product, reporting and tooling subpackages (no engine imported here)."""

from __future__ import annotations

__all__ = ["quote_identifier"]


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (DuckDB, Postgres, ANSI), inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'
