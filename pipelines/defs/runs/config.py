"""Typed run config of the jobs: which op takes which `dg.Config`, derived from the asset definitions.

Op names are Dagster's (`exports__marts_files`); nothing else spells them: callers build a
`dg.RunConfig` here from typed configs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from pipelines.defs.ingest.assets import SyncConfig, raw_sources

if TYPE_CHECKING:  # imported where used: a sync's run config must not load dbt
    from pipelines.defs.exports.assets import ExportConfig, PostgresExportConfig
    from pipelines.defs.transform.assets import TransformConfig


def run_config(
    *,
    sync: SyncConfig | None = None,
    transform: TransformConfig | None = None,
    export: ExportConfig | None = None,
    postgres: PostgresExportConfig | None = None,
) -> dg.RunConfig:
    """A run config holding only the configs given (an op absent from the run takes no config)."""
    ops: dict[str, dg.Config] = {}
    if sync is not None:
        ops[raw_sources.op.name] = sync
    if transform is not None:
        from pipelines.defs.transform.assets import incident_lake_dbt_models

        ops[incident_lake_dbt_models.op.name] = transform
    if export is not None:
        from pipelines.defs.exports.assets import marts_files

        ops[marts_files.op.name] = export
    if postgres is not None:
        from pipelines.defs.exports.assets import postgres_warehouse

        ops[postgres_warehouse.op.name] = postgres
    return dg.RunConfig(ops=ops)
