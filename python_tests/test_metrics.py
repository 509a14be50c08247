"""MetricFlow: the semantic layer validates, and `mf query` gives the marts' figures overall, by month and by
country (on the shared build; each `mf` call costs a few seconds, so there are four)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from dbt_project_runner import PROJECT_DIR, dbt_env

MF = str(Path(sys.executable).with_name("mf"))
KPI_METRICS = {  # metric -> kpi_overview column
    "revenue": "net_revenue",
    "orders": "total_orders",
    "customers": "total_customers",
    "average_order_value": "average_order_value",
    "lifetime_value": "lifetime_value",
    "repeat_purchase_rate": "repeat_purchase_rate",
    "prime_share": "prime_share",
    "at_risk_rate": "at_risk_rate",
    "active_customers": "active_customers",
}


@pytest.fixture(scope="module")
def mf_project(built, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A project directory for `mf` whose target/ is the shared build's (mf reads <project>/target)."""
    shell = tmp_path_factory.mktemp("mf_project")
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in {"target", "logs", ".venv", "warehouse", "data", ".git"}:
            (shell / entry.name).symlink_to(entry)
    (shell / "target").symlink_to(built.target_dir)
    env = dbt_env(built.raw_dir, built.warehouse, {"DBT_PROJECT_DIR": str(shell)})
    return shell, env


def mf(mf_project, *args: str) -> subprocess.CompletedProcess:
    shell, env = mf_project
    result = subprocess.run([MF, *args], cwd=shell, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def query(mf_project, tmp_path, metrics: list[str], group_by: str | None = None) -> pd.DataFrame:
    out = tmp_path / "query.csv"
    args = ["query", "--metrics", ",".join(metrics), "--csv", str(out)]
    if group_by:
        args += ["--group-by", group_by, "--order", group_by]
    mf(mf_project, *args)
    return pd.read_csv(out)


def test_semantic_layer_validates(mf_project):
    output = mf(mf_project, "validate-configs").stdout
    assert "ERRORS: 0" in output and "WARNINGS: 0" in output, output[-3000:]
    assert "ERRORS: 1" not in output and "FUTURE_ERRORS: 0" in output


def test_metrics_overall_equal_kpi_overview(mf_project, built, tmp_path):
    got = query(mf_project, tmp_path, list(KPI_METRICS)).iloc[0]
    kpi = built.query("select * from marts.kpi_overview").iloc[0]
    for metric, column in KPI_METRICS.items():
        assert got[metric] == pytest.approx(kpi[column], rel=1e-9), metric


def test_order_metrics_by_month_equal_customer_months(mf_project, built, tmp_path):
    got = query(mf_project, tmp_path, ["revenue", "orders", "customers", "average_order_value"],
                "metric_time__month")
    got["month"] = pd.to_datetime(got["metric_time__month"]).dt.strftime("%Y-%m")
    want = built.query("""
        select
            strftime(month_start, '%Y-%m') as month,
            sum(net_revenue) as revenue,
            sum(completed_orders) as orders,
            count(case when is_active then 1 end) as customers,
            sum(net_revenue) / nullif(sum(completed_orders), 0) as average_order_value
        from marts.fct_customer_months
        group by 1
        having sum(completed_orders) > 0
    """).set_index("month")
    got = got[got["orders"] > 0].set_index("month")
    assert sorted(got.index) == sorted(want.index) and len(want) > 12
    for column in ("revenue", "orders", "customers", "average_order_value"):
        assert got[column].tolist() == pytest.approx(want.loc[got.index, column].tolist(), rel=1e-9), column


def test_metrics_by_country_equal_customer_360(mf_project, built, tmp_path):
    got = query(mf_project, tmp_path, list(KPI_METRICS), "customer__country_code").set_index(
        "customer__country_code")
    want = built.query("""
        select
            country_code,
            sum(net_revenue) as revenue,
            sum(completed_orders) as orders,
            count(*) as customers,
            sum(net_revenue) / sum(completed_orders) as average_order_value,
            sum(net_revenue) / count(*) as lifetime_value,
            avg(case when completed_orders >= 2 then 1.0 else 0.0 end) as repeat_purchase_rate,
            count(case when membership = 'Prime' then 1 end)
                / count(case when membership in ('Prime', 'Non-Prime') then 1 end) as prime_share,
            avg(case when customer_status = 'At Risk' then 1.0 else 0.0 end) as at_risk_rate,
            count(case when is_active_in_window then 1 end) as active_customers
        from marts.dim_customer_360
        where is_purchaser
        group by 1
    """).set_index("country_code")
    assert sorted(got.index) == sorted(want.index) and len(want) >= 10
    for metric in KPI_METRICS:
        assert got[metric].tolist() == pytest.approx(want.loc[got.index, metric].tolist(), rel=1e-9), metric
