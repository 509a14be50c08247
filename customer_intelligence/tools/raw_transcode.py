"""Transcoding of raw CSV files whose encoding DuckDB's CSV reader cannot read well (Windows-1252, Latin-1).

DuckDB reads UTF-8 and UTF-16 natively; other encodings need its ``encodings`` extension, which is
downloaded from the internet, and its Latin-1 reader stops on bytes 0x80-0x9F with an error that does
not name the file. This module converts such a file to UTF-8 in a cache folder
under the warehouse folder (the user's file is never modified) and is registered in DuckDB as the SQL
function ``ciq_transcode(path, encoding, cache_dir)`` by :class:`Plugin`, a dbt-duckdb plugin named in
``profiles.yml``, so the loader macros (``macros/raw/raw_file_access.sql``) can call it from dbt.

The function returns ``'ok:<cached UTF-8 path>'`` or ``'error:<message>'``; the message names the file,
the byte position, the line and the byte, so the pre-flight check can report it with the setting.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

try:  # the plugin base class exists only where dbt-duckdb is installed
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover - used without dbt
    BasePlugin = object  # type: ignore[assignment,misc]

# Encodings transcoded here, by the names var raw_csv_encoding accepts for them -> Python codec.
TRANSCODED_ENCODINGS = {"cp1252": "cp1252", "windows-1252": "cp1252", "latin-1": "latin-1"}
# Bytes that are C1 control characters in Latin-1 but letters and punctuation in Windows-1252.
C1_CONTROLS = re.compile(rb"[\x80-\x9f]")
CHUNK_BYTES = 1 << 20


def cache_path(source: Path, encoding: str, cache_dir: Path) -> Path:
    """Where the UTF-8 copy of ``source`` goes: named after the file, its size, mtime and encoding."""
    stat = source.stat()
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{encoding}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return cache_dir / f"{digest}.csv"


def decode_error_message(source: Path, encoding: str, position: int, line: int, bad: bytes) -> str:
    """A message naming the file, the byte position (0-based, in the file), its line and the byte."""
    return (
        f"Raw file '{source}' is not valid {encoding} text: byte 0x{bad.hex()} at byte position {position} "
        f"(line {line}) is not a {encoding} character"
    )


def transcode_to_utf8(path: str, encoding: str, cache_dir: str) -> str:
    """Convert ``path`` (optionally gzipped) from ``encoding`` to a UTF-8 copy in ``cache_dir``.

    Returns ``'ok:<copy>'`` (reused when the file's size and mtime are unchanged) or ``'error:<message>'``.
    """
    codec = TRANSCODED_ENCODINGS.get(encoding.strip().lower())
    source = Path(path)
    if codec is None:
        return f"error:encoding '{encoding}' is not transcoded (supported: {', '.join(sorted(TRANSCODED_ENCODINGS))})"
    if not source.is_file():
        return f"error:Raw file '{source}' was not found"
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache_path(source, codec, cache)
    if target.exists():
        return f"ok:{target}"
    partial = target.with_suffix(f".{os.getpid()}.part")
    opener = gzip.open if source.name.lower().endswith(".gz") else open
    offset, line_base = 0, 0
    try:
        with opener(source, "rb") as raw, open(partial, "w", encoding="utf-8", newline="") as out:
            while chunk := raw.read(CHUNK_BYTES):
                control = C1_CONTROLS.search(chunk) if codec == "latin-1" else None
                if control:
                    line = line_base + chunk[: control.start()].count(b"\n") + 1
                    return "error:" + decode_error_message(
                        source, codec, offset + control.start(), line, control.group()
                    ) + " (bytes 0x80-0x9f are control characters in latin-1 but letters such as € – ’ in cp1252)"
                try:
                    text = chunk.decode(codec)  # single-byte codecs: a chunk never splits a character
                except UnicodeDecodeError as error:
                    line = line_base + chunk[: error.start].count(b"\n") + 1
                    bad = chunk[error.start : error.end]
                    return "error:" + decode_error_message(source, codec, offset + error.start, line, bad)
                out.write(text)
                offset += len(chunk)
                line_base += chunk.count(b"\n")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return f"ok:{target}"


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    """dbt-duckdb plugin: registers ``ciq_transcode(path, encoding, cache_dir)`` on every connection."""

    def configure_connection(self, conn) -> None:
        """Register the transcoding function (it writes files, so it is marked as having side effects)."""
        conn.create_function(
            "ciq_transcode",
            transcode_to_utf8,
            ["VARCHAR", "VARCHAR", "VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )
