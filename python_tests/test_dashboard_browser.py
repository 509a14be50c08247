"""The dashboard in a real headless Chromium: every page renders charts with data, and a sidebar filter chosen
on one page applies on the next.

Uses Debian's Chromium (`apt-get install chromium`; .ci/run installs it) through Playwright's
`executable_path` — no browser download. Without a Chromium the test is skipped with that instruction.
Screenshots go to CIQ_SCREENSHOT_DIR when set (else a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from customer_intelligence.tools.dashboard_browser import (
    CHROMIUM_ARGS,
    PAGES,
    capture_pages,
    choose_option,
    find_chromium,
    running_dashboard,
)

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: install Debian's package with `apt-get install chromium` (CI's .ci/run does) "
    "to run the real-browser test of the dashboard",
)


@pytest.fixture(scope="module")
def dashboard_url(published):
    pytest.importorskip("playwright", reason="the playwright package is missing: `make setup` installs it")
    with running_dashboard(published) as url:
        yield url


def test_every_page_renders_charts_with_data(dashboard_url, built, tmp_path):
    out = Path(os.environ.get("CIQ_SCREENSHOT_DIR") or tmp_path)
    results = {result.name: result for result in capture_pages(dashboard_url, out, chromium=CHROMIUM)}
    assert set(results) == set(PAGES.values())
    kpi = built.query("select total_customers, total_orders from marts.kpi_overview").iloc[0]
    bands = built.query("select count(*) from marts.agg_customers_by_frequency_band").iloc[0, 0]
    age_groups = built.scalar("select count(*) from marts.agg_customers_by_age_group where customers > 0")
    for name, result in results.items():
        assert result.exceptions == [], (name, result.exceptions)
        assert result.screenshot.stat().st_size > 20_000, name  # a blank page is a few kB
        if name != "churn_actions":
            assert len(result.charts) >= 2, (name, result.charts)
            assert all(chart["drawn"] for chart in result.charts), (name, result.charts)
            # the scatters draw on a canvas (thousands of points); every other chart is SVG with data marks
            assert all(chart["svg"] and chart["marks"] > 0 for chart in result.charts if not chart["canvas"]), (
                name, result.charts)
    for name in ("loyalty_value", "segments"):  # one scatter each, on a canvas
        assert [chart["canvas"] for chart in results[name].charts].count(True) == 1, (name, results[name].charts)
    shown = {metric["label"]: metric["value"] for metric in results["overview"].metrics}
    assert shown["Customers"] == f"{int(kpi.total_customers):,}"
    assert shown["Orders"] == f"{int(kpi.total_orders):,}"
    # one bar per frequency band, one bar per age group with customers
    assert {"kinds": ["mark-rect"], "marks": bands} in [
        {"kinds": c["kinds"], "marks": c["marks"]} for c in results["loyalty_value"].charts]
    assert {"kinds": ["mark-rect"], "marks": age_groups} in [
        {"kinds": c["kinds"], "marks": c["marks"]} for c in results["demographics"].charts]


def test_a_filter_chosen_on_one_page_applies_on_the_next(dashboard_url, built):
    from playwright.sync_api import sync_playwright

    country, name = built.query(
        "select country_code, country_name from marts.dim_customer_360 where is_purchaser "
        "group by all order by count(*) desc, 1 limit 1"
    ).iloc[0]
    customers = built.scalar(
        f"select count(*) from marts.dim_customer_360 where is_purchaser and country_code = '{country}'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(dashboard_url)
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=90_000)
            # the page has loaded when its first script run is over (Streamlit's status widget is gone): a
            # filter chosen while that run still draws the charts below the metrics can be lost
            page.wait_for_function("() => document.querySelector('[data-testid=\"stStatusWidget\"]') === null",
                                   timeout=90_000)
            # the choice is confirmed in the widget before the app is judged: CI's run on 2026-12-03 failed on a
            # click the dropdown ignored under load (the app was never told; see choose_option)
            choose_option(page, 1, f"{name} ({country})")
            page.keyboard.press("Escape")
            first_value = page.locator('[data-testid="stMetricValue"]').first
            # the predicates tolerate an element that is not there yet: Streamlit re-renders the page while it
            # runs, and a query between two renders finds nothing (CI's run on 2026-12-02 failed on that)
            page.wait_for_function(
                "expected => (document.querySelector('[data-testid=\"stMetricValue\"]') || {}).innerText"
                " === expected",
                arg=f"{customers:,}", timeout=60_000)
            assert first_value.inner_text() == f"{customers:,}"
            page.locator('[data-testid="stSidebarNavLink"]').nth(1).click()
            page.wait_for_selector("h1:has-text('Loyalty & value')", timeout=60_000)
            caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first
            page.wait_for_function(
                "code => ((document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stCaptionContainer\"]')"
                " || {}).innerText || '').includes('countries: ' + code)", arg=country, timeout=60_000)
            assert f"countries: {country}" in caption.inner_text()
        finally:
            browser.close()


def test_the_action_table_downloads_as_csv(dashboard_url, built, tmp_path):
    from playwright.sync_api import sync_playwright

    mart = built.query("select customer_id, action_rank from marts.ml_customer_actions order by action_rank")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(f"{dashboard_url}/churn_actions")
            button = page.locator('[data-testid="stDownloadButton"] button')
            button.wait_for(timeout=90_000)
            with page.expect_download(timeout=60_000) as download:
                button.click()
            assert download.value.suggested_filename == "customer_actions.csv"
            target = tmp_path / "customer_actions.csv"
            download.value.save_as(target)
        finally:
            browser.close()
    csv = pd.read_csv(target)
    assert list(csv["customer_id"]) == list(mart["customer_id"])  # every customer, ranked by revenue at risk
    assert {"churn_probability", "revenue_at_risk", "recommended_action", "country_code"} <= set(csv.columns)
