"""The hourly incremental run (sync → build → export), what `incident-lake run` does by hand."""

from __future__ import annotations

import dagster as dg

run_everything_job = dg.define_asset_job("incident_lake_run", selection=dg.AssetSelection.all())

hourly_run_schedule = dg.ScheduleDefinition(
    name="hourly_incremental_run",
    job=run_everything_job,
    cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
