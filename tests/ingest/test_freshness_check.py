"""The `synced_recently` check reads when a source was last read in full (`meta.sync_runs`), as dbt's
source freshness does: not `_synced_at`, which moves only when a row changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb

from pipelines.defs.ingest.assets import raw_asset_key
from pipelines.defs.ingest.checks import RAW_CHECK_SPECS, evaluate_raw_check, source_freshness
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

USERS = RAW_TABLES_BY_NAME["slack_users"]


KEY = dg.AssetCheckKey(raw_asset_key(USERS.name), "synced_recently")


def _check(warehouse) -> dg.AssetCheckResult:
    assert KEY in {spec.key for spec in RAW_CHECK_SPECS}
    with duckdb.connect(str(warehouse)) as con:
        result = evaluate_raw_check(con, KEY)
    assert (result.asset_key, result.check_name) == (KEY.asset_key, KEY.name)
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
