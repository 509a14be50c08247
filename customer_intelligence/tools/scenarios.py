"""Real-shaped raw exports for bring-your-own-data tests, written from public descriptions of such data.

Usage::

    python -m customer_intelligence.tools.scenarios --scenario gift_shop --seed 1 --out /tmp/x/raw

Each scenario writes one ``orders.csv`` with the column names such exports really use (no third-party data):

- ``cohort`` (a): an acquisition cohort, as in music-retailer panels: every customer's first purchase in
  1997-Q1, purchases decaying over 18 months, orders only (no order id), ``YYYYMMDD`` integer dates,
  same-day repeat purchases as identical rows, a few zero amounts. Columns CustomerID, Date, Units, Amount.
- ``gift_shop`` (b): a wholesale gift shop's invoice lines: line-level invoices, ~25 % of lines without a
  customer, credit-note invoices ``C...`` with negative quantities, bad-debt adjustment rows (``A...``),
  huge quantities cancelled the same day, exact duplicate lines, non-product stock codes (POST, M),
  customers under two countries, month-first ``12/1/2010 8:26`` dates. Columns InvoiceNo, StockCode,
  Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country.
- ``grocery`` (c): grocery receipts of loyalty-card members: baskets of many lines, quantity-0 lines, fuel
  sold by the millilitre (quantities in the tens of thousands), local-time timestamps without offset.
  Columns ReceiptId, MemberId, Timestamp, ProductCode, Description, Qty, Price.
- ``event_log`` (d): purchase dates only (no amount), identical rows for same-day repeats. Columns
  CustomerID, PurchaseDate.
- ``default`` (e): the project's default generator (``customer_intelligence.tools.generate``) without dirt.

Customers of ``gift_shop`` and ``grocery`` come and go as real ones do (:func:`customer_lifetimes`): a
quarter join during the period (the others are customers at its start), a third stop buying for good
on a day drawn after they joined, and buying rates differ (Gamma-distributed weights, shape 1 for the
wholesaler, 2 for the grocer). Each invoice or receipt goes to a customer active on its day, drawn in
proportion to their rate. Without this every customer bought at random all year and a churn model had
nothing to find (AUC ~0.5 for every method).

Each is small (at most about 3,000 orders) and deterministic: the same seed writes byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIOS = ("cohort", "gift_shop", "grocery", "event_log", "default")


def _write(frame: pd.DataFrame, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def cohort(rng: np.random.Generator, customers: int = 700) -> pd.DataFrame:
    """(a) Acquisition cohort: first purchases in 1997-Q1, a decaying repeat-purchase process to 1998-06-30."""
    start, end = pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")
    rows = []
    for number in range(1, customers + 1):
        day = start + pd.Timedelta(days=int(rng.integers(0, 90)))
        active = 1.0
        while day <= end:
            units = int(rng.integers(1, 6))
            amount = round(units * float(rng.choice([9.99, 11.77, 12.49, 14.96, 15.36])), 2)
            rows.append((number, int(day.strftime("%Y%m%d")), units, amount))
            if rng.random() < 0.03:  # a second identical purchase the same day
                rows.append(rows[-1])
            active *= 0.72
            if rng.random() > active + 0.05:
                break
            day += pd.Timedelta(days=int(rng.integers(1, 120)))
    frame = pd.DataFrame(rows, columns=["CustomerID", "Date", "Units", "Amount"])
    zero = rng.choice(len(frame), size=6, replace=False)
    frame.loc[zero, ["Units", "Amount"]] = [0, 0.0]
    return frame.sort_values(["Date", "CustomerID"], kind="stable").reset_index(drop=True)


GIFT_PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55), ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75), ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25), ("22633", "HAND WARMER UNION JACK", 1.85),
    ("22632", "HAND WARMER RED POLKA DOT", 1.85), ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10), ("22748", "POPPY'S PLAYHOUSE KITCHEN", 2.10),
    ("22310", "IVORY KNITTED MUG COSY", 1.65), ("84969", "BOX OF 6 ASSORTED COLOUR TEASPOONS", 4.25),
    ("22623", "BOX OF VINTAGE JIGSAW BLOCKS", 4.95), ("21754", "HOME BUILDING BLOCK WORD", 5.95),
    ("23166", "MEDIUM CERAMIC TOP STORAGE JAR", 1.04), ("23843", "PAPER CRAFT , LITTLE BIRDIE", 2.08),
]
COUNTRIES = ["United Kingdom"] * 8 + ["France", "Germany", "EIRE", "Netherlands"]


def customer_lifetimes(
    rng: np.random.Generator, customers: int, days: int, rate_shape: float, joining: float = 0.25,
    leaving: float = 1 / 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(start, stop, weight)`` per customer: active on days ``start <= d < stop`` of ``0..days-1``, buying
    in proportion to ``weight``. A ``joining`` share starts on a uniform day (else day 0); a ``leaving``
    share stops on a uniform day at least 14 days after its start (else never); weights are
    ``Gamma(rate_shape, 1)``."""
    start = np.where(rng.random(customers) < joining, rng.integers(0, days, customers), 0)
    stop_day = start + 14 + np.floor(rng.random(customers) * np.maximum(days - start - 14, 1)).astype(np.int64)
    stop = np.where(rng.random(customers) < leaving, stop_day, days + 1)
    return start, stop, rng.gamma(rate_shape, 1.0, customers)


def _pick(rng: np.random.Generator, day: int, start: np.ndarray, stop: np.ndarray, weight: np.ndarray) -> int | None:
    """Index of a customer active on ``day``, drawn in proportion to ``weight`` (None if nobody is active)."""
    w = np.where((start <= day) & (day < stop), weight, 0.0)
    total = w.sum()
    return None if total <= 0 else int(rng.choice(len(w), p=w / total))


def _gift_time(day: pd.Timestamp, minutes: int) -> str:
    ts = day + pd.Timedelta(minutes=minutes)
    return f"{ts.month}/{ts.day}/{ts.year} {ts.hour}:{ts.minute:02d}"


def gift_shop(rng: np.random.Generator, invoices: int = 1300, customers: int = 260) -> pd.DataFrame:
    """(b) Wholesale gift shop invoice lines (see the module docstring for the shapes planted and the
    customers' planted lifetimes)."""
    start = pd.Timestamp("2010-12-01")
    home = {c: COUNTRIES[int(rng.integers(0, len(COUNTRIES)))] for c in range(12346, 12346 + customers)}
    movers = set(rng.choice(list(home), size=8, replace=False).tolist())
    first, stop, weight = customer_lifetimes(rng, customers, 370, rate_shape=1.0)
    rows: list[tuple] = []
    bought: dict[int, list[tuple]] = {}
    number = 536365
    for _ in range(invoices):
        offset = int(rng.integers(0, 370))
        day = start + pd.Timedelta(days=offset)
        when = _gift_time(day, int(rng.integers(8 * 60, 18 * 60)))
        pick = None if rng.random() < 0.25 else _pick(rng, offset, first, stop, weight)
        guest = pick is None
        customer = None if guest else 12346 + pick
        country = "United Kingdom" if guest else home[customer]
        if customer in movers and day.month >= 7:
            country = "EIRE" if country != "EIRE" else "United Kingdom"
        picks = rng.choice(len(GIFT_PRODUCTS), size=int(rng.integers(1, 9)), replace=False)
        lines = [(code, name, int(rng.choice([1, 2, 3, 4, 6, 12, 24])), price)
                 for code, name, price in (GIFT_PRODUCTS[i] for i in picks)]
        if country != "United Kingdom" and rng.random() < 0.6:
            lines.append(("POST", "POSTAGE", 1, 18.00))
        if rng.random() < 0.02:
            lines.append(("M", "Manual", 1, float(rng.choice([0.85, 2.95, 15.00]))))
        invoice = str(number)
        for line in lines:
            rows.append((invoice, line[0], line[1], line[2], when, line[3], customer, country))
            if rng.random() < 0.02:  # the export repeats a line
                rows.append(rows[-1])
        if customer is not None:
            bought.setdefault(customer, []).append((day, lines, country))
        number += 1
    # credit notes: part of an earlier invoice returned 0-30 days later
    buyers = sorted(bought)
    for customer in rng.choice(buyers, size=60, replace=False):
        day, lines, country = bought[int(customer)][0]
        back = lines[: max(1, len(lines) // 2)]
        when = _gift_time(day + pd.Timedelta(days=int(rng.integers(0, 31))), int(rng.integers(8 * 60, 18 * 60)))
        for code, name, quantity, price in back:
            rows.append((f"C{number}", code, name, -quantity, when, price, int(customer), country))
        number += 1
    # a huge quantity ordered and cancelled the same day (twice)
    for customer in rng.choice(buyers, size=2, replace=False):
        day = start + pd.Timedelta(days=int(rng.integers(0, 360)))
        rows.append((str(number), "23843", "PAPER CRAFT , LITTLE BIRDIE", 80995, _gift_time(day, 9 * 60 + 1),
                     2.08, int(customer), home[int(customer)]))
        rows.append((f"C{number + 1}", "23843", "PAPER CRAFT , LITTLE BIRDIE", -80995, _gift_time(day, 9 * 60 + 15),
                     2.08, int(customer), home[int(customer)]))
        number += 2
    # bad-debt adjustments: no customer, negative price
    for _ in range(3):
        day = start + pd.Timedelta(days=int(rng.integers(0, 360)))
        rows.append((f"A{number}", "B", "Adjust bad debt", 1, _gift_time(day, 14 * 60),
                     -float(rng.integers(100, 12000)), None, "United Kingdom"))
        number += 1
    frame = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                        "UnitPrice", "CustomerID", "Country"])
    frame["CustomerID"] = frame["CustomerID"].astype("Int64")
    order = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%Y %H:%M")
    return frame.iloc[np.lexsort((np.arange(len(frame)), order.to_numpy()))].reset_index(drop=True)


GROCERY_PRODUCTS = [
    ("4011", "BANANAS", 0.25), ("3000", "APPLES", 0.40), ("1001", "MILK 1L", 1.09), ("1002", "BREAD", 1.85),
    ("1003", "EGGS 10", 2.79), ("1004", "BUTTER", 2.29), ("1005", "COFFEE 500G", 5.49), ("1006", "PASTA", 0.99),
    ("1007", "TOMATOES", 0.30), ("1008", "CHEESE", 3.49), ("1009", "YOGHURT", 0.65), ("1010", "RICE 1KG", 1.79),
    ("1011", "WATER 6X1.5L", 2.94), ("1012", "CHOCOLATE", 1.29), ("1013", "TOILET PAPER", 4.99),
]


def grocery(rng: np.random.Generator, receipts: int = 1400, members: int = 220) -> pd.DataFrame:
    """(c) Grocery receipts: many-line baskets, quantity-0 lines, fuel by the millilitre, local time; members
    join, leave and buy at their own rates (:func:`customer_lifetimes`)."""
    start = pd.Timestamp("2023-01-02")
    first, stop, weight = customer_lifetimes(rng, members, 364, rate_shape=2.0)
    rows = []
    number = 0
    while number < receipts:
        offset = int(rng.integers(0, 364))
        pick = _pick(rng, offset, first, stop, weight)
        if pick is None:
            continue
        number += 1
        day = start + pd.Timedelta(days=offset)
        ts = day + pd.Timedelta(seconds=int(rng.integers(7 * 3600, 22 * 3600)))
        member = f"M{pick + 1:05d}"
        receipt = f"R{number:07d}"
        picks = rng.choice(len(GROCERY_PRODUCTS), size=int(rng.integers(3, 13)), replace=False)
        for i in picks:
            code, name, price = GROCERY_PRODUCTS[i]
            quantity = 0 if rng.random() < 0.02 else int(rng.integers(1, 5))
            rows.append((receipt, member, ts.strftime("%Y-%m-%d %H:%M:%S"), code, name, quantity, price))
        if rng.random() < 0.15:
            millilitres = int(rng.integers(15, 61)) * 1000
            rows.append((receipt, member, ts.strftime("%Y-%m-%d %H:%M:%S"), "FUEL95", "UNLEADED 95 (ML)",
                         millilitres, 0.0018))
    return pd.DataFrame(rows, columns=["ReceiptId", "MemberId", "Timestamp", "ProductCode", "Description",
                                       "Qty", "Price"])


def event_log(rng: np.random.Generator, customers: int = 500) -> pd.DataFrame:
    """(d) A purchase-date event log: customer and date only, same-day repeats as identical rows."""
    start = pd.Timestamp("2022-01-01")
    rows = []
    for number in range(1, customers + 1):
        day = start + pd.Timedelta(days=int(rng.integers(0, 700)))
        for _ in range(int(rng.geometric(0.3))):
            if day > pd.Timestamp("2024-06-30"):
                break
            rows.append((f"U{number:04d}", day.strftime("%Y-%m-%d")))
            if rng.random() < 0.03:
                rows.append(rows[-1])
            day += pd.Timedelta(days=int(rng.integers(1, 200)))
    frame = pd.DataFrame(rows, columns=["CustomerID", "PurchaseDate"])
    return frame.sort_values("PurchaseDate", kind="stable").reset_index(drop=True)


def write_scenario(name: str, seed: int, out_dir: str | Path, truth_dir: str | Path | None = None) -> Path:
    """Write scenario ``name`` into ``out_dir``; return the folder."""
    out_dir = Path(out_dir)
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
    if name == "default":
        from customer_intelligence.tools.generate import generate

        generate(orders=1500, seed=seed, out_dir=out_dir, truth_dir=truth_dir or out_dir.parent / "truth",
                 dirt_rate=0.0, progress=False)
        return out_dir
    rng = np.random.default_rng(seed)
    frame = {"cohort": cohort, "gift_shop": gift_shop, "grocery": grocery, "event_log": event_log}[name](rng)
    _write(frame, out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """CLI: ``--scenario NAME --seed N --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="raw files folder")
    parser.add_argument("--truth-out", help="truth folder (default scenario only)")
    args = parser.parse_args(argv)
    out = write_scenario(args.scenario, args.seed, args.out, args.truth_out)
    print(f"scenario {args.scenario} (seed {args.seed}) written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
