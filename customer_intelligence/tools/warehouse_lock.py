"""Is the DuckDB warehouse free? One clear message instead of dbt's tracebacks when it is not.

DuckDB allows one read-write process (or many read-only ones) per database file. A second `make build`
while the first runs, or a BI tool holding the file, makes dbt print the lock error with three or four
tracebacks. ``make build`` runs ``check`` first, and runs the last, optional step (``dbt docs generate``)
through ``run-or-skip``, which waits a little for the lock and otherwise skips the step with a message, so
a build that has already published never ends with an error because another process took the file.

    python -m customer_intelligence.tools.warehouse_lock check PATH
    python -m customer_intelligence.tools.warehouse_lock run-or-skip PATH [--wait SECONDS] -- COMMAND ...
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_holder(path: Path) -> str | None:
    """None when the warehouse can be opened read-write now (or does not exist yet), else who holds it."""
    if not path.exists():
        return None
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        text = str(error)
        if "lock" not in text.lower():
            raise
        match = HOLDER.search(text)
        return f"PID {match['pid']}: {match['program']}" if match else text
    return None


def in_use_message(path: Path, holder: str) -> str:
    """The one message for a locked warehouse: who holds it and what to do."""
    return (
        f"The warehouse {path} is in use by another process ({holder}): another `make build`, a dbt "
        "command or a tool that opened the file read-write (DuckDB allows one writer, or many readers "
        "with read_only=True). Wait for it to finish, or close it, and run the command again."
    )


def wait_until_free(path: Path, wait_seconds: float, poll_seconds: float = 0.5) -> str | None:
    """Poll until the warehouse is free or ``wait_seconds`` passed; the holder when still locked."""
    deadline = time.monotonic() + wait_seconds
    holder = lock_holder(path)
    while holder is not None and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        holder = lock_holder(path)
    return holder


def main(argv: list[str] | None = None) -> int:
    """CLI: ``check`` exits 1 with one message when locked; ``run-or-skip`` runs a command when free."""
    parser = argparse.ArgumentParser(prog="python -m customer_intelligence.tools.warehouse_lock")
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="exit 1 with one message when the warehouse is locked")
    check.add_argument("path", type=Path)
    run = sub.add_parser("run-or-skip", help="run a command once the warehouse is free; skip it if it stays locked")
    run.add_argument("path", type=Path)
    run.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the lock (default 30)")
    run.add_argument("--what", default="dbt docs generate", help="what the command is, for the message")
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if args.action == "check":
        holder = lock_holder(args.path)
        if holder is not None:
            print(in_use_message(args.path, holder), file=sys.stderr)
            return 1
        return 0
    if not command:
        parser.error("run-or-skip needs a command after --")
    holder = wait_until_free(args.path, args.wait)
    if holder is not None:
        print(
            f"{args.what} skipped: the warehouse {args.path} is in use by another process ({holder}) "
            f"after waiting {args.wait:g} s; the build and publication are complete. Run `make docs` later.",
            file=sys.stderr,
        )
        return 0
    returncode = subprocess.run(command).returncode
    if returncode != 0 and (holder := lock_holder(args.path)) is not None:
        # another process took the file between the check and the command
        print(f"{args.what} skipped: {in_use_message(args.path, holder)} Run `make docs` later.", file=sys.stderr)
        return 0
    return returncode


if __name__ == "__main__":
    sys.exit(main())
