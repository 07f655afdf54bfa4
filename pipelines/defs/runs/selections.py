"""The asset selections every job, schedule and CLI command is built from, each defined once.

| selection | what it holds |
|---|---|
| `RAW` | the raw tables, one asset per API entity (`raw/<source>_<entity>`) |
| `TRANSFORM` | every dbt model (staging, intermediate, marts) and its tests |
| `PUBLISH` | the published snapshot of the marts that the dashboard reads |
| `FILE_EXPORT` | the marts written out as Parquet or CSV with their manifest |
| `POSTGRES_LOAD` | the raw tables and marts loaded into Postgres (needs a DSN) |

`BUILD` (`incident-lake build`) and `DAILY` (the daily export) rebuild every model with every data
test. An hour is two runs (pipelines/defs/runs/requests.py): `RAW` without its checks (the `sync` job,
narrowed to the sources that have credentials), then `HOURLY_BUILD` only when the sync changed
something, building only what changed (pipelines/defs/transform/changes.py) and checking the raw
tables. The Postgres load is in neither: it needs a
DSN, and a schedule that fails whenever one is missing would fail every hour.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from pipelines.defs.ingest.assets import raw_source_group, raw_sources
from pipelines.defs.keys import FILE_EXPORT_KEY, POSTGRES_KEY, SNAPSHOT_KEY

# By key and kind rather than by assets definition: defining the jobs (and so `incident-lake sync`)
# then loads neither dagster-dbt nor the manifest. dagster-dbt gives every dbt node the kind "dbt";
# a selection takes the checks of the assets it selects (the raw checks with the raw tables).
RAW = dg.AssetSelection.assets(raw_sources)
TRANSFORM = dg.AssetSelection.kind("dbt")
PUBLISH = dg.AssetSelection.assets(SNAPSHOT_KEY)
FILE_EXPORT = dg.AssetSelection.assets(FILE_EXPORT_KEY)
POSTGRES_LOAD = dg.AssetSelection.assets(POSTGRES_KEY)

# The raw tables' checks without the tables (a run that evaluates them on what is already synced).
RAW_CHECKS = dg.AssetSelection.checks_for_assets(raw_sources)

BUILD = TRANSFORM | PUBLISH
# The raw checks run where the data changed: with the build of an hour that changed something (an hour
# without change would find what the last one found), and each morning, when `synced_recently` says
# whether a source has stopped syncing. `incident-lake sync` runs them after its own sync.
HOURLY_BUILD = TRANSFORM | PUBLISH | FILE_EXPORT | RAW_CHECKS
DAILY = TRANSFORM | PUBLISH | FILE_EXPORT | RAW_CHECKS


def raw_of(sources: Iterable[str]) -> dg.AssetSelection:
    """The raw assets of some sources only (`incident-lake sync --source slack`)."""
    return dg.AssetSelection.groups(*(raw_source_group(source) for source in sources))
