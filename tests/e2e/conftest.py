"""Shared end-to-end fixture: the whole pipeline on the small sandbox over HTTP, run twice: once through
the real CLI (`incident-lake run`: the session's shared warehouse, tests/conftest.py, built once for every
folder that reads it), then, on a copy of it, as the hourly schedule runs it (its run request executed in
process, as Dagster's daemon would). Tests compare the warehouse with the generator's own truth
(`tests.oracle.truth`). Mark end-to-end tests with `pytest.mark.xdist_group("e2e")` so one worker runs
the scheduled run once."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest
from e2e_support import SECRET_VARS, clean_env, raw_counts

from pipelines.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory, shared_warehouse):
    tmp = tmp_path_factory.mktemp("e2e")
    # The first run (the real CLI) is the shared warehouse's; the scheduled run writes to this copy.
    warehouse = shared_warehouse.copy_to(tmp)
    counts_after_first = raw_counts(warehouse)
    org = shared_warehouse.organisation()
    with SandboxServer(org) as server:
        env = {**clean_env(tmp), **server.env()}
        scheduled = run_hourly_schedule_in_process(env)
        # Each sandbox makes its own credentials: none of either run's may leak.
        secrets = [*shared_warehouse.secrets, *(server.env()[name] for name in SECRET_VARS)]
    # The marts' "as of the build" values (on-call hours) fall between these two instants.
    built_after, built_before = shared_warehouse.started_at, datetime.now(UTC)
    con = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    yield {
        "org": org,
        "con": con,
        "tmp": tmp,
        "outputs": shared_warehouse.output,
        "scheduled": scheduled,
        "secrets": secrets,
        "counts_after_first": counts_after_first,
        "built_between": (built_after, built_before),
    }
    con.close()


def run_hourly_schedule_in_process(env: dict[str, str]) -> dict[str, Any]:
    """Evaluate the `hourly_run` schedule, execute its sync, then the build the sensor
    `build_what_changed` requests after it, in this process, in `env`, on one instance."""
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.defs.runs.requests import hourly_build_request
    from pipelines.settings import reload_settings

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name not in env:
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        reload_settings()
        try:
            defs = build_definitions()
            instance = dg.DagsterInstance.ephemeral()
            with dg.build_schedule_context(instance=instance) as context:
                tick = defs.resolve_schedule_def("hourly_run").evaluate_tick(context)
            (request,) = tick.run_requests or []
            sync = defs.resolve_job_def("sync").execute_in_process(
                run_config=request.run_config,
                asset_selection=request.asset_selection,
                instance=instance,
                raise_on_error=False,
            )
            build = hourly_build_request(instance)
            assert isinstance(build, dg.RunRequest), build
            built = defs.resolve_job_def("hourly_build").execute_in_process(
                run_config=build.run_config, instance=instance, raise_on_error=False
            )
            selected = set(request.asset_selection or []) | set(
                defs.resolve_job_def("hourly_build").asset_layer.selected_asset_keys
            )
            events = [*sync.get_asset_materialization_events(), *built.get_asset_materialization_events()]
        finally:
            reload_settings()
    return {
        "success": sync.success and built.success,
        "selected": selected,
        "materialized": {e.asset_key for e in events},
    }
