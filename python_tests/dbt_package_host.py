"""A throwaway dbt project that installs this repository as a dbt package (issue 18), for the tests.

The host project has its own name, profile and schemas, a ``packages.yml`` with ``local:`` pointing at this
repository, the raw tables as relations (vars ``raw_database`` / ``raw_schema`` / ``raw_relations``), and
one model of its own named like a package model (``fct_orders``) to show the two do not collide.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from dbt_project_runner import PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))
HOST_NAME = "my_shop"


def host_project_yml(package_vars: dict, package_first_refs: bool = True, package_dispatch: bool = False) -> dict:
    """The host's dbt_project.yml: its own name and profile, the package's vars namespaced under its name.
    package_dispatch: let the package override dbt's own macros (its Spark seed and contract type names)."""
    dispatch = [{"macro_namespace": "dbt", "search_order": [HOST_NAME, "customer_intelligence", "dbt"]}]
    return {
        **({"dispatch": dispatch} if package_dispatch else {}),
        "name": HOST_NAME,
        "version": "1.0.0",
        "config-version": 2,
        "profile": HOST_NAME,
        "model-paths": ["models"],
        "macro-paths": ["macros"],
        # a host model named like a package model: the package's ref('fct_orders') must still find its own
        "flags": {
            "require_ref_searches_node_package_before_root": package_first_refs,
            "send_anonymous_usage_stats": False,
        },
        "vars": {"customer_intelligence": package_vars},
    }


HOST_MODELS = {
    # the host's own fct_orders, in the host's schema: no clash with the package's <schema>_ciq_marts.fct_orders
    "fct_orders.sql": "select 1 as host_order_id\n",
    # a host model reading a package mart through a two-argument ref
    "host_kpis.sql": "select * from {{ ref('customer_intelligence', 'kpi_overview') }}\n",
}


def write_host_project(
    root: Path,
    profile: dict,
    package_vars: dict,
    macros: dict[str, str] | None = None,
    package_first_refs: bool = True,
    package_dispatch: bool = False,
) -> Path:
    """Write the host project under ``root`` (dbt_project.yml, packages.yml, profiles.yml, models, macros)."""
    root.mkdir(parents=True, exist_ok=True)
    project_yml = host_project_yml(package_vars, package_first_refs, package_dispatch)
    (root / "dbt_project.yml").write_text(yaml.safe_dump(project_yml, sort_keys=False))
    (root / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(PROJECT_DIR)}]}))
    (root / "profiles.yml").write_text(yaml.safe_dump({HOST_NAME: {"target": "dev", "outputs": {"dev": profile}}}))
    (root / "models").mkdir(exist_ok=True)
    for name, sql in HOST_MODELS.items():
        (root / "models" / name).write_text(sql)
    (root / "macros").mkdir(exist_ok=True)
    for name, sql in (macros or {}).items():
        (root / "macros" / name).write_text(sql)
    return root


def host_env(root: Path, raw_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a host-project dbt call: its own profiles dir; none of the standalone CIQ_* paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIQ_", "DBT_"))}
    env.update(
        {
            "DBT_PROFILES_DIR": str(root),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # tables not read from relations are read from their files here
            "CIQ_RAW_DIR": str(raw_dir),
        }
    )
    env.update(extra_env or {})
    return env


def run_host_dbt(
    root: Path, args: list[str], raw_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``dbt <args>`` in the host project."""
    return subprocess.run(
        [DBT, *args],
        cwd=root,
        env=host_env(root, raw_dir, extra_env),
        capture_output=True,
        text=True,
        timeout=1800,
    )
