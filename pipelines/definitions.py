"""The Dagster code location: every domain's definitions, and the resources they share."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.exports.assets import marts_files, marts_snapshot, postgres_warehouse
from pipelines.defs.exports.schedules import daily_export_job, daily_export_schedule
from pipelines.defs.ingest.assets import raw_sources
from pipelines.defs.ingest.checks import RAW_CHECKS
from pipelines.defs.ingest.resources import build_resources
from pipelines.defs.ingest.schedules import hourly_run_schedule, run_everything_job
from pipelines.defs.transform.assets import incident_lake_dbt_models
from pipelines.defs.transform.resources import dbt_resource


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_sources, incident_lake_dbt_models, marts_snapshot, marts_files, postgres_warehouse],
        asset_checks=RAW_CHECKS,
        jobs=[run_everything_job, daily_export_job],
        schedules=[hourly_run_schedule, daily_export_schedule],
        resources={**build_resources(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
