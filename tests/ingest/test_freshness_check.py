"""The `synced_recently` check reads when a source was last read in full (`meta.sync_runs`), as dbt's
source freshness does: not `_synced_at`, which moves only when a row changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.checks import RAW_CHECKS, source_freshness
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

USERS = RAW_TABLES_BY_NAME["slack_users"]


def _check(warehouse) -> dg.AssetCheckResult:
    check = next(
        c
        for c in RAW_CHECKS
        for key in c.check_keys
        if key.asset_key.path[-1] == USERS.name and key.name == "synced_recently"
    )
    result = check(warehouse=DuckDBResource(database=str(warehouse)))
    assert isinstance(result, dg.AssetCheckResult)
    return result


def test_freshness_follows_the_last_successful_sync_of_the_source_not_the_rows(tmp_path):
    rule = source_freshness()[USERS.name]
    assert rule.loaded_at_query is not None and rule.error_hours is not None
    warehouse = tmp_path / "w.duckdb"
    con = connect_warehouse(warehouse)
    writer = RawWriter(con)
    # A row written just now, but the source's last full read is older than the error threshold.
    writer.upsert(USERS, [{"id": "U1", "_record": {}}])
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=rule.error_hours + 1)
    writer.record_run("slack", long_ago, long_ago, "ok", False, {})
    writer.record_run("slack", now, now, "failed", False, {})  # a failed sync reads nothing in full
    writer.record_run("zoom", now, now, "ok", False, {})  # another source's sync says nothing of Slack
    con.close()
    stale = _check(warehouse)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR
    con = connect_warehouse(warehouse)
    RawWriter(con).record_run("slack", now, now, "ok", False, {})
    con.close()
    fresh = _check(warehouse)
    assert fresh.passed, fresh.metadata
    assert fresh.metadata["age_hours"].value < 1
