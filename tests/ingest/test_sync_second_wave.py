"""Teams, the catalog, post-mortems and On-call against the sandbox over HTTP: incremental reads that
pick up changes, schedule entries paged and re-read over a short window, keys without Catalog or
post-mortem access and accounts without On-call (skipped, the rest synced), and a stopped listing that
keeps its cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest
from ingest_support import deleted_ids, expected_ids, settings_for, warehouse_ids

from pipelines.connectors.common import parse_time
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.sandbox.faults import FaultSpec
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

ONCALL_TABLES = (
    "incidentio_schedules",
    "incidentio_schedule_entries",
    "incidentio_escalations",
    "incidentio_alerts",
    "incidentio_incident_alerts",
)
TEAM_TABLES = (
    "incidentio_teams",
    "incidentio_catalog_types",
    "incidentio_catalog_entries",
    "incidentio_postmortem_documents",
    "pagerduty_teams",
)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)


def sync(env, warehouse, full_refresh=False, sources=("incidentio", "pagerduty"), **overrides):
    settings = settings_for(env, warehouse, **overrides)
    con = connect_warehouse(warehouse)
    try:
        return run_sync(list(sources), settings, RawWriter(con), full_refresh=full_refresh)
    finally:
        con.close()


def _query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _skipped(warehouse):
    rows = _query(warehouse, "SELECT source, entity, status_code, message FROM meta.skipped_entities")
    return {(s, e): (code, message) for s, e, code, message in rows}


def test_a_changed_escalation_is_read_again_and_the_second_sync_reads_only_what_changed(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("pipelines.connectors.incidentio.ONCALL_PAGE_SIZE", 10)  # several pages in `small`
    org = generate_organisation("small", seed=12)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org) as server:
        first = sync(server.env(), warehouse, full_refresh=True)
        changes = org.mutate()
        second = sync(server.env(), warehouse)
    escalation = changes["resolved_escalation"]
    assert escalation
    status, updated = _query(
        warehouse,
        "SELECT _record->>'$.status', updated_at FROM raw.incidentio_escalations WHERE id = ?",
        [escalation],
    )[0]
    assert status == "resolved"
    assert updated == parse_time(next(e for e in org.io_escalations if e["id"] == escalation)["updated_at"])
    assert second["incidentio"].tables["incidentio_escalations"].updated == 1
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    for table in ("incidentio_incidents", *ONCALL_TABLES, *TEAM_TABLES):
        assert actual[table] == expected[table], table
    one, two = first["incidentio"].stats.by_endpoint, second["incidentio"].stats.by_endpoint
    # Escalations and alerts: from their cursors, one page and the empty page after it.
    assert two["/v2/escalations"] == 2 < one["/v2/escalations"]
    assert two["/v2/alerts"] == 2 < one["/v2/alerts"]
    # Schedule entries: a week back and two ahead per schedule, not the whole year again.
    assert two["/v2/schedule_entries"] == len(org.io_schedules) < one["/v2/schedule_entries"]
    cursors = dict(
        _query(warehouse, "SELECT entity, cursor_value FROM meta.sync_cursors WHERE source = 'incidentio'")
    )
    assert datetime.fromisoformat(cursors["escalations"]) == updated
    assert {f"schedule_entries:{s['id']}" for s in org.io_schedules} <= set(cursors)


def test_schedule_entries_span_pages_and_an_override_replacing_a_shift_is_marked_deleted(tmp_path):
    org = generate_organisation("small", seed=13)
    warehouse = tmp_path / "w.duckdb"
    schedule_id, lists = max(org.io_schedule_entries.items(), key=lambda kv: len(kv[1].final))
    with SandboxServer(org) as server:
        first = sync(server.env(), warehouse, full_refresh=True, sources=("incidentio",))
        stored = {
            i for i in warehouse_ids(warehouse)["incidentio_schedule_entries"] if i.startswith(schedule_id)
        }
        # Over 100 final entries a page: this schedule's year took several pages, all of them landed.
        assert len(stored) > 300
        assert stored == {
            i for i in expected_ids(org)["incidentio_schedule_entries"] if i.startswith(schedule_id)
        }
        assert first["incidentio"].stats.by_endpoint["/v2/schedule_entries"] > len(org.io_schedules) + 3
        # An override hands a shift starting in three days to someone else (a new fingerprint), and an
        # entry of four months ago disappears: outside the window a sync re-reads, it stays as it was.
        now = datetime.now(UTC)
        future = next(e for e in lists.final if parse_time(e["start_at"]) > now + timedelta(days=3))
        past = next(e for e in lists.final if parse_time(e["start_at"]) > now - timedelta(days=120))
        override = {**future, "entry_id": "OVERRIDE1", "fingerprint": "override:1", "user": past["user"]}
        lists.final = sorted(
            [e for e in lists.final if e not in (future, past)] + [override],
            key=lambda e: (e["start_at"], e["entry_id"]),
        )
        sync(server.env(), warehouse, sources=("incidentio",))
    assert deleted_ids(warehouse).get("incidentio_schedule_entries") == {
        f"{schedule_id}:{future['fingerprint']}"
    }
    ids = warehouse_ids(warehouse)["incidentio_schedule_entries"]
    assert f"{schedule_id}:override:1" in ids
    assert f"{schedule_id}:{past['fingerprint']}" in ids  # older than the re-read window: kept


def test_a_key_without_catalog_or_postmortem_access_syncs_everything_else(tmp_path):
    org = generate_organisation("small", seed=14)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org, faults=FaultSpec.parse("profile=restricted_key")) as server:
        summaries = sync(server.env(), warehouse, full_refresh=True, sources=SOURCES)
        again = sync(server.env(), warehouse, sources=SOURCES)
    for run in (summaries, again):
        assert all(s.status == "ok" for s in run.values()), [s.line() for s in run.values()]
    skipped = _skipped(warehouse)
    for entity in ("catalog_types", "catalog_entries", "postmortem_documents"):
        code, message = skipped[("incidentio", entity)]
        assert code == 403 and "does not have the permissions" in message, message
    assert ("incidentio", "teams") not in skipped
    assert "catalog_entries" in (summaries["incidentio"].warning_line() or "")
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    for table in (
        "incidentio_incidents",
        "incidentio_teams",
        "pagerduty_teams",
        "pagerduty_incidents",
        *ONCALL_TABLES,
    ):
        assert actual[table] == expected[table], table
    for table in (
        "incidentio_catalog_types",
        "incidentio_catalog_entries",
        "incidentio_postmortem_documents",
    ):
        assert not actual[table], table
    cursors = {r[0] for r in _query(warehouse, "SELECT source || '.' || entity FROM meta.sync_cursors")}
    assert {
        "incidentio.incidents",
        "incidentio.escalations",
        "incidentio.alerts",
        "pagerduty.incidents",
    } <= cursors


def test_an_account_without_oncall_skips_it_once_and_the_checks_say_why(tmp_path):
    org = generate_organisation("small", seed=15)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org, faults=FaultSpec.parse("profile=no_oncall")) as server:
        summaries = sync(server.env(), warehouse, full_refresh=True)
    incidentio = summaries["incidentio"]
    assert incidentio.status == "ok" and summaries["pagerduty"].status == "ok", incidentio.line()
    assert set(incidentio.skipped) == {
        "schedules",
        "schedule_entries",
        "escalations",
        "alerts",
        "incident_alerts",
    }
    skipped = _skipped(warehouse)
    for table in ONCALL_TABLES:
        code, message = skipped[("incidentio", table.removeprefix("incidentio_"))]
        assert code == 404, (table, code)
        assert "feature" in message.lower(), message
    assert "schedules were skipped" in skipped[("incidentio", "schedule_entries")][1]
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    for table in ("incidentio_incidents", "pagerduty_oncalls", *TEAM_TABLES):
        if table == "pagerduty_oncalls":
            assert actual[table], table
            continue
        assert actual[table] == expected[table], table
    # The Dagster checks of a skipped table report the skip instead of failing on an empty table.
    from pipelines.defs.ingest.checks import evaluate_raw_check

    def check(table: str, name: str) -> dg.AssetCheckResult:
        with duckdb.connect(str(warehouse)) as con:
            return evaluate_raw_check(con, dg.AssetCheckKey(dg.AssetKey(["raw", table]), name))

    for name in ("synced_recently", "no_rejected_records"):
        result = check("incidentio_schedule_entries", name)
        assert result.passed and result.description.startswith("skipped: "), (name, result)
        assert "feature" in result.description.lower()
    fresh = check("incidentio_teams", "synced_recently")
    assert fresh.passed and not (fresh.description or "").startswith("skipped")


def test_a_stopped_escalations_listing_keeps_its_cursor_and_the_rest_lands(tmp_path, monkeypatch):
    # Pages of 10, and the sandbox hands back the first `after` forever.
    monkeypatch.setattr("pipelines.connectors.incidentio.ONCALL_PAGE_SIZE", 10)
    org = generate_organisation("small", seed=16)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org, faults=FaultSpec.parse("stuck=incidentio_escalations")) as server:
        summaries = sync(server.env(), warehouse, full_refresh=True, sources=("incidentio",))
    summary = summaries["incidentio"]
    assert summary.status == "incomplete", summary.line()
    assert any("/v2/escalations: listing stopped" in line for line in summary.stopped_listings)
    cursors = {
        r[0] for r in _query(warehouse, "SELECT entity FROM meta.sync_cursors WHERE source = 'incidentio'")
    }
    assert "escalations" not in cursors and {"alerts", "incidents"} <= cursors
    expected, actual = expected_ids(org), warehouse_ids(warehouse)
    assert 10 <= len(actual["incidentio_escalations"]) < len(expected["incidentio_escalations"])
    for table in ("incidentio_alerts", "incidentio_incident_alerts", "incidentio_schedule_entries"):
        assert actual[table] == expected[table], table


def test_catalog_types_in_use_are_the_fields_types_and_the_team_type():
    from pipelines.ingest.plans.incidentio import catalog_types_in_use

    fields = [{"id": "F1", "catalog_type_id": "SERVICE"}, {"id": "F2", "catalog_type_id": None}, {"id": "F3"}]
    types = [
        {"id": "TEAM", "is_team_type": True},
        {"id": "SERVICE", "is_team_type": False},
        {"id": "PRODUCT", "is_team_type": False},  # no field points at it: not read
    ]
    assert catalog_types_in_use(fields, types) == ["SERVICE", "TEAM"]
    assert catalog_types_in_use([], types) == ["TEAM"]  # the custom fields could not be read
    assert catalog_types_in_use(fields, []) == ["SERVICE"]  # the catalog types could not be read
