"""The asset selections every job, schedule and CLI command is built from, each defined once.

| selection | what it holds |
|---|---|
| `RAW` | the raw tables, one asset per API entity (`raw/<source>_<entity>`) |
| `TRANSFORM` | every dbt model (staging, intermediate, marts) and its tests |
| `PUBLISH` | the published snapshot of the marts that the dashboard reads |
| `FILE_EXPORT` | the marts written out as Parquet or CSV with their manifest |
| `POSTGRES_LOAD` | the raw tables and marts loaded into Postgres (needs a DSN) |

`BUILD` (`incident-lake build`) and `DAILY` (the daily export) rebuild every model with every data
test; `HOURLY_RUN` builds only what changed (pipelines/defs/transform/changes.py).

`HOURLY_RUN` is what the hourly schedule and `incident-lake run` both materialize, narrowed by
`hourly_run_keys` to the sources that have credentials. The Postgres load is not part of it: it needs a
DSN, and a schedule that fails whenever one is missing would fail every hour.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from pipelines.defs.ingest.assets import raw_source_group, raw_sources
from pipelines.defs.keys import FILE_EXPORT_KEY, POSTGRES_KEY, SNAPSHOT_KEY

# By key and kind rather than by assets definition: defining the jobs (and so `incident-lake sync`)
# then loads neither dagster-dbt nor the manifest. dagster-dbt gives every dbt node the kind "dbt";
# a selection takes the checks of the assets it selects (the dbt tests).
RAW = dg.AssetSelection.assets(raw_sources)
TRANSFORM = dg.AssetSelection.kind("dbt")
PUBLISH = dg.AssetSelection.assets(SNAPSHOT_KEY)
FILE_EXPORT = dg.AssetSelection.assets(FILE_EXPORT_KEY)
POSTGRES_LOAD = dg.AssetSelection.assets(POSTGRES_KEY)

HOURLY_RUN = RAW | TRANSFORM | PUBLISH | FILE_EXPORT
BUILD = TRANSFORM | PUBLISH
DAILY = TRANSFORM | PUBLISH | FILE_EXPORT


def raw_of(sources: Iterable[str]) -> dg.AssetSelection:
    """The raw assets of some sources only (`incident-lake sync --source slack`)."""
    return dg.AssetSelection.groups(*(raw_source_group(source) for source in sources))


def hourly_run_keys(sources: Iterable[str]) -> list[dg.AssetKey]:
    """The asset keys of `HOURLY_RUN` with only the raw tables of `sources` (the configured ones).

    A raw table of a source without credentials is left out of the run rather than left unmaterialized
    inside it: Dagster skips every asset downstream of an output that a step did not produce, so the
    dbt build would silently not run.
    """
    from pipelines.defs.transform.assets import incident_lake_dbt_models

    wanted = {raw_source_group(source) for source in sources}
    raw = [key for key in raw_sources.keys if raw_sources.group_names_by_key[key] in wanted]
    return [*raw, *incident_lake_dbt_models.keys, SNAPSHOT_KEY, FILE_EXPORT_KEY]
