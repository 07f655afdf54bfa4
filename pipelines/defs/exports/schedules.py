"""A daily export for teams that load the files into their own warehouse every morning."""

from __future__ import annotations

import dagster as dg

daily_export_job = dg.define_asset_job("daily_export", selection=dg.AssetSelection.groups("exports"))

daily_export_schedule = dg.ScheduleDefinition(
    name="daily_export",
    job=daily_export_job,
    cron_schedule="30 5 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
