"""The Dagster code location: every domain's definitions, and the resources they share."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.exports.assets import marts_files, marts_snapshot, postgres_warehouse
from pipelines.defs.exports.resources import postgres_resource
from pipelines.defs.ingest.assets import raw_sources
from pipelines.defs.ingest.checks import RAW_CHECKS
from pipelines.defs.ingest.resources import build_resources
from pipelines.defs.runs.jobs import JOBS
from pipelines.defs.runs.schedules import SCHEDULES, SENSORS
from pipelines.defs.transform.assets import incident_lake_dbt_models
from pipelines.defs.transform.resources import dbt_resource


def build_definitions() -> dg.Definitions:
    """Everything, with resources read from the environment as it is now (the CLI sets it first)."""
    return dg.Definitions(
        assets=[raw_sources, incident_lake_dbt_models, marts_snapshot, marts_files, postgres_warehouse],
        asset_checks=RAW_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={**build_resources(), "dbt": dbt_resource(), "postgres": postgres_resource()},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
