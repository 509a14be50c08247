"""Backfill the segment history: record each customer's segments at past month-ends.

``python -m customer_intelligence.tools.backfill_segment_history [--from 2024-01] [--to 2024-12]``

For every month-end in the range (default: from the first order's month to the month before the
current as-of date) the as-of-dependent models upstream of ``fct_customer_segment_history`` run with
var ``as_of_date`` = the first day of the next month (so the figures cover the orders up to the
month-end), each run adding (or replacing) that date's rows in the history. A last run without the
var puts the customer marts back at the current as-of date and rebuilds ``agg_segment_migrations``.
The segment rules are the models' own: nothing is recomputed outside dbt. Reads the order facts
that the last ``dbt build`` left in the warehouse (``CIQ_WAREHOUSE_PATH``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

# the models between int_as_of_date and the history (intersection of dbt selectors): everything the
# history depends on that changes with the as-of date; the order facts and the base layer do not
HISTORY_SELECTOR = "int_as_of_date+,+fct_customer_segment_history"
MIGRATIONS = "agg_segment_migrations"


def month_start(day: dt.date) -> dt.date:
    """The first day of the month of ``day``."""
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the month of ``day``."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def parse_month(text: str) -> dt.date:
    """'2024-03' (or a full date) -> 2024-03-01; a clear error otherwise."""
    try:
        return month_start(dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01"))
    except ValueError as error:
        raise SystemExit(f"backfill: month '{text}' is not YYYY-MM ({error})") from error


def backfill_as_of_dates(first_order: dt.date, current_as_of: dt.date, start: dt.date | None = None,
                         end: dt.date | None = None) -> list[dt.date]:
    """The as-of dates of the month-ends to record: the first day after each month-end from the month
    of ``start`` (default: of the first order) to the month of ``end`` (default: the last month-end
    before ``current_as_of``). The current as-of date itself is recorded by the final run."""
    month = month_start(start or first_order)
    last = month_start(end or current_as_of)
    dates = []
    while month <= last:
        as_of = next_month(month)
        if as_of < current_as_of:
            dates.append(as_of)
        month = as_of
    return dates


def order_date_range(warehouse: Path) -> tuple[dt.date, dt.date]:
    """The first valid order date and the current as-of date of the built warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = con.execute("select min(order_date) from marts.fct_orders").fetchone()[0]
        as_of = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]
    if first is None:
        raise SystemExit(f"backfill: {warehouse} has no orders in marts.fct_orders: run `make build` first")
    return first, as_of


def dbt_invoker() -> Callable[[list[str]], bool]:
    """dbt in-process (one parse for every run): returns a function running ``dbt <args>``."""
    from dbt.cli.main import dbtRunner

    runner = dbtRunner()

    def invoke(args: list[str]) -> bool:
        return runner.invoke(args).success

    return invoke


def run_backfill(as_of_dates: Sequence[dt.date], invoke: Callable[[list[str]], bool],
                 log: Callable[[str], None] = print) -> None:
    """One dbt run per as-of date, then one at the current as-of date with the migrations."""
    for as_of in as_of_dates:
        log(f"backfill: segments as of {as_of.isoformat()} (orders up to {(as_of - dt.timedelta(days=1)).isoformat()})")
        if not invoke(["run", "--select", HISTORY_SELECTOR, "--vars", json.dumps({"as_of_date": as_of.isoformat()})]):
            raise SystemExit(f"backfill: the dbt run for as_of_date {as_of.isoformat()} failed (see above)")
    log("backfill: back to the current as-of date, and the migrations")
    if not invoke(["run", "--select", HISTORY_SELECTOR, MIGRATIONS]):
        raise SystemExit("backfill: the final dbt run failed (see above); the customer marts may be at a past date")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", help="first month to record, YYYY-MM (default: the first order's)")
    parser.add_argument("--to", dest="end", help="last month to record, YYYY-MM (default: the last complete one)")
    args = parser.parse_args(argv)
    warehouse = Path(os.environ.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb"))
    if not warehouse.exists():
        raise SystemExit(f"backfill: no warehouse at {warehouse}: run `make build` first")
    first, current = order_date_range(warehouse)
    dates = backfill_as_of_dates(first, current, parse_month(args.start) if args.start else None,
                                 parse_month(args.end) if args.end else None)
    print(f"backfill: {len(dates)} month-end(s) to record before the current as-of date {current.isoformat()}")
    run_backfill(dates, dbt_invoker())
    return 0


if __name__ == "__main__":
    sys.exit(main())
