"""Profile raw files and propose a config.

``python -m customer_intelligence.tools.inspect [--raw-dir D] [--write ciq.yml]`` (or ``make inspect``).

For each raw file (orders, order_lines, customers, products as .parquet / .csv / .csv.gz) it prints the role of
every column (by the name synonyms of the row rules, R3, and by content), the date format with its evidence, the
grain, the date span, exact-duplicate rows, negative and credit-note lines, outliers against the caps, rows without
a customer, and what the build would do with each class of row (kept, flagged, dropped, rejected) under the
default row rules. ``--write`` saves a proposed config (``ciq.yml``) for the user to review.

Files above ``--sample-rows`` rows (default 200,000) are profiled on a seeded random sample for the format
detectors; counts are on every row.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TABLES = ("orders", "order_lines", "customers", "products")
# contract column -> file names that mean it (row_rules.md R3), compared after normalise()
SYNONYMS: dict[str, tuple[str, ...]] = {
    "product_id": ("StockCode", "SKU", "Item", "ItemCode", "ProductCode", "Product", "ArticleNo"),
    "product_name": ("Description", "ProductName"),
    "country": ("Country", "CountryCode"),
    "customer_id": ("CustomerID", "Customer", "ClientId", "MemberId"),
    "order_id": ("InvoiceNo", "Invoice", "OrderNo", "ReceiptId", "TransactionId"),
    "order_ts": ("InvoiceDate", "Date", "OrderDate", "Timestamp", "PurchaseDate"),
    "quantity": ("Qty", "Quantity", "Units"),
    "unit_price": ("Price", "UnitPrice"),
    "amount": ("Amount", "Total", "Sales", "Revenue", "Spend", "Value"),
    "original_order_id": ("OriginalInvoice", "RefundOf", "ReturnOf"),
}
# the contract columns each table may carry (see macros/raw/raw_contract.sql)
CONTRACT: dict[str, tuple[str, ...]] = {
    "orders": ("order_id", "customer_id", "order_ts", "channel", "status", "updated_at", "product_id", "quantity",
               "unit_price", "discount_amount", "amount", "original_order_id", "country", "product_name"),
    "order_lines": ("order_id", "line_number", "product_id", "quantity", "unit_price", "discount_amount"),
    "customers": ("customer_id", "customer_name", "email", "gender", "birth_date", "country", "annual_income",
                  "num_children", "membership", "membership_start_date", "signup_ts", "updated_at"),
    "products": ("product_id", "product_name", "category", "unit_cost"),
}
CONTRACT_MACRO = Path(__file__).resolve().parents[2] / "macros" / "raw" / "raw_contract.sql"


def project_contract(path: Path = CONTRACT_MACRO) -> dict[str, tuple[str, ...]]:
    """The contract columns of each raw table as macros/raw/raw_contract.sql declares them (CONTRACT if absent)."""
    if not path.exists():
        return CONTRACT
    text = path.read_text(encoding="utf-8")
    found: dict[str, tuple[str, ...]] = {}
    for table in TABLES:
        block = re.search(rf"'{table}':\s*\{{.*?'columns':\s*\{{(.*?)\n\s*\}},", text, re.S)
        if block:
            found[table] = tuple(re.findall(r"'(\w+)':\s*\{'type'", block.group(1)))
    return found or CONTRACT


DEFAULT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%d.%m.%Y %H:%M",
                   "%d.%m.%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d-%b-%Y"]
DEFAULT_CAPS = {"max_quantity": 10_000, "max_unit_price": 1_000_000}
DEFAULT_REJECTED_SHARE_ERROR = 0.05
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(?P<offset>Z|[+-]\d{2}:?\d{2})?$")
SLASHED = re.compile(r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})(?P<time> \d{1,2}:\d{2}(?P<sec>:\d{2})?)?$")


def normalise(name: str) -> str:
    """A column name compared as the loader does: lower case, without spaces, underscores and hyphens."""
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def role_by_name(column: str, table: str = "orders", contract_columns: dict | None = None) -> str | None:
    """The contract column a file column names: itself (normalised) or one of its R3 synonyms; else None."""
    key = normalise(column)
    columns = (contract_columns or CONTRACT).get(table, ())
    for contract in columns:
        if normalise(contract) == key:
            return contract
    for contract, names in SYNONYMS.items():
        if contract in columns and key in {normalise(n) for n in names}:
            return contract
    return None


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def role_by_content(values: pd.Series) -> str:
    """A coarse role from the values: timestamp, integer, money (decimals), id-like text, or text."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return "empty"
    if detect_date_format(text).format is not None:
        return "timestamp"
    numbers = _numbers(text)
    if numbers.notna().mean() > 0.98:
        whole = (numbers.dropna() % 1 == 0).all()
        return "integer" if whole else "money"
    if text.str.fullmatch(r"[A-Za-z]{0,3}\d{3,}[A-Za-z]?").mean() > 0.9:
        return "id"
    return "text"


@dataclass(frozen=True)
class DateFormat:
    """A detected date format (a strptime pattern, or 'epoch_seconds' / 'iso'), and why."""

    format: str | None
    evidence: str
    has_offset: bool = False


def detect_date_format(values: pd.Series) -> DateFormat:
    """The date format of a column's values, with the evidence (YYYYMMDD integers, epoch, ISO, d/m vs m/d)."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return DateFormat(None, "no values")
    if text.str.fullmatch(r"(19|20)\d{6}").all():
        months = text.str[4:6].astype(int)
        days = text.str[6:8].astype(int)
        if months.between(1, 12).all() and days.between(1, 31).all():
            return DateFormat("%Y%m%d", f"every value is an 8-digit YYYYMMDD integer (e.g. {text.iloc[0]})")
    if text.str.fullmatch(r"\d{9,10}").all():
        return DateFormat("epoch_seconds", f"every value is a 9-10 digit integer (epoch seconds, e.g. {text.iloc[0]})")
    iso = text.str.match(ISO)
    if iso.all():
        offsets = text.str.extract(ISO)["offset"].notna()
        note = (f"; {int(offsets.sum()):,} values carry a UTC offset (converted to UTC)" if offsets.any()
                else "; no UTC offset: local time, read as written")
        return DateFormat("iso", f"every value is ISO-8601 (e.g. {text.iloc[0]}){note}", bool(offsets.any()))
    parts = text.str.extract(SLASHED)
    if parts["a"].notna().all():
        a, b = parts["a"].astype(int), parts["b"].astype(int)
        sep = re.search(r"[/.-]", text.iloc[0]).group(0)
        time = ""
        if parts["time"].notna().all():
            time = " %H:%M:%S" if parts["sec"].notna().all() else " %H:%M"
        if (a > 12).any() and (b > 12).any():
            return DateFormat(None, "both the first and the second number exceed 12 in some values: mixed formats")
        if (a > 12).any():
            example = text[a > 12].iloc[0]
            return DateFormat(f"%d{sep}%m{sep}%Y{time}", f"day first: {int((a > 12).sum()):,} values have a first "
                              f"number above 12 (e.g. {example})")
        if (b > 12).any():
            example = text[b > 12].iloc[0]
            return DateFormat(f"%m{sep}%d{sep}%Y{time}", f"month first: {int((b > 12).sum()):,} values have a second "
                              f"number above 12 (e.g. {example})")
        return DateFormat(f"%m{sep}%d{sep}%Y{time}", "ambiguous: no number above 12, read month first (check it)")
    return DateFormat(None, f"no known format (e.g. {text.iloc[0]!r})")


def parse_dates(values: pd.Series, fmt: DateFormat) -> pd.Series:
    """The values as timestamps under a detected format (NaT where they do not parse)."""
    text = values.astype("string").str.strip()
    if fmt.format == "epoch_seconds":
        return pd.to_datetime(_numbers(text), unit="s", errors="coerce")
    if fmt.format == "iso":
        return pd.to_datetime(text, errors="coerce", utc=fmt.has_offset, format="ISO8601").pipe(
            lambda s: s.dt.tz_localize(None) if fmt.has_offset else s)
    if fmt.format:
        return pd.to_datetime(text, format=fmt.format, errors="coerce")
    return pd.Series(pd.NaT, index=values.index)


def credit_note_prefix(order_ids: pd.Series, negative: pd.Series) -> str | None:
    """A letter prefix of order ids whose rows are (almost) all negative lines, e.g. 'C' for C536379; else None."""
    ids = order_ids.astype("string").str.strip()
    prefix = ids.str.extract(r"^([A-Za-z]+)\d", expand=False)
    best = None
    for candidate, rows in prefix.dropna().groupby(prefix.dropna()).groups.items():
        share_negative = negative.loc[rows].mean()
        if share_negative >= 0.9 and (best is None or len(rows) > best[1]):
            best = (str(candidate), len(rows))
    return best[0] if best else None


def grain(order_ids: pd.Series | None, products: pd.Series | None) -> str:
    """'line' when order ids repeat (with different products where a product column exists), 'order' otherwise."""
    if order_ids is None:
        return "order (no order id: each row is an order)"
    repeated = order_ids.dropna().duplicated(keep=False)
    if not repeated.any():
        return "order (every order id appears once)"
    if products is not None:
        distinct = pd.DataFrame({"o": order_ids, "p": products})[repeated.reindex(order_ids.index, fill_value=False)]
        multi = distinct.groupby("o")["p"].nunique()
        return f"line ({int((multi > 1).sum()):,} order ids repeat with different products)"
    return f"line ({int(order_ids[repeated].nunique()):,} order ids repeat)"


@dataclass
class FileReport:
    """What the inspector found in one raw file."""

    table: str
    path: Path
    rows: int
    roles: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # column -> (contract, content role)
    column_map: dict[str, str] = field(default_factory=dict)  # contract -> file column (when names differ)
    date_format: DateFormat | None = None
    lines: list[str] = field(default_factory=list)
    vars: dict[str, object] = field(default_factory=dict)


def read_raw_file(path: Path) -> pd.DataFrame:
    """A raw file as text columns (as the CSV loader reads it); Parquet keeps its types."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding_errors="replace")


def find_files(raw_dir: Path) -> dict[str, Path]:
    """The raw file of each table present in ``raw_dir``."""
    found = {}
    for table in TABLES:
        for ext in ("parquet", "csv", "csv.gz"):
            if (raw_dir / f"{table}.{ext}").exists():
                found[table] = raw_dir / f"{table}.{ext}"
                break
    return found


def profile(table: str, path: Path, frame: pd.DataFrame, has_order_lines: bool, sample_rows: int = 200_000,
            caps: dict[str, float] = DEFAULT_CAPS) -> FileReport:
    """Profile one raw file: roles, date format, grain, span, duplicates, returns, outliers, customers, outcomes."""
    report = FileReport(table, path, len(frame))
    sample = frame.sample(n=sample_rows, random_state=0) if len(frame) > sample_rows else frame
    claimed: dict[str, list[str]] = {}
    contract_columns = project_contract()
    for column in frame.columns:
        contract = role_by_name(column, table, contract_columns)
        report.roles[column] = (contract, role_by_content(sample[column].head(5000)))
        if contract:
            claimed.setdefault(contract, []).append(column)
    for contract, columns in claimed.items():
        if len(columns) > 1:
            report.lines.append(f"CONFLICT: columns {', '.join(columns)} all mean {contract}: map one in column_map")
        elif normalise(columns[0]) != normalise(contract):
            report.column_map[contract] = columns[0]
    col = {contract: columns[0] for contract, columns in claimed.items()}
    if table != "orders":
        return report
    line_grain = not has_order_lines
    order_id = frame[col["order_id"]] if "order_id" in col else None
    customer = frame[col["customer_id"]] if "customer_id" in col else None
    # dates
    parsed = None
    if "order_ts" in col:
        report.date_format = detect_date_format(sample[col["order_ts"]])
        report.lines.append(f"order_ts = {col['order_ts']}: format {report.date_format.format} "
                            f"({report.date_format.evidence})")
        fmt = report.date_format.format
        if fmt and fmt not in ("iso", "epoch_seconds") and fmt not in DEFAULT_FORMATS:
            report.vars["raw_timestamp_formats"] = [fmt, *DEFAULT_FORMATS]
        parsed = parse_dates(frame[col["order_ts"]], report.date_format)
        if parsed.notna().any():
            report.lines.append(f"date span: {parsed.min():%Y-%m-%d} .. {parsed.max():%Y-%m-%d}")
    # grain and duplicates
    products = frame[col["product_id"]] if "product_id" in col else None
    report.lines.append(f"grain: {grain(order_id, products) if line_grain else 'order (an order_lines file exists)'}")
    repeated = frame.duplicated(keep="first")
    # money
    quantity = _numbers(frame[col["quantity"]]) if "quantity" in col else None
    price = _numbers(frame[col["unit_price"]]) if "unit_price" in col else None
    amount = _numbers(frame[col["amount"]]) if "amount" in col else None
    if line_grain and amount is None and (quantity is None or price is None):
        report.lines.append("amounts: none (no amount, or not both quantity and unit_price): money measures are NULL")
    negative = pd.Series(False, index=frame.index)
    for values in (quantity, amount):
        if values is not None:
            negative |= values < 0
    prefix = credit_note_prefix(order_id, negative) if order_id is not None else None
    # outcomes under the default row rules
    outcome: dict[str, int] = {}
    no_customer = customer.isna() if customer is not None else pd.Series(False, index=frame.index)
    bad_date = parsed.isna() if parsed is not None else pd.Series(False, index=frame.index)
    old_date = parsed < pd.Timestamp("1900-01-01") if parsed is not None else pd.Series(False, index=frame.index)
    rejected_no_customer = int(no_customer.sum())
    rejected_date = int((bad_date & ~no_customer).sum())
    too_old = int((old_date & ~no_customer).sum())
    # a copy of a rejected row is rejected with it; duplicates are counted among the other rows
    duplicates = int((repeated & ~(no_customer | bad_date | old_date)).sum())
    if order_id is not None:
        outcome["dropped: exact duplicate rows (the file has an order id: a re-sent line)"] = duplicates
    else:
        outcome["kept, flagged exact_duplicate (no order id: a same-day repeat purchase)"] = duplicates
    outcome["rejected null_customer_id: rows without a customer"] = rejected_no_customer
    outcome["rejected invalid_order_date: dates that do not parse"] = rejected_date
    outcome["rejected order_date_too_old: before 1900-01-01"] = too_old
    if quantity is not None:
        outcome["kept, flagged zero_quantity"] = int((quantity == 0).sum())
        outcome[f"kept, flagged outlier_quantity (above max_quantity {caps['max_quantity']:,})"] = int(
            (quantity.abs() > caps["max_quantity"]).sum())
    if price is not None:
        outcome["kept, flagged zero_price"] = int((price == 0).sum())
        outcome[f"kept, flagged outlier_unit_price (above max_unit_price {caps['max_unit_price']:,})"] = int(
            (price.abs() > caps["max_unit_price"]).sum())
    if amount is not None:
        outcome["kept, zero amount (zero value)"] = int((amount == 0).sum())
    value = amount if amount is not None else (quantity * price if quantity is not None and price is not None
                                               else None)
    if value is not None:
        cap = caps["max_quantity"] * caps["max_unit_price"]
        outcome[f"kept, flagged outlier_amount (above max_quantity x max_unit_price {cap:,.0f})"] = int(
            (value.abs() > cap).sum())
    outcome["kept, flagged return: negative quantity or amount (reduce revenue)"] = int(negative.sum())
    if prefix:
        credit = order_id.astype("string").str.startswith(prefix).fillna(False)
        outcome[f"kept, credit note: order id starts with '{prefix}' (credit_note_prefix)"] = int(credit.sum())
        if prefix != "C":
            report.vars["credit_note_prefix"] = prefix
    report.lines.append("what the build would do (default row rules):")
    report.lines += [f"  {count:>9,}  {label}" for label, count in outcome.items()]
    share = (rejected_no_customer + rejected_date) / max(len(frame), 1)
    if share > DEFAULT_REJECTED_SHARE_ERROR:
        proposed = round(min(1.0, share + 0.05), 2)
        report.vars["rejected_share_warn"] = proposed
        report.vars["rejected_share_error"] = proposed
        report.lines.append(f"{share:.1%} of rows would be rejected (mostly without a customer): above the default "
                            f"gate rejected_share_error {DEFAULT_REJECTED_SHARE_ERROR}; proposing {proposed}")
    return report


def inspect_dir(raw_dir: Path, sample_rows: int = 200_000) -> list[FileReport]:
    """Profile every raw file in ``raw_dir``."""
    files = find_files(raw_dir)
    if "orders" not in files:
        raise FileNotFoundError(f"no orders.parquet, orders.csv or orders.csv.gz in {raw_dir} (pass --raw-dir)")
    return [profile(table, path, read_raw_file(path), "order_lines" in files, sample_rows)
            for table, path in files.items()]


def render(reports: list[FileReport]) -> str:
    """The printed profile of every file."""
    out = []
    for report in reports:
        out.append(f"== {report.table}: {report.path} ({report.rows:,} rows)")
        for column, (contract, content) in report.roles.items():
            used = f"-> {contract}" if contract else "not used (kept in the row hash)"
            out.append(f"  {column:<24} {content:<10} {used}")
        out += [f"  {line}" for line in report.lines]
    return "\n".join(out)


def _yaml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def proposed_config(raw_dir: Path, reports: list[FileReport]) -> str:
    """A commented ciq.yml proposing the raw folder, the column map and the vars the profile calls for."""
    lines = ["# Proposed by `make inspect` (python -m customer_intelligence.tools.inspect): review, then `make build`.",
             "# Every key is described in ciq.example.yml.", f"raw_dir: {raw_dir.resolve()}"]
    maps = {r.table: r.column_map for r in reports if r.column_map}
    if maps:
        lines.append("# file columns whose names differ from the raw contract")
        lines.append("column_map:")
        for table, mapping in maps.items():
            lines.append(f"  {table}:")
            lines += [f"    {contract}: {column}" for contract, column in mapping.items()]
    merged: dict[str, object] = {}
    for report in reports:
        merged.update(report.vars)
    if "raw_timestamp_formats" in merged:
        lines.append("# the detected date format first, then the default formats")
        lines.append(f"timestamp_formats: {_yaml_value(merged.pop('raw_timestamp_formats'))}")
    lines.append("# dbt vars (row rules and the rejected-share gate included); see dbt_project.yml")
    lines.append("vars:" if merged else "vars: {}")
    lines += [f"  {key}: {_yaml_value(value)}" for key, value in merged.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI: print the profile; with --write, save the proposed config."""
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("CIQ_RAW_DIR", "data/raw")))
    parser.add_argument("--write", type=Path, help="write the proposed config here (e.g. ciq.yml)")
    parser.add_argument("--sample-rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    try:
        reports = inspect_dir(args.raw_dir, args.sample_rows)
    except FileNotFoundError as error:
        print(f"INSPECT ERROR: {error}", file=sys.stderr)
        return 2
    print(render(reports))
    config = proposed_config(args.raw_dir, reports)
    if args.write:
        args.write.write_text(config)
        print(f"\nproposed config written to {args.write}: review it, then `make build`")
    else:
        print("\nproposed config (--write ciq.yml to save it):\n" + config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
