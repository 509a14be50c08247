"""Benchmark the dashboard in real Chromium: per page, first-load and filter-change times (issue 16).

For each scale (orders), the data is generated once (``bench.ensure_data``), built with ``dbt build`` and
published into ``<work-dir>/dashboard_<orders>/`` (both reused by later runs when their stamp is there), then
the Streamlit dashboard is started on that publication and every page is opened in headless Chromium
(Playwright driving Debian's /usr/bin/chromium, see ``dashboard_browser``):

- **open** (cold): the page's URL opened in a new browser session (an empty browser cache: Streamlit's
  scripts are downloaded and compiled, a new server session starts), until the script run is over and every
  chart has drawn (SVG charts their marks, the canvas scatters their pixels). Streamlit's data cache is shared
  by the server process, so figures that an earlier page computed are warm;
- **navigate**: in one browser session, the page chosen in the sidebar's page list (how a user moves between
  pages: no reload, one script run), until the page's title shows and every chart has drawn;
- **filter change**: the membership filter set to its first value in the sidebar, until the page shows the
  new selection (its caption) and every chart has drawn again.

The targets (first load <= 2 s, filter change <= 1 s) are checked against **navigate** and **filter change**;
the cold open is printed beside them. The page state is polled every 100 ms, so each time is measured to
about 0.1 s.

CLI: ``python -m customer_intelligence.tools.dashboard_bench --orders 100000,1000000,10000000``
(``make bench-dashboard``);
``--published FILE`` measures an existing publication instead. Writes ``<results-dir>/dashboard_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from customer_intelligence.tools import dashboard_browser as browser

PROJECT_DIR = Path(__file__).resolve().parents[2]
POLL_MS = 100
TARGET_PAGE_READY_S = 2.0
TARGET_FILTER_CHANGE_S = 1.0


def build_publication(orders: int, seed: int, work_dir: Path) -> Path:
    """Generate, build and publish ``orders`` orders under ``work_dir`` once; return the published file."""
    from customer_intelligence.tools.bench import ensure_data

    root = work_dir / f"dashboard_{orders}_seed_{seed}"
    published = root / "published" / "customer_intelligence.duckdb"
    stamp = root / ".published"
    if stamp.exists() and published.exists():
        return published
    raw = ensure_data(orders, seed, work_dir / "data")
    warehouse = root / "warehouse" / "customer_intelligence.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DBT_PROFILES_DIR=str(PROJECT_DIR), CIQ_RAW_DIR=str(raw), CIQ_WAREHOUSE_PATH=str(warehouse),
               CIQ_DUCKDB_TEMP_DIR=str(root / "warehouse" / ".tmp"), CIQ_PUBLISHED_PATH=str(published),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    target = root / "target"
    dbt = str(Path(sys.executable).with_name("dbt"))
    print(f"building {orders:,} orders into {warehouse}", file=sys.stderr, flush=True)
    subprocess.run([dbt, "build", "--target-path", str(target), "--log-path", str(root / "logs"), "--quiet"],
                   cwd=PROJECT_DIR, env=env, check=True)
    subprocess.run([sys.executable, "-m", "customer_intelligence.reporting.publish", "--warehouse", str(warehouse),
                    "--run-results", str(target / "run_results.json"), "--published", str(published),
                    "--no-parquet", "--accept-shift"], cwd=PROJECT_DIR, env=env, check=True)
    stamp.write_text(f"{orders} {seed}\n")
    return published


def _wait_drawn(page, timeout: float, caption: str | None = None, title: str | None = None) -> dict:
    """Poll every POLL_MS until the run is over, every chart has drawn (and ``caption`` / ``title`` is shown),
    stable twice."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        state = page.evaluate(browser._PAGE_STATE_JS)
        drawn = bool(state["charts"]) and browser.charts_drawn(state)  # every page has charts
        shown = ((caption is None or caption in page.inner_text("[data-testid='stMain']"))
                 and (title is None or state["title"] == title))
        settled = not state["running"] and shown and (drawn or state["exceptions"])
        signature = browser.state_signature(state)
        if settled and signature == previous:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"page {page.url} did not finish drawing within {timeout} s")
        previous = signature if settled else None
        page.wait_for_timeout(POLL_MS)


def _choose_first_membership(page) -> str:
    """Open the sidebar's membership filter and pick its first value; return that value."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    box.click()
    option = page.locator("[role='option']").filter(has_not_text="Select all").first  # Streamlit adds it first
    value = option.inner_text().strip()
    option.click()
    page.keyboard.press("Escape")
    return value


def _nav_link(page, path: str):
    """The sidebar's page-list link to ``path`` ('' is the default page)."""
    links = page.locator("[data-testid='stSidebarNav'] a")
    for index in range(links.count()):
        href = (links.nth(index).get_attribute("href") or "").rstrip("/")
        if href.rsplit("/", 1)[-1] == path or (not path and href.count("/") <= 2):
            return links.nth(index)
    raise LookupError(f"no sidebar link to page {path!r}")


def _open_cold(instance, url: str, path: str, timeout: float) -> tuple[float, dict, float]:
    """Open ``path`` in a new browser session: (seconds until drawn, its state, filter-change seconds)."""
    page = instance.new_page(viewport={"width": 1400, "height": 1100})
    try:
        started = time.monotonic()
        page.goto(f"{url}/{path}")
        page.wait_for_selector("h1", timeout=timeout * 1000)
        state = _wait_drawn(page, timeout)
        opened = time.monotonic() - started
        started = time.monotonic()
        value = _choose_first_membership(page)
        _wait_drawn(page, timeout, caption=f"membership: {value} ·")
        return opened, state, time.monotonic() - started
    finally:
        page.close()


def _navigation_times(instance, url: str, titles: dict[str, str], timeout: float) -> dict[str, float]:
    """In one browser session: open the default page, then go to every other page and back to the first one
    through the sidebar's page list; seconds per page until its title shows and its charts are drawn."""
    page = instance.new_page(viewport={"width": 1400, "height": 1100})
    try:
        page.goto(url)
        page.wait_for_selector("h1", timeout=timeout * 1000)
        _wait_drawn(page, timeout)
        times = {}
        for path in [*list(titles)[1:], next(iter(titles))]:
            started = time.monotonic()
            _nav_link(page, path).click()
            _wait_drawn(page, timeout, title=titles[path])
            times[path] = time.monotonic() - started
        return times
    finally:
        page.close()


def measure_pages(url: str, timeout: float = 600) -> list[dict]:
    """Cold-open, navigation and filter-change seconds of every page, in the order of ``dashboard_browser.PAGES``."""
    from playwright.sync_api import sync_playwright

    chromium = browser.find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium found: install Debian's package with `apt-get install chromium`")
    results, titles = [], {}
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=browser.CHROMIUM_ARGS)
        try:
            for path, name in browser.PAGES.items():
                opened, state, filter_change = _open_cold(instance, url, path, timeout)
                titles[path] = state["title"]
                results.append({"page": name, "open_cold_s": round(opened, 2),
                                "filter_change_s": round(filter_change, 2), "charts": len(state["charts"]),
                                "canvas_charts": sum(chart["canvas"] for chart in state["charts"]),
                                "marks": sum(chart["marks"] for chart in state["charts"]),
                                "exceptions": state["exceptions"]})
            navigation = _navigation_times(instance, url, titles, timeout)
        finally:
            instance.close()
    for path, row in zip(browser.PAGES, results, strict=True):
        row["navigate_s"] = round(navigation[path], 2)
    return results


def format_table(scales: list[dict]) -> str:
    """A markdown table: one row per scale and page."""
    lines = ["| orders | customers | page | navigate (s) | filter change (s) | open, new session (s) | SVG marks "
             "| canvas charts |",
             "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for scale in scales:
        for row in scale["pages"]:
            lines.append(f"| {scale['orders']:,} | {scale['customers']:,} | {row['page']} | {row['navigate_s']:.1f} "
                         f"| {row['filter_change_s']:.1f} | {row['open_cold_s']:.1f} | {row['marks']:,} "
                         f"| {row['canvas_charts']} |")
    return "\n".join(lines)


def _customers(published: Path) -> int:
    """Purchasing customers of a publication."""
    from customer_intelligence.reporting.publish import open_current_publication

    with open_current_publication(published) as con:
        return int(con.execute("select count(*) from marts.dim_customer_360 where is_purchaser").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    """CLI: build (once) and measure each scale; print the table, write the JSON."""
    from customer_intelligence.reporting.publish import open_current_publication
    from customer_intelligence.tools.bench import parse_orders

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", default="100000,1000000,10000000", help="comma-separated scales")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--published", type=Path, help="measure this publication instead of building scales")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "bench" / "work")
    parser.add_argument("--results-dir", type=Path, default=PROJECT_DIR / "bench" / "results")
    args = parser.parse_args(argv)
    if browser.find_chromium() is None:
        print("no Chromium found: install it with `apt-get install chromium`", file=sys.stderr)
        return 1
    targets = ([(None, args.published.resolve())] if args.published else
               [(orders, build_publication(orders, args.seed, args.work_dir.resolve()))
                for orders in parse_orders(args.orders)])
    scales = []
    for orders, published in targets:
        load_before = [round(value, 1) for value in os.getloadavg()]
        with browser.running_dashboard(published) as url:
            pages = measure_pages(url)
        with open_current_publication(published) as con:
            total_orders = int(con.execute("select total_orders from marts.kpi_overview").fetchone()[0])
        scales.append({"orders": orders or total_orders, "customers": _customers(published),
                       "published": str(published), "load_average_1m": round(os.getloadavg()[0], 1),
                       "load_average_before": load_before,
                       "load_average_after": [round(value, 1) for value in os.getloadavg()],
                       "cpus": os.cpu_count(), "pages": pages})
        print(format_table(scales[-1:]), flush=True)
        print(f"load average (1, 5, 15 min) before {load_before}, after {scales[-1]['load_average_after']} "
              f"on {os.cpu_count()} CPUs", flush=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "dashboard_bench.json"
    out.write_text(json.dumps({"poll_ms": POLL_MS, "targets": {"page_ready_s": TARGET_PAGE_READY_S,
                                                              "filter_change_s": TARGET_FILTER_CHANGE_S},
                               "scales": scales}, indent=2))
    print(f"\n{format_table(scales)}\n\ntargets: page ready (navigate) <= {TARGET_PAGE_READY_S:g} s, filter change "
          f"<= {TARGET_FILTER_CHANGE_S:g} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
