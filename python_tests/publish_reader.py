"""A BI stand-in for the publishing tests: reads the published file in a loop and verifies every read.

Usage: python publish_reader.py PUBLISHED STOP_FILE OUT_JSON MODE
MODE `reconnect` opens the file read-only for every read (a dashboard refreshing); `hold` keeps one
connection open throughout (a BI tool left open). Each read checks the publication against its own manifest
(row count and checksum of every table). When STOP_FILE appears it does one last read and writes
{"reads": n, "publications": [ids in the order first seen], "errors": [...]} to OUT_JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from customer_intelligence.reporting.publish import verify_publication

MAX_SECONDS = 900
PAUSE_SECONDS = 0.4  # between reads: a BI user refreshing often, without starving the build of CPU
CONFIG = {"threads": 1}


def main(published: str, stop_file: str, out_json: str, mode: str) -> None:
    """Read and verify until told to stop; write what was seen."""
    seen: list[str] = []
    errors: list[str] = []
    reads = 0
    held = duckdb.connect(published, read_only=True, config=CONFIG) if mode == "hold" else None
    ready = Path(out_json + ".ready")
    started = time.monotonic()
    stopping = False
    while True:
        stopping = stopping or Path(stop_file).exists() or time.monotonic() - started > MAX_SECONDS
        try:
            con = held or duckdb.connect(published, read_only=True, config=CONFIG)
            try:
                publication = verify_publication(con)
            finally:
                if held is None:
                    con.close()
            reads += 1
            if publication.publication_id not in seen:
                seen.append(publication.publication_id)
            ready.touch()
        except Exception as error:  # any error is what the test looks for
            errors.append(f"{type(error).__name__}: {error}")
        if stopping:
            break
        time.sleep(PAUSE_SECONDS)
    if held is not None:
        held.close()
    Path(out_json).write_text(json.dumps({"reads": reads, "publications": seen, "errors": errors[:20]}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
