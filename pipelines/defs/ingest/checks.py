"""Checks on the raw tables that return their evidence: rejected records, freshness, and row counts
against the totals the APIs report."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.assets import raw_asset_key
from pipelines.defs.transform.resources import manifest_path
from pipelines.warehouse.raw_tables import RAW_TABLES, RAW_TABLES_BY_NAME, RawTable

HOURS_PER_PERIOD = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


@dataclass(frozen=True)
class Freshness:
    """How long ago a raw table may have been loaded, in hours: past `warn_hours` the check warns, past
    `error_hours` it fails as an error. `None` means no limit. When it was loaded is what dbt's
    `loaded_at_query` (SQL returning one timestamp) or else `max(loaded_at_field)` says."""

    warn_hours: float | None
    error_hours: float | None
    loaded_at_query: str | None = None
    loaded_at_field: str | None = None


def source_freshness() -> dict[str, Freshness]:
    """The freshness of every raw table, by table name, as the dbt sources declare it.

    dbt's source YAML (`loaded_at_query`, `freshness:`) is the one home of the rule, so
    `dbt source freshness` and these Dagster checks always agree. The raw tables are loaded when their
    source's last successful sync ended (`meta.sync_runs`): `_synced_at` moves only when a row changes.
    """
    manifest = json.loads(manifest_path().read_text())
    rules: dict[str, Freshness] = {}
    for source in manifest.get("sources", {}).values():
        config = source.get("config") or {}
        freshness = source.get("freshness") or config.get("freshness") or {}
        rules[source["name"]] = Freshness(
            _hours(freshness.get("warn_after")),
            _hours(freshness.get("error_after")),
            source.get("loaded_at_query") or config.get("loaded_at_query"),
            source.get("loaded_at_field") or config.get("loaded_at_field"),
        )
    return rules


def loaded_at(con: duckdb.DuckDBPyConnection, table: RawTable, freshness: Freshness) -> datetime | None:
    """When `table` was last loaded by dbt's rule (`Freshness`), or None if never (or no rule).

    Raises `ValueError` for a `loaded_at_query` with Jinja in it: only dbt can render that, and the
    check must not silently disagree with `dbt source freshness`."""
    if freshness.loaded_at_query is not None:
        if "{{" in freshness.loaded_at_query or "{%" in freshness.loaded_at_query:
            raise ValueError(f"the loaded_at_query of {table.name} uses Jinja, which this check cannot run")
        sql = freshness.loaded_at_query
    elif freshness.loaded_at_field is not None:
        if freshness.loaded_at_field not in table.columns:  # never interpolate a name the table lacks
            raise ValueError(f"{table.name} has no column {freshness.loaded_at_field!r}")
        sql = f"SELECT max({freshness.loaded_at_field}) FROM {table.qualified_name}"
    else:
        return None
    found = con.execute(sql).fetchall()
    value = found[0][0] if found else None
    if value is not None and not isinstance(value, datetime):
        raise ValueError(f"the loaded-at rule of {table.name} returned {value!r}, not a timestamp")
    return value


def _hours(after: dict[str, Any] | None) -> float | None:
    if not after or after.get("count") is None or after.get("period") is None:
        return None
    return float(after["count"]) * HOURS_PER_PERIOD[after["period"]]


def skipped_reason(con: duckdb.DuckDBPyConnection, table: RawTable) -> str | None:
    """Why the last sync skipped this table's entity (the API's message, e.g. a 403 for a key without
    the permission), or None when it was read. An optional entity the key or account cannot read is
    not a failed sync (docs/sync.md, "Permissions"), so its checks report the skip instead of failing."""
    rows = con.execute(
        "SELECT message FROM meta.skipped_entities WHERE source = ? AND entity = ?",
        [table.source, table.entity],
    ).fetchall()
    return f"skipped: {rows[0][0]}" if rows else None


def _skipped_result(reason: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=True, severity=dg.AssetCheckSeverity.WARN, description=reason, metadata={"skipped": reason}
    )


def _rejected_records_check(table: RawTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table.name),
        name="no_rejected_records",
        description="Records the API sent that could not be keyed (kept in meta.rejected_records).",
    )
    def check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            skipped = skipped_reason(con, table)
            rows = con.execute(
                "SELECT endpoint, coalesce(record_id, '?'), reason FROM meta.rejected_records "
                "WHERE table_name = ? ORDER BY seen_at DESC LIMIT 20",
                [table.name],
            ).fetchall()
            total = con.execute(
                "SELECT count(*) FROM meta.rejected_records WHERE table_name = ?", [table.name]
            ).fetchall()[0][0]
        if skipped is not None and total == 0:
            return _skipped_result(skipped)
        return dg.AssetCheckResult(
            passed=total == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected": int(total), "latest": [f"{e} {i}: {r}" for e, i, r in rows]},
        )

    return check


def _freshness_check(table: RawTable, freshness: Freshness) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table.name),
        name="synced_recently",
        description=(
            f"The source was last read in full by a sync within {freshness.warn_hours} hours (warn) and "
            f"{freshness.error_hours} hours (error): the dbt source freshness of this table."
        ),
    )
    def check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            skipped = skipped_reason(con, table)
            rows = con.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchall()[0][0]
            last = loaded_at(con, table, freshness)
        if skipped is not None:  # nothing new can arrive while the API refuses it
            return _skipped_result(skipped)
        age_hours = None if last is None else (datetime.now(UTC) - last).total_seconds() / 3600

        def within(limit: float | None) -> bool:
            return limit is None or (age_hours is not None and age_hours <= limit)

        return dg.AssetCheckResult(
            passed=within(freshness.warn_hours) and within(freshness.error_hours),
            severity=dg.AssetCheckSeverity.WARN
            if within(freshness.error_hours)
            else dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows": int(rows),
                "last_loaded_at": str(last),
                "age_hours": float(age_hours or 0),
                "warn_after_hours": freshness.warn_hours,
                "error_after_hours": freshness.error_hours,
            },
        )

    return check


# Listings whose API reports a total (incident.io `total_record_count`, PagerDuty `total=true`).
TABLES_WITH_API_TOTALS = ("incidentio_incidents", "pagerduty_incidents", "pagerduty_log_entries")


def api_total_evidence(con: duckdb.DuckDBPyConnection, table: RawTable) -> dict[str, Any] | None:
    """The API's last reported total for `table` and the raw rows in the same range, or None if none yet."""
    found = con.execute(
        "SELECT column_name, since, until, api_total, seen_at FROM meta.api_totals WHERE table_name = ?",
        [table.name],
    ).fetchall()
    if not found:
        return None
    column, since, until, api_total, seen_at = found[0]
    where = "TRUE"
    if column is not None:
        if column not in table.columns:  # never interpolate a name the table does not have
            raise ValueError(f"meta.api_totals names an unknown column {column!r} of {table.name}")
        where = f"(?::TIMESTAMPTZ IS NULL OR {column} >= ?) AND (?::TIMESTAMPTZ IS NULL OR {column} < ?)"
    params = [since, since, until, until] if column is not None else []
    rows = con.execute(f"SELECT count(*) FROM {table.qualified_name} WHERE {where}", params).fetchall()[0][0]
    return {
        "api_total": int(api_total),
        "raw_rows": int(rows),
        "difference": int(rows) - int(api_total),
        "range": f"{column or 'all rows'} in [{since or '-inf'}, {until or '+inf'})",
        "api_total_seen_at": str(seen_at),
    }


def _api_total_check(table: RawTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table.name),
        name="matches_api_total",
        description=(
            "The raw rows in the range the last sync listed equal the total the API reported for it: "
            "nothing lost, nothing duplicated."
        ),
    )
    def check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            evidence = api_total_evidence(con, table)
        if evidence is None:
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"reason": "no API total recorded yet: run a sync of this source"},
            )
        return dg.AssetCheckResult(
            passed=evidence["difference"] == 0, severity=dg.AssetCheckSeverity.ERROR, metadata=evidence
        )

    return check


def _raw_checks() -> list[dg.AssetChecksDefinition]:
    freshness = source_freshness()
    no_rule = Freshness(None, None)
    return (
        [_rejected_records_check(table) for table in RAW_TABLES]
        + [_freshness_check(table, freshness.get(table.name, no_rule)) for table in RAW_TABLES]
        + [_api_total_check(RAW_TABLES_BY_NAME[name]) for name in TABLES_WITH_API_TOTALS]
    )


RAW_CHECKS = _raw_checks()
