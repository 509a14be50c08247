"""Open the Streamlit dashboard in a real headless Chromium and screenshot every page.

Uses Debian's Chromium (``apt-get install chromium``) driven by Playwright for Python with
``executable_path`` — no browser download (never run ``playwright install``). Streamlit renders charts after
the page loads, so each page is read only once its script run has finished and every chart has drawn its
data marks (charts are rendered as SVG, see dashboard/shared.py, so marks can be counted).

CLI (used for the README's screenshot after ``make build``):
``python -m customer_intelligence.tools.dashboard_browser --out docs/img --pages overview``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
APP = PROJECT_DIR / "dashboard" / "app.py"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# url path of each page ("" is the default page, the overview) -> screenshot name
PAGES = {
    "": "overview",
    "loyalty_value": "loyalty_value",
    "segments": "segments",
    "demographics": "demographics",
    "engagement_retention": "engagement_retention",
    "churn_actions": "churn_actions",
    "who_moved": "who_moved",
}

# In the page: the state of every chart (data marks drawn), whether Streamlit is still running the script,
# exceptions shown, and the KPI cards' labels and values.
_PAGE_STATE_JS = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
    const groups = [...chart.querySelectorAll('svg g.role-mark')];
    const marks = groups.reduce((n, g) => n + g.childElementCount, 0);
    // a canvas chart (the scatters) has no DOM marks: count painted pixels (every 97th pixel's alpha);
    // Vega paints the axes and the marks in one pass, so a painted canvas is a drawn chart
    const canvas = chart.querySelector('canvas');
    let painted = 0;
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < pixels.length; i += 4 * 97) { if (pixels[i] > 0) { painted++; } }
    }
    return {svg: chart.querySelector('svg') !== null, canvas: canvas !== null, marks, painted,
            drawn: marks > 0 || painted > 0,
            kinds: groups.map(g => (g.getAttribute('class') || '').split(' ')[0])};
  });
  const metrics = [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => ({
    label: (m.querySelector('[data-testid="stMetricLabel"]') || {}).innerText || '',
    value: (m.querySelector('[data-testid="stMetricValue"]') || {}).innerText || ''}));
  return {
    running: document.querySelector('[data-testid="stStatusWidget"]') !== null,
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText.slice(0, 500)),
    charts, metrics,
    tables: document.querySelectorAll('[data-testid="stDataFrame"]').length,
    tables_drawn: document.querySelectorAll('[data-testid="stDataFrame"] canvas').length > 0
      ? [...document.querySelectorAll('[data-testid="stDataFrame"]')].every(t => t.querySelector('canvas'))
      : document.querySelectorAll('[data-testid="stDataFrame"]').length === 0,
    skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    title: (document.querySelector('h1') || {}).innerText || ''};
}"""


@dataclass
class PageResult:
    """What one page showed in the browser."""

    name: str
    screenshot: Path
    title: str
    charts: list[dict]
    metrics: list[dict]
    tables: int
    exceptions: list[str]
    seconds: float


def find_chromium() -> str | None:
    """Path of a Chromium executable (CIQ_CHROMIUM, Debian's /usr/bin/chromium, or on PATH), or None."""
    for candidate in (os.environ.get("CIQ_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_dashboard(published: Path, port: int | None = None, timeout: float = 90) -> Iterator[str]:
    """Start ``streamlit run dashboard/app.py`` on the publication, on a free loopback port; yield its URL."""
    port = port or free_port()
    env = dict(os.environ, CIQ_PUBLISHED_PATH=str(published))
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{process.stdout.read()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def capture_pages(url: str, out_dir: Path, pages: dict[str, str] | None = None, chromium: str | None = None,
                  width: int = 1400, height: int = 1100, timeout: float = 90) -> list[PageResult]:
    """Open each page in headless Chromium, wait until its charts have drawn their data, screenshot it.

    A page is ready when Streamlit has finished running its script, no element is still loading (skeleton),
    every chart has an SVG with data marks and every table has drawn its grid. Raises TimeoutError otherwise.
    """
    from playwright.sync_api import sync_playwright

    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium found: install Debian's package with `apt-get install chromium`")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            for path, name in (pages or PAGES).items():
                started = time.monotonic()
                page.goto(f"{url}/{path}")
                page.wait_for_selector("h1", timeout=timeout * 1000)
                state = _wait_until_drawn(page, timeout)
                screenshot = out_dir / f"{name}.png"
                page.screenshot(path=str(screenshot))
                results.append(PageResult(name, screenshot, state["title"], state["charts"], state["metrics"],
                                          state["tables"], state["exceptions"], time.monotonic() - started))
        finally:
            browser.close()
    return results


def charts_drawn(state: dict) -> bool:
    """Whether a page state (``_PAGE_STATE_JS``) shows every chart drawn (SVG marks or canvas pixels), every
    table drawn and no skeleton."""
    return all(chart["drawn"] for chart in state["charts"]) and state["tables_drawn"] and state["skeletons"] == 0


def state_signature(state: dict) -> tuple:
    """What must stay the same between two polls for a drawn page to count as settled."""
    return (len(state["charts"]), [(chart["marks"], chart["painted"]) for chart in state["charts"]],
            len(state["metrics"]), state["tables"])


def _wait_until_drawn(page, timeout: float) -> dict:
    """Poll the page until the script run is over and every chart shows data marks, stable for two polls."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        state = page.evaluate(_PAGE_STATE_JS)
        settled = not state["running"] and (charts_drawn(state) or state["exceptions"])
        signature = state_signature(state)
        if settled and signature == previous:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"page {page.url} did not finish drawing: {state}")
        previous = signature if settled else None
        page.wait_for_timeout(500)


_WIDGET_SHOWS_JS = """([index, label]) => ([...document.querySelectorAll('[data-testid="stMultiSelect"]')][index]
  || {innerText: ''}).innerText.includes(label)"""


def choose_option(page, index: int, label: str, attempts: int = 4, timeout: float = 5) -> int:
    """Pick ``label`` in the page's ``index``-th multiselect and wait until the widget shows it; return the
    number of clicks it took.

    Under CPU load the dropdown sometimes ignores a click on an option (seen 2-4 times in 30 page loads with
    three busy loops on two cores: the option is highlighted, the list stays open, nothing is selected and
    the app is never told), so an unconfirmed click is repeated, as a user would; a click that never takes
    raises TimeoutError.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator('[data-testid="stMultiSelect"]').nth(index).click()
    for attempt in range(1, attempts + 1):
        page.get_by_role("option", name=label).click()
        try:
            page.wait_for_function(_WIDGET_SHOWS_JS, arg=[index, label], timeout=timeout * 1000)
            return attempt
        except PlaywrightTimeout:  # the widget does not show the choice yet
            continue
    raise TimeoutError(f"multiselect {index} did not take option {label!r} after {attempts} clicks")


def main(argv: list[str] | None = None) -> int:
    """CLI: screenshot pages of the dashboard on the current publication."""
    from customer_intelligence.reporting.publish import default_paths

    parser = argparse.ArgumentParser(description="Screenshot the dashboard in headless Chromium.")
    parser.add_argument("--published", type=Path, default=default_paths()["published"])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs" / "img")
    parser.add_argument("--pages", nargs="*", default=list(PAGES.values()), help="page names (default: all)")
    args = parser.parse_args(argv)
    if find_chromium() is None:
        print("no Chromium found: install it with `apt-get install chromium`", file=sys.stderr)
        return 1
    wanted = {path: name for path, name in PAGES.items() if name in args.pages}
    with running_dashboard(args.published.resolve()) as url:
        for result in capture_pages(url, args.out, wanted):
            marks = sum(chart["marks"] for chart in result.charts)
            print(f"{result.name}: {len(result.charts)} charts, {marks} marks -> {result.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
