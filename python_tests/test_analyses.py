"""Every analysis is documented, reads marts only, compiles, and runs on a built warehouse with its documented columns.

`dbt build` does not compile analyses, so one `dbt compile --select path:analyses` runs against the session
build's warehouse; each compiled analysis is then executed there, so none can rot unnoticed.
"""

from __future__ import annotations

import json

import pytest
import yaml
from dbt_project_runner import PROJECT_DIR, Build, run_dbt

ANALYSES_DIR = PROJECT_DIR / "analyses"
ANALYSES = sorted(path.stem for path in ANALYSES_DIR.glob("*.sql"))


def documented() -> dict[str, dict]:
    """The analyses' properties from analyses/_analyses__docs.yml, by name."""
    docs = yaml.safe_load((ANALYSES_DIR / "_analyses__docs.yml").read_text())
    return {analysis["name"]: analysis for analysis in docs["analyses"]}


@pytest.fixture(scope="module")
def compiled(built, tmp_path_factory) -> Build:
    """The analyses compiled against the session build's raw data and warehouse."""
    workdir = tmp_path_factory.mktemp("analyses")
    build = run_dbt(["compile", "--select", "path:analyses"], built.raw_dir, workdir, warehouse=built.warehouse)
    assert build.ok, build.output[-5000:]
    return build


def compiled_sql(build: Build, name: str) -> str:
    return (build.target_dir / "compiled" / "customer_intelligence" / "analyses" / f"{name}.sql").read_text()


def test_every_analysis_and_column_is_documented():
    docs = documented()
    assert len(ANALYSES) >= 20
    assert set(docs) == set(ANALYSES)
    for name, doc in docs.items():
        assert doc.get("description", "").strip(), name
        assert doc.get("columns"), name
        names = [column["name"] for column in doc["columns"]]
        assert len(names) == len(set(names)), name
        for column in doc["columns"]:
            assert column.get("description", "").strip(), (name, column["name"])


def test_analyses_read_marts_only(compiled):
    manifest = json.loads((compiled.target_dir / "manifest.json").read_text())
    analyses = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "analysis"}
    assert set(analyses) == set(ANALYSES)
    for name, node in analyses.items():
        parents = node["depends_on"]["nodes"]
        assert parents, name
        for parent in parents:
            parent_node = manifest["nodes"][parent]
            assert parent_node["resource_type"] == "model", (name, parent)
            # the published marts: schema marts (models/core, dim_customer_360 and models/marts)
            assert parent_node["config"]["schema"] == "marts", (name, parent)


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_returns_rows_with_documented_columns(compiled, name):
    result = compiled.query(compiled_sql(compiled, name))
    assert len(result) > 0, name
    assert list(result.columns) == [column["name"] for column in documented()[name]["columns"]]


def test_age_group_extremes_flag_one_group_each(compiled):
    result = compiled.query(compiled_sql(compiled, "age_group_revenue_extremes"))
    assert result["is_most_revenue"].sum() == 1 and result["is_least_revenue"].sum() == 1
    ranked = result[result["age_group"] != "unknown"]
    assert ranked.loc[ranked["is_most_revenue"], "net_revenue"].iloc[0] == ranked["net_revenue"].max()
    assert ranked.loc[ranked["is_least_revenue"], "net_revenue"].iloc[0] == ranked["net_revenue"].min()


def test_top_customer_slices_are_nested(compiled):
    result = compiled.query(compiled_sql(compiled, "top_customer_revenue_concentration"))
    assert result["top_customer_share"].tolist() == [0.01, 0.05, 0.10, 0.20]
    assert result["customers"].is_monotonic_increasing and result["revenue_share"].is_monotonic_increasing
    assert (result["revenue_share"] >= result["top_customer_share"]).all()  # the best customers, by definition
