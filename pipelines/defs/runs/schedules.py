"""Schedules, and the sensor that builds after a sync, all stopped until a user turns them on (in the
Dagster UI, or `dagster schedule start` / `dagster sensor start`). An hour's work needs both
`hourly_run` and `build_what_changed` on."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.exports.assets import ExportConfig
from pipelines.defs.runs.config import run_config
from pipelines.defs.runs.jobs import daily_export_job, hourly_build_job, load_postgres_job, sync_job
from pipelines.defs.runs.requests import FULL_REFRESH_TAG, hourly_build_request, hourly_sync_request
from pipelines.defs.transform.assets import TransformConfig


@dg.schedule(
    name="hourly_run",
    job=sync_job,
    cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def hourly_run_schedule() -> dg.RunRequest | dg.SkipReason:
    """The sync of every configured source, every hour at :07; `build_what_changed` follows it."""
    return hourly_sync_request()


@dg.run_status_sensor(
    name="build_what_changed",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[sync_job],
    request_job=hourly_build_job,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def build_what_changed(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    """After each successful sync (hourly or by hand): build, publish and export what it changed, or
    skip with the reason when it changed nothing."""
    full_refresh = context.dagster_run.tags.get(FULL_REFRESH_TAG) == "true"
    request = hourly_build_request(context.instance, full_refresh=full_refresh)
    if isinstance(request, dg.SkipReason):
        return request
    # One build per sync run, even if the sensor sees that run twice.
    return dg.RunRequest(run_key=context.dagster_run.run_id, run_config=request.run_config)


# Each morning: a build of every model with every data test (the hourly runs test only what changed),
# then a dated snapshot of the export, so teams can see what changed in the past (restatements).
daily_export_schedule = dg.ScheduleDefinition(
    name="daily_export",
    job=daily_export_job,
    cron_schedule="30 5 * * *",
    run_config=run_config(transform=TransformConfig(), export=ExportConfig(snapshot=True)),
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

# Only for teams that set INCIDENT_LAKE_POSTGRES_DSN: after the hourly run has finished its export.
postgres_load_schedule = dg.ScheduleDefinition(
    name="postgres_load",
    job=load_postgres_job,
    cron_schedule="37 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

SCHEDULES = [hourly_run_schedule, daily_export_schedule, postgres_load_schedule]
SENSORS = [build_what_changed]
