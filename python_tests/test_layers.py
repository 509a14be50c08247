"""The model folders read in the order data flows: staging -> core -> customer -> marts.

Checked on the manifest of the shared build (every enabled model and its model parents): no model reads a
model of a later layer (a back-edge), and no mart reads staging directly (marts read core and customer).
The rule is written down in DECISIONLOG "Layers"; the folder configs are in dbt_project.yml.
"""

from __future__ import annotations

import json

import pytest

LAYERS = ["models/staging/", "models/core/", "models/customer/", "models/marts/"]


def layer_of(path: str) -> int:
    """The layer index of a model file path; an unknown folder is an error (every model has a layer)."""
    for index, prefix in enumerate(LAYERS):
        if path.startswith(prefix):
            return index
    raise ValueError(f"model file {path} is in no layer folder ({', '.join(LAYERS)})")


def layer_violations(nodes: dict[str, dict]) -> list[str]:
    """Edges of the model DAG that break the layering: a later layer read by an earlier one, or marts on staging."""
    problems = []
    models = {uid: n for uid, n in nodes.items() if n.get("resource_type") == "model"}
    for _, node in sorted(models.items()):
        child = layer_of(node["original_file_path"])
        for parent_uid in node.get("depends_on", {}).get("nodes", []):
            parent = models.get(parent_uid)
            if parent is None:
                continue  # seeds, sources
            parent_layer = layer_of(parent["original_file_path"])
            if parent_layer > child:
                problems.append(f"{node['name']} ({LAYERS[child]}) reads {parent['name']} ({LAYERS[parent_layer]})")
            elif child == 3 and parent_layer == 0:
                problems.append(f"mart {node['name']} reads staging model {parent['name']} directly")
    return problems


def test_layer_of_rejects_a_model_outside_the_layers() -> None:
    assert layer_of("models/core/fct_orders.sql") == 1
    with pytest.raises(ValueError):
        layer_of("models/intermediate/int_x.sql")


def test_layer_violations_finds_back_edges_and_marts_on_staging() -> None:
    def model(name: str, path: str, parents: list[str]) -> dict:
        return {"resource_type": "model", "name": name, "original_file_path": path,
                "depends_on": {"nodes": [f"model.p.{p}" for p in parents]}}

    nodes = {
        "model.p.stg": model("stg", "models/staging/stg.sql", []),
        "model.p.fct": model("fct", "models/core/fct.sql", ["stg", "c360"]),  # back-edge
        "model.p.c360": model("c360", "models/customer/c360.sql", ["fct"]),
        "model.p.kpi": model("kpi", "models/marts/x/kpi.sql", ["c360", "stg"]),  # mart on staging
    }
    assert layer_violations(nodes) == [
        "fct (models/core/) reads c360 (models/customer/)",
        "mart kpi reads staging model stg directly",
    ]


def test_the_project_has_no_back_edges(built) -> None:
    manifest = json.loads((built.target_dir / "manifest.json").read_text())
    ours = {uid: n for uid, n in manifest["nodes"].items() if n.get("package_name") == "customer_intelligence"}
    assert layer_violations(ours) == []
