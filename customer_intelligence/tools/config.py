"""The project config file (``ciq.yml``, or the path in ``CIQ_CONFIG``): one place for a user's settings.

Keys (all optional; see ``ciq.example.yml`` for a commented example):

- ``raw_dir``, ``warehouse_path``, ``published_path``, ``reports_dir``, ``duckdb_temp_dir``: paths (relative to
  the project directory), exported to the build as ``CIQ_RAW_DIR``, ``CIQ_WAREHOUSE_PATH``, ... ;
- ``column_map`` (= var ``raw_column_map``), ``timestamp_formats`` (= var ``raw_timestamp_formats``),
  ``grain`` (= var ``orders_grain``), ``csv_encoding`` (= var ``raw_csv_encoding``): shorthands;
- ``vars``: any dbt var of ``dbt_project.yml`` (row rules included), passed to ``dbt build --vars``.

Precedence, lowest first: dbt_project.yml defaults < the config file < ``--vars`` on the command line. For paths:
environment variables < the config file < command-line flags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = "ciq.yml"

# config key -> environment variable read by dbt, publish, insights and alerts
PATH_KEYS: dict[str, str] = {
    "raw_dir": "CIQ_RAW_DIR",
    "warehouse_path": "CIQ_WAREHOUSE_PATH",
    "published_path": "CIQ_PUBLISHED_PATH",
    "reports_dir": "CIQ_REPORTS_DIR",
    "duckdb_temp_dir": "CIQ_DUCKDB_TEMP_DIR",
}
# shorthand config key -> dbt var, with the Python type(s) it must have
SHORTHAND_VARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "column_map": ("raw_column_map", (dict,)),
    "timestamp_formats": ("raw_timestamp_formats", (list,)),
    "grain": ("orders_grain", (str,)),
    "csv_encoding": ("raw_csv_encoding", (str, dict)),
}
GRAINS = ("auto", "order", "line")
RAW_TABLES = ("orders", "order_lines", "customers", "products")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """A validated config: where it came from, the paths it sets and the dbt vars it sets."""

    source: Path | None
    paths: dict[str, str] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)


def config_path(explicit: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> Path | None:
    """The config file to read: ``explicit``, else ``CIQ_CONFIG``, else ``ciq.yml`` in the project if it exists.

    An explicitly named file (argument or ``CIQ_CONFIG``) must exist; the default one is optional.
    """
    env = dict(os.environ if env is None else env)
    named = explicit or env.get("CIQ_CONFIG")
    if named:
        path = Path(named)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.is_file():
            source = "--config" if explicit else "CIQ_CONFIG"
            raise ConfigError(f"config file {path} (from {source}) does not exist")
        return path
    default = PROJECT_DIR / DEFAULT_CONFIG
    return default if default.is_file() else None


def known_vars(project_dir: Path = PROJECT_DIR) -> set[str]:
    """The dbt vars declared in ``dbt_project.yml`` (the only ones a config may set)."""
    with open(project_dir / "dbt_project.yml", encoding="utf-8") as handle:
        project = yaml.safe_load(handle)
    return set((project or {}).get("vars") or {})


def _type_names(types: tuple[type, ...]) -> str:
    names = {dict: "a mapping", list: "a list", str: "a text value"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_column_map(where: str, value: dict) -> list[str]:
    """Problems of a column map ``{table: {contract_column: file_column}}``."""
    problems = []
    for table, mapping in value.items():
        if table not in RAW_TABLES:
            problems.append(f"{where}: unknown raw table '{table}' (expected one of {', '.join(RAW_TABLES)})")
        elif not isinstance(mapping, dict):
            problems.append(f"{where}.{table} must be a mapping contract_column: file_column, got {mapping!r}")
        else:
            for column, file_column in mapping.items():
                if not isinstance(file_column, str) or not file_column.strip():
                    problems.append(f"{where}.{table}.{column} must be a column name (text), got {file_column!r}")
    return problems


def validate(data: Any, source: str, allowed_vars: set[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Check a parsed config; return (paths, vars) or raise ConfigError listing every problem."""
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys (raw_dir, vars, ...), "
                          f"got {type(data).__name__}")
    problems: list[str] = []
    paths: dict[str, str] = {}
    dbt_vars: dict[str, Any] = {}
    allowed_keys = set(PATH_KEYS) | set(SHORTHAND_VARS) | {"vars"}
    for key, value in data.items():
        if key not in allowed_keys:
            problems.append(f"{source}: unknown key '{key}' (allowed: {', '.join(sorted(allowed_keys))})")
        elif key in PATH_KEYS:
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{source}: key '{key}' must be a path (text), got {value!r}")
            else:
                paths[key] = value
        elif key in SHORTHAND_VARS:
            var, types = SHORTHAND_VARS[key]
            if not isinstance(value, types):
                problems.append(f"{source}: key '{key}' must be {_type_names(types)}, got {value!r}")
                continue
            if key == "column_map":
                problems += _check_column_map(f"{source}: key 'column_map'", value)
            if key == "grain" and value not in GRAINS:
                problems.append(f"{source}: key 'grain' must be one of {', '.join(GRAINS)}, got {value!r}")
            if key == "timestamp_formats" and not all(isinstance(f, str) for f in value):
                problems.append(f"{source}: key 'timestamp_formats' must be a list of strptime formats (text)")
            dbt_vars[var] = value
    raw_vars = data.get("vars", {}) or {}
    if not isinstance(raw_vars, dict):
        problems.append(f"{source}: key 'vars' must be a mapping var_name: value, got {raw_vars!r}")
        raw_vars = {}
    for var, value in raw_vars.items():
        if var not in allowed_vars:
            problems.append(f"{source}: unknown dbt var 'vars.{var}' (not declared in dbt_project.yml vars)")
        elif var == "raw_column_map" and isinstance(value, dict):
            problems += _check_column_map(f"{source}: key 'vars.raw_column_map'", value)
        shorthand = next((k for k, (v, _) in SHORTHAND_VARS.items() if v == var), None)
        if shorthand and shorthand in data:
            problems.append(f"{source}: var '{var}' is set twice (key '{shorthand}' and 'vars.{var}'); keep one")
        dbt_vars[var] = value
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))
    return paths, dbt_vars


def load_config(path: Path | None, project_dir: Path = PROJECT_DIR) -> Config:
    """Read and validate a config file (``None`` = no config: an empty one)."""
    if path is None:
        return Config(source=None)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    paths, dbt_vars = validate(data, str(path), known_vars(project_dir))
    base = path.parent
    resolved = {k: str((base / v) if not Path(v).is_absolute() else Path(v)) for k, v in paths.items()}
    return Config(source=path, paths=resolved, vars=dbt_vars)


def merge_vars(config_vars: dict[str, Any], override: str | None) -> dict[str, Any]:
    """Config vars overridden (per top-level var) by a ``--vars`` YAML/JSON mapping."""
    merged = dict(config_vars)
    if override:
        parsed = yaml.safe_load(override)
        if not isinstance(parsed, dict):
            raise ConfigError(f"--vars must be a YAML mapping such as '{{as_of_date: 2024-01-01}}', got {override!r}")
        merged.update(parsed)
    return merged


def build_env(config: Config, base_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every build step: the base environment with the config's paths applied."""
    env = dict(os.environ if base_env is None else base_env)
    for key, value in config.paths.items():
        env[PATH_KEYS[key]] = value
    warehouse = Path(env.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb"))
    if "warehouse_path" in config.paths and "published_path" not in config.paths:
        env["CIQ_PUBLISHED_PATH"] = str(warehouse.parent / "published" / "customer_intelligence.duckdb")
    if "warehouse_path" in config.paths and "duckdb_temp_dir" not in config.paths:
        env["CIQ_DUCKDB_TEMP_DIR"] = str(warehouse.parent / ".tmp")
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env
