"""The asset selections every job, schedule and CLI command is built from, each defined once.

| selection | what it holds |
|---|---|
| `RAW` | the raw tables, one asset per API entity (`raw/<source>_<entity>`) |
| `TRANSFORM` | every dbt model (staging, intermediate, marts) and its tests |
| `PUBLISH` | the published snapshot of the marts that the dashboard reads |
| `FILE_EXPORT` | the marts written out as Parquet or CSV with their manifest |
| `POSTGRES_LOAD` | the raw tables and marts loaded into Postgres (needs a DSN) |

`HOURLY_RUN` is what the hourly schedule and `incident-lake run` both materialize, narrowed by
`hourly_run_keys` to the sources that have credentials. The Postgres load is not part of it: it needs a
DSN, and a schedule that fails whenever one is missing would fail every hour.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from pipelines.defs.exports.assets import marts_files, marts_snapshot, postgres_warehouse
from pipelines.defs.ingest.assets import raw_source_group, raw_sources
from pipelines.defs.transform.assets import incident_lake_dbt_models

RAW = dg.AssetSelection.assets(raw_sources)
TRANSFORM = dg.AssetSelection.assets(incident_lake_dbt_models)
PUBLISH = dg.AssetSelection.assets(marts_snapshot)
FILE_EXPORT = dg.AssetSelection.assets(marts_files)
POSTGRES_LOAD = dg.AssetSelection.assets(postgres_warehouse)

HOURLY_RUN = RAW | TRANSFORM | PUBLISH | FILE_EXPORT
BUILD = TRANSFORM | PUBLISH


def raw_of(sources: Iterable[str]) -> dg.AssetSelection:
    """The raw assets of some sources only (`incident-lake sync --source slack`)."""
    return dg.AssetSelection.groups(*(raw_source_group(source) for source in sources))


def hourly_run_keys(sources: Iterable[str]) -> list[dg.AssetKey]:
    """The asset keys of `HOURLY_RUN` with only the raw tables of `sources` (the configured ones).

    A raw table of a source without credentials is left out of the run rather than left unmaterialized
    inside it: Dagster skips every asset downstream of an output that a step did not produce, so the
    dbt build would silently not run.
    """
    wanted = {raw_source_group(source) for source in sources}
    raw = [key for key in raw_sources.keys if raw_sources.group_names_by_key[key] in wanted]
    return [*raw, *incident_lake_dbt_models.keys, marts_snapshot.key, marts_files.key]
