"""Run the dbt project from tests: each build in its own raw folder, warehouse and target path.

dbt runs as a subprocess of the venv's ``dbt`` so that every build reads its own environment
(raw folder, warehouse path) and releases the DuckDB file when it ends.

Parsing the project costs about 12 s of every build; dbt skips it when the saved parse in the target folder was
made with the same project files, profile connection settings, ``--vars`` and environment variables. So a build
whose warehouse is ``<dir>/warehouse.duckdb`` (and whose raw folder has a plain path) runs from a folder of its
own where ``wh`` links to ``<dir>`` and ``raw`` to the raw folder, with every path given relative (``wh/...``,
``raw``: the same in every build), and starts from one saved parse made that way. dbt still checks every file
and setting and parses again whatever differs (e.g. a build with ``--vars``), so the result is the same;
only CI time changes (issue 17 / 18: about 10 s of each of the suite's builds).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
# The warehouse file name and the paths, relative to a build's own folder, that every seeded build uses.
WAREHOUSE_NAME = "warehouse.duckdb"
RELATIVE_ENV = {"CIQ_WAREHOUSE_PATH": f"wh/{WAREHOUSE_NAME}", "CIQ_DUCKDB_TEMP_DIR": "wh/.tmp", "CIQ_RAW_DIR": "raw"}
# Raw folders with other characters keep their own path: tests of odd folder names must see it in SQL.
PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_PARSE_SEED: dict[str, Path] = {}


@dataclass(frozen=True)
class Build:
    """Where one build of the project put its outputs."""

    raw_dir: Path
    warehouse: Path
    target_dir: Path
    result: subprocess.CompletedProcess

    @property
    def ok(self) -> bool:
        return self.result.returncode == 0

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def query(self, sql: str):
        """Run a query against the built warehouse (read-only) and return a pandas frame."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()

    def scalar(self, sql: str):
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchone()[0]


def dbt_env(raw_dir: Path, warehouse: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a build runs with."""
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "CIQ_RAW_DIR": str(raw_dir),
            "CIQ_WAREHOUSE_PATH": str(warehouse),
            "CIQ_DUCKDB_TEMP_DIR": str(warehouse.parent / ".tmp"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra_env or {})
    return env


def parse_seed() -> Path | None:
    """This process's saved parse of the project with ``RELATIVE_ENV`` (made once; None if it fails)."""
    if "path" not in _PARSE_SEED:
        root = Path(tempfile.mkdtemp(prefix="ciq-parse-seed-"))
        (root / "wh").mkdir()
        env = dbt_env(root / "raw", root / "wh" / WAREHOUSE_NAME) | RELATIVE_ENV
        result = subprocess.run(
            [DBT, "parse", "--project-dir", str(PROJECT_DIR), "--target-path", str(root / "target"),
             "--log-path", str(root / "logs")],
            cwd=root, env=env, capture_output=True, text=True, timeout=600,
        )
        seed = root / "target" / "partial_parse.msgpack"
        _PARSE_SEED["path"] = seed if result.returncode == 0 and seed.exists() else None
    return _PARSE_SEED["path"]


def _seeded_run(cmd: list[str], workdir: Path, target_dir: Path, warehouse: Path, raw_dir: Path,
                env: dict[str, str]) -> tuple[list[str], Path, dict[str, str]] | None:
    """(command, folder, environment) to run ``cmd`` from the saved parse, or None when it does not apply
    (another warehouse file name, a raw folder path with other characters, or no seed)."""
    raw = raw_dir.resolve()
    if warehouse.name != WAREHOUSE_NAME or not PLAIN_PATH.fullmatch(str(raw)):
        return None
    seed = parse_seed()
    if seed is None:
        return None
    folder = workdir / ".run"
    folder.mkdir(parents=True, exist_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    for name, points_to in (("wh", warehouse.parent.resolve()), ("raw", raw)):
        link = folder / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(points_to, target_is_directory=True)
    target_dir.mkdir(parents=True, exist_ok=True)
    if not (target_dir / seed.name).exists():
        shutil.copy(seed, target_dir / seed.name)
    return [*cmd, "--project-dir", str(PROJECT_DIR)], folder, env | RELATIVE_ENV


def run_dbt(
    args: list[str],
    raw_dir: Path,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    warehouse: Path | None = None,
    reuse_parse: bool = True,
) -> Build:
    """Run ``dbt <args>`` on the project against ``raw_dir``; outputs go under ``workdir``.

    ``reuse_parse`` starts from the saved parse (see the module doc) unless the call names its own project
    (``--project-dir``) or paths; False runs with the absolute paths, for tests of messages that name them."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = warehouse or workdir / "warehouse.duckdb"
    target_dir = workdir / "target"
    cmd = [DBT, *args, "--target-path", str(target_dir), "--log-path", str(workdir / "logs")]
    env = dbt_env(raw_dir, warehouse, extra_env)
    cwd = PROJECT_DIR
    if reuse_parse and "--project-dir" not in args and not set(extra_env or {}) & set(RELATIVE_ENV):
        seeded = _seeded_run(cmd, workdir, target_dir, warehouse, raw_dir, env)
        if seeded is not None:
            cmd, cwd, env = seeded
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(raw_dir=raw_dir, warehouse=warehouse, target_dir=target_dir, result=result)
