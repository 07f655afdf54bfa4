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
    sensors = {
        s.name: {"jobs": sorted(j.name for j in s.jobs), "default_status": s.default_status.value}
        for s in sorted(defs.sensors or [], key=lambda s: s.name)
    }
    # dbt's tests are not Dagster checks (pipelines/defs/transform/assets.py): every check is a raw one.
    checks = sorted(key.to_user_string() for key in graph.asset_check_keys)
    return {
        "assets": {key.to_user_string(): graph.get(key).group_name for key in keys},
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "asset_checks": checks,
    }


def test_definitions_match_the_snapshot(snapshot: Any) -> None:
    assert _definitions_shape(build_definitions()) == snapshot


def test_the_hourly_build_never_needs_a_postgres_dsn() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    hourly = defs.resolve_job_def("hourly_build").asset_layer.selected_asset_keys
    assert dg.AssetKey(["exports", "postgres_warehouse"]) not in hourly
    assert {graph.get(k).group_name for k in hourly} == {"staging", "intermediate", "marts", "exports"}
    # The raw checks run in the build of an hour that changed something, not in its sync.
    checks = defs.resolve_job_def("hourly_build").asset_layer.asset_graph.asset_check_keys
    assert checks == graph.asset_check_keys and len(checks) > 60


@pytest.mark.parametrize("configured", [("incidentio",), ("incidentio", "pagerduty"), SOURCES])
def test_the_hourly_sync_holds_the_raw_tables_of_configured_sources_only(
    configured: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.defs.runs.requests import FULL_REFRESH_TAG, hourly_sync_request

    monkeypatch.setattr("pipelines.defs.runs.requests.configured_sources", lambda _settings: list(configured))
    request = hourly_sync_request()
    assert isinstance(request, dg.RunRequest)
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    raw = {k for k in defs.resolve_job_def("sync").asset_layer.selected_asset_keys}
    wanted = {k for k in raw if graph.get(k).group_name.removeprefix("raw_") in configured}
    assert set(request.asset_selection or []) == wanted
    assert request.run_config["ops"]["raw_sources"]["config"] == {"full_refresh": False}
    assert FULL_REFRESH_TAG not in request.tags
    assert request.asset_check_keys == []  # checked in the build after it
    full = hourly_sync_request(full_refresh=True)
    assert isinstance(full, dg.RunRequest)
    assert full.run_config["ops"]["raw_sources"]["config"] == {"full_refresh": True}
    assert full.tags[FULL_REFRESH_TAG] == "true"


def test_the_build_after_a_sync_follows_the_history_and_full_refresh_forces_it() -> None:
    from pipelines.defs.runs.requests import hourly_build_request

    dbt_op = "incident_lake_dbt_models"
    # An instance with no history: every model was never built here, so the build is requested.
    with dg.DagsterInstance.ephemeral() as instance:
        request = hourly_build_request(instance)
        assert isinstance(request, dg.RunRequest)
        assert request.run_config["ops"][dbt_op]["config"] == {
            "only_what_changed": True,
            "full_refresh": False,
        }
        full = hourly_build_request(instance, full_refresh=True)
    assert isinstance(full, dg.RunRequest)
    assert full.run_config["ops"][dbt_op]["config"] == {"only_what_changed": False, "full_refresh": True}


def test_the_sensor_follows_successful_syncs_and_passes_full_refresh_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines.defs.runs import schedules
    from pipelines.defs.runs.requests import FULL_REFRESH_TAG

    asked: list[bool] = []

    def fake_request(_instance: Any, *, full_refresh: bool = False) -> dg.SkipReason:
        asked.append(full_refresh)
        return dg.SkipReason("no raw table changed since the last build")

    monkeypatch.setattr(schedules, "hourly_build_request", fake_request)
    sensor = build_definitions().resolve_sensor_def("build_what_changed")
    assert sensor.job_name == "hourly_build"
    with dg.DagsterInstance.ephemeral() as instance:
        for tags in ({}, {FULL_REFRESH_TAG: "true"}):
            run = instance.create_run_for_job(
                build_definitions().resolve_job_def("sync"), tags=tags, status=dg.DagsterRunStatus.SUCCESS
            )
            context = dg.build_run_status_sensor_context(
                sensor_name="build_what_changed",
                dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name="sync"),
                dagster_instance=instance,
                dagster_run=run,
            )
            result = sensor(context)
            assert isinstance(result, dg.SkipReason)
    assert asked == [False, True]


def test_the_hourly_schedule_skips_with_a_reason_when_no_source_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipelines.defs.runs.requests.configured_sources", lambda _settings: [])
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("hourly_run")
    assert schedule.job_name == "sync"
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
        "hourly_build": selections.HOURLY_BUILD,
        "daily_export": selections.DAILY,
    }
    for name, selection in by_name.items():
        assert defs.resolve_job_def(name).asset_layer.selected_asset_keys == selection.resolve(graph), name
