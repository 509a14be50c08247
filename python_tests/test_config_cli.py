"""The project config file and the config-driven build CLI (no dbt build: the plan and the validation)."""

from __future__ import annotations

import json
import sys

import pytest

from customer_intelligence.tools import cli
from customer_intelligence.tools.config import (
    PROJECT_DIR,
    Config,
    ConfigError,
    build_env,
    config_path,
    load_config,
    merge_vars,
)


def write(tmp_path, text: str):
    path = tmp_path / "ciq.yml"
    path.write_text(text)
    return path


def test_config_keys_become_paths_and_vars(tmp_path):
    path = write(tmp_path, """
raw_dir: exports
warehouse_path: /tmp/w/ciq.duckdb
column_map: {orders: {order_id: InvoiceNo}}
timestamp_formats: ["%Y%m%d"]
grain: line
vars:
  min_order_date: "1990-01-01"
  max_quantity: 50000
""")
    config = load_config(path)
    assert config.paths == {"raw_dir": str(tmp_path / "exports"), "warehouse_path": "/tmp/w/ciq.duckdb"}
    assert config.vars == {"raw_column_map": {"orders": {"order_id": "InvoiceNo"}},
                           "raw_timestamp_formats": ["%Y%m%d"], "orders_grain": "line",
                           "min_order_date": "1990-01-01", "max_quantity": 50000}
    env = build_env(config, {})
    assert env["CIQ_RAW_DIR"] == str(tmp_path / "exports")
    assert env["CIQ_PUBLISHED_PATH"] == "/tmp/w/published/customer_intelligence.duckdb"
    assert env["CIQ_DUCKDB_TEMP_DIR"] == "/tmp/w/.tmp"


def test_unknown_keys_and_wrong_types_are_named_with_the_file(tmp_path):
    path = write(tmp_path, """
raw_dri: exports
grain: lines
column_map: {orderz: {order_id: InvoiceNo}}
timestamp_formats: "%Y%m%d"
vars:
  max_quantitty: 5
""")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"{path}: unknown key 'raw_dri'" in message
    assert "key 'grain' must be one of auto, order, line, got 'lines'" in message
    assert "unknown raw table 'orderz'" in message
    assert "key 'timestamp_formats' must be a list" in message
    assert "unknown dbt var 'vars.max_quantitty'" in message


def test_a_var_set_twice_is_refused(tmp_path):
    path = write(tmp_path, "grain: line\nvars: {orders_grain: order}\n")
    with pytest.raises(ConfigError, match="var 'orders_grain' is set twice"):
        load_config(path)


def test_command_line_vars_override_the_config():
    assert merge_vars({"max_quantity": 5, "as_of_date": ""}, "{max_quantity: 7}") == {
        "max_quantity": 7, "as_of_date": ""}
    with pytest.raises(ConfigError, match="--vars must be a YAML mapping"):
        merge_vars({}, "[1, 2]")


def test_config_path_precedence(tmp_path):
    named = write(tmp_path, "vars: {}\n")
    assert config_path(str(named), env={}) == named
    assert config_path(None, env={"CIQ_CONFIG": str(named)}) == named
    with pytest.raises(ConfigError, match="does not exist"):
        config_path(None, env={"CIQ_CONFIG": str(tmp_path / "missing.yml")})


def test_plan_is_what_make_build_did(tmp_path):
    """No config and no raw data: generate, lock check, dbt build, publish, insights, alerts, docs - in order."""
    env = {"CIQ_RAW_DIR": str(tmp_path / "raw"), "CIQ_TRUTH_DIR": str(tmp_path / "truth")}
    steps = cli.plan(Config(source=None), {}, env, orders=1000, seed=3)
    assert [name for name, _ in steps] == ["generate", "lock check", "dbt build", "publish", "insights", "alerts",
                                           "docs"]
    assert steps[0][1][-8:] == ["--orders", "1000", "--seed", "3", "--out", str(tmp_path / "raw"),
                                "--truth-out", str(tmp_path / "truth")]
    assert steps[2][1][1:] == ["build"]
    assert steps[3][1] == [sys.executable, "-m", "customer_intelligence.reporting.publish"]


def test_plan_passes_the_config_vars_to_dbt(tmp_path):
    (tmp_path / "orders.csv").write_text("customer_id,order_ts,amount\nA,2024-01-01,1\n")
    config = Config(source=tmp_path / "ciq.yml", paths={"raw_dir": str(tmp_path)}, vars={"max_quantity": 7})
    steps = cli.plan(config, {"max_quantity": 7}, {"CIQ_RAW_DIR": str(tmp_path)}, skip_docs=True)
    assert [name for name, _ in steps] == ["lock check", "dbt build", "publish", "insights", "alerts"]
    assert steps[1][1][1:] == ["build", "--vars", json.dumps({"max_quantity": 7})]


def test_a_bad_config_stops_before_dbt(tmp_path, capsys):
    path = write(tmp_path, "raw_dir: [1]\n")
    assert cli.main(["build", "--config", str(path)]) == 2
    assert f"CONFIG ERROR: invalid config:\n  {path}: key 'raw_dir' must be a path" in capsys.readouterr().err


def test_a_config_without_raw_data_says_so(tmp_path, capsys):
    path = write(tmp_path, f"raw_dir: {tmp_path / 'empty'}\n")
    assert cli.main(["build", "--config", str(path)]) == 2
    assert "holds no orders.parquet, orders.csv or orders.csv.gz" in capsys.readouterr().err


def test_example_config_is_valid():
    config = load_config(PROJECT_DIR / "ciq.example.yml")
    assert config.vars["orders_grain"] == "auto"
