"""The raw checks run as one Dagster step per run (a step per check cost a sync three events and a
DuckDB connection per check), and a run that syncs some sources evaluates only their tables' checks."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import dagster as dg
import pytest

from pipelines.defs.ingest.assets import SyncConfig
from pipelines.defs.ingest.checks import RAW_CHECK_SPECS
from pipelines.defs.runs.config import run_config
from pipelines.defs.runs.selections import raw_of
from pipelines.defs.runs.sync import sync_definitions
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.settings import reload_settings
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

ALL_CHECKS = {spec.key for spec in RAW_CHECK_SPECS}


@pytest.fixture(scope="module")
def sync_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dg.ExecuteInProcessResult]:
    """The `sync` job run as `incident-lake sync` runs it, on the small sandbox: every source, then
    Slack alone (`--source slack`). Their results by name ("every", "slack")."""
    tmp = tmp_path_factory.mktemp("raw_checks")
    with (
        SandboxServer(generate_organisation("small", seed=3)) as server,
        pytest.MonkeyPatch.context() as patch,
    ):
        for name in list(os.environ):  # no credential or setting of the developer's
            if name.startswith(
                ("INCIDENTIO_", "SLACK_", "ZOOM_", "PAGERDUTY_", "INCIDENT_LAKE_", "DAGSTER_")
            ):
                patch.delenv(name)
        for name, value in {**server.env(), "INCIDENT_LAKE_DB": str(tmp / "warehouse.duckdb")}.items():
            patch.setenv(name, value)
        patch.chdir(tmp)  # no .env of the repository
        reload_settings()
        try:
            defs = sync_definitions()
            job = defs.resolve_job_def("sync")
            config = run_config(sync=SyncConfig()).to_config_dict()
            slack_only = list(raw_of(["slack"]).resolve(defs.resolve_asset_graph()))
            with dg.DagsterInstance.ephemeral() as instance:
                return {
                    "every": job.execute_in_process(run_config=config, instance=instance),
                    "slack": job.execute_in_process(
                        run_config=config, instance=instance, asset_selection=slack_only
                    ),
                }
        finally:
            reload_settings()


def _steps(result: dg.ExecuteInProcessResult) -> Counter[str]:
    return Counter(e.step_key or "" for e in result.all_events if e.is_step_start)


def _evaluated(result: dg.ExecuteInProcessResult) -> list[Any]:
    return list(result.get_asset_check_evaluations())


def test_a_sync_evaluates_every_raw_check_in_one_step(
    sync_runs: dict[str, dg.ExecuteInProcessResult],
) -> None:
    result = sync_runs["every"]
    assert result.success
    assert _steps(result) == Counter({"raw_sources": 1, "raw_checks": 1})
    evaluations = _evaluated(result)
    assert Counter(e.asset_check_key for e in evaluations) == Counter(ALL_CHECKS)
    # A clean sync of the sandbox passes them all, each with its evidence.
    failed = [e.asset_check_key.to_user_string() for e in evaluations if not e.passed]
    assert not failed, failed
    by_key = {e.asset_check_key.to_user_string(): e for e in evaluations}
    totals = by_key["raw/pagerduty_incidents:matches_api_total"]
    assert totals.severity == dg.AssetCheckSeverity.ERROR
    assert totals.metadata["api_total"].value == totals.metadata["raw_rows"].value > 0
    assert by_key["raw/slack_users:synced_recently"].metadata["age_hours"].value < 1
    assert by_key["raw/zoom_users:no_rejected_records"].metadata["rejected"].value == 0


def test_a_sync_of_one_source_evaluates_only_its_checks(
    sync_runs: dict[str, dg.ExecuteInProcessResult],
) -> None:
    result = sync_runs["slack"]
    assert result.success
    assert _steps(result) == Counter({"raw_sources": 1, "raw_checks": 1})
    slack = {key for key in ALL_CHECKS if RAW_TABLES_BY_NAME[key.asset_key.path[-1]].source == "slack"}
    assert slack and slack < ALL_CHECKS
    assert Counter(e.asset_check_key for e in _evaluated(result)) == Counter(slack)
