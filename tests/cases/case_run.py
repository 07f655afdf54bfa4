"""The end-to-end run of the field cases (conftest.py builds it): serve the case organisation, sync it
twice with the real connectors, build the marts with dbt in a temporary folder. Kept out of conftest.py
so test modules import it by a name no other test folder uses."""

from __future__ import annotations

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
from tests.dbt_runner import dbt_build as run_dbt_build

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
    """`dbt build` on the case warehouse, with its target and logs in `workdir`."""
    run = run_dbt_build(workdir, {"INCIDENT_LAKE_DB": str(warehouse)})
    return run.returncode, run.output, run.results
