"""What leaves the warehouse: the published snapshot the dashboard reads, and the file export."""

from pathlib import Path

import dagster as dg

from pipelines.defs.transform.assets import mart_asset_keys
from pipelines.lib.progress import report
from pipelines.settings import get_settings


class ExportConfig(dg.Config):
    format: str = "parquet"
    dest: str | None = None
    include_message_text: bool = False


@dg.asset(
    key=["published", "marts_snapshot"],
    deps=mart_asset_keys(),
    group_name="exports",
    kinds={"duckdb"},
    description="A copy of the marts, swapped in atomically: the dashboard reads it, not the warehouse.",
)
def marts_snapshot() -> dg.MaterializeResult:
    from exports.publish import publish_marts

    settings = get_settings()
    path = publish_marts(settings.warehouse_path, settings.published_path)
    report("published", path=str(path))
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


@dg.asset(
    key=["exports", "marts_files"],
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
        settings.warehouse_path, dest, fmt=config.format, include_message_text=config.include_message_text
    )
    models = manifest.get("models", {})
    report("exported", dest=str(dest), models=len(models))
    return dg.MaterializeResult(
        metadata={
            "dest": dg.MetadataValue.path(str(dest)),
            "format": config.format,
            "models": len(models),
            "rows": sum(int(m.get("row_count", 0)) for m in models.values()),
        }
    )
