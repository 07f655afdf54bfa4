"""Writes follow change over the sandbox: a sync that re-reads identical records leaves every raw row and
every table's data version alone; a change at the source moves exactly the rows (and versions) it touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from ingest_support import settings_for

from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.warehouse.raw_tables import RAW_TABLES
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse, data_version

# Tables `mutate()` changes at the source (new, edited, resolved or deleted records).
MUTATED = (
    "incidentio_incidents",
    "incidentio_actions",
    "incidentio_follow_ups",
    "incidentio_incident_attachments",
    "slack_messages",
    "pagerduty_incidents",
    "pagerduty_log_entries",
    "pagerduty_services",  # a new page moves its service's `last_incident_timestamp`
)
# Tables `mutate()` leaves alone.
UNTOUCHED = ("incidentio_users", "incidentio_severities", "slack_users", "pagerduty_teams", "zoom_users")


def sync(env: dict[str, str], warehouse: Path, full_refresh: bool = False) -> dict[str, Any]:
    con = connect_warehouse(warehouse)
    try:
        settings = settings_for(env, warehouse)
        return run_sync(list(SOURCES), settings, RawWriter(con), full_refresh=full_refresh)
    finally:
        con.close()


def state(warehouse: Path) -> tuple[dict[str, str], dict[str, dict[str, tuple[Any, Any]]]]:
    """Every raw table's data version, and every row's (`_synced_at`, `_deleted_at`) by table and id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = {t.name: data_version(con, t) for t in RAW_TABLES}
        rows = {
            t.name: {
                r[0]: (r[1], r[2])
                for r in con.execute(f"SELECT id, _synced_at, _deleted_at FROM {t.qualified_name}").fetchall()
            }
            for t in RAW_TABLES
        }
    return versions, rows


def counts(summaries: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {
        table: (c.new, c.updated, c.deleted)
        for summary in summaries.values()
        for table, c in summary.tables.items()
    }


def written_since(
    before: dict[str, tuple[Any, Any]], after: dict[str, tuple[Any, Any]]
) -> tuple[int, int, int]:
    """(new rows, existing rows rewritten, rows newly marked deleted) between two states of a table."""
    new = len(after.keys() - before.keys())
    updated = sum(1 for i in before.keys() & after.keys() if after[i][0] != before[i][0])
    deleted = sum(1 for i in before.keys() & after.keys() if after[i][1] is not None and before[i][1] is None)
    return new, updated, deleted


def test_syncs_that_re_read_identical_records_change_no_row_and_no_data_version(tmp_path):
    org = generate_organisation("small", seed=21)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org) as server:
        first = sync(server.env(), warehouse, full_refresh=True)
        assert all(s.status == "ok" for s in first.values()), [s.line() for s in first.values()]
        versions, rows = state(warehouse)
        # A full refresh reads every record again; an incremental sync re-reads its look-back windows.
        for full_refresh in (True, False):
            again = sync(server.env(), warehouse, full_refresh=full_refresh)
            assert all(s.status == "ok" for s in again.values())
            assert state(warehouse) == (versions, rows), full_refresh
            assert {t: c for t, c in counts(again).items() if c != (0, 0, 0)} == {}, full_refresh
    assert all(rows[t] for t in MUTATED + UNTOUCHED), "the sandbox filled the tables compared"


def test_changes_move_their_rows_and_versions_and_a_returning_row_is_resurrected(tmp_path):
    org = generate_organisation("small", seed=22)
    warehouse = tmp_path / "w.duckdb"
    actions = {a["id"]: a for a in org.io_actions}
    with SandboxServer(org) as server:
        sync(server.env(), warehouse, full_refresh=True)
        versions, rows = state(warehouse)
        changes = org.mutate()
        second = sync(server.env(), warehouse)
        versions_2, rows_2 = state(warehouse)
        # The action deleted at the source comes back (an undo in incident.io).
        gone = changes["deleted_action"]
        with org.lock:
            org.io_actions = [*org.io_actions, actions[gone]]
            org.version += 1
        third = sync(server.env(), warehouse)
        versions_3, rows_3 = state(warehouse)
    for table in MUTATED:
        assert versions_2[table] != versions[table], table
    for table in UNTOUCHED:
        assert versions_2[table] == versions[table], table
        assert rows_2[table] == rows[table], table
    # The counts of each sync are exactly the rows it wrote and marked.
    for summaries, before, after in ((second, rows, rows_2), (third, rows_2, rows_3)):
        reported = counts(summaries)
        for table in rows:
            assert reported.get(table, (0, 0, 0)) == written_since(before[table], after[table]), table
    assert rows_2["incidentio_actions"][gone][1] is not None, "the deletion was noticed"
    synced_at, deleted_at = rows_3["incidentio_actions"][gone]
    assert deleted_at is None and synced_at > rows_2["incidentio_actions"][gone][0]
    assert counts(third)["incidentio_actions"] == (0, 1, 0)
    assert versions_3["incidentio_actions"] != versions_2["incidentio_actions"]
