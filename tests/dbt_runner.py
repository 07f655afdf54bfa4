"""`dbt build` of dbt_project/ for the tests, in a subprocess (dbt-duckdb keeps the database file open in
the process that ran it, so an in-process dbtRunner would lock the tests out of the warehouse), with its
target and logs in a test's own folder, never in dbt_project/.

Parsing the whole project costs every build ≈10-15 s of CPU. dbt's own partial parse skips it: a build
whose target folder holds a `partial_parse.msgpack` re-parses only what changed since it was saved, and
dbt itself throws the state away (a full parse) when any project file, the `--vars`, the target, the
connection settings (the warehouse's path among them) or dbt's version differ. So the first build of a
session saves its state in the session's cache folder (PARSE_CACHE_VARIABLE, set by tests/conftest.py;
no cache without it), one file per `--vars`/`--target` pair, and every later build with the same pair
starts from a copy of it; dbt runs in the warehouse's folder, with the path relative to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The folder (shared by every xdist worker of one session) where builds leave their parse state.
PARSE_CACHE_VARIABLE = "INCIDENT_LAKE_TEST_DBT_PARSE_CACHE"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# The options whose values are part of dbt's parse-state check (the rest, e.g. --select, are not).
PARSE_STATE_OPTIONS = ("--vars", "--target")


@dataclass(frozen=True)
class DbtRun:
    returncode: int
    output: str
    results: dict[str, Any]  # run_results.json, or {"results": []} when dbt stopped before writing it


def _cached_parse_state(args: Sequence[str]) -> Path | None:
    """The session's cached `partial_parse.msgpack` for builds given `args` (it may not exist yet), or
    None without a cache folder. Keyed by the values of PARSE_STATE_OPTIONS only."""
    folder = os.environ.get(PARSE_CACHE_VARIABLE)
    if not folder:
        return None
    state = [(a, args[i + 1]) for i, a in enumerate(args[:-1]) if a in PARSE_STATE_OPTIONS]
    key = hashlib.sha256(json.dumps(state).encode()).hexdigest()[:16]
    return Path(folder) / f"{key}.msgpack"


def dbt_build(workdir: Path, env: Mapping[str, str], *args: str, timeout: float = 600) -> DbtRun:
    """Run `dbt build [args]` with `env` added to this process's environment (e.g. INCIDENT_LAKE_DB)."""
    return dbt_command("build", workdir, env, *args, timeout=timeout)


def dbt_command(
    command_name: str, workdir: Path, env: Mapping[str, str], *args: str, timeout: float = 600
) -> DbtRun:
    """Run `dbt <command_name> [args]` (e.g. `build`, `parse`) on dbt_project/, its target folder
    `workdir/target` and logs `workdir/logs`, starting from the session's cached parse state."""
    target = workdir / "target"
    cached = _cached_parse_state(args)
    if cached is not None and cached.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target / PARTIAL_PARSE_FILE)
    cwd, run_env = REPO_ROOT, dict(env)
    warehouse = env.get("INCIDENT_LAKE_DB")
    if warehouse and Path(warehouse).is_absolute():
        # dbt's parse state counts the connection settings, the warehouse path among them: run dbt in
        # the warehouse's folder with its bare name, so builds of `<folder>/warehouse.duckdb` share it.
        cwd, run_env["INCIDENT_LAKE_DB"] = Path(warehouse).parent, Path(warehouse).name
    command = [
        sys.executable, "-c", "from dbt.cli.main import cli; cli()", command_name,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(workdir / "logs"),
        *args,
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **run_env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    saved = target / PARTIAL_PARSE_FILE
    if cached is not None and not cached.exists() and saved.exists():
        # Atomically: a build in another worker reads the whole file or none.
        cached.parent.mkdir(parents=True, exist_ok=True)
        incoming = cached.with_suffix(f".{os.getpid()}")
        shutil.copyfile(saved, incoming)
        os.replace(incoming, cached)
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, results)
