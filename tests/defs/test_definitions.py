"""The shape of the Dagster definitions, snapshotted so a refactor that moves, renames or drops an asset,
a job's selection or a schedule shows up in review (`pytest tests/defs --snapshot-update` to accept)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.ingest.sources import SOURCES


def _definitions_shape(defs: dg.Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    jobs = {}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):  # Dagster's implicit job of every asset
            continue
        selected = job.asset_layer.selected_asset_keys
        jobs[job.name] = dict(sorted(Counter(graph.get(k).group_name for k in selected).items()))
    schedules = {
        s.name: {"cron": s.cron_schedule, "job": s.job_name, "default_status": s.default_status.value}
        for s in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    # dbt's own tests become asset checks too; they are dbt's to list, these are ours.
    checks = sorted(key.to_user_string() for key in graph.asset_check_keys if key.asset_key.path[0] == "raw")
    return {
        "assets": {key.to_user_string(): graph.get(key).group_name for key in keys},
        "jobs": jobs,
        "schedules": schedules,
        "asset_checks": checks,
    }


def test_definitions_match_the_snapshot(snapshot: Any) -> None:
    assert _definitions_shape(build_definitions()) == snapshot


def test_the_hourly_run_never_needs_a_postgres_dsn() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    hourly = defs.resolve_job_def("hourly_run").asset_layer.selected_asset_keys
    assert dg.AssetKey(["exports", "postgres_warehouse"]) not in hourly
    assert {graph.get(k).group_name for k in hourly} >= {"staging", "intermediate", "marts", "exports"}


@pytest.mark.parametrize("configured", [("incidentio",), ("incidentio", "pagerduty"), SOURCES])
def test_the_hourly_request_holds_the_raw_tables_of_configured_sources_only(
    configured: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.defs.runs.schedules import hourly_run_request

    monkeypatch.setattr(
        "pipelines.defs.runs.schedules.configured_sources", lambda _settings: list(configured)
    )
    request = hourly_run_request()
    assert isinstance(request, dg.RunRequest)
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    groups = Counter(graph.get(key).group_name for key in request.asset_selection or [])
    assert {g for g in groups if g.startswith("raw_")} == {f"raw_{s}" for s in configured}
    # Everything downstream of raw is in every request: a partial set of sources still builds the marts.
    expected = set(defs.resolve_job_def("hourly_run").asset_layer.selected_asset_keys)
    raw_left_out = {k for k in expected if graph.get(k).group_name.removeprefix("raw_") not in configured}
    assert set(request.asset_selection or []) == expected - {
        k for k in raw_left_out if graph.get(k).group_name.startswith("raw_")
    }
    assert request.run_config["ops"]["raw_sources"]["config"] == {"full_refresh": False}
    # The hourly build does only what changed; `--full-refresh` rebuilds everything with every test.
    dbt_op = "incident_lake_dbt_models"
    assert request.run_config["ops"][dbt_op]["config"] == {"only_what_changed": True, "full_refresh": False}
    full = hourly_run_request(full_refresh=True)
    assert isinstance(full, dg.RunRequest)
    assert full.run_config["ops"][dbt_op]["config"] == {"only_what_changed": False, "full_refresh": True}


def test_the_hourly_schedule_skips_with_a_reason_when_no_source_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipelines.defs.runs.schedules.configured_sources", lambda _settings: [])
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("hourly_run")
    with dg.build_schedule_context() as context:
        result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert "no source is configured" in (result.skip_message or "")


def test_every_job_builds_from_a_named_selection() -> None:
    from pipelines.defs.runs import selections

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    by_name = {
        "sync": selections.RAW,
        "build": selections.BUILD,
        "export_files": selections.FILE_EXPORT,
        "load_postgres": selections.POSTGRES_LOAD,
        "hourly_run": selections.HOURLY_RUN,
        "daily_export": selections.DAILY,
    }
    for name, selection in by_name.items():
        assert defs.resolve_job_def(name).asset_layer.selected_asset_keys == selection.resolve(graph), name
