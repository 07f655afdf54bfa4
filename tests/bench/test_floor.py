"""The floor loads recorded pages into tables shaped like `raw.*`, with the same ids as the sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from bench.floor import HTTP_TABLES, SLACK_TABLES, SQL_SHAPES, PageRecorder, differences, load
from pipelines.connectors.incidentio import schedule_entry_id
from pipelines.connectors.zoom import zoom_meeting_id
from pipelines.warehouse.raw_tables import RAW_TABLES


def test_recorded_pages_load_with_the_syncs_ids_and_key_columns(tmp_path: Path) -> None:
    recorder = PageRecorder(tmp_path / "pages")
    recorder.write(
        "slack_messages",
        {"channel": "C1"},
        {
            "messages": [
                {"ts": "1700000000.000100", "text": "hi"},
                {"ts": "1700000001.000200", "thread_ts": "x"},
            ]
        },
    )
    recorder.write(  # the parent again, as conversations.replies returns it: one row
        "slack_messages", {"channel": "C1"}, {"messages": [{"ts": "1700000000.000100", "text": "hi"}]}
    )
    recorder.write("slack_channels", {"channel": "C1"}, {"ok": True, "channel": {"id": "C1", "created": 1}})
    recorder.write(
        "incidentio_incident_attachments",
        {"incident_id": "I1"},
        {"incident_attachments": [{"id": "A1", "resource": {}}]},
    )
    recorder.close()
    result = load(tmp_path / "pages", tmp_path / "floor.duckdb")
    assert result["rows"]["slack_messages"] == 2
    assert result["rows"]["slack_channels"] == 1
    with duckdb.connect(str(tmp_path / "floor.duckdb"), read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT id FROM raw.slack_messages").fetchall()}
        assert ids == {"C1:1700000000.000100", "C1:1700000001.000200"}
        assert con.execute("SELECT incident_id FROM raw.incidentio_incident_attachments").fetchall() == [
            ("I1",)
        ]


def test_every_raw_table_has_a_floor_shape_and_an_endpoint() -> None:
    """The floor loads every table the sync writes (else its time covers less work than ours)."""
    names = {t.name for t in RAW_TABLES}
    assert set(SQL_SHAPES) == names
    assert set(HTTP_TABLES.values()) | set(SLACK_TABLES.values()) == names


def test_the_dlt_peer_loads_every_raw_table() -> None:
    pytest.importorskip("dlt")
    from bench.dlt_pipeline import TABLES

    assert sorted(TABLES) == sorted(t.name for t in RAW_TABLES)


def test_second_wave_pages_load_with_the_connectors_ids_and_keys(tmp_path: Path) -> None:
    """Ids and key columns that the floor computes in SQL equal the connectors' Python rules."""
    day1, day2, day3 = "2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z"
    with_fingerprint = {"fingerprint": "fp1", "start_at": day1, "end_at": day2}
    without = {"start_at": day2, "end_at": day3, "user": {"id": "U2"}}  # keyed by start and user
    call_url = "https://zoom.us/j/82014704282?pwd=x"
    recorder = PageRecorder(tmp_path / "pages")
    recorder.write(
        "incidentio_schedule_entries",
        {"schedule_id": "S1"},
        {"schedule_entries": {"final": [with_fingerprint, without], "scheduled": [{"fingerprint": "no"}]}},
    )
    recorder.write(
        "incidentio_catalog_entries",
        {"catalog_type_id": "T1"},
        {"catalog_entries": [{"id": "E1"}, {"id": "E2", "catalog_type_id": "T2"}]},
    )
    recorder.write(
        "incidentio_incident_alerts",
        {},
        {"incident_alerts": [{"id": "IA1", "incident": {"id": "I1"}, "alert": {"id": "A1"}}]},
    )
    recorder.write(
        "incidentio_incidents",
        {},
        {
            "incidents": [
                {"id": "I1", "call_url": call_url},
                {"id": "I2", "call_url": "https://meet.example/x"},
            ]
        },
    )
    recorder.close()
    load(tmp_path / "pages", tmp_path / "floor.duckdb")
    with duckdb.connect(str(tmp_path / "floor.duckdb"), read_only=True) as con:

        def rows(columns: str, table: str) -> list[tuple[Any, ...]]:
            return con.execute(f"SELECT {columns} FROM raw.{table} ORDER BY id").fetchall()

        assert rows("id, schedule_id", "incidentio_schedule_entries") == sorted(
            [(schedule_entry_id("S1", with_fingerprint), "S1"), (schedule_entry_id("S1", without), "S1")]
        )
        assert rows("id, catalog_type_id", "incidentio_catalog_entries") == [("E1", "T1"), ("E2", "T2")]
        assert rows("id, incident_id, alert_id", "incidentio_incident_alerts") == [("IA1", "I1", "A1")]
        assert rows("id, zoom_meeting_id", "incidentio_incidents") == [
            ("I1", zoom_meeting_id(call_url)),
            ("I2", None),
        ]


def test_differences_names_the_tables_whose_rows_differ(tmp_path: Path) -> None:
    for name, team in (("ours", "P1"), ("floor", "P2")):
        recorder = PageRecorder(tmp_path / name)
        recorder.write("pagerduty_teams", {}, {"teams": [{"id": "P0"}, {"id": team}]})
        recorder.write("pagerduty_services", {}, {"services": [{"id": "S1"}]})
        recorder.close()
        load(tmp_path / name, tmp_path / f"{name}.duckdb")
    found = differences(tmp_path / "ours.duckdb", tmp_path / "floor.duckdb")
    assert found == {"pagerduty_teams": {"ours_rows": 2, "floor_rows": 2, "only_ours": 1, "only_floor": 1}}
    assert differences(tmp_path / "ours.duckdb", tmp_path / "ours.duckdb") == {}
