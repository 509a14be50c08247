"""Security: no secret in any file, settings from the environment, no PII in the marts, and every
user-supplied value that reaches SQL validated with a clear error."""

from __future__ import annotations

import json
import re
import subprocess

import duckdb
import pandas as pd
import pytest
import yaml
from dbt_project_runner import PROJECT_DIR, run_dbt

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s:@'\"]+@"),
    # a quoted literal assigned to a secret-named key, in any file
    "secret assigned a literal": re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)\b['\"]?\s*[:=]\s*"
        r"(['\"])(?!\{\{|\$\{)[^'\"\s]{6,}\1"
    ),
}
# in configuration files, an unquoted value too (yaml, ini, toml, .env)
CONFIG_SECRET = re.compile(
    r"(?im)^\s*[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*\s*[:=]\s*"
    r"(?![\"']?\{\{|[\"']?\$\{|[\"']?env_var)[^\s#'\"]{6,}"
)
CONFIG_SUFFIXES = {".yml", ".yaml", ".ini", ".cfg", ".toml", ".env", ".conf", ".properties"}
PII_COLUMN = re.compile(
    r"(?i)^(?:customer_|full_|first_|last_|given_|family_|contact_|person_|user_?)?(?:name|surname)$|e_?mail(?!_hash$)|phone"
)
EMAIL_VALUE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def repository_files() -> list:
    """Files of the repository as a user clones it (tracked, plus untracked files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    return [PROJECT_DIR / f for f in listed if f and (PROJECT_DIR / f).is_file()]


def secret_findings(text: str, config_file: bool = False) -> list[str]:
    """Kinds of secret-shaped text found (an unquoted `key: value` counts in configuration files only)."""
    found = [kind for kind, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    if config_file and CONFIG_SECRET.search(text):
        found.append("secret in a configuration file")
    return found


def test_secret_scanner_finds_planted_secrets():
    # written in pieces so that this file itself holds no secret-shaped text
    planted = {
        "pass" 'word = "hunter2hunter2"': "secret assigned a literal",
        'api_' 'key: "sk_live_abcdef123456"': "secret assigned a literal",
        "postgres://admin:" "s3cr3t@db.example.com/prod": "credentials in a URL",
        "AKIA" "ABCDEFGHIJKLMNOP": "AWS access key",
        "-----BEGIN RSA PRIVATE" " KEY-----": "private key",
    }
    for text, kind in planted.items():
        assert kind in secret_findings(text), text
    assert secret_findings("pass" "word: \"{{ env_var('CIQ_PASSWORD') }}\"", config_file=True) == []
    assert secret_findings("tok" "en = part.strip().lower()") == []  # code, not a literal
    assert secret_findings("db_pass" "word: hunter2hunter2", config_file=True) == ["secret in a configuration file"]


def test_no_file_in_the_repository_holds_a_secret():
    files = repository_files()
    assert any(f.name == "profiles.yml" for f in files)
    findings = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        found = secret_findings(text, config_file=path.suffix in CONFIG_SUFFIXES or path.name.startswith(".env"))
        if found:
            findings[str(path.relative_to(PROJECT_DIR))] = found
    assert findings == {}


# Fixed, non-secret switches a profile may state literally: the adapter, a dbt-duckdb plugin module, the
# Spark connection method and its placeholder host, and Spark session switches that carry no credential or path.
STRUCTURAL_SETTINGS = frozenset(
    {
        "type", "method", "host", "module",
        "spark.ui.enabled", "spark.ui.showConsoleProgress", "spark.sql.session.timeZone",
    }
)
CREDENTIAL_KEY = re.compile(r"(?i)user|pass|token|secret|key|auth|credential")


def test_profiles_read_every_setting_from_an_environment_variable_with_a_default():
    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    env_with_default = re.compile(r"\{\{\s*env_var\('[A-Z0-9_]+',\s*'[^']*'\)(?:\s*\|\s*\w+)?\s*\}\}")

    def settings(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from settings(value, (*path, key))
        elif isinstance(node, list):
            for item in node:
                yield from settings(item, path)
        else:
            yield path, node

    checked = 0
    for path, value in settings(profiles):
        assert not CREDENTIAL_KEY.search(path[-1]), f"{path}: credentials do not belong in profiles.yml"
        if path[-1] in STRUCTURAL_SETTINGS:
            continue
        assert isinstance(value, str) and env_with_default.search(value), f"{'.'.join(path)} = {value!r}"
        checked += 1
    assert checked >= 5


def pii_values(raw_dir) -> pd.DataFrame:
    customers = pd.read_parquet(raw_dir / "customers.parquet", columns=["customer_name", "email"])
    values = pd.concat([customers["customer_name"], customers["email"]]).dropna().astype(str)
    return pd.DataFrame({"value": values.str.strip().str.lower().unique()})


def pii_hits(con, relation: str, column: str) -> int:
    """Values of a column equal to a raw name or email (ignoring case and spaces), or shaped like an email."""
    return con.execute(
        f"""
        select count(*) from {relation} as t
        where lower(trim(cast(t."{column}" as varchar))) in (select value from pii)
            or regexp_matches(cast(t."{column}" as varchar), '{EMAIL_VALUE}')
        """
    ).fetchone()[0]


def test_no_mart_column_holds_names_or_emails(built, generated_data):
    pii = pii_values(generated_data["raw"])
    assert len(pii) > 1000
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        con.register("pii", pii)
        # the check finds PII where it is (the raw file itself) ...
        raw_file = f"read_parquet('{generated_data['raw'] / 'customers.parquet'}')"
        assert pii_hits(con, raw_file, "customer_name") > 1000
        assert pii_hits(con, raw_file, "email") > 1000
        # ... and finds none in any column of any table of schema marts
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        assert len({t for t, _, _ in columns}) >= 7
        named_like_pii = [f"{t}.{c}" for t, c, _ in columns if PII_COLUMN.search(c)]
        assert named_like_pii == []
        hits = {f"{t}.{c}": pii_hits(con, f"marts.{t}", c) for t, c, data_type in columns if data_type == "VARCHAR"}
    assert {k: v for k, v in hits.items() if v} == {}


def test_pii_column_names_are_recognised():
    for name in ("customer_name", "name", "first_name", "email", "email_address", "e_mail", "phone_number"):
        assert PII_COLUMN.search(name), name
    for name in ("product_name", "country_name", "channel_name", "segment_name", "email_hash", "region"):
        assert not PII_COLUMN.search(name), name


@pytest.fixture(scope="module")
def malformed_config_build(tmp_path_factory):
    """One build with a malformed value for every validated var and a raw folder path with a glob wildcard
    (a quote in it is fine: paths are quoted by raw_path_sql)."""
    root = tmp_path_factory.mktemp("malformed_config")
    raw = root / "it's raw [1]"
    raw.mkdir()
    (raw / "orders.csv").write_text("order_id,customer_id,order_ts,amount\nO1,C1,2024-01-01,10\n")
    bad_vars = {
        "as_of_date": "2024-02-30",
        "min_order_date": "2000-01-01'; drop table marts.fct_orders; --",
        "max_order_date": "yesterday",
        "max_quantity": "lots",
        "max_unit_price": -5,
        "rejected_share_warn": 0.5,
        "rejected_share_error": 0.1,
        "rejected_share_min_rows": 2.5,
        "anomaly_trailing_days": 1,
        "anomaly_stddevs": "3; select 1",
        "anomaly_max_drop": 2,
        "orders_grain": "weekly",
        "raw_csv_encoding": {"orders": "ebcdic", "invoices": "utf-8"},
        "raw_column_map": {
            "orders": {"customer_id": 'Cust"omer', "order_ts": "date'); drop table x; --", "basket": "x"},
            "invoices": {"order_id": "x"},
        },
        "raw_timestamp_formats": ["%d/%m/%Y'", "no directive"],
    }
    return run_dbt(["build", "--vars", json.dumps(bad_vars)], raw, root), raw


def test_every_malformed_var_gets_a_clear_error_before_any_model(malformed_config_build):
    build, raw = malformed_config_build
    assert not build.ok
    out = re.sub(r"\s+", " ", build.output)
    assert "Bad input: the build stopped before any model was built (20 problems)" in out
    expected = [
        "CIQ_RAW_DIR must be a folder path without the wildcard characters * ? [ ] { } (the file reader would "
        f"expand them into other files), got: {raw}",
        "var as_of_date must be a date written YYYY-MM-DD (or empty), got: '2024-02-30'",
        "var min_order_date must be a date written YYYY-MM-DD, got: '2000-01-01'; drop table marts.fct_orders; --'",
        "var max_order_date must be a date written YYYY-MM-DD (or empty), got: 'yesterday'",
        "var max_quantity must be a number >= 0, got: 'lots'",
        "var max_unit_price must be a number >= 0, got: '-5'",
        "var rejected_share_warn (0.5) must not exceed var rejected_share_error (0.1)",
        "var rejected_share_min_rows must be a whole number >= 0, got: '2.5'",
        "var anomaly_trailing_days must be a whole number >= 2 and <= 366, got: '1'",
        "var anomaly_stddevs must be a number >= 0, got: '3; select 1'",
        "var anomaly_max_drop must be a number >= 0 and <= 1, got: '2'",
        "var orders_grain must be one of auto, order, line; got: 'weekly'",
        "var raw_csv_encoding must be utf-8, utf-16, latin-1 or cp1252 (Windows-1252) (for every file, or per table "
        "as {table: encoding}); got for orders: 'ebcdic'",
        "var raw_csv_encoding names an unknown table 'invoices'",
        "var raw_column_map.orders.customer_id must be a plain column name, but it contains a quote, backslash, "
        "backtick, semicolon or control character: Cust\"omer",
        "var raw_column_map.orders.order_ts must be a plain column name, but it contains a quote",
        "var raw_column_map.orders names an unknown contract column 'basket'",
        "var raw_column_map names an unknown table 'invoices'",
        "var raw_timestamp_formats: format 1 must be a plain strptime format, but it contains a quote",
        "var raw_timestamp_formats: format 2 has no % directive (expected e.g. %Y-%m-%d): no directive",
    ]
    missing = [message for message in expected if message not in out]
    assert missing == []
    run_results = build.target_dir / "run_results.json"
    if run_results.exists():
        assert [r for r in json.loads(run_results.read_text())["results"] if r["unique_id"].startswith("model.")] == []
