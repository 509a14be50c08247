"""Run the whole job from the project config: ``python -m customer_intelligence.tools.cli build``.

``build`` = what ``make build`` does: (generate the default data when no config is used and the raw folder holds
no orders file), ``dbt build`` with the config's vars (``--vars`` overrides them), publish, the findings report,
the alerts and the docs site. Every step runs with the config's paths as environment variables; the first failing
step stops the job with its exit code.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from customer_intelligence.tools.config import (
    PROJECT_DIR,
    Config,
    ConfigError,
    build_env,
    config_path,
    load_config,
    merge_vars,
)

DBT = str(Path(sys.executable).with_name("dbt"))


def has_orders_file(raw_dir: Path) -> bool:
    """Whether ``raw_dir`` holds an orders file the loader would read."""
    return any((raw_dir / f"orders.{ext}").exists() for ext in ("parquet", "csv", "csv.gz"))


def dbt_args(command: list[str], dbt_vars: dict) -> list[str]:
    """A dbt command line with the vars as one JSON mapping (JSON is YAML), omitted when there are none."""
    return [DBT, *command, *(["--vars", json.dumps(dbt_vars, sort_keys=True)] if dbt_vars else [])]


def plan(config: Config, dbt_vars: dict, env: dict[str, str], skip_docs: bool = False,
         orders: int = 100_000, seed: int = 42) -> list[tuple[str, list[str]]]:
    """The steps of a build as (name, argv) pairs, in order."""
    py = sys.executable
    steps: list[tuple[str, list[str]]] = []
    raw_dir = Path(env.get("CIQ_RAW_DIR", "data/raw"))
    if config.source is None and not has_orders_file(PROJECT_DIR / raw_dir if not raw_dir.is_absolute() else raw_dir):
        steps.append(("generate", [py, "-m", "customer_intelligence.tools.generate", "--orders", str(orders),
                                   "--seed", str(seed), "--out", str(raw_dir),
                                   "--truth-out", env.get("CIQ_TRUTH_DIR", "data/truth")]))
    warehouse = env.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb")
    # one clear message when another process holds the warehouse (tools/warehouse_lock.py)
    steps.append(("lock check", [py, "-m", "customer_intelligence.tools.warehouse_lock", "check", warehouse]))
    steps.append(("dbt build", dbt_args(["build"], dbt_vars)))
    steps.append(("publish", [py, "-m", "customer_intelligence.reporting.publish"]))
    steps.append(("insights", [py, "-m", "customer_intelligence.reporting.insights"]))
    steps.append(("alerts", [py, "-m", "customer_intelligence.reporting.alerts"]))
    if not skip_docs:
        # the docs wait up to 30 s for a reader of the warehouse, then are skipped with a message (exit 0)
        steps.append(("docs", [py, "-m", "customer_intelligence.tools.warehouse_lock", "run-or-skip", warehouse,
                               "--wait", "30", "--",
                               *dbt_args(["docs", "generate", "--static", "--quiet"], dbt_vars)]))
    return steps


def run_build(args: argparse.Namespace) -> int:
    """Validate the config, then run every step; return the exit code of the first failing one (or 0)."""
    try:
        config = load_config(config_path(args.config))
        dbt_vars = merge_vars(config.vars, args.vars)
    except ConfigError as error:
        print(f"CONFIG ERROR: {error}", file=sys.stderr)
        return 2
    env = build_env(config)
    raw_dir = Path(env.get("CIQ_RAW_DIR", "data/raw"))
    if config.source is not None:
        print(f"config: {config.source} (raw data {raw_dir}; {len(dbt_vars)} var(s): {', '.join(sorted(dbt_vars))})")
        if not has_orders_file(raw_dir if raw_dir.is_absolute() else PROJECT_DIR / raw_dir):
            print(f"CONFIG ERROR: {config.source}: raw_dir {raw_dir} holds no orders.parquet, orders.csv or "
                  "orders.csv.gz (set raw_dir to the folder of your export)", file=sys.stderr)
            return 2
    warehouse = Path(env.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb"))
    for folder in (warehouse.parent, Path(env.get("CIQ_DUCKDB_TEMP_DIR", "warehouse/.tmp"))):
        (folder if folder.is_absolute() else PROJECT_DIR / folder).mkdir(parents=True, exist_ok=True)
    for name, argv in plan(config, dbt_vars, env, args.skip_docs, args.orders, args.seed):
        print(f"==> {name}", flush=True)
        code = subprocess.run(argv, cwd=PROJECT_DIR, env=env).returncode
        if code != 0:
            print(f"STOPPED: step '{name}' failed (exit {code}); nothing after it ran.", file=sys.stderr)
            return code
    print("")
    print("\n".join(summary_lines(env, args.skip_docs)))
    return 0


def summary_lines(env: dict[str, str], skip_docs: bool = False) -> list[str]:
    """Where the build's outputs are: warehouse, publication, docs, report and alerts (from the paths in ``env``)."""
    warehouse = Path(env.get("CIQ_WAREHOUSE_PATH", "warehouse/customer_intelligence.duckdb"))
    published = env.get("CIQ_PUBLISHED_PATH", str(warehouse.parent / "published" / "customer_intelligence.duckdb"))
    reports = Path(env.get("CIQ_REPORTS_DIR", "reports"))
    target = Path(env.get("DBT_TARGET_PATH", "target"))
    lines = [f"warehouse: {(PROJECT_DIR / warehouse).resolve()}",
             f"published: {(PROJECT_DIR / published).resolve()} (for BI: open read-only)"]
    if not skip_docs:
        lines.append(f"docs:      {(PROJECT_DIR / target / 'static_index.html').resolve()}")
    lines.append(f"insights:  {(PROJECT_DIR / reports / 'insights.md').resolve()} (and .html); "
                 f"alerts in {(PROJECT_DIR / reports / 'alerts').resolve()}")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``build [--config PATH] [--vars YAML] [--skip-docs]``."""
    parser = argparse.ArgumentParser(prog="python -m customer_intelligence.tools.cli",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="dbt build + publish + insights + alerts + docs, from the config")
    build.add_argument("--config", help="config file (default: $CIQ_CONFIG, else ciq.yml in the project if present)")
    build.add_argument("--vars", help="dbt vars overriding the config's, as YAML: '{as_of_date: 2024-06-30}'")
    build.add_argument("--skip-docs", action="store_true", help="do not generate the docs site")
    build.add_argument("--orders", type=int, default=100_000, help="size of the default data generated without config")
    build.add_argument("--seed", type=int, default=42, help="seed of the default data generated without config")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    args = parse_args(argv)
    if args.command == "build":
        return run_build(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
