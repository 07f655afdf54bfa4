"""`incident-lake run` builds only what changed (pipelines/defs/transform/changes.py), through the real CLI
over HTTP, starting from the session's shared warehouse and its Dagster history (`<warehouse>.dagster/`).

An hour with no change at the sources leaves the snapshot and the export untouched; an hour with change
rebuilds, leaves out the tests no change reaches, and the change reaches the marts. That the incremental
result equals a full rebuild is tests/e2e/test_incremental_equals_full.py's.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from e2e_support import clean_env, run_cli

from pipelines.sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("only_what_changed")]


def test_the_hourly_run_builds_only_what_changed(shared_warehouse, tmp_path) -> None:
    warehouse = shared_warehouse.copy_to(tmp_path)
    assert (tmp_path / "warehouse.dagster").is_dir(), "the first run kept its Dagster history"
    snapshot = tmp_path / "warehouse.published.duckdb"
    export_manifest = tmp_path / "exports" / "manifest.json"
    before = (snapshot.stat().st_mtime_ns, export_manifest.stat().st_mtime_ns)
    org = shared_warehouse.organisation()
    with SandboxServer(org) as server:
        env = {**clean_env(tmp_path), **server.env()}
        quiet = run_cli("run", env=env, cwd=tmp_path)
        assert quiet.returncode == 0, quiet.stderr[-3000:]
        assert "nothing changed at the sources" in quiet.stderr
        assert "dbt build:" not in quiet.stderr
        assert (snapshot.stat().st_mtime_ns, export_manifest.stat().st_mtime_ns) == before
        # The quiet hour was a sync run and nothing else: no build run was even created.
        assert _latest_jobs(tmp_path / "warehouse.dagster", 1) == ["sync"]

        change = org.mutate(1)
        busy = run_cli("run", env=env, cwd=tmp_path)
    assert busy.returncode == 0, busy.stderr[-3000:]
    assert "dbt build of what changed" in busy.stderr
    assert "nothing changed" not in busy.stderr
    assert snapshot.stat().st_mtime_ns > before[0] and export_manifest.stat().st_mtime_ns > before[1]
    assert _latest_jobs(tmp_path / "warehouse.dagster", 2) == ["hourly_build", "sync"]
    new_incidents = set(change["new_incidents"])
    assert new_incidents, change
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = {row[0] for row in con.execute("SELECT incident_id FROM marts.fct_incidents").fetchall()}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        published = {row[0] for row in con.execute("SELECT incident_id FROM marts.fct_incidents").fetchall()}
    assert new_incidents <= built and new_incidents <= published


def _latest_jobs(dagster_home: Path, count: int) -> list[str]:
    """The job names of the `count` newest runs in the CLI's Dagster history, newest first."""
    with dg.DagsterInstance.local_temp(str(dagster_home)) as instance:
        return [run.job_name for run in instance.get_runs(limit=count)]
