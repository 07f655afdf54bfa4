"""The two run requests of an hour: the sync, then a build of what it changed (only when it changed).

The hourly schedule requests the sync (`hourly_sync_request`); when that run succeeds, the sensor
`build_what_changed` asks `hourly_build_request` whether the raw data versions moved since the models
were last built (pipelines/defs/transform/changes.py) and requests the build, snapshot and export only
then. `incident-lake run` makes the same two requests in the same order, in process.

An hour without changes is a sync run and nothing else: no build run is created, so Dagster records no
plan for the ~100 models and ~450 dbt tests it would not run (each planned asset and check is one event
written to the instance's storage; they were most of a no-change hour's cost).
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.ingest.assets import SyncConfig, raw_source_group, raw_sources
from pipelines.defs.runs.config import run_config
from pipelines.defs.transform.changes import plan_from_manifest
from pipelines.defs.transform.resources import manifest_path
from pipelines.ingest.sources import NoSourceConfigured, configured_sources
from pipelines.settings import reload_settings

# On the sync run of `run --full-refresh`: the build after it starts the incremental models over too.
FULL_REFRESH_TAG = "incident-lake/full_refresh"


def raw_keys_of(sources: list[str]) -> list[dg.AssetKey]:
    """The raw asset keys of `sources`. A source without credentials is left out of the run rather
    than left unmaterialized in it, so its tables keep their last data version."""
    wanted = {raw_source_group(source) for source in sources}
    return [key for key in raw_sources.keys if raw_sources.group_names_by_key[key] in wanted]


def hourly_sync_request(*, full_refresh: bool = False) -> dg.RunRequest | dg.SkipReason:
    """The `sync` run of an hour over the sources configured now (`SkipReason` when none is)."""
    sources = configured_sources(reload_settings())
    if not sources:
        return dg.SkipReason(str(NoSourceConfigured()))
    return dg.RunRequest(
        asset_selection=raw_keys_of(sources),
        # No checks: the build after it evaluates them, when something changed (selections.HOURLY_BUILD).
        asset_check_keys=[],
        run_config=run_config(sync=SyncConfig(full_refresh=full_refresh)),
        tags={FULL_REFRESH_TAG: "true"} if full_refresh else {},
    )


def hourly_build_request(
    instance: dg.DagsterInstance, *, full_refresh: bool = False
) -> dg.RunRequest | dg.SkipReason:
    """The `hourly_build` run after a sync, or a `SkipReason` saying why nothing needs building.

    `full_refresh` (a `run --full-refresh`) always builds everything with every test. Otherwise the
    decision is `plan_build`'s on the instance's history: a skip when no raw table changed since the
    models were built and the snapshot and export took that build; else a build of what changed (the
    dbt asset plans again inside the run, with the same rule, to choose the tests)."""
    if not full_refresh:
        # From the manifest: deciding to skip must not cost the import of dagster-dbt and dbt-core.
        plan = plan_from_manifest(instance, manifest_path())
        if plan.mode == "skip":
            return dg.SkipReason(plan.reason)
    from pipelines.defs.exports.assets import ExportConfig
    from pipelines.defs.transform.assets import TransformConfig

    transform = TransformConfig(only_what_changed=not full_refresh, full_refresh=full_refresh)
    return dg.RunRequest(run_config=run_config(transform=transform, export=ExportConfig()))
