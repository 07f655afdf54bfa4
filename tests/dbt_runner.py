"""`dbt build` of dbt_project/ for the tests, in a subprocess (dbt-duckdb keeps the database file open in
the process that ran it, so an in-process dbtRunner would lock the tests out of the warehouse), with its
target and logs in a test's own folder, never in dbt_project/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class DbtRun:
    returncode: int
    output: str
    results: dict[str, Any]  # run_results.json, or {"results": []} when dbt stopped before writing it


def dbt_build(workdir: Path, env: Mapping[str, str], *args: str, timeout: float = 600) -> DbtRun:
    """Run `dbt build [args]` with `env` added to this process's environment (e.g. INCIDENT_LAKE_DB)."""
    target = workdir / "target"
    command = [
        sys.executable, "-c", "from dbt.cli.main import cli; cli()", "build",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(workdir / "logs"), "--no-partial-parse",
        *args,
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, results)
