"""Integrity probes (issue 19 items 2, 4-8, 11; issue 13 pre-flight): each failed before its fix.

One full build (``integrity_build``) carries the probes that do not interfere, in a raw folder whose
name holds a quote, a double quote, a semicolon, spaces and non-ASCII letters:
- orders.csv: a European export (``;``-delimited, decimal commas with ``.`` thousands, Windows-1252
  text), time-zone offsets, a YYYYMMDD date, zero-padded and whitespace-padded customer ids, a null
  token as customer id; beside it a file named like an SQL injection (``orders.*');CREATE ...--.csv``);
- customers.parquet: ids with leading zeros, tabs and no-break spaces, null tokens; a TIMESTAMPTZ column;
- products: the folder layout, products/<a file named like an SQL injection>.csv, UTF-16 with a
  byte-order mark (beside it a file whose name holds a glob wildcard: not read).
Three more runs stop in the pre-flight check (on-run-start) and assert the message text. Every
expected figure below is worked out by hand from the rows written here.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from bad_input import write_parquet
from dbt_project_runner import PROJECT_DIR, run_dbt

BUILD = ["build", "--exclude-resource-type", "unit_test"]
RAW_FOLDER_NAME = "raw it's; \"quoted\" Ünïcødé"
INJECTION_NAME = "orders.*');CREATE TABLE main.pwned AS SELECT 42 AS owned;--.csv"
FOLDER_FILE_NAME = "2024'); CREATE TABLE main.pwned_too AS SELECT 1 AS owned;--.csv"
WILDCARD_NAME = "part-*.csv"
REPORTING_TZ = "America/New_York"
INTEGRITY_VARS = {
    "raw_csv_encoding": {"orders": "windows-1252", "products": "utf-16"},
    "reporting_time_zone": REPORTING_TZ,
    "rejected_share_error": 1,
}

# orders.csv (Windows-1252, ';' delimiter, decimal commas): order_id; customer_id; order_ts; product_id; amount
ORDER_ROWS = [
    # 10:00+02:00 on 10 March = 08:00Z = 04:00 in New York (EDT, UTC-4: DST began at 07:00Z that day)
    ("O1", "00042", "2024-03-10 10:00+02:00", "P€1", "10,50"),
    # 03:00Z on 10 March = 22:00 on 9 March in New York: business day 2024-03-09
    ("O2", "\t43\t", "2024-03-10T03:00:00Z", "P€1", "1.151,25"),
    # YYYYMMDD text, no offset: taken as local
    ("O3", "44", "20240311", "P€1", "5"),
    # a null token as customer id: rejected, not a customer called 'N/A'
    ("O4", "N/A", "2024-03-11 09:00:00", "P€1", "7,00"),
    ("O5", " 0042 ", "2024-03-12 23:30:00-05:00", "P€1", "2,25"),
]
CUSTOMER_IDS = ["42", "0043", "44\u00a0", "NULL", "None", "-", "NaN", "#N/A"]
SIGNUP_UTC = dt.datetime(2024, 1, 1, 3, 0, tzinfo=dt.UTC)  # 22:00 on 31 Dec in New York


def write_integrity_files(raw: Path) -> None:
    """The raw files of the integrity build (see the module docstring)."""
    raw.mkdir(parents=True)
    lines = ["order_id;customer_id;order_ts;product_id;amount"] + [";".join(r) for r in ORDER_ROWS]
    (raw / "orders.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    # a file whose name is an SQL statement: never pasted into SQL, and not read as orders
    (raw / INJECTION_NAME).write_text("order_id,customer_id,order_ts,amount\nX1,42,2024-03-01,999\n")
    n = len(CUSTOMER_IDS)
    write_parquet(
        raw / "customers.parquet",
        {
            "customer_id": (pa.string(), CUSTOMER_IDS),
            "customer_name": (pa.string(), [f"Name {i}" for i in range(n)]),
            "signup_ts": (pa.timestamp("us", tz="UTC"), [SIGNUP_UTC] * n),
        },
    )
    products = "product_id,product_name,category\nP€1,Crème brûlée – 1 €,Dessert\n"
    (raw / "products").mkdir()
    (raw / "products" / FOLDER_FILE_NAME).write_bytes(products.encode("utf-16"))  # with a byte-order mark
    # a name the file reader would expand as a glob (into every CSV of the folder): listed, not read
    (raw / "products" / WILDCARD_NAME).write_bytes(products.encode("utf-16"))


@pytest.fixture(scope="module")
def integrity_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    raw = root / RAW_FOLDER_NAME
    write_integrity_files(raw)
    originals = {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    build = run_dbt([*BUILD, "--vars", json.dumps(INTEGRITY_VARS)], raw, root / "work")
    return build, originals


def relation_names(build) -> set[str]:
    """schema.name of every table or view the project's nodes, hooks and declared sources are meant to create."""
    manifest = json.loads((build.target_dir / "manifest.json").read_text())
    names = {"dbt_meta.build_invocation"}
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed", "snapshot"):
            names.add(f"{node['schema']}.{node.get('alias') or node['name']}")
    for source in manifest["sources"].values():  # e.g. the model registry the Python models write
        names.add(f"{source['schema']}.{source.get('identifier') or source['name']}")
    return names


def test_file_names_never_reach_sql_and_odd_folder_names_build(integrity_build):
    build, originals = integrity_build
    assert build.ok, build.output[-4000:]
    tables = build.query("select table_schema, table_name from information_schema.tables")
    found = {f"{s}.{t}" for s, t in zip(tables["table_schema"], tables["table_name"], strict=True)}
    assert not any("pwned" in name for name in found)
    assert found - relation_names(build) == set()
    # the oddly named file is listed as not read, with the rule
    assert "not read (the file must be named exactly orders.parquet, orders.csv, orders.csv.gz)" in build.output
    assert INJECTION_NAME in build.output
    assert build.scalar("select count(*) from staging.base_raw__orders where order_id = 'X1'") == 0
    # the user's files are untouched
    raw = build.raw_dir
    assert {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()} == originals
    # the folder's file is read under its quoted name (one product, not two: the wildcard file is not read)
    assert build.query("select _raw_file from staging.base_raw__products")["_raw_file"].tolist() == [
        f"products/{FOLDER_FILE_NAME}"]
    assert WILDCARD_NAME in build.output


def test_windows_1252_and_utf16_files_are_read(integrity_build):
    build, _ = integrity_build
    assert build.ok, build.output[-4000:]
    assert build.query("select product_id, product_name from staging.stg_raw__products").to_dict("records") == [
        {"product_id": "P€1", "product_name": "Crème brûlée – 1 €"}
    ]
    # orders.csv was read from a UTF-8 copy under the warehouse folder
    copies = list((build.warehouse.parent / "raw_transcoded").iterdir())
    assert len(copies) == 1 and "P€1" in copies[0].read_text(encoding="utf-8")


def test_decimal_commas_offsets_and_yyyymmdd(integrity_build):
    build, _ = integrity_build
    assert build.ok, build.output[-4000:]
    assert "writes numbers with a decimal comma" in build.output
    orders = build.query(
        "select order_id, customer_id, order_ts, order_date, net_revenue from marts.fct_orders order by order_id"
    )
    got = {r["order_id"]: r for r in orders.to_dict("records")}
    assert sorted(got) == ["O1", "O2", "O3", "O5"]
    assert {k: round(v["net_revenue"], 2) for k, v in got.items()} == {"O1": 10.5, "O2": 1151.25, "O3": 5.0, "O5": 2.25}
    assert {k: str(v["order_date"])[:10] for k, v in got.items()} == {
        "O1": "2024-03-10",  # 08:00Z = 04:00 EDT
        "O2": "2024-03-09",  # 03:00Z = 22:00 EST the day before
        "O3": "2024-03-11",  # YYYYMMDD
        "O5": "2024-03-13",  # 23:30-05:00 = 04:30Z = 00:30 EDT (DST since 10 March) on the 13th
    }
    assert str(got["O1"]["order_ts"]) == "2024-03-10 04:00:00"
    assert str(got["O5"]["order_ts"]) == "2024-03-13 00:30:00"
    # a Parquet TIMESTAMPTZ follows the same rule: 03:00Z on 1 January is 22:00 on 31 December in New York
    signups = build.query("select distinct signup_ts from staging.stg_raw__customers")
    assert [str(v) for v in signups["signup_ts"]] == ["2023-12-31 22:00:00"]


def test_keys_null_tokens_whitespace_and_leading_zeros(integrity_build):
    build, _ = integrity_build
    assert build.ok, build.output[-4000:]
    customers = build.query("select customer_id from staging.stg_raw__customers order by customer_id")
    assert customers["customer_id"].tolist() == ["42", "43", "44"]
    rejected = build.query(
        "select reject_reason, count(*) as n from staging.base_raw__customers"
        " where reject_reason is not null group by 1"
    )
    assert rejected.to_dict("records") == [{"reject_reason": "null_key", "n": 5}]
    orders = build.query(
        "select order_id, coalesce(customer_id, 'NULL') as customer_id,"
        " coalesce(reject_reason, 'kept') as reject_reason"
        " from staging.base_raw__orders order by order_id"
    )
    assert orders.to_dict("records") == [
        {"order_id": "O1", "customer_id": "42", "reject_reason": "kept"},
        {"order_id": "O2", "customer_id": "43", "reject_reason": "kept"},
        {"order_id": "O3", "customer_id": "44", "reject_reason": "kept"},
        {"order_id": "O4", "customer_id": "NULL", "reject_reason": "null_customer_id"},
        {"order_id": "O5", "customer_id": "42", "reject_reason": "kept"},
    ]


# --------------------------------------------------------------------------------------------------
# Refusals in the pre-flight check: nothing is built, the message names file, column, cause, setting.
# --------------------------------------------------------------------------------------------------
def preflight(tmp_path: Path, raw: Path, extra_vars: dict | None = None, env: dict | None = None):
    build = run_dbt([*BUILD, "--vars", json.dumps(extra_vars or {})], raw, tmp_path / "work", extra_env=env)
    assert not build.ok
    assert "Bad input: the build stopped before any model was built" in build.output, build.output[-3000:]
    return build


def test_injection_file_alone_is_not_read_as_orders(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / INJECTION_NAME).write_text("order_id,customer_id,order_ts,amount\nX1,42,2024-03-01,999\n")
    build = preflight(tmp_path, raw)
    assert "Raw table 'orders' is required but no orders.parquet, orders.csv or orders.csv.gz was found" in build.output
    assert "files with other names are not read: " in build.output and INJECTION_NAME in build.output
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables").fetchall()
    assert ("pwned",) not in tables


def test_order_grain_without_lines_and_undetected_formats_are_refused(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_text(
        "order_id,customer_id,order_ts\nA1,1,1710064800\nA2,1,1710151200\nA3,2,1710237600\n"
    )
    (raw / "customers.csv").write_text(
        "customer_id,birth_date,annual_income\n1,13/03/1980,\"10,50\"\n2,14/04/1981,10.50\n"
    )
    # header (24 bytes) + "1,Caf\xe9\n" (7) + "2,Bad " (6): the byte 0x81 is at position 37, on line 3
    (raw / "products.csv").write_bytes(b"product_id,product_name\n1,Caf\xe9\n2,Bad \x81 byte\n")
    build = preflight(tmp_path, raw, {"orders_grain": "order", "raw_csv_encoding": {"products": "cp1252"}})
    out = build.output
    assert "var orders_grain is 'order'" in out and "every order would have revenue 0" in out
    assert "set var orders_grain: line" in out
    assert "orders.csv' column 'order_ts': 3 of 3 sampled values are not dates" in out
    assert "Unix epoch seconds; add epoch_seconds to var raw_timestamp_formats" in out
    assert "mix decimal commas" in out and "raw_decimal_separator" in out
    assert "products.csv' is not valid cp1252 text: byte 0x81 at byte position 37 (line 3)" in out
    assert "Set var raw_csv_encoding" in out


def test_bad_settings_are_refused_before_any_model(tmp_path):
    raw = tmp_path / "raw*"
    raw.mkdir()
    (raw / "orders.csv").write_text("order_id,customer_id,order_ts,amount\nA1,1,2024-03-01,1\n")
    build = preflight(tmp_path, raw, {"segment_k": 1, "reporting_time_zone": "Mars/Olympus", "ml_refit_days": 0,
                                      "ml_force_refit": "maybe"})
    out = build.output
    assert "var segment_k must be a whole number from 2 to 12 or empty" in out
    assert "var ml_refit_days must be a whole number from 1 to 3650, got: '0'" in out
    assert "var ml_force_refit must be true or false, got: 'maybe'" in out
    assert "var reporting_time_zone: unknown time zone 'Mars/Olympus'" in out
    assert "CIQ_RAW_DIR must be a folder path without the wildcard characters" in out
    assert "Completed successfully" not in out


# --------------------------------------------------------------------------------------------------
# Item 11: a second build against a locked warehouse prints one message; docs never fail a published build.
# --------------------------------------------------------------------------------------------------
def test_locked_warehouse_gives_one_clear_message(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    hold = f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        check = subprocess.run(
            [sys.executable, "-m", "customer_intelligence.tools.warehouse_lock", "check", str(warehouse)],
            cwd=PROJECT_DIR, capture_output=True, text=True,
        )
        assert check.returncode == 1
        assert "Traceback" not in check.stdout + check.stderr
        assert f"The warehouse {warehouse} is in use by another process (PID {holder.pid}" in check.stderr
        docs = subprocess.run(
            [sys.executable, "-m", "customer_intelligence.tools.warehouse_lock", "run-or-skip", str(warehouse),
             "--wait", "1", "--", sys.executable, "-c", "print('ran')"],
            cwd=PROJECT_DIR, capture_output=True, text=True,
        )
        assert docs.returncode == 0, docs.stderr
        assert "ran" not in docs.stdout
        assert "skipped: the warehouse" in docs.stderr and "make docs" in docs.stderr
    finally:
        holder.kill()
        holder.wait()
    free = subprocess.run(
        [sys.executable, "-m", "customer_intelligence.tools.warehouse_lock", "run-or-skip", str(warehouse),
         "--wait", "1", "--", sys.executable, "-c", "print('ran')"],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert free.returncode == 0 and free.stdout.strip() == "ran"


def test_build_prints_the_configured_reports_folder_and_checks_the_lock_first(tmp_path):
    """make build runs tools/cli.py build: its lock check precedes dbt build, its summary follows CIQ_REPORTS_DIR."""
    from customer_intelligence.tools import cli
    from customer_intelligence.tools.config import Config

    reports = tmp_path / "my reports"
    env = {"CIQ_REPORTS_DIR": str(reports), "CIQ_RAW_DIR": str(PROJECT_DIR / "tests/fixtures/raw_minimal")}
    steps = [name for name, _ in cli.plan(Config(source=None), {}, env)]
    assert steps.index("lock check") < steps.index("dbt build")
    docs = dict(cli.plan(Config(source=None), {}, env))["docs"]
    assert "run-or-skip" in docs
    printed = "\n".join(cli.summary_lines(env))
    assert f"insights:  {reports}/insights.md" in printed, printed
    assert f"alerts in {reports}/alerts" in printed


# --------------------------------------------------------------------------------------------------
# The transcoding function behind raw_csv_encoding: cp1252 / latin-1 (no dbt build).
# --------------------------------------------------------------------------------------------------
def test_transcode_writes_a_utf8_copy_once_and_locates_bad_bytes(tmp_path):
    from customer_intelligence.tools.raw_transcode import transcode_to_utf8

    source = tmp_path / "customers.csv"
    source.write_bytes("id,name\n1,€ – ’\n".encode("cp1252"))
    cache = tmp_path / "cache"
    first = transcode_to_utf8(str(source), "cp1252", str(cache))
    assert first.startswith("ok:")
    copy = Path(first[3:])
    assert copy.parent == cache and copy.read_text(encoding="utf-8") == "id,name\n1,€ – ’\n"
    assert transcode_to_utf8(str(source), "windows-1252", str(cache)) == first  # same version: reused
    assert source.read_bytes() == "id,name\n1,€ – ’\n".encode("cp1252")  # never modified
    # 0x80 (€ in cp1252) at byte 10 is a control character in latin-1: refused, naming cp1252
    latin = transcode_to_utf8(str(source), "latin-1", str(cache))
    assert latin.startswith("error:Raw file '") and "byte 0x80 at byte position 10 (line 2)" in latin
    assert "cp1252" in latin
    # 0x81 is not a cp1252 character: header (8 bytes) + "1,ok\n" (5) + "2,x" (3) -> byte 16, line 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,name\n1,ok\n2,x\x81y\n")
    assert "byte 0x81 at byte position 16 (line 3)" in transcode_to_utf8(str(bad), "cp1252", str(cache))
