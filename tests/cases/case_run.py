"""The end-to-end run of the field cases (conftest.py builds it): serve the case organisation, sync it
twice with the real connectors, build the marts with dbt in a temporary folder. Kept out of conftest.py
so test modules import it by a name no other test folder uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from case_org import CaseTimes

from pipelines.ingest.loader import SourceSummary
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.settings import Settings
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# A stuck listing must end long before this (the case was seen looping > 1,000 requests in 90 s).
SYNC_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class CaseRun:
    """Both syncs and the dbt build of the case organisation."""

    times: CaseTimes
    warehouse: Path
    first_sync: dict[str, SourceSummary]
    second_sync: dict[str, SourceSummary]
    sync_seconds: tuple[float, float]
    dbt_returncode: int
    dbt_output: str
    dbt_results: dict[str, Any]

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of `sql` on the built warehouse, as dicts."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sync_all(env: dict[str, str], warehouse: Path) -> tuple[dict[str, SourceSummary], float]:
    """Sync every source into `warehouse` with the settings `env` names (the sandbox's variables).
    Returns the summary per source and the wall-clock seconds the sync took."""
    values: dict[str, Any] = {k.lower(): v for k, v in env.items()}
    settings = Settings(**values, incident_lake_db=warehouse, incident_lake_http_timeout=5.0)
    con = connect_warehouse(warehouse)
    started = time.monotonic()
    try:
        summaries = run_sync(list(SOURCES), settings, RawWriter(con))
    finally:
        con.close()
    return summaries, time.monotonic() - started


def dbt_build(workdir: Path, warehouse: Path) -> tuple[int, str, dict[str, Any]]:
    """`dbt build` in a subprocess (dbt-duckdb holds the file open in the process that ran it), with
    its target and logs in `workdir`, never in dbt_project/."""
    target = workdir / "target"
    env = {
        **os.environ,
        "INCIDENT_LAKE_DB": str(warehouse),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from dbt.cli.main import cli; cli()",
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(workdir / "logs"),
            "--no-partial-parse",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return completed.returncode, completed.stdout + completed.stderr, results
