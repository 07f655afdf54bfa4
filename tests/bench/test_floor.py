"""The floor loads recorded pages into tables shaped like `raw.*`, with the same ids as the sync."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.floor import PageRecorder, load


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
