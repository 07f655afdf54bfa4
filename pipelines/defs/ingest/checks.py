"""Checks on the raw tables that return their evidence: rejected records and freshness."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.assets import raw_asset_key
from pipelines.warehouse.raw_tables import RAW_TABLES, RawTable

FRESH_HOURS = 2  # the hourly schedule plus slack


def _rejected_records_check(table: RawTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table.name),
        name="no_rejected_records",
        description="Records the API sent that could not be keyed (kept in meta.rejected_records).",
    )
    def check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            rows = con.execute(
                "SELECT endpoint, coalesce(record_id, '?'), reason FROM meta.rejected_records "
                "WHERE table_name = ? ORDER BY seen_at DESC LIMIT 20",
                [table.name],
            ).fetchall()
            total = con.execute(
                "SELECT count(*) FROM meta.rejected_records WHERE table_name = ?", [table.name]
            ).fetchall()[0][0]
        return dg.AssetCheckResult(
            passed=total == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected": int(total), "latest": [f"{e} {i}: {r}" for e, i, r in rows]},
        )

    return check


def _freshness_check(table: RawTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table.name),
        name="synced_recently",
        description=f"The table was written by a sync within the last {FRESH_HOURS} hours.",
    )
    def check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            rows, last, age_hours = con.execute(
                f"SELECT count(*), max(_synced_at)::VARCHAR, "
                f"date_diff('second', max(_synced_at), now()) / 3600.0 FROM {table.qualified_name}"
            ).fetchall()[0]
        return dg.AssetCheckResult(
            passed=last is not None and age_hours <= FRESH_HOURS,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows": int(rows), "last_synced_at": str(last), "age_hours": float(age_hours or 0)},
        )

    return check


RAW_CHECKS = [make(table) for table in RAW_TABLES for make in (_rejected_records_check, _freshness_check)]
