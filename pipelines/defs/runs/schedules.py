"""Schedules, stopped until a user turns them on (in the Dagster UI or with `dagster schedule start`)."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.exports.assets import ExportConfig
from pipelines.defs.ingest.assets import SyncConfig
from pipelines.defs.runs.config import run_config
from pipelines.defs.runs.jobs import daily_export_job, hourly_run_job, load_postgres_job
from pipelines.defs.runs.selections import hourly_run_keys
from pipelines.defs.transform.assets import TransformConfig
from pipelines.ingest.sources import NoSourceConfigured, configured_sources
from pipelines.settings import reload_settings


def hourly_run_request(*, full_refresh: bool = False) -> dg.RunRequest | dg.SkipReason:
    """The hourly run over the sources configured now; `incident-lake run` makes the same request.

    It builds only what changed (`TransformConfig.only_what_changed`): an hour in which no source
    changed skips the build, the snapshot and the export. `full_refresh` re-reads every source and
    rebuilds every model from scratch with every test."""
    sources = configured_sources(reload_settings())
    if not sources:
        return dg.SkipReason(str(NoSourceConfigured()))
    return dg.RunRequest(
        asset_selection=hourly_run_keys(sources),
        run_config=run_config(
            sync=SyncConfig(full_refresh=full_refresh),
            transform=TransformConfig(only_what_changed=not full_refresh, full_refresh=full_refresh),
            export=ExportConfig(),
        ),
    )


@dg.schedule(
    name="hourly_run",
    job=hourly_run_job,
    cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def hourly_run_schedule() -> dg.RunRequest | dg.SkipReason:
    """sync → build → publish → export, every hour at :07."""
    return hourly_run_request()


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
