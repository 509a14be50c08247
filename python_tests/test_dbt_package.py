"""The repository as a dbt package in another project, with raw tables as relations (issue 18).

A throwaway host project adds this repository with ``packages.yml`` (``local:``), reads orders, customers
and order lines from a schema of an attached DuckDB database (the generator's files loaded as tables, one
under another identifier) and products from its file (file and table sources mixed), runs ``dbt deps`` and
``dbt build``, and must give the same ``kpi_overview``, ``dim_customer_360`` and row accounting as the
standalone build of the same data (the shared ``built`` fixture). Also: the package's schemas are its own,
a host model named like a package model does not collide, a missing relation is refused with the setting
that would fix it, and the Python package installs with pip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from email.parser import Parser
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_package_host import run_host_dbt, write_host_project
from dbt_project_runner import PROJECT_DIR

RAW_TABLES = ["customers", "orders", "order_lines", "products"]
# orders are loaded under another name, to exercise raw_relations' identifier
RELATION_NAMES = {"customers": "customers", "orders": "shop_orders", "order_lines": "order_lines"}
PACKAGE_VARS = {
    "raw_database": "shop_raw",
    "raw_schema": "shop",
    "raw_relations": {"orders": {"identifier": "shop_orders"}, "products": "file"},
}
MARTS = "main_ciq_marts"


def load_raw_database(raw_dir: Path, path: Path) -> None:
    """The generator's Parquet files as tables of schema ``shop`` (in file order: rowid = file row)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema shop")
        for table, name in RELATION_NAMES.items():
            con.execute(f"create table shop.{name} as select * from read_parquet('{raw_dir / table}.parquet')")


def duckdb_profile(root: Path, raw_database: Path) -> dict:
    return {
        "type": "duckdb",
        "path": str(root / "host.duckdb"),
        "threads": 2,
        "settings": {"threads": 2, "memory_limit": "2GB"},
        "config_options": {"temp_directory": str(root / ".tmp")},
        "attach": [{"path": str(raw_database), "alias": "shop_raw", "read_only": True}],
    }


@pytest.fixture(scope="module")
def host(generated_data, tmp_path_factory) -> dict:
    """The host project built: raw tables from the attached database, products from a folder of its own."""
    root = tmp_path_factory.mktemp("host_project")
    raw_database = root / "raw.duckdb"
    load_raw_database(generated_data["raw"], raw_database)
    files_dir = root / "files"
    files_dir.mkdir()
    shutil.copy(generated_data["raw"] / "products.parquet", files_dir / "products.parquet")
    write_host_project(root / "project", duckdb_profile(root, raw_database), PACKAGE_VARS)
    deps = run_host_dbt(root / "project", ["deps"], files_dir)
    assert deps.returncode == 0, deps.stdout + deps.stderr
    build = run_host_dbt(root / "project", ["build"], files_dir)
    assert build.returncode == 0, (build.stdout + build.stderr)[-6000:]
    return {"root": root, "project": root / "project", "files": files_dir, "build": build,
            "warehouse": root / "host.duckdb"}


def read(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order (row order is not part of a table)."""
    return frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)


@pytest.mark.parametrize("table", ["kpi_overview", "dim_customer_360", "dq_raw_row_accounting", "fct_orders"])
def test_package_build_equals_the_standalone_build(host, built, table):
    standalone = canonical(built.query(f"select * from marts.{table}"))
    as_package = canonical(read(host["warehouse"], f"select * from {MARTS}.{table}"))
    assert len(as_package) > 0
    pd.testing.assert_frame_equal(as_package, standalone, obj=table)


def test_raw_tables_were_read_from_the_relations_and_products_from_its_file(host):
    """The pre-flight log names what each table is read from: the attached relations, the products file."""
    out = host["build"].stdout
    assert '"shop_raw"."shop"."shop_orders"' in out
    assert '"shop_raw"."shop"."customers"' in out
    assert '"shop_raw"."shop"."order_lines"' in out
    assert str(host["files"] / "products.parquet") in out


def test_package_models_live_in_their_own_schemas_beside_the_host_models(host):
    schemas = read(host["warehouse"], "select distinct table_schema from information_schema.tables "
                   "where table_catalog = 'host'")["table_schema"].tolist()
    assert {"main_ciq_staging", "main_ciq_marts", "main_ciq_reference"} <= set(schemas)
    assert not {"staging", "marts", "reference", "dbt_meta"} & set(schemas)
    # the host's own fct_orders and a host model reading the package mart
    assert read(host["warehouse"], "select * from main.fct_orders")["host_order_id"].tolist() == [1]
    host_kpis = read(host["warehouse"], "select * from main.host_kpis")
    pd.testing.assert_frame_equal(host_kpis, read(host["warehouse"], f"select * from {MARTS}.kpi_overview"))
    # seeds of the package resolve in the host: channels were mapped through the package's seed
    assert read(host["warehouse"], "select count(*) as n from main_ciq_reference.channels")["n"][0] > 0


def test_a_missing_relation_is_refused_with_the_setting_that_fixes_it(host):
    result = run_host_dbt(
        host["project"],
        ["build", "--select", "stg_raw__products", "--vars",
         "{raw_database: shop_raw, raw_schema: shop, raw_relations: {orders: {identifier: no_such_orders}}}"],
        host["files"],
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Bad input" in out
    assert "shop_raw.shop.no_such_orders does not exist" in out
    assert "var raw_relations" in out


def test_a_host_model_shadowing_a_package_ref_is_refused(host):
    """Without the flag, the package's ref('fct_orders') would find the host's fct_orders: refused, not built."""
    project = write_host_project(host["root"] / "no_flag", duckdb_profile(host["root"] / "no_flag", host["root"] /
                                 "raw.duckdb"), PACKAGE_VARS, package_first_refs=False)
    (project / "dbt_packages").mkdir()
    (project / "dbt_packages" / "customer_intelligence").symlink_to(PROJECT_DIR)  # what `dbt deps` does for local:
    result = run_host_dbt(project, ["build", "--select", "stg_raw__products"], host["files"])
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "resolved to your project's model.my_shop.fct_orders" in out
    assert "require_ref_searches_node_package_before_root" in out


def test_pip_installs_the_python_package_with_its_runtime_dependencies(tmp_path):
    """`pip install <repo>` (here --no-deps --target, for speed) installs customer_intelligence, importable
    without the repository on the path, and declares the libraries it imports; the pinned set of
    requirements.txt satisfies every declared range."""
    from packaging.requirements import Requirement

    source = tmp_path / "src"  # a copy, so that the build leaves nothing in the working tree
    source.mkdir()
    shutil.copy(PROJECT_DIR / "pyproject.toml", source)
    shutil.copytree(PROJECT_DIR / "customer_intelligence", source / "customer_intelligence",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    imported = subprocess.run(
        [sys.executable, "-c", "import customer_intelligence.ml.model_runs as m; print(m.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).is_relative_to(target)

    (metadata,) = target.glob("customer_intelligence-*.dist-info/METADATA")
    declared = {Requirement(r).name.lower(): Requirement(r)
                for r in Parser().parsestr(metadata.read_text()).get_all("Requires-Dist") or []
                if "extra ==" not in r}
    imported_libraries = {"pandas", "numpy", "pyarrow", "scikit-learn", "scipy", "threadpoolctl", "duckdb"}
    assert imported_libraries <= set(declared), f"undeclared: {imported_libraries - set(declared)}"
    pins = {}
    for line in (PROJECT_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = next(iter(requirement.specifier)).version
    for name, requirement in declared.items():
        if name in pins:
            assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} outside {requirement}"
