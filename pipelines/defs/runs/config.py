"""Typed run config of the jobs: which op takes which `dg.Config`, derived from the asset definitions.

Op names are Dagster's (`exports__marts_files`); nothing else spells them: callers build a
`dg.RunConfig` here from typed configs.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.exports.assets import ExportConfig, PostgresExportConfig, marts_files, postgres_warehouse
from pipelines.defs.ingest.assets import SyncConfig, raw_sources


def run_config(
    *,
    sync: SyncConfig | None = None,
    export: ExportConfig | None = None,
    postgres: PostgresExportConfig | None = None,
) -> dg.RunConfig:
    """A run config holding only the configs given (an op absent from the run takes no config)."""
    ops: dict[str, dg.Config] = {}
    if sync is not None:
        ops[raw_sources.op.name] = sync
    if export is not None:
        ops[marts_files.op.name] = export
    if postgres is not None:
        ops[postgres_warehouse.op.name] = postgres
    return dg.RunConfig(ops=ops)
