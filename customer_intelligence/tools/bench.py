"""Benchmark of the dbt project: how fast and how lean it is, side by side, at several scales.

Usage::

    python -m customer_intelligence.tools.bench --orders 100000,1000000,10000000 [--seed 42] [--rounds N]
        [--work-dir bench/work] [--results-dir bench/results]

For each scale it generates the raw data (once, cached under the work directory), then runs, in
this order and alternately within each round so that every ratio compares figures measured next
to each other on a possibly noisy machine:

1. **full build**: ``dbt build`` into an empty warehouse (wall time, peak RSS of the process via
   ``/usr/bin/time -v``, per-node times from ``run_results.json``, warehouse file size);
2. **floor**: DuckDB alone reads the raw orders and order lines once and computes per-customer
   aggregates (orders, revenue, first and last order) in one query;
3. **compiled SQL**: the SQL dbt ran for every seed, model and test of step 1 (``target/run``),
   executed in DAG order in one DuckDB session, without dbt;
4. **peer**: a pandas notebook's way to the same customer RFM summary, frequency bands and KPIs
   (group-bys over the raw files), and the same figures with polars' lazy API
   (:mod:`customer_intelligence.tools.polars_peer`);
5. **incremental build**: one day of new orders, late-arriving orders and re-sent statuses is
   appended to the raw data and ``dbt build`` runs incrementally on the warehouse of step 1;
6. **full build on the same data**: ``dbt build --full-refresh`` right after, on a copy; the
   incremental and full warehouses are then compared on every column of the order facts;
7. **the incremental build again**: from a copy of the warehouse of step 1, the same incremental build
   as step 5, so that the full build it is divided by sits between two timings of it (A, B, A'):
   their mean largely cancels a machine that speeds up or slows down steadily through the round, and
   A' / A shows how far it drifted.

Ratios: build / floor and build / compiled SQL (1 vs 2 and 3), peer / project (4 vs 1) and
incremental / full (the mean of 5 and 7 vs 6). With several rounds the median of each figure and ratio is reported.
The table is printed and written as JSON to ``<results-dir>/bench_<timestamp>.json`` (the summary, without
per-node timings; those go to ``bench_<timestamp>.full.json.gz``, git-ignored).

DuckDB settings come from the same environment variables as the dbt profile
(``CIQ_DUCKDB_THREADS``, ``CIQ_DUCKDB_MEMORY_LIMIT``, ``CIQ_DUCKDB_TEMP_DIR``) and are used by the
floor, compiled-SQL and peer steps too.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from customer_intelligence.sql_text import quote_identifier as quoted
from customer_intelligence.tools.polars_peer import polars_peer_worker

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_ORDERS = (100_000, 1_000_000, 10_000_000)
DAYS_OF_HISTORY = 1461  # 2021-01-01 .. 2024-12-31: one day of new orders is orders / DAYS_OF_HISTORY
GNU_TIME = Path("/usr/bin/time")
RSS_MARKER = "ciq-bench-max-rss-kb:"
RESULT_MARKER = "ciq-bench-result:"
FACT_TABLES = ("fct_orders", "fct_order_lines")
#: Build stages of :func:`stage_breakdown`, in DAG order.
STAGES = ("seeds", "base_staging", "order_facts", "intermediate", "sql_marts", "history", "python_models",
          "data_tests", "unit_tests")
# the marts holding what the pandas peer computes: KPIs, frequency bands, per-customer RFM
PEER_EQUIVALENT_MODELS = ("kpi_overview", "agg_customers_by_frequency_band", "dim_customer_360")


# --------------------------------------------------------------------------------------------
# Pure helpers (unit-tested)
# --------------------------------------------------------------------------------------------

def parse_orders(text: str) -> list[int]:
    """Scales from '100000,1M,10m' or '100k' (k = thousand, m = million); each at least 100."""
    scales = []
    for part in text.split(","):
        scale_text = part.strip().lower().replace("_", "")
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", scale_text)
        if not match:
            raise ValueError(f"not a number of orders: {part!r} (use e.g. 100000, 100k or 1m)")
        value = float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]
        if value != int(value) or value < 100:
            raise ValueError(f"number of orders must be a whole number >= 100, got {part!r}")
        scales.append(int(value))
    return scales


@dataclass(frozen=True)
class NodeTime:
    """How long one dbt node took in a build."""

    unique_id: str
    name: str
    resource_type: str
    seconds: float
    status: str


def parse_run_results(run_results: dict[str, Any]) -> list[NodeTime]:
    """Per-node execution times of a dbt ``run_results.json`` (already loaded)."""
    nodes = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        parts = unique_id.split(".")
        nodes.append(NodeTime(unique_id=unique_id, name=parts[2] if len(parts) > 2 else unique_id,
                              resource_type=parts[0], seconds=float(result.get("execution_time") or 0.0),
                              status=str(result.get("status"))))
    return nodes


def slowest(nodes: Iterable[NodeTime], n: int = 10, resource_types: Sequence[str] = ("model",)) -> list[NodeTime]:
    """The n slowest nodes of the given resource types, slowest first (ties by name)."""
    chosen = [node for node in nodes if node.resource_type in resource_types]
    return sorted(chosen, key=lambda node: (-node.seconds, node.name))[:n]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def mean_of_present(*values: float | None) -> float | None:
    """Mean of the values that are not None (None when there are none): the two timings of the
    incremental build around the full build (A, B, A'), or the one that ran."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def median(values: Iterable[float | None]) -> float | None:
    """Median of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def parse_max_rss_kb(text: str) -> int | None:
    """Peak RSS in kB from ``/usr/bin/time -v`` output or from this module's fallback wrapper."""
    for pattern in (r"Maximum resident set size \(kbytes\):\s*(\d+)", re.escape(RSS_MARKER) + r"\s*(\d+)"):
        found = re.findall(pattern, text)
        if found:
            return int(found[-1])
    return None


def dag_order(manifest: dict[str, Any], unique_ids: Iterable[str]) -> list[str]:
    """The given nodes in an order where every node comes after the nodes it depends on.

    Dependencies outside the given set (sources, nodes not run) are ignored; among nodes that are
    ready at the same time the order is alphabetical, so the result is deterministic.
    """
    wanted = set(unique_ids)
    nodes = manifest["nodes"]
    missing = wanted - set(nodes)
    if missing:
        raise KeyError(f"not in the manifest: {sorted(missing)}")
    parents = {uid: {p for p in nodes[uid].get("depends_on", {}).get("nodes", []) if p in wanted} for uid in wanted}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(wanted):
        ready = sorted(uid for uid in wanted - done if parents[uid] <= done)
        if not ready:
            raise ValueError(f"dependency cycle among: {sorted(wanted - done)}")
        # one node at a time, so that a test runs as soon as its model exists (like dbt build)
        order.append(ready[0])
        done.add(ready[0])
    return order


def ancestors(manifest: dict[str, Any], unique_ids: Iterable[str]) -> set[str]:
    """The given nodes and every node they depend on, transitively (sources and unknown ids skipped)."""
    nodes = manifest["nodes"]
    seen: set[str] = set()
    stack = [uid for uid in unique_ids if uid in nodes]
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        stack.extend(p for p in nodes[uid].get("depends_on", {}).get("nodes", []) if p in nodes)
    return seen


def models_named(manifest: dict[str, Any], names: Iterable[str]) -> list[str]:
    """unique_ids of the models with these names (those that exist)."""
    wanted = set(names)
    return sorted(uid for uid, node in manifest["nodes"].items()
                  if node.get("resource_type") == "model" and node.get("name") in wanted)


def final_relation_sql(sql: str) -> str:
    """dbt's DDL for a node with the staging names (``<name>__dbt_tmp``) turned into the final names."""
    return re.sub(r'__dbt_tmp(?=")', "", sql)


def format_seconds(value: float | None) -> str:
    """'12.3 s', or '-' when missing."""
    return "-" if value is None else f"{value:,.1f} s"


def format_ratio(value: float | None) -> str:
    """'1.23', or '-' when missing."""
    return "-" if value is None else f"{value:,.2f}"


def format_bytes(value: float | None) -> str:
    """Human size in MiB or GiB, or '-' when missing."""
    if value is None:
        return "-"
    return f"{value / 2**30:,.2f} GiB" if value >= 2**30 else f"{value / 2**20:,.0f} MiB"


def summarise_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every figure and of every per-round ratio over the rounds of one scale."""
    figures = ("full_build_s", "full_build_max_rss_bytes", "full_build_spill_peak_bytes", "warehouse_bytes",
               "floor_s", "compiled_sql_s", "compiled_sql_models_s", "compiled_sql_tests_s", "peer_s",
               "peer_max_rss_bytes", "incremental_build_s", "incremental_again_build_s", "incremental_mean_build_s",
               "incremental_max_rss_bytes", "full_refresh_build_s",
               "incremental_facts_s", "full_refresh_facts_s", "full_build_unit_tests_s",
               "full_build_python_models_s", "project_sql_peer_figures_s", "polars_peer_s",
               "polars_peer_max_rss_bytes", "incremental_sql_tables_compared",
               *(f"incremental_{stage}_s" for stage in STAGES))
    summary: dict[str, Any] = {name: median(r.get(name) for r in rounds) for name in figures}
    per_round = {
        "build_over_floor": ("full_build_s", "floor_s"),
        "build_over_compiled_sql": ("full_build_s", "compiled_sql_s"),
        "peer_over_project": ("peer_s", "full_build_s"),
        "peer_over_project_sql_same_figures": ("peer_s", "project_sql_peer_figures_s"),
        "polars_peer_over_project_sql_same_figures": ("polars_peer_s", "project_sql_peer_figures_s"),
        "incremental_over_polars_peer": ("incremental_mean_build_s", "polars_peer_s"),
        "incremental_over_full": ("incremental_mean_build_s", "full_refresh_build_s"),
        "incremental_again_over_first": ("incremental_again_build_s", "incremental_build_s"),
        "incremental_facts_over_full_facts": ("incremental_facts_s", "full_refresh_facts_s"),
    }
    for name, (num, den) in per_round.items():
        summary[name] = median(ratio(r.get(num), r.get(den)) for r in rounds)
    for flag in ("incremental_equals_full", "incremental_sql_tables_equal_full", "peer_matches_project",
                 "polars_peer_matches_project"):
        summary[flag] = all(r.get(flag) is True for r in rounds) if rounds else None
    summary["rounds"] = len(rounds)
    return summary


TABLE_ROWS = (
    ("customers (raw rows)", "customers_raw_rows", "int"),
    ("order lines (raw rows)", "order_lines_raw_rows", "int"),
    ("dbt build, full", "full_build_s", "s"),
    ("  of which Python (ML) models (node time)", "full_build_python_models_s", "s"),
    ("  of which unit tests (node time)", "full_build_unit_tests_s", "s"),
    ("peak RSS of dbt build", "full_build_max_rss_bytes", "bytes"),
    ("peak DuckDB spill (temp dir)", "full_build_spill_peak_bytes", "bytes"),
    ("warehouse file", "warehouse_bytes", "bytes"),
    ("floor: DuckDB, one query", "floor_s", "s"),
    ("build / floor", "build_over_floor", "ratio"),
    ("compiled SQL without dbt", "compiled_sql_s", "s"),
    ("build / compiled SQL", "build_over_compiled_sql", "ratio"),
    ("pandas peer", "peer_s", "s"),
    ("peak RSS of pandas peer", "peer_max_rss_bytes", "bytes"),
    ("peer / project (full dbt build)", "peer_over_project", "ratio"),
    ("project SQL for the peer's figures", "project_sql_peer_figures_s", "s"),
    ("peer / project (same figures, SQL)", "peer_over_project_sql_same_figures", "ratio"),
    ("polars peer", "polars_peer_s", "s"),
    ("peak RSS of polars peer", "polars_peer_max_rss_bytes", "bytes"),
    ("polars peer / project (same figures, SQL)", "polars_peer_over_project_sql_same_figures", "ratio"),
    ("incremental build / polars peer", "incremental_over_polars_peer", "ratio"),
    ("dbt build, incremental (+1 day)", "incremental_build_s", "s"),
    ("dbt build --full-refresh, same data", "full_refresh_build_s", "s"),
    ("dbt build, incremental again (after the full refresh)", "incremental_again_build_s", "s"),
    ("incremental again / first (the machine's drift)", "incremental_again_over_first", "ratio"),
    *((f"  incremental: {stage.replace('_', ' ')} (node time)", f"incremental_{stage}_s", "s") for stage in STAGES),
    ("incremental / full (mean of the two incrementals)", "incremental_over_full", "ratio"),
    ("fct_orders+fct_order_lines incr / full", "incremental_facts_over_full_facts", "ratio"),
    ("incremental equals full rebuild (order facts)", "incremental_equals_full", "bool"),
    ("incremental equals full rebuild (every SQL table not fed by a Python model)",
     "incremental_sql_tables_equal_full", "bool"),
    ("peer figures equal project's", "peer_matches_project", "bool"),
    ("polars peer figures equal project's", "polars_peer_matches_project", "bool"),
)


def format_value(value: Any, kind: str) -> str:
    """One cell of the printed table."""
    if value is None:
        return "-"
    if kind == "s":
        return format_seconds(value)
    if kind == "ratio":
        return format_ratio(value)
    if kind == "bytes":
        return format_bytes(value)
    if kind == "bool":
        return "yes" if value else "NO"
    return f"{int(value):,}"


def format_table(scales: list[dict[str, Any]]) -> str:
    """The benchmark as a Markdown table: one row per figure, one column per scale."""
    header = ["orders"] + [f"{s['orders']:,}" for s in scales]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, key, kind in TABLE_ROWS:
        cells = [format_value(s["summary"].get(key, s.get(key)), kind) for s in scales]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def format_slowest(scale: dict[str, Any]) -> str:
    """The ten slowest models of the first full build of one scale, as a Markdown table."""
    lines = [f"Slowest models at {scale['orders']:,} orders (full build, run_results.json):", "",
             "| model | seconds |", "|---|---|"]
    lines += [f"| {m['name']} | {m['seconds']:.2f} |" for m in scale.get("slowest_models", [])]
    at_peak = [name for r in scale.get("rounds", []) for name in r.get("full_build_nodes_at_rss_peak", [])]
    if at_peak:
        lines += ["", "Nodes running when the build's RSS peaked: " + ", ".join(sorted(set(at_peak)))]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Settings and environment
# --------------------------------------------------------------------------------------------

def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of the dbt profile, read from the same environment variables."""
    return {
        "threads": os.environ.get("CIQ_DUCKDB_THREADS", "2"),
        "memory_limit": os.environ.get("CIQ_DUCKDB_MEMORY_LIMIT", "3GB"),
        "temp_directory": os.environ.get("CIQ_DUCKDB_TEMP_DIR", "warehouse/.tmp"),
        "preserve_insertion_order": os.environ.get("CIQ_DUCKDB_PRESERVE_ORDER", "false"),
        "dbt_threads": os.environ.get("CIQ_DBT_THREADS", "2"),
    }


def connect(database: str = ":memory:", settings: dict[str, str] | None = None, temp_dir: Path | None = None):
    """A DuckDB connection with the profile's settings (threads, memory limit, spill directory)."""
    import duckdb

    settings = settings or duckdb_settings()
    con = duckdb.connect(database)
    con.execute(f"set threads = {int(settings['threads'])}")
    con.execute(f"set memory_limit = '{settings['memory_limit']}'")
    con.execute(f"set preserve_insertion_order = {settings['preserve_insertion_order']}")
    con.execute("set enable_progress_bar = false")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"set temp_directory = '{temp_dir}'")
    return con


def machine_info() -> dict[str, Any]:
    """Where the benchmark ran."""
    import duckdb

    info: dict[str, Any] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                            "python": platform.python_version(), "duckdb": duckdb.__version__}
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text()
        info["memory_gib"] = round(int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / 2**20, 1)
    with contextlib.suppress(ImportError):
        from dbt.version import __version__ as dbt_version

        info["dbt_core"] = dbt_version
    return info


# --------------------------------------------------------------------------------------------
# Timed subprocesses
# --------------------------------------------------------------------------------------------

RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    f"print('{RSS_MARKER}', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class Timed:
    """A finished subprocess: wall time, peak RSS and output."""

    seconds: float
    max_rss_bytes: int | None
    returncode: int
    stdout: str
    stderr: str = field(repr=False)
    spill_peak_bytes: int | None = None
    rss_peak_at: dt.datetime | None = None  # when the sampled RSS peaked (sampled every 0.5 s)


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 6 * 3600) -> Timed:
    """Run a command, measuring its wall time and the peak RSS of the process tree's largest process."""
    if GNU_TIME.exists():
        wrapped = [str(GNU_TIME), "-v", *cmd]
    else:  # psutil-free fallback: getrusage of the children of a fresh wrapper process
        wrapped = [sys.executable, "-c", RSS_WRAPPER, *cmd]
    start = time.perf_counter()
    with subprocess.Popen(wrapped, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        timeline = RssTimeline(proc.pid).start()
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        finally:
            timeline.stop()
    seconds = time.perf_counter() - start
    rss_kb = parse_max_rss_kb(stderr)
    return Timed(seconds, None if rss_kb is None else rss_kb * 1024, proc.returncode, stdout, stderr,
                 rss_peak_at=timeline.peak_at)


def directory_bytes(path: Path) -> int:
    """Total size of the files under path (0 when it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


class PeakDirectorySize:
    """Samples the size of a directory in a background thread: the peak of DuckDB's spill files."""

    def __init__(self, path: Path, interval: float = 0.5):
        self.path, self.interval, self.peak = path, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, directory_bytes(self.path))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakDirectorySize:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, directory_bytes(self.path))


class FilesCreated:
    """Counts the files created in a directory while the block runs, with Linux inotify: the kernel queues
    every creation, so a spill file that DuckDB writes and deletes between two samples of
    :class:`PeakDirectorySize` is still counted. ``count`` is None where inotify is not available."""

    _IN_NONBLOCK, _IN_CREATE, _IN_MOVED_TO = 0o4000, 0x100, 0x80
    _HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (then len bytes of name)

    def __init__(self, path: Path):
        self.path, self.count, self._fd = path, None, -1
        libc_name = ctypes.util.find_library("c")
        self._libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None

    def __enter__(self) -> FilesCreated:
        if self._libc is None or not hasattr(self._libc, "inotify_init1"):
            return self
        self.path.mkdir(parents=True, exist_ok=True)
        self._fd = self._libc.inotify_init1(self._IN_NONBLOCK)
        if self._fd >= 0 and self._libc.inotify_add_watch(
                self._fd, str(self.path).encode(), self._IN_CREATE | self._IN_MOVED_TO) < 0:
            os.close(self._fd)
            self._fd = -1
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd < 0:
            return
        self.count = 0
        try:
            while True:
                try:
                    data = os.read(self._fd, 65536)
                except BlockingIOError:
                    break
                offset = 0
                while offset < len(data):
                    _, _, _, length = self._HEADER.unpack_from(data, offset)
                    offset += self._HEADER.size + length
                    self.count += 1
        finally:
            os.close(self._fd)


def parse_vmrss_bytes(status: str) -> int:
    """Resident set size from the text of /proc/<pid>/status; 0 when it has no VmRSS line (a zombie or
    kernel thread: a process that is exiting holds no memory any more)."""
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def tree_rss_bytes(pid: int) -> dict[int, int]:
    """RSS of a process and all its descendants (Linux /proc; empty elsewhere), by pid."""
    rss: dict[int, int] = {}
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError, ValueError):
            rss[current] = parse_vmrss_bytes(Path(f"/proc/{current}/status").read_text())
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
    return rss


class RssTimeline:
    """Samples the largest RSS in a process tree: when the peak happened, to blame the nodes running then."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval = pid, interval
        self.peak_bytes, self.peak_at = 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = tree_rss_bytes(self.pid)
            largest = max(sizes.values(), default=0)
            if largest > self.peak_bytes:
                self.peak_bytes, self.peak_at = largest, dt.datetime.now(dt.UTC)
            self._stop.wait(self.interval)

    def start(self) -> RssTimeline:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def nodes_running_at(run_results: dict[str, Any], moment: dt.datetime | None) -> list[str]:
    """Names of the dbt nodes whose execution spanned a moment (from run_results.json timings)."""
    if moment is None:
        return []
    running = []
    for result in run_results.get("results", []):
        for step in result.get("timing", []):
            if step.get("name") != "execute" or not step.get("started_at") or not step.get("completed_at"):
                continue
            start = dt.datetime.fromisoformat(step["started_at"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(step["completed_at"].replace("Z", "+00:00"))
            if start <= moment <= end:
                running.append(result["unique_id"].split(".")[2])
    return sorted(running)


def worker_result(timed: Timed) -> dict[str, Any]:
    """The JSON a worker subprocess printed on its result line."""
    for line in reversed(timed.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    raise RuntimeError(f"worker failed (exit {timed.returncode}):\n{timed.stdout[-3000:]}\n{timed.stderr[-3000:]}")


def run_worker(kind: str, args: dict[str, Any], env: dict[str, str]) -> tuple[dict[str, Any], Timed]:
    """Run one measured step in its own Python process (so its memory is measured on its own)."""
    cmd = [sys.executable, "-m", "customer_intelligence.tools.bench", "--worker", kind, json.dumps(args)]
    timed = run_timed(cmd, env=env, cwd=PROJECT_DIR)
    return worker_result(timed), timed


# --------------------------------------------------------------------------------------------
# Data: generation and the appended day
# --------------------------------------------------------------------------------------------

def ensure_data(orders: int, seed: int, data_dir: Path) -> Path:
    """Raw files for (orders, seed) under data_dir, generated once (same inputs, same files)."""
    raw = data_dir / f"orders_{orders}_seed_{seed}" / "raw"
    stamp = raw / ".complete"
    if stamp.exists():
        return raw
    from customer_intelligence.tools.generate import generate

    shutil.rmtree(raw.parent, ignore_errors=True)
    print(f"generating {orders:,} orders (seed {seed}) into {raw}", file=sys.stderr, flush=True)
    generate(orders=orders, seed=seed, out_dir=raw, truth_dir=raw.parent / "truth", progress=True)
    stamp.write_text(f"{orders} {seed}\n")
    return raw


ORDER_COLUMNS = "order_id, customer_id, order_ts, channel, status, updated_at"
LINE_COLUMNS = "order_id, line_number, product_id, quantity, unit_price, discount_amount"


def _read_day_inputs(con: Any, files: dict[str, Path], seed: int) -> None:
    """Views of the source files, and the variables latest (the latest change not after today), day (the day
    after it) and seed."""
    con.execute(f"create view raw_orders as select * from read_parquet('{files['orders']}')")
    con.execute(f"create view raw_customers as select * from read_parquet('{files['customers']}')")
    con.execute(f"create view raw_products as select * from read_parquet('{files['products']}')")
    latest = con.execute("""
        select max(greatest(order_ts, coalesce(updated_at, order_ts)))
        from raw_orders
        where order_ts <= current_date and coalesce(updated_at, order_ts) <= current_date
    """).fetchone()[0]
    con.execute(f"set variable latest = cast('{latest}' as timestamp)")
    con.execute("set variable day = cast(date_trunc('day', getvariable('latest')) + interval 1 day as timestamp)")
    con.execute(f"set variable seed = '{int(seed)}'")


def _pick_customers(con: Any) -> None:
    """picked_customers: customers who already ordered (not dirt), numbered by a seeded hash."""
    con.execute("""
        create temp table picked_customers as
        select customer_id, row_number() over (order by hash(customer_id || getvariable('seed')), customer_id) as n
        from (select distinct customer_id from raw_orders
              where customer_id in (select customer_id from raw_customers where customer_id is not null)
                and order_ts <= current_date)
    """)


def _add_new_customers(con: Any, new_customers: int) -> None:
    """new_customers: 'CN' copies of existing profiles, signed up on the new day."""
    con.execute(f"""
        create temp table new_customers as
        select
            'CN' || lpad(cast(n as varchar), 8, '0') as customer_id,
            customer_name, email, gender, birth_date, country, annual_income, num_children, membership,
            membership_start_date,
            getvariable('day') + to_seconds(n * 60) as signup_ts,
            getvariable('day') + to_seconds(n * 60) as updated_at
        from (
            select raw_customers.*,
                   row_number() over (order by hash(customer_id || getvariable('seed')), customer_id) as n
            from raw_customers where customer_id is not null
        )
        where n <= {int(new_customers)}
    """)


def _add_new_orders(con: Any, new_orders: int, late_orders: int) -> None:
    """new_orders: the day's orders of existing customers ('ON'), one per new customer, and the late ones ('OL')."""
    con.execute(f"""
        create temp table new_orders as
        with regular as (
            select 'ON' || lpad(cast(n as varchar), 9, '0') as order_id, customer_id, n,
                   getvariable('day') + to_seconds(600 + n * 80000 // greatest({int(new_orders)}, 1)) as order_ts
            from picked_customers where n <= {int(new_orders)}
        ),
        brand_new as (
            select 'ON' || lpad(cast({int(new_orders)} + n as varchar), 9, '0'), customer_id, {int(new_orders)} + n,
                   getvariable('day') + to_seconds(3600 + n * 60)
            from (select customer_id, row_number() over (order by customer_id) as n from new_customers)
        ),
        late_candidates as (
            -- customers with an order after the late order's time, so that it shifts their sequence
            select customer_id, row_number() over (order by hash(customer_id || 'late' || getvariable('seed')),
                                                   customer_id) as n
            from (select distinct customer_id from raw_orders
                  where order_ts > getvariable('latest') - interval 1 day and order_ts <= getvariable('latest')
                    and customer_id in (select customer_id from picked_customers))
        ),
        late as (
            select 'OL' || lpad(cast(n as varchar), 9, '0'), customer_id, n,
                   getvariable('latest') - interval 1 day - to_seconds(n * 7)
            from late_candidates where n <= {int(late_orders)}
        ),
        all_new as (select * from regular union all select * from brand_new union all select * from late)
        select
            order_id,
            customer_id,
            order_ts,
            ['web', 'app', 'marketplace', 'store'][1 + n % 4] as channel,
            case when n % 10 = 3 then 'cancelled' else 'completed' end as status,
            order_ts as updated_at
        from all_new
    """)


def _add_new_lines(con: Any) -> None:
    """new_lines: 1-3 lines per new order, products and quantities chosen from the order's number."""
    con.execute("""
        create temp table new_lines as
        with products as (
            select product_id, round(coalesce(unit_cost, 10) * 1.6, 2) as unit_price,
                   row_number() over (order by product_id) - 1 as p
            from raw_products where product_id is not null
        ),
        numbered as (
            select order_id, row_number() over (order by order_id) as n from new_orders
        ),
        lines as (
            select order_id, n, unnest(range(1, 2 + n % 3)) as line_number from numbered
        )
        select
            lines.order_id,
            cast(lines.line_number as bigint) as line_number,
            products.product_id,
            cast(1 + (lines.n + lines.line_number) % 3 as bigint) as quantity,
            products.unit_price,
            case when lines.n % 5 = 0 then round(products.unit_price * 0.2, 2) else 0.0 end as discount_amount
        from lines
        inner join products
            on products.p = (lines.n * 7 + lines.line_number) % (select count(*) from products)
    """)


def _add_status_updates(con: Any, status_updates: int) -> None:
    """status_updates: completed orders re-sent as 'returned' with a new updated_at on the new day."""
    con.execute(f"""
        create temp table status_updates as
        with latest_versions as (
            select * from raw_orders
            where order_id like 'O0%' and order_ts <= getvariable('latest') and status = 'completed'
            qualify row_number() over (partition by order_id order by updated_at desc nulls last) = 1
        )
        , picked as (
            select * from latest_versions
            order by hash(order_id || getvariable('seed')), order_id
            limit {int(status_updates)}
        )
        select order_id, customer_id, order_ts, channel, 'returned' as status,
               getvariable('day') + to_seconds(40000 + 40000 * row_number() over (order by order_id)
                                              // {max(1, int(status_updates))}) as updated_at
        from picked
    """)


def _write_appended(con: Any, files: dict[str, Path], dst: Path) -> None:
    """Write each source file with the new rows appended at its end (products copied as they are)."""
    con.execute(f"""
        copy (
            select * from raw_customers
            union all
            select * from new_customers
        ) to '{dst / "customers.parquet"}' (format parquet)
    """)
    con.execute(f"""
        copy (
            select {ORDER_COLUMNS} from raw_orders
            union all
            select {ORDER_COLUMNS} from new_orders
            union all
            select {ORDER_COLUMNS} from status_updates
        ) to '{dst / "orders.parquet"}' (format parquet)
    """)
    con.execute(f"""
        copy (
            select {LINE_COLUMNS} from read_parquet('{files['order_lines']}')
            union all
            select {LINE_COLUMNS} from new_lines
        ) to '{dst / "order_lines.parquet"}' (format parquet)
    """)
    shutil.copyfile(files["products"], dst / "products.parquet")


def _appended_counts(con: Any) -> dict[str, Any]:
    """How many rows of each kind were appended, and the new day."""
    counts = {name: con.execute(f"select count(*) from {name}").fetchone()[0]
              for name in ("new_orders", "new_lines", "new_customers", "status_updates")}
    counts["late_orders"] = con.execute("select count(*) from new_orders where order_id like 'OL%'").fetchone()[0]
    counts["day"] = str(con.execute("select cast(getvariable('day') as date)").fetchone()[0])
    return counts


def append_day(src: Path, dst: Path, new_orders: int, status_updates: int, late_orders: int,
               new_customers: int, seed: int = 0) -> dict[str, Any]:
    """Copy the raw files of src to dst with one more day of activity appended at the end of each file.

    The day after the latest order (ignoring rows dated after today, which the project rejects):

    - ``new_orders`` orders of existing customers ('ON' ids), 1-3 lines each, about 10 % cancelled;
    - ``new_customers`` new customers ('CN' ids, copies of existing profiles) with one order each;
    - ``late_orders`` orders that arrive late: order_ts and updated_at one day before the latest
      change already in the data, for customers with a later order (their order sequences shift);
      a watermark-based incremental run would miss them;
    - ``status_updates`` completed orders re-sent as 'returned' with a new updated_at (a later
      completed order of the same customer moves down its completed-order sequence).

    Chosen deterministically from the seed. Returns the counts and the new day.
    """
    dst.mkdir(parents=True, exist_ok=True)
    con = connect(settings={**duckdb_settings(), "preserve_insertion_order": "true"})  # append at the end
    files = {t: src / f"{t}.parquet" for t in ("customers", "orders", "order_lines", "products")}
    for path in files.values():
        if not path.exists():
            raise FileNotFoundError(f"append_day needs {path} (generated Parquet data)")
    _read_day_inputs(con, files, seed)
    _pick_customers(con)
    _add_new_customers(con, new_customers)
    _add_new_orders(con, new_orders, late_orders)
    _add_new_lines(con)
    _add_status_updates(con, status_updates)
    _write_appended(con, files, dst)
    counts = _appended_counts(con)
    con.close()
    return counts


def link_raw(src: Path, dst: Path) -> None:
    """Make dst hold the raw files of src (hard links when possible), so CIQ_RAW_DIR never changes."""
    dst.mkdir(parents=True, exist_ok=True)
    for old in dst.glob("*.parquet"):
        old.unlink()
    for path in sorted(src.glob("*.parquet")):
        try:
            os.link(path, dst / path.name)
        except OSError:
            shutil.copyfile(path, dst / path.name)


# --------------------------------------------------------------------------------------------
# The measured steps
# --------------------------------------------------------------------------------------------

FLOOR_SQL = """
create temp table customer_floor as
with line_totals as (
    select order_id, sum(quantity * unit_price - coalesce(discount_amount, 0)) as net_amount
    from read_parquet('{lines}')
    group by order_id
)
select
    orders.customer_id,
    count(distinct orders.order_id) as orders,
    sum(case when orders.status = 'completed' then line_totals.net_amount else 0 end) as revenue,
    min(orders.order_ts) as first_order_ts,
    max(orders.order_ts) as last_order_ts
from read_parquet('{orders}') as orders
left join line_totals
    on orders.order_id = line_totals.order_id
group by orders.customer_id
"""


def floor_worker(raw: str, temp_dir: str) -> dict[str, Any]:
    """The floor: read the raw orders and lines once, per-customer aggregates in one query."""
    con = connect(temp_dir=Path(temp_dir))
    settings = dict(zip(("threads", "memory_limit"), con.execute(
        "select current_setting('threads'), current_setting('memory_limit')").fetchone(), strict=True))
    sql = FLOOR_SQL.format(orders=Path(raw) / "orders.parquet", lines=Path(raw) / "order_lines.parquet")
    start = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - start
    customers = con.execute("select count(*) from customer_floor").fetchone()[0]
    return {"seconds": seconds, "customers": customers, "duckdb_settings_seen": settings}


def compiled_sql_worker(target: str, dbt_warehouse: str, work: str, temp_dir: str) -> dict[str, Any]:
    """Execute the SQL dbt ran (target/run) for every node of a build, in DAG order, in one session."""
    target_dir = Path(target)
    manifest = json.loads((target_dir / "manifest.json").read_text())
    run_results = json.loads((target_dir / "run_results.json").read_text())
    executed = [r["unique_id"] for r in run_results["results"] if r["status"] in ("success", "pass", "warn")]
    # unit tests (not in manifest nodes) run on dbt's fixtures, not on the data: not part of this run
    excluded: list[str] = [uid for uid in executed if uid not in manifest["nodes"]]
    order = dag_order(manifest, [uid for uid in executed if uid in manifest["nodes"]])
    work_dir = Path(work)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    # same file name as the dbt warehouse: the compiled SQL names the database after it
    database = work_dir / Path(dbt_warehouse).name
    con = connect(str(database), temp_dir=Path(temp_dir))
    con.execute(f"attach '{dbt_warehouse}' as dbt_warehouse (read_only)")
    schemas = {manifest["nodes"][uid]["schema"] for uid in order if not uid.startswith("test.")}
    for schema in sorted(schemas):
        con.execute(f'create schema if not exists "{schema}"')
    times = {"seed": 0.0, "model": 0.0, "test": 0.0}
    per_node: list[dict[str, Any]] = []
    failures = 0
    for uid in order:
        node = manifest["nodes"][uid]
        kind = node["resource_type"]
        start, cpu_start = time.perf_counter(), time.process_time()
        if kind == "seed":
            # seeds are copied from the dbt warehouse: dbt loads the CSVs, we only need the tables
            con.execute(f'create table "{node["schema"]}"."{node["alias"]}" as '
                        f'select * from dbt_warehouse."{node["schema"]}"."{node["alias"]}"')
        elif kind == "model" and node.get("language") == "python":
            if not run_python_model(con, Path(node["build_path"])):
                excluded.append(uid)
                continue
        elif kind in ("model", "test"):
            sql = final_relation_sql(Path(node["build_path"]).read_text())
            if kind == "test":
                failures += int(con.execute(sql).fetchone()[0] or 0)
            else:
                con.execute(sql)
        else:
            excluded.append(uid)
            continue
        seconds = time.perf_counter() - start
        times[kind] += seconds
        per_node.append({"unique_id": uid, "seconds": seconds, "cpu_seconds": time.process_time() - cpu_start})
    con.execute("checkpoint")
    con.close()
    size = database.stat().st_size
    targets = models_named(manifest, PEER_EQUIVALENT_MODELS)
    subgraph = {uid for uid in ancestors(manifest, targets) if uid.split(".")[0] in ("model", "seed")}
    peer_equivalent_s = sum(n["seconds"] for n in per_node if n["unique_id"] in subgraph) if targets else None
    shutil.rmtree(work_dir, ignore_errors=True)
    return {"seconds": sum(times.values()), "models_s": times["model"], "tests_s": times["test"],
            "seeds_s": times["seed"], "nodes": len(per_node), "excluded": excluded, "test_failures": failures,
            "database_bytes": size, "per_node": per_node, "peer_equivalent_s": peer_equivalent_s,
            "peer_equivalent_models": [uid.split(".")[-1] for uid in targets]}


def run_python_model(con, build_path: Path) -> bool:
    """Run a dbt-duckdb Python model's compiled module the way the adapter does; False if not runnable."""
    if not build_path.exists():
        return False
    code = final_relation_sql(build_path.read_text())
    namespace: dict[str, Any] = {"__name__": f"bench_python_model_{build_path.stem}"}
    exec(compile(code, str(build_path), "exec"), namespace)  # noqa: S102 - dbt's own compiled model
    if "dbtObj" not in namespace or "model" not in namespace or "materialize" not in namespace:
        return False
    dbt_obj = namespace["dbtObj"](lambda table_name: con.query(f"select * from {table_name}"))
    namespace["materialize"](namespace["model"](dbt_obj, con), con)
    return True


def peer_worker(raw: str) -> dict[str, Any]:
    """The pandas-notebook peer: customer RFM summary, frequency bands and KPIs with group-bys.

    What a careful notebook does: read the files, drop bad and duplicate rows (latest updated_at
    wins), join lines to orders, net revenue of completed orders, per-customer recency / frequency /
    monetary with quintile scores, order-frequency bands and the headline KPIs. Timed from the
    first read to the last figure (pandas already imported, as in a running notebook).
    """
    import numpy as np
    import pandas as pd

    raw_dir = Path(raw)
    start = time.perf_counter()
    customers = pd.read_parquet(raw_dir / "customers.parquet", columns=["customer_id"])
    orders = pd.read_parquet(raw_dir / "orders.parquet")
    lines = pd.read_parquet(raw_dir / "order_lines.parquet")

    known = set(customers["customer_id"].dropna().str.strip())
    orders["order_id"] = orders["order_id"].str.strip()
    orders["customer_id"] = orders["customer_id"].str.strip()
    orders = orders.dropna(subset=["order_id", "customer_id", "order_ts"])
    today = pd.Timestamp(dt.date.today())
    orders = orders[(orders["order_ts"] >= "2000-01-01") & (orders["order_ts"].dt.normalize() <= today)]
    orders = orders[orders["customer_id"].isin(known)]
    orders = orders.sort_values(["order_id", "updated_at"], kind="stable", na_position="first")
    orders = orders.drop_duplicates("order_id", keep="last")

    lines = lines.dropna(subset=["order_id"])
    lines = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)]
    lines = lines.drop_duplicates(["order_id", "line_number"], keep="last")
    lines = lines[lines["order_id"].isin(orders["order_id"])]
    lines["net"] = (lines["quantity"] * lines["unit_price"] - lines["discount_amount"].fillna(0)).round(2)
    order_net = lines.groupby("order_id")["net"].sum().round(2)

    orders = orders.join(order_net, on="order_id")
    orders["net"] = orders["net"].fillna(0.0)
    orders["revenue"] = np.where(orders["status"] == "completed", orders["net"], 0.0)
    as_of = orders["order_ts"].max().normalize() + pd.Timedelta(days=1)

    completed = orders[orders["status"] == "completed"]
    rfm = completed.groupby("customer_id").agg(
        frequency=("order_id", "count"), monetary=("revenue", "sum"),
        first_order=("order_ts", "min"), last_order=("order_ts", "max"))
    rfm["recency_days"] = (as_of - rfm["last_order"].dt.normalize()).dt.days
    rfm["r_score"] = pd.qcut(rfm["recency_days"].rank(method="first", ascending=False), 5, labels=False) + 1
    rfm["f_score"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=False) + 1
    rfm["m_score"] = pd.qcut(rfm["monetary"].rank(method="first"), 5, labels=False) + 1
    rfm["rfm_code"] = rfm["r_score"].astype(str) + rfm["f_score"].astype(str) + rfm["m_score"].astype(str)
    rfm["band"] = pd.cut(rfm["frequency"], [0, 1, 3, 5, np.inf], labels=["1", "2-3", "4-5", "6+"])
    bands = rfm.groupby("band", observed=False).agg(customers=("frequency", "size"), revenue=("monetary", "sum"))
    bands["share"] = bands["customers"] / bands["customers"].sum()

    total_revenue = float(orders["revenue"].sum())
    kpis = {
        "customers": int(len(rfm)),
        "orders": int(len(completed)),
        "revenue": round(total_revenue, 2),
        "aov": total_revenue / len(completed) if len(completed) else None,
        "ltv": total_revenue / len(rfm) if len(rfm) else None,
        "repeat_purchase_rate": float((rfm["frequency"] >= 2).mean()) if len(rfm) else None,
    }
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "kpis": kpis, "all_orders": int(len(orders)),
            "bands": {str(k): int(v) for k, v in bands["customers"].items()}}


def peer_matches(peer: dict[str, Any], project: dict[str, Any]) -> bool:
    """True when the peer found the same orders, customers and revenue as the project (revenue to 1e-9)."""
    kpis = peer["kpis"]
    return (kpis["customers"] == project["customers"] and kpis["orders"] == project["orders"]
            and peer["all_orders"] == project["all_orders"]
            and abs(kpis["revenue"] - project["revenue"]) <= 1e-9 * abs(project["revenue"]) + 0.01)


BUILD_RECORDS = ("base_raw__load_log",)


def sql_tables_to_compare(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(schema, table) of every SQL model stored as a table (or incremental) whose ancestors are all SQL.

    Python models refit on ``--full-refresh`` (issue 15.3), so they and their descendants differ between an
    incremental run and a full rebuild by design, and so does the load log (``BUILD_RECORDS``: each build's own
    load events and times); every other table must be equal."""
    nodes = manifest["nodes"]
    models = {uid: node for uid, node in nodes.items() if node.get("resource_type") == "model"}
    python = {uid for uid, node in models.items() if node.get("language") == "python"}
    return sorted((node["schema"], node.get("alias") or node["name"]) for uid, node in models.items()
                  if node.get("language") == "sql"
                  and node.get("config", {}).get("materialized") in ("table", "incremental")
                  and (node.get("alias") or node["name"]) not in BUILD_RECORDS
                  and not (ancestors(manifest, [uid]) & python))


def split_fact_tables(tables: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(other tables, order facts)`` of a list of (schema, table): the bench compares the order facts exactly
    (:func:`facts_equal`) and the others with :func:`tables_equal`, each table once."""
    facts = [(schema, table) for schema, table in tables if schema == "marts" and table in FACT_TABLES]
    return [t for t in tables if t not in facts], facts


FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
RELATIVE_TOLERANCE = 1e-9


def floats_close(a: str, b: str) -> str:
    """SQL: two floating-point values are equal to a relative 1e-9 (both null, both NaN, or equal infinities count).

    A tolerance, not rounding both sides: sums of exact cents often land on a rounding boundary
    (12627377.35 summed in two thread orders is 12627377.349999994 and 12627377.350000005), and rounding to
    any number of digits splits such a pair."""
    return (f"(({a} is null and {b} is null) or (isnan({a}) and isnan({b})) or {a} = {b} "
            f"or abs({a} - {b}) <= {RELATIVE_TOLERANCE} * greatest(abs({a}), abs({b})))")


def differing_rows_sql(left: str, right: str, columns: Sequence[tuple[str, str]]) -> str:
    """SQL counting the rows of ``left`` and ``right`` (qualified relations) that have no equal row on the other
    side, duplicates included (like ``EXCEPT ALL`` both ways).

    Rows are paired on their other columns exactly and, within a group of equal other columns, in the order of
    their floating-point columns; the floating-point columns of a pair must then be close (:func:`floats_close`).
    A pair that is not close counts two rows, one per side."""
    floats = [quoted(n) for n, t in columns if t.upper() in FLOAT_TYPES]
    exact = [quoted(n) for n, t in columns if t.upper() not in FLOAT_TYPES]
    if not floats:
        select = ", ".join(exact)
        return (f"select (select count(*) from (select {select} from {left} except all select {select} from {right}))"
                f" + (select count(*) from (select {select} from {right} except all select {select} from {left}))")
    partition = f"partition by {', '.join(exact)} " if exact else ""
    numbered = ("select *, row_number() over ({partition}order by {order}) as _pair from {rel}").format
    order = ", ".join(f"{c} nulls first" for c in floats)
    keys = " and ".join([f"l.{c} is not distinct from r.{c}" for c in exact] + ["l._pair = r._pair"])
    close = " and ".join(floats_close(f"l.{c}", f"r.{c}") for c in floats)
    return (f"select coalesce(sum(case when l._pair is null or r._pair is null then 1 when {close} then 0 else 2 end),"
            f" 0) from ({numbered(partition=partition, order=order, rel=left)}) as l "
            f"full outer join ({numbered(partition=partition, order=order, rel=right)}) as r on {keys}")


def tables_equal(incremental_db: Path, full_db: Path, tables: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Compare tables of two warehouses on every column, both directions, with duplicates
    (:func:`differing_rows_sql`: floating-point columns to a relative 1e-9, every other column exactly).

    Returns ``equal`` and the differing rows per ``schema.table`` (a table missing on one side counts -1)."""
    con = connect()
    con.execute(f"attach '{incremental_db}' as incremental_wh (read_only)")
    con.execute(f"attach '{full_db}' as full_wh (read_only)")
    differences: dict[str, int] = {}
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'full_wh' "
            "and schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall()
        if not columns:
            differences[f"{schema}.{table}"] = -1
            continue
        left, right = (f'{db}.{quoted(schema)}.{quoted(table)}' for db in ("incremental_wh", "full_wh"))
        differences[f"{schema}.{table}"] = int(con.execute(differing_rows_sql(left, right, columns)).fetchone()[0])
    con.close()
    return {"equal": all(v == 0 for v in differences.values()), "differing_rows": differences}


def facts_equal(incremental_db: Path, full_db: Path) -> dict[str, Any]:
    """Compare the order facts of two warehouses on every column (both directions, with duplicates)."""
    con = connect()
    con.execute(f"attach '{incremental_db}' as incremental_wh (read_only)")
    con.execute(f"attach '{full_db}' as full_wh (read_only)")
    differences = {}
    for table in FACT_TABLES:
        diff = 0
        for a, b in (("incremental_wh", "full_wh"), ("full_wh", "incremental_wh")):
            diff += con.execute(f"select count(*) from (select * from {a}.marts.{table} "
                                f"except all select * from {b}.marts.{table})").fetchone()[0]
        differences[table] = diff
    con.close()
    return {"equal": all(v == 0 for v in differences.values()), "differing_rows": differences}


def project_kpis(warehouse: Path) -> dict[str, Any]:
    """The figures the peer recomputes, from the project's order fact."""
    con = connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    row = con.execute("""
        select count(distinct case when is_completed then customer_id end), count(*) filter (where is_completed),
               round(sum(net_revenue), 2), count(*)
        from wh.marts.fct_orders
    """).fetchone()
    con.close()
    return {"customers": row[0], "orders": row[1], "revenue": row[2], "all_orders": row[3]}


# --------------------------------------------------------------------------------------------
# dbt builds
# --------------------------------------------------------------------------------------------

@dataclass
class ScaleDirs:
    """Where one scale's benchmark keeps its files."""

    root: Path

    @property
    def raw(self) -> Path:  # the CIQ_RAW_DIR of every build: hard links to the base or the appended data
        return self.root / "raw_current"

    @property
    def appended(self) -> Path:
        return self.root / "raw_plus_day"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "customer_intelligence.duckdb"

    @property
    def incremental_copy(self) -> Path:
        return self.root / "warehouse_incremental" / "customer_intelligence.duckdb"

    @property
    def before_day_copy(self) -> Path:  # the warehouse of step 1, for the second incremental build
        return self.root / "warehouse_before_day" / "customer_intelligence.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def temp(self) -> Path:
        return self.root / "tmp"


def dbt_env(dirs: ScaleDirs) -> dict[str, str]:
    """The environment of every dbt build of a scale (the profile reads it)."""
    env = dict(os.environ)
    env.update({
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "CIQ_RAW_DIR": str(dirs.raw),
        "CIQ_WAREHOUSE_PATH": str(dirs.warehouse),
        "CIQ_DUCKDB_TEMP_DIR": str(dirs.temp),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def dbt_executable() -> str:
    """The dbt of this Python environment."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_build(dirs: ScaleDirs, *extra: str) -> tuple[Timed, list[NodeTime]]:
    """One timed ``dbt build`` of the scale; raises with the log tail when it fails.

    Also records in ``Timed.spill_peak_bytes`` the peak size of DuckDB's temp directory (spilling).
    """
    cmd = [dbt_executable(), "build", "--target-path", str(dirs.target), "--log-path", str(dirs.root / "logs"),
           *extra]
    dirs.temp.mkdir(parents=True, exist_ok=True)
    with PeakDirectorySize(dirs.temp) as spill:
        timed = run_timed(cmd, env=dbt_env(dirs), cwd=PROJECT_DIR)
    timed.spill_peak_bytes = spill.peak
    if timed.returncode != 0:
        raise RuntimeError(f"dbt build {' '.join(extra)} failed:\n{timed.stdout[-5000:]}\n{timed.stderr[-2000:]}")
    nodes = parse_run_results(json.loads((dirs.target / "run_results.json").read_text()))
    return timed, nodes


def build_breakdown(nodes: list[NodeTime], manifest: dict[str, Any]) -> dict[str, float]:
    """Node-time sums of a build: unit tests (dbt-only, not in the compiled-SQL run) and Python models."""
    python_models = {uid for uid, node in manifest["nodes"].items() if node.get("language") == "python"}
    return {"full_build_unit_tests_s": sum(n.seconds for n in nodes if n.resource_type == "unit_test"),
            "full_build_python_models_s": sum(n.seconds for n in nodes if n.unique_id in python_models)}


def node_stage(node: NodeTime, manifest_node: dict[str, Any] | None) -> str:
    """The stage of one node: by resource type, then by its folder (intermediate = customer and core/intermediate)."""
    if node.resource_type in ("seed", "unit_test"):
        return {"seed": "seeds", "unit_test": "unit_tests"}[node.resource_type]
    if node.resource_type == "test":
        return "data_tests"
    path = (manifest_node or {}).get("original_file_path", "")
    if (manifest_node or {}).get("language") == "python":
        return "python_models"
    if node.name in FACT_TABLES:
        return "order_facts"
    if path.startswith("models/staging/"):
        return "base_staging"
    if path.startswith(("models/customer/", "models/core/intermediate/")):
        return "intermediate"
    if path.startswith("models/marts/history/"):
        return "history"
    return "sql_marts"


def stage_breakdown(nodes: list[NodeTime], manifest: dict[str, Any], prefix: str) -> dict[str, float]:
    """Node-time sums of a build by stage (:data:`STAGES`), keyed ``<prefix>_<stage>_s``."""
    totals = dict.fromkeys(STAGES, 0.0)
    for node in nodes:
        totals[node_stage(node, manifest["nodes"].get(node.unique_id))] += node.seconds
    return {f"{prefix}_{stage}_s": round(seconds, 3) for stage, seconds in totals.items()}


def facts_seconds(nodes: list[NodeTime]) -> float:
    """Time spent building the two incremental order facts in a build."""
    return sum(n.seconds for n in nodes if n.resource_type == "model" and n.name in FACT_TABLES)


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def bench_round(dirs: ScaleDirs, base_raw: Path, env: dict[str, str]) -> tuple[dict[str, Any], list[NodeTime]]:
    """One round of the six measured steps (see the module docstring)."""
    r: dict[str, Any] = {}
    # 1. full build into an empty warehouse, on the base data
    link_raw(base_raw, dirs.raw)
    shutil.rmtree(dirs.warehouse.parent, ignore_errors=True)
    dirs.warehouse.parent.mkdir(parents=True)
    log("full dbt build")
    timed, nodes = dbt_build(dirs)
    r.update(full_build_s=timed.seconds, full_build_max_rss_bytes=timed.max_rss_bytes,
             full_build_spill_peak_bytes=timed.spill_peak_bytes, warehouse_bytes=dirs.warehouse.stat().st_size,
             **build_breakdown(nodes, json.loads((dirs.target / "manifest.json").read_text())),
             full_build_nodes_at_rss_peak=nodes_running_at(
                 json.loads((dirs.target / "run_results.json").read_text()), timed.rss_peak_at))
    # 2. the floor
    log("floor")
    floor, _ = run_worker("floor", {"raw": str(base_raw), "temp_dir": str(dirs.temp)}, env)
    r.update(floor_s=floor["seconds"], floor_customers=floor["customers"],
             duckdb_settings_seen=floor["duckdb_settings_seen"])
    # 3. the compiled SQL without dbt
    log("compiled SQL without dbt")
    compiled, _ = run_worker("compiled", {"target": str(dirs.target), "dbt_warehouse": str(dirs.warehouse),
                                          "work": str(dirs.root / "compiled_sql"), "temp_dir": str(dirs.temp)}, env)
    r.update(compiled_sql_s=compiled["seconds"], compiled_sql_models_s=compiled["models_s"],
             project_sql_peer_figures_s=compiled["peer_equivalent_s"],
             compiled_sql_tests_s=compiled["tests_s"], compiled_sql_excluded=compiled["excluded"],
             compiled_sql_test_failures=compiled["test_failures"], compiled_sql_nodes=compiled["nodes"])
    # 4. the pandas peer
    log("pandas peer")
    peer, peer_timed = run_worker("peer", {"raw": str(base_raw)}, env)
    project = project_kpis(dirs.warehouse)
    r.update(peer_s=peer["seconds"], peer_max_rss_bytes=peer_timed.max_rss_bytes, peer_kpis=peer["kpis"],
             project_kpis=project,
             peer_matches_project=peer_matches(peer, project))
    log("polars peer")
    polars_peer, polars_timed = run_worker("polars_peer", {"raw": str(base_raw)}, env)
    r.update(polars_peer_s=polars_peer["seconds"], polars_peer_max_rss_bytes=polars_timed.max_rss_bytes,
             polars_peer_kpis=polars_peer["kpis"], polars_peer_matches_project=peer_matches(polars_peer, project))
    # 5. incremental build after one more day
    shutil.rmtree(dirs.before_day_copy.parent, ignore_errors=True)
    dirs.before_day_copy.parent.mkdir(parents=True)
    shutil.copyfile(dirs.warehouse, dirs.before_day_copy)
    link_raw(dirs.appended, dirs.raw)
    log("incremental dbt build (+1 day)")
    timed, inc_nodes = dbt_build(dirs)
    r.update(incremental_build_s=timed.seconds, incremental_max_rss_bytes=timed.max_rss_bytes,
             incremental_facts_s=facts_seconds(inc_nodes),
             **stage_breakdown(inc_nodes, json.loads((dirs.target / "manifest.json").read_text()), "incremental"))
    shutil.rmtree(dirs.incremental_copy.parent, ignore_errors=True)
    dirs.incremental_copy.parent.mkdir(parents=True)
    shutil.copyfile(dirs.warehouse, dirs.incremental_copy)
    # 6. full rebuild on the same data
    log("dbt build --full-refresh on the same data")
    timed, full_nodes = dbt_build(dirs, "--full-refresh")
    r.update(full_refresh_build_s=timed.seconds, full_refresh_facts_s=facts_seconds(full_nodes))
    comparison = facts_equal(dirs.incremental_copy, dirs.warehouse)
    r.update(incremental_equals_full=comparison["equal"], incremental_differing_rows=comparison["differing_rows"])
    manifest = json.loads((dirs.target / "manifest.json").read_text())
    tables, facts = split_fact_tables(sql_tables_to_compare(manifest))
    sql_comparison = tables_equal(dirs.incremental_copy, dirs.warehouse, tables)
    differing = {**sql_comparison["differing_rows"],  # the facts were compared above, exactly: not again
                 **{f"marts.{t}": comparison["differing_rows"][t] for _, t in facts}}
    r.update(incremental_sql_tables_equal_full=all(v == 0 for v in differing.values()),
             incremental_sql_tables_compared=len(differing),
             incremental_sql_tables_differing={k: v for k, v in differing.items() if v})
    shutil.rmtree(dirs.incremental_copy.parent, ignore_errors=True)
    # 7. the same incremental build again, from the warehouse of step 1 (A, B, A')
    log("incremental dbt build again (+1 day, from the warehouse of the full build)")
    shutil.copyfile(dirs.before_day_copy, dirs.warehouse)
    again, _ = dbt_build(dirs)
    r.update(incremental_again_build_s=again.seconds,
             incremental_mean_build_s=mean_of_present(r["incremental_build_s"], again.seconds))
    shutil.rmtree(dirs.before_day_copy.parent, ignore_errors=True)
    return r, nodes


def raw_row_counts(raw: Path) -> dict[str, int]:
    """Rows of each raw file."""
    con = connect()
    counts = {f"{p.stem}_raw_rows": con.execute(f"select count(*) from read_parquet('{p}')").fetchone()[0]
              for p in sorted(raw.glob("*.parquet"))}
    con.close()
    return counts


def bench_scale(orders: int, seed: int, rounds: int, work_dir: Path) -> dict[str, Any]:
    """All rounds of one scale, with its summary."""
    base_raw = ensure_data(orders, seed, work_dir / "data")
    dirs = ScaleDirs(work_dir / f"orders_{orders}")
    dirs.root.mkdir(parents=True, exist_ok=True)
    day = max(1, round(orders / DAYS_OF_HISTORY))
    log(f"{orders:,} orders: appending one day ({day:,} new orders) for the incremental run")
    shutil.rmtree(dirs.appended, ignore_errors=True)
    appended = append_day(base_raw, dirs.appended, new_orders=day, status_updates=max(1, day // 10),
                          late_orders=max(1, day // 100), new_customers=max(1, day // 20), seed=seed)
    env = dict(os.environ)
    # warm dbt's partial parsing once, so that every timed build starts from the same state
    link_raw(base_raw, dirs.raw)
    subprocess.run([dbt_executable(), "parse", "--target-path", str(dirs.target), "--log-path",
                    str(dirs.root / "logs")], env=dbt_env(dirs), cwd=PROJECT_DIR, capture_output=True, check=False)
    results, first_nodes = [], None
    for i in range(rounds):
        log(f"{orders:,} orders: round {i + 1} of {rounds}")
        r, nodes = bench_round(dirs, base_raw, env)
        results.append(r)
        first_nodes = first_nodes or nodes
        log(f"round {i + 1}: " + ", ".join(f"{k}={v:.2f}" for k, v in r.items() if isinstance(v, float)))
    scale = {"orders": orders, "seed": seed, **raw_row_counts(base_raw), "appended_day": appended,
             "summary": summarise_rounds(results), "rounds": results,
             "slowest_models": [asdict(n) for n in slowest(first_nodes or [], 10)],
             "node_times": [asdict(n) for n in first_nodes or []]}
    shutil.rmtree(dirs.warehouse.parent, ignore_errors=True)  # keep the disk for the next scale
    shutil.rmtree(dirs.temp, ignore_errors=True)
    return scale


def default_rounds(orders: int) -> int:
    """Three rounds for small scales (cheap, and noise matters most there), one from a million orders."""
    return 3 if orders < 1_000_000 else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m customer_intelligence.tools.bench",
                                     description="Benchmark the dbt project against a floor, its compiled SQL, "
                                                 "a pandas peer and its incremental build.")
    parser.add_argument("--orders", default=",".join(str(n) for n in DEFAULT_ORDERS),
                        help="comma-separated scales, e.g. 100000,1m,10m (default 100k, 1M and 10M)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="rounds per scale (default: 3 below 1M orders, else 1); medians are reported")
    parser.add_argument("--work-dir", default=os.environ.get("CIQ_BENCH_DIR", str(PROJECT_DIR / "bench" / "work")),
                        help="data, warehouses and dbt targets (default bench/work, or $CIQ_BENCH_DIR)")
    parser.add_argument("--results-dir", default=str(PROJECT_DIR / "bench" / "results"),
                        help="where the JSON result goes (default bench/results)")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "ARGS_JSON"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


WORKERS = {"floor": floor_worker, "compiled": compiled_sql_worker, "peer": peer_worker,
           "polars_peer": polars_peer_worker}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = parse_args(argv)
    if args.worker:
        kind, payload = args.worker
        result = WORKERS[kind](**json.loads(payload))
        print(RESULT_MARKER + json.dumps(result, default=str))
        return 0
    try:
        scales = parse_orders(args.orders)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    work_dir = Path(args.work_dir).resolve()
    settings = duckdb_settings()
    settings["temp_directory"] = str(work_dir / "orders_<N>" / "tmp")  # each scale spills into its own folder
    started = dt.datetime.now(dt.UTC)
    print("DuckDB settings (from the profile's environment variables): "
          + ", ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
    results = []
    for orders in scales:
        results.append(bench_scale(orders, args.seed, args.rounds or default_rounds(orders), work_dir))
    report = {"started_at": started.isoformat(timespec="seconds"),
              "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "machine": machine_info(), "duckdb_settings": settings, "scales": results}
    out = write_report(report, Path(args.results_dir), f"bench_{started:%Y%m%dT%H%M%SZ}")
    machine = report["machine"]
    print(f"\nMachine: {machine.get('cpus')} CPUs, {machine.get('memory_gib')} GiB, {machine.get('platform')}; "
          f"DuckDB {machine.get('duckdb')}, dbt-core {machine.get('dbt_core')}; {started:%Y-%m-%d}")
    print("DuckDB: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + "\n")
    print(format_table(results))
    for scale in results:
        print("\n" + format_slowest(scale))
    print(f"\nJSON: {out}")
    return 0


def summary_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without each scale's per-node timings (``node_times``; ``slowest_models`` stays)."""
    return {**report, "scales": [{k: v for k, v in scale.items() if k != "node_times"}
                                 for scale in report["scales"]]}


def write_report(report: dict[str, Any], results_dir: Path, stem: str) -> Path:
    """Write ``<stem>.json`` (the summary, committed) and ``<stem>.full.json.gz`` (every node's timings,
    git-ignored) under ``results_dir``; return the summary's path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{stem}.json"
    out.write_text(json.dumps(summary_report(report), indent=2, default=str) + "\n")
    with gzip.open(results_dir / f"{stem}.full.json.gz", "wt") as full:
        json.dump(report, full, default=str)
    return out


if __name__ == "__main__":
    sys.exit(main())
