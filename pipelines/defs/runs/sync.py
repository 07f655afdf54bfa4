"""The definitions `incident-lake sync` runs: the raw assets, their checks and the `sync` job alone.

The full code location (pipelines/definitions.py) also holds the dbt assets, whose definition imports
dagster-dbt and dbt-core and reads the manifest: seconds and memory a sync never uses. The asset keys
and the job are the same objects as in the full location, so the runs and data versions a sync records
are those the hourly build compares.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.ingest.assets import raw_sources
from pipelines.defs.ingest.checks import RAW_CHECKS
from pipelines.defs.ingest.resources import build_resources
from pipelines.defs.runs.jobs import sync_job


def sync_definitions() -> dg.Definitions:
    """The raw assets, their checks and the `sync` job, with resources read from the environment now."""
    return dg.Definitions(
        assets=[raw_sources],
        asset_checks=RAW_CHECKS,
        jobs=[sync_job],
        resources=build_resources(),
        executor=dg.in_process_executor,
    )
