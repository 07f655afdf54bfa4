"""What leaves the warehouse: the published snapshot the dashboard reads, and the file export."""

from pathlib import Path

import dagster as dg

from pipelines.defs.exports.resources import DSN_VAR, PostgresResource
from pipelines.defs.keys import FILE_EXPORT_KEY, POSTGRES_KEY, SNAPSHOT_KEY
from pipelines.defs.transform.assets import mart_asset_keys
from pipelines.lib.progress import report
from pipelines.settings import DBT_PROJECT_DIR, get_settings


class ExportConfig(dg.Config):
    format: str = "parquet"
    dest: str | None = None
    include_message_text: bool = False
    # The HMAC key comes from INCIDENT_LAKE_HASH_KEY, never from run config (Dagster logs run config).
    hash_emails: bool = False
    # Also keep this export as DEST/snapshots/<UTC time>/ with its restatements (exports/snapshots.py).
    snapshot: bool = False


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=mart_asset_keys(),
    group_name="exports",
    kinds={"duckdb"},
    description="A copy of the marts, swapped in atomically: the dashboard reads it, not the warehouse.",
)
def marts_snapshot() -> dg.MaterializeResult:
    from exports.publish import publish_marts
    from pipelines.defs.transform.resources import dbt_project

    settings = get_settings()
    # The manifest of the project the dbt assets were built from: its docs become the snapshot's definitions.
    path = publish_marts(settings.warehouse_path, settings.published_path, dbt_project().manifest_path)
    report("published", path=str(path))
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


@dg.asset(
    key=FILE_EXPORT_KEY,
    deps=mart_asset_keys(),
    group_name="exports",
    kinds={"parquet", "csv"},
    description="Every mart as Parquet (large facts partitioned by month) or CSV, with manifest.json.",
)
def marts_files(config: ExportConfig) -> dg.MaterializeResult:
    from exports.files import export_marts

    settings = get_settings()
    dest = Path(config.dest).expanduser().resolve() if config.dest else settings.export_dir
    manifest = export_marts(
        settings.warehouse_path,
        dest,
        fmt=config.format,
        include_message_text=config.include_message_text,
        hash_emails=config.hash_emails,
        snapshot=config.snapshot,
        contracts_dir=DBT_PROJECT_DIR / "models" / "marts",
    )
    models = manifest.get("models", {})
    snapshot = manifest.get("snapshot") or {}
    restatements = snapshot.get("restatements") or {}
    report(
        "exported",
        dest=str(dest),
        models=len(models),
        snapshot=snapshot.get("id"),
        restated=restatements.get("row_count"),
        # Why nothing was compared (the first snapshot, a change of --hash-emails or its key), if so.
        not_compared=None if restatements.get("comparable") else restatements.get("reason"),
    )
    return dg.MaterializeResult(
        metadata={
            "dest": dg.MetadataValue.path(str(dest)),
            "format": config.format,
            "hash_emails": config.hash_emails,
            "snapshot": snapshot.get("id") or "",
            "models": len(models),
            "rows": sum(int(m.get("row_count", 0)) for m in models.values()),
        }
    )


def raw_asset_keys() -> list[dg.AssetKey]:
    from pipelines.warehouse.raw_tables import RAW_TABLES

    return [dg.AssetKey(["raw", t.name]) for t in RAW_TABLES]


class PostgresExportConfig(dg.Config):
    include_message_text: bool = False


@dg.asset(
    key=POSTGRES_KEY,
    deps=[*raw_asset_keys(), *mart_asset_keys()],
    # Not in group "exports": the daily export job must not need a Postgres DSN.
    group_name="postgres",
    kinds={"postgres"},
    description=(
        "The raw tables and the marts loaded into Postgres schemas `raw` and `marts`, in one "
        f"transaction with COPY (exports/postgres.py). The DSN comes from {DSN_VAR}, never from "
        "run config."
    ),
)
def postgres_warehouse(config: PostgresExportConfig, postgres: PostgresResource) -> dg.MaterializeResult:
    from exports.postgres import export_to_postgres

    summary = export_to_postgres(
        get_settings().warehouse_path,
        postgres.require_dsn(),
        include_message_text=config.include_message_text,
    )
    report("exported_postgres", target=summary.target, tables=len(summary.rows), rows=summary.total_rows)
    return dg.MaterializeResult(
        metadata={
            "target": summary.target,  # redacted: no password
            "tables": len(summary.rows),
            "rows": summary.total_rows,
            "seconds": round(summary.seconds, 1),
        }
    )
