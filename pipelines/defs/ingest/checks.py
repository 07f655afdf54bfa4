"""Checks on the raw tables that return their evidence: rejected records, freshness, and row counts
against the totals the APIs report.

Every check runs in one Dagster step (`raw_checks`, a subsettable multi-asset check) on one DuckDB
connection: a step per check cost each run two more events (step start and success, each a write to
the instance's storage) and a connection per check, most of a sync run that found nothing new. A run
that syncs some sources evaluates only the checks of their tables (`selected_asset_check_keys`).
"""

import json
from collections.abc import Iterator
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


NO_REJECTED_RECORDS = "no_rejected_records"
SYNCED_RECENTLY = "synced_recently"
MATCHES_API_TOTAL = "matches_api_total"
# Listings whose API reports a total (incident.io `total_record_count`, PagerDuty `total=true`).
TABLES_WITH_API_TOTALS = ("incidentio_incidents", "pagerduty_incidents", "pagerduty_log_entries")
NO_FRESHNESS_RULE = Freshness(None, None)


def _skipped_result(reason: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=True, severity=dg.AssetCheckSeverity.WARN, description=reason, metadata={"skipped": reason}
    )


def rejected_records_result(con: duckdb.DuckDBPyConnection, table: RawTable) -> dg.AssetCheckResult:
    """`no_rejected_records` of `table` (without its key): warns with the count and the 20 latest
    records the API sent that could not be keyed (`meta.rejected_records`); a skipped entity with none
    reports the skip."""
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


def freshness_result(
    con: duckdb.DuckDBPyConnection, table: RawTable, freshness: Freshness
) -> dg.AssetCheckResult:
    """`synced_recently` of `table` (without its key): its age (hours since it was loaded, by dbt's rule
    `freshness`) within both limits passes; past `warn_hours` it fails as a warning, past `error_hours`
    as an error. A skipped entity reports the skip: nothing new can arrive while the API refuses it.
    Raises `ValueError` as `loaded_at` does."""
    skipped = skipped_reason(con, table)
    rows = con.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchall()[0][0]
    last = loaded_at(con, table, freshness)
    if skipped is not None:
        return _skipped_result(skipped)
    age_hours = None if last is None else (datetime.now(UTC) - last).total_seconds() / 3600

    def within(limit: float | None) -> bool:
        return limit is None or (age_hours is not None and age_hours <= limit)

    return dg.AssetCheckResult(
        passed=within(freshness.warn_hours) and within(freshness.error_hours),
        severity=dg.AssetCheckSeverity.WARN if within(freshness.error_hours) else dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": int(rows),
            "last_loaded_at": str(last),
            "age_hours": float(age_hours or 0),
            "warn_after_hours": freshness.warn_hours,
            "error_after_hours": freshness.error_hours,
        },
    )


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


def api_total_result(con: duckdb.DuckDBPyConnection, table: RawTable) -> dg.AssetCheckResult:
    """`matches_api_total` of `table` (without its key): an error when the raw rows in the range the last
    sync listed differ from the API's total (`api_total_evidence`), a warning while no total is recorded."""
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


# Read once, when the definitions load: the specs' descriptions and the checks use the same rules.
FRESHNESS = source_freshness()


def _freshness_rule(table: RawTable) -> Freshness:
    return FRESHNESS.get(table.name, NO_FRESHNESS_RULE)


RAW_CHECK_SPECS = [
    *(
        dg.AssetCheckSpec(
            NO_REJECTED_RECORDS,
            asset=raw_asset_key(table.name),
            description="Records the API sent that could not be keyed (kept in meta.rejected_records).",
        )
        for table in RAW_TABLES
    ),
    *(
        dg.AssetCheckSpec(
            SYNCED_RECENTLY,
            asset=raw_asset_key(table.name),
            description=(
                f"The source was last read in full by a sync within {_freshness_rule(table).warn_hours} "
                f"hours (warn) and {_freshness_rule(table).error_hours} hours (error): the dbt source "
                "freshness of this table."
            ),
        )
        for table in RAW_TABLES
    ),
    *(
        dg.AssetCheckSpec(
            MATCHES_API_TOTAL,
            asset=raw_asset_key(name),
            description=(
                "The raw rows in the range the last sync listed equal the total the API reported for it: "
                "nothing lost, nothing duplicated."
            ),
        )
        for name in TABLES_WITH_API_TOTALS
    ),
]


def evaluate_raw_check(con: duckdb.DuckDBPyConnection, key: dg.AssetCheckKey) -> dg.AssetCheckResult:
    """The result of the raw check `key` (one of `RAW_CHECK_SPECS`, e.g. `raw/slack_users:synced_recently`),
    computed on `con` and carrying its key. Raises `KeyError` for a check of another name."""
    table = RAW_TABLES_BY_NAME[key.asset_key.path[-1]]
    if key.name == NO_REJECTED_RECORDS:
        result = rejected_records_result(con, table)
    elif key.name == SYNCED_RECENTLY:
        result = freshness_result(con, table, _freshness_rule(table))
    elif key.name == MATCHES_API_TOTAL:
        result = api_total_result(con, table)
    else:
        raise KeyError(f"no raw check named {key.name!r}")
    return result._replace(asset_key=key.asset_key, check_name=key.name)


@dg.multi_asset_check(
    specs=RAW_CHECK_SPECS,
    can_subset=True,
    name="raw_checks",
    description="The checks of the raw tables a run selected, on one connection.",
)
def raw_checks(
    context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource
) -> Iterator[dg.AssetCheckResult]:
    keys = sorted(context.selected_asset_check_keys, key=lambda key: key.to_user_string())
    with warehouse.get_connection() as con:
        results = [evaluate_raw_check(con, key) for key in keys]
    # Yielded once the connection is closed: Dagster writes each result's events as it is yielded.
    yield from results


RAW_CHECKS = [raw_checks]
