"""The jobs, one per thing a user or a schedule runs, each built from the named selections.

The CLI runs these same jobs (`incident-lake sync` runs `sync`; `run` runs `sync`, then `hourly_build`
when the sync changed something, as the hourly schedule and its sensor do), so a command and its
schedule can never select different assets.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.runs import selections

sync_job = dg.define_asset_job(
    "sync", selection=selections.RAW, description="Pull the configured sources into raw.*."
)
build_job = dg.define_asset_job(
    "build",
    selection=selections.BUILD,
    description="dbt build (models and tests), then publish the dashboard snapshot.",
)
export_files_job = dg.define_asset_job(
    "export_files", selection=selections.FILE_EXPORT, description="Write the marts as Parquet or CSV."
)
load_postgres_job = dg.define_asset_job(
    "load_postgres",
    selection=selections.POSTGRES_LOAD,
    description="Load raw.* and marts.* into Postgres (INCIDENT_LAKE_POSTGRES_DSN).",
)
hourly_build_job = dg.define_asset_job(
    "hourly_build",
    selection=selections.HOURLY_BUILD,
    description=(
        "dbt build of what changed → publish → file export: requested after an hourly sync that "
        "changed something (sensor `build_what_changed`, `incident-lake run`)."
    ),
)
daily_export_job = dg.define_asset_job(
    "daily_export",
    selection=selections.DAILY,
    description=(
        "dbt build with every data test → publish → a dated export snapshot with the restatements "
        "since the previous one."
    ),
)

JOBS = [sync_job, build_job, export_files_job, load_postgres_job, hourly_build_job, daily_export_job]
