"""Field faults over HTTP against the sandbox: listings that never end, a key without permissions,
deletions at the source across a `kill -9`, and SIGTERM during a sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from ingest_support import assert_warehouse_matches, deleted_ids, expected_ids, settings_for, warehouse_ids

from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.sandbox.faults import FaultSpec
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)


def sync(env, warehouse, full_refresh=False, sources=SOURCES, **overrides):
    settings = settings_for(env, warehouse, **overrides)
    con = connect_warehouse(warehouse)
    try:
        return run_sync(list(sources), settings, RawWriter(con), full_refresh=full_refresh)
    finally:
        con.close()


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_listings_whose_cursor_never_moves_stop_with_one_error_and_the_rest_completes(tmp_path, monkeypatch):
    # Small pages, so incident.io's updates (150 here), a channel's history and a call's participants
    # take several.
    monkeypatch.setattr("pipelines.connectors.incidentio.PAGE_SIZE", 25)
    monkeypatch.setattr("pipelines.connectors.zoom.PARTICIPANTS_PAGE_SIZE", 2)
    monkeypatch.setattr("pipelines.ingest.plans.slack._profile", lambda settings: {"history_limit": 15})
    org = generate_organisation("small", seed=5)
    warehouse = tmp_path / "w.duckdb"
    stuck = "stuck=incidentio_updates+slack_history+zoom_participants+pagerduty_log_entries"
    with SandboxServer(org, faults=FaultSpec.parse(stuck)) as server:
        started = time.monotonic()
        summaries = sync(server.env(), warehouse, full_refresh=True)
        seconds = time.monotonic() - started
        requests = server.stats.snapshot()["requests"]
    assert seconds < 120
    where = {
        "incidentio": "incidentio /v2/incident_updates: listing stopped",
        "slack": "slack conversations.history: listing stopped",
        "zoom": "zoom /past_meetings/{uuid}/participants: listing stopped",
        "pagerduty": "pagerduty /log_entries: listing stopped",
    }
    for source, text in where.items():
        summary = summaries[source]
        assert summary.status == "incomplete", summary.line()
        assert summary.stopped_listings and all(text in line for line in summary.stopped_listings), (
            summary.stopped_listings
        )
        assert text in summary.line()
    # Each stuck listing was asked for its repeated page once, not thousands of times.
    assert requests["pagerduty"]["/log_entries"] < 50, requests["pagerduty"]
    # What no stuck listing feeds is complete, and the core listings' cursors moved.
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    for table in ("incidentio_incidents", "incidentio_actions", "slack_channels", "pagerduty_incidents"):
        assert actual[table] == expected[table], table
    cursors = dict(_query(warehouse, "SELECT source || '.' || entity, cursor_value FROM meta.sync_cursors"))
    assert "incidentio.incidents" in cursors and "pagerduty.incidents" in cursors
    assert "pagerduty.log_entries" not in cursors  # an unfinished listing keeps its cursor
    runs = dict(_query(warehouse, "SELECT source, status FROM meta.sync_runs"))
    assert runs == {s: "incomplete" for s in SOURCES}


def test_a_stuck_window_of_pagerduty_incidents_keeps_what_every_window_read(tmp_path, monkeypatch):
    # Pages of 5 and the sandbox's stuck offset: every 30-day window hands back its first page forever.
    monkeypatch.setattr("pipelines.connectors.pagerduty.LIMIT", 5)
    org = generate_organisation("small", seed=5)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org, faults=FaultSpec.parse("stuck=pagerduty_incidents")) as server:
        summaries = sync(server.env(), warehouse, full_refresh=True, sources=("pagerduty",))
    summary = summaries["pagerduty"]
    assert summary.status == "incomplete", summary.line()
    assert any("pagerduty /incidents" in line and "time windows" in line for line in summary.stopped_listings)
    # Each window's first page is kept (no window cost the others): far more than one page of 5,
    # fewer than all, and nothing that the API does not hold.
    kept = warehouse_ids(warehouse)["pagerduty_incidents"]
    assert kept <= expected_ids(org)["pagerduty_incidents"]
    assert 5 * 6 <= len(kept) < len(org.pd_incidents)
    cursors = dict(_query(warehouse, "SELECT source || '.' || entity, cursor_value FROM meta.sync_cursors"))
    assert "pagerduty.incidents" not in cursors  # an unfinished listing keeps its cursor


def test_a_key_without_permissions_or_features_skips_those_entities_and_the_sync_succeeds(tmp_path):
    org = generate_organisation("small", seed=6)
    warehouse = tmp_path / "w.duckdb"
    refused = (
        "profile=restricted_key,no_permission=incidentio_custom_fields+slack_users+zoom_users+pagerduty_services,"
        "no_feature=incidentio_timestamps"
    )
    with SandboxServer(org, faults=FaultSpec.parse(refused)) as server:
        summaries = sync(server.env(), warehouse, full_refresh=True)
        again = sync(server.env(), warehouse)
    assert all(s.status == "ok" for s in summaries.values()), [s.line() for s in summaries.values()]
    assert all(s.status == "ok" for s in again.values()), [s.line() for s in again.values()]
    skipped = {
        (s, e): code
        for s, e, code in _query(warehouse, "SELECT source, entity, status_code FROM meta.skipped_entities")
    }
    assert skipped == {
        ("incidentio", "incident_attachments"): 403,
        ("incidentio", "actions"): 403,
        ("incidentio", "follow_ups"): 403,
        ("incidentio", "custom_fields"): 403,
        # Catalog and post-mortems (the restricted key has neither). Catalog entries are not asked
        # for at all: with custom fields and catalog types both refused, no catalog type is known.
        ("incidentio", "catalog_types"): 403,
        ("incidentio", "postmortem_documents"): 403,
        ("incidentio", "incident_timestamps"): 404,
        ("slack", "users"): 403,
        ("zoom", "users"): 403,
        ("pagerduty", "oncalls"): 403,
        ("pagerduty", "services"): 403,
    }
    assert set(summaries["pagerduty"].skipped) == {"oncalls", "services"}
    assert "skipped oncalls, services" in (summaries["pagerduty"].warning_line() or "")
    # Everything else is there, and every core listing's cursor moved.
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    for table in ("incidentio_incidents", "slack_messages", "pagerduty_incidents", "pagerduty_log_entries"):
        assert actual[table] == expected[table], table
    assert expected["zoom_participants"] <= actual["zoom_participants"]
    cursors = {r[0] for r in _query(warehouse, "SELECT source || '.' || entity FROM meta.sync_cursors")}
    assert {"incidentio.incidents", "pagerduty.incidents", "pagerduty.log_entries"} <= cursors


def test_deletions_at_the_source_are_marked_across_two_syncs_with_a_kill_9_between(tmp_path, monkeypatch):
    # Every old incident's attachments are re-read this sync (in production they take turns).
    monkeypatch.setattr("pipelines.ingest.plans.incidentio.ATTACHMENT_RECHECK_PER_SYNC", 1000)
    org = generate_organisation("small", seed=8)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org) as server:
        sync(server.env(), warehouse, full_refresh=True)
    assert not deleted_ids(warehouse)
    changes = org.mutate()
    gone = {
        "slack_messages": {
            ":".join(changes["deleted_message"]),
            f"{changes['deleted_reply'][0]}:{changes['deleted_reply'][2]}",
        },
        "incidentio_actions": {changes["deleted_action"]},
        "incidentio_follow_ups": {changes["deleted_follow_up"]},
        "incidentio_incident_attachments": {changes["deleted_attachment"][1]},
    }
    # The second sync is killed mid-way (paced by the documented budgets, time compressed 40x) ...
    with SandboxServer(org, faults=FaultSpec.parse("budget=1,speed=40,retry_after=0.1")) as server:
        env = {**os.environ, **server.env(), "INCIDENT_LAKE_DB": str(warehouse)}
        process = subprocess.Popen(
            [sys.executable, str(HERE / "sync_child.py")], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while server.stats.total("slack") < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert server.stats.total("slack") >= 30, "killed mid-way through Slack"
    # ... and the next one repeats the reads it did not commit, with their marks.
    with SandboxServer(org) as server:
        summaries = sync(server.env(), warehouse)
    assert all(s.status == "ok" for s in summaries.values()), [s.line() for s in summaries.values()]
    assert_warehouse_matches(org, warehouse)
    assert deleted_ids(warehouse) == gone
    # The evidence stays: each deleted row is still in raw, with its record.
    for table, ids in gone.items():
        for row_id in ids:
            assert _query(
                warehouse, f"SELECT count(*) FROM raw.{table} WHERE id = '{row_id}' AND _record IS NOT NULL"
            ) == [(1,)]


def test_sigterm_stops_a_sync_whose_apis_hang_within_10_s_with_one_line_and_a_rerun_completes(tmp_path):
    org = generate_organisation("small", seed=9)
    warehouse = tmp_path / "w.duckdb"
    # Every request is held 60 s (longer than the 30 s HTTP timeout): the sync can only wait.
    with SandboxServer(org, faults=FaultSpec.parse("timeout=1,delay=60")) as server:
        env = {**os.environ, **server.env(), "INCIDENT_LAKE_DB": str(warehouse)}
        process = subprocess.Popen(
            [sys.executable, str(HERE / "sync_child.py")], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while server.stats.total() < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        seconds = time.monotonic() - asked
    assert seconds < 10, seconds
    assert process.returncode == 143, (process.returncode, err)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sync stopped"), lines
    runs = dict(_query(warehouse, "SELECT source, status FROM meta.sync_runs"))
    assert runs == {s: "stopped" for s in SOURCES}
    with SandboxServer(org) as server:
        summaries = sync(server.env(), warehouse)
    assert all(s.status == "ok" for s in summaries.values()), [s.line() for s in summaries.values()]
    assert_warehouse_matches(org, warehouse)
