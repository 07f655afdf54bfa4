"""Raw assets: one per API entity (`raw/<source>_<entity>`), grouped by source.

They are computed by one multi-asset so the four sources sync concurrently in one process: DuckDB
takes a single writer process, and the work is network-bound, so threads are the right tool.
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.resources import (
    IncidentioResource,
    PagerDutyResource,
    SlackResource,
    ZoomResource,
    api_clients,
    source_settings,
)
from pipelines.ingest.sources import SOURCES, source_status
from pipelines.ingest.sync import run_sync
from pipelines.lib.progress import report
from pipelines.warehouse.raw_tables import RAW_TABLES, RAW_TABLES_BY_NAME
from pipelines.warehouse.raw_writer import RawWriter

INCIDENTS_KEY = dg.AssetKey(["raw", "incidentio_incidents"])


def raw_asset_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table_name])


def raw_source_group(source: str) -> str:
    """The asset group of one source's raw tables (`raw_slack`)."""
    return f"raw_{source}"


RAW_SPECS = [
    dg.AssetSpec(
        key=raw_asset_key(table.name),
        group_name=raw_source_group(table.source),
        description=table.description,
        kinds={"duckdb", "python"},
        # Slack and Zoom read the incidents to know which channels and calls to fetch.
        deps=[INCIDENTS_KEY] if table.source in ("slack", "zoom") else [],
        skippable=True,
        metadata={"source": table.source, "primary_key": "id"},
    )
    for table in RAW_TABLES
]


class SyncConfig(dg.Config):
    full_refresh: bool = False


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="raw_sources")
def raw_sources(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    warehouse: DuckDBResource,
    incidentio: IncidentioResource,
    slack: SlackResource,
    zoom: ZoomResource,
    pagerduty: PagerDutyResource,
):
    settings = source_settings(incidentio, slack, zoom, pagerduty)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    wanted = [s for s in SOURCES if any(t.source == s and t.name in selected for t in RAW_TABLES)]
    runnable = []
    for source in wanted:
        status = source_status(settings, source)
        if status.configured:
            runnable.append(source)
        else:
            context.log.info(f"{source}: skipped, no credentials ({', '.join(status.missing)} not set)")
    Path(warehouse.database).parent.mkdir(parents=True, exist_ok=True)
    with warehouse.get_connection() as con:
        writer = RawWriter(con)
        summaries = run_sync(
            runnable,
            settings,
            writer,
            full_refresh=config.full_refresh,
            clients=api_clients(incidentio, slack, zoom, pagerduty),
            progress=lambda source, table, rows: report("rows", source=source, table=table, rows=rows),
        )
        for summary in summaries.values():
            context.log.info(summary.line())
            if warning := summary.warning_line():
                context.log.warning(warning)
            report("source_done", summary=summary)
            if summary.status != "ok":
                continue
            for table in (t for t in RAW_TABLES if t.source == summary.source and t.name in selected):
                counts = summary.tables.get(table.name)
                yield dg.MaterializeResult(
                    asset_key=raw_asset_key(table.name),
                    # Moves only when rows changed: the hourly dbt build compares it with what it last
                    # read (pipelines/defs/transform/changes.py).
                    data_version=dg.DataVersion(writer.data_version(RAW_TABLES_BY_NAME[table.name])),
                    metadata={
                        "dagster/row_count": writer.row_count(RAW_TABLES_BY_NAME[table.name]),
                        "new": counts.new if counts else 0,
                        "updated": counts.updated if counts else 0,
                        "requests": summary.stats.requests,
                        "seconds": round(summary.seconds, 2),
                    },
                )
    failed = [s for s in summaries.values() if s.status != "ok"]
    if failed:
        raise dg.Failure(
            description="; ".join(f"{s.source} sync {s.status}: {s.error}" for s in failed),
            allow_retries=False,
        )
