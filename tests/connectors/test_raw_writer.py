"""Upserts by primary key, rejected records kept, cursors stored in the warehouse."""

from __future__ import annotations

from pipelines.connectors.common import shape_records
from pipelines.connectors.zoom import encode_meeting_uuid
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

INCIDENTS = RAW_TABLES_BY_NAME["incidentio_incidents"]


def test_upsert_replaces_by_id_and_counts_new_and_updated(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    first = writer.upsert(INCIDENTS, [{"id": "a", "updated_at": "2024-01-01T00:00:00Z", "_record": {"v": 1}}])
    second = writer.upsert(
        INCIDENTS,
        [
            {"id": "a", "updated_at": "2024-01-02T00:00:00Z", "_record": {"v": 2}},
            {"id": "b", "updated_at": None, "_record": {"v": 3, "unknown_field": ["kept"]}},
            {"id": "b", "updated_at": None, "_record": {"v": 4}},  # the same record twice in a batch
        ],
    )
    assert (first.new, first.updated) == (1, 0)
    assert (second.new, second.updated) == (1, 1)
    third = writer.upsert(INCIDENTS, [{"id": "a", "updated_at": "2024-01-02T00:00:00Z", "_record": {"v": 2}}])
    assert (third.new, third.updated) == (0, 0)  # re-read, unchanged
    rows = writer.query("SELECT id, _record->>'$.v' FROM raw.incidentio_incidents ORDER BY id")
    assert rows == [("a", "2"), ("b", "4")]


def test_records_without_an_id_are_rejected_with_their_payload(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    batch = shape_records(INCIDENTS, [{"id": "x"}, {"name": "no id"}, "junk"], "/v2/incidents", lambda r: {})
    assert [r["id"] for r in batch.rows] == ["x"]
    assert len(batch.rejected) == 2
    for endpoint, record_id, reason, payload in batch.rejected:
        writer.reject(INCIDENTS, endpoint, record_id, reason, payload)
    rows = writer.query("SELECT table_name, endpoint, reason FROM meta.rejected_records ORDER BY reason")
    assert rows == [
        ("incidentio_incidents", "/v2/incidents", "record has no id"),
        ("incidentio_incidents", "/v2/incidents", "record is not a JSON object"),
    ]


def test_cursors_round_trip_and_clear(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    assert writer.get_cursor("incidentio", "incidents") is None
    writer.set_cursor("incidentio", "incidents", "2024-05-01T00:00:00+00:00")
    assert writer.get_cursor("incidentio", "incidents") == "2024-05-01T00:00:00+00:00"
    writer.clear_cursors("incidentio")
    assert writer.get_cursor("incidentio", "incidents") is None


def test_zoom_uuids_with_slashes_are_encoded_twice():
    assert encode_meeting_uuid("/abc==") == "%252Fabc%253D%253D"
    assert encode_meeting_uuid("ab//c==") == "ab%252F%252Fc%253D%253D"
    assert encode_meeting_uuid("aDYlohsHRtCd4ii1uC2+hA==") == "aDYlohsHRtCd4ii1uC2%2BhA%3D%3D"


def test_background_writes_from_many_threads_land_in_order_with_their_counts(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from pipelines.warehouse.raw_writer import UpsertCounts

    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    first, second = UpsertCounts(), UpsertCounts()
    with writer.in_background():

        def put(i: int) -> None:
            writer.submit(INCIDENTS, [{"id": f"i{i}", "updated_at": None, "_record": {"v": i}}], first)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(put, range(300)))
        writer.set_cursor("incidentio", "incidents", "after-300")
        # A read waits for everything queued before it.
        assert writer.row_count(INCIDENTS) == 300
        assert writer.get_cursor("incidentio", "incidents") == "after-300"
        writer.submit(
            INCIDENTS,
            [
                {"id": "i0", "updated_at": None, "_record": {"v": 0}},  # unchanged
                {"id": "i1", "updated_at": None, "_record": {"v": "changed"}},
                {"id": "new", "updated_at": None, "_record": {}},
            ],
            second,
        )
    assert (first.new, first.updated) == (300, 0)
    assert (second.new, second.updated) == (1, 1)
    assert writer.query("SELECT _record->>'$.v' FROM raw.incidentio_incidents WHERE id = 'i1'") == [
        ("changed",)
    ]


def test_a_failed_background_write_fails_the_sync_and_no_cursor_gets_ahead_of_its_rows(tmp_path):
    import pytest

    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="writing to the warehouse failed"), writer.in_background():
        writer.submit(INCIDENTS, [{"id": "bad", "updated_at": "not a time", "_record": {}}])
        writer.set_cursor("incidentio", "incidents", "past-the-bad-rows")
    assert writer.row_count(INCIDENTS) == 0
    assert writer.get_cursor("incidentio", "incidents") is None


def test_batches_with_empty_or_differently_typed_key_columns_share_one_transaction(tmp_path):
    from datetime import UTC, datetime

    messages = RAW_TABLES_BY_NAME["slack_messages"]
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    posted = datetime(2024, 5, 1, tzinfo=UTC)
    row = {"channel_id": "C1", "ts": "1.1", "posted_at": posted, "_record": {}}
    with writer.in_background():  # all three land in one transaction
        writer.submit(messages, [{**row, "id": "C1:1", "thread_ts": None}])
        writer.submit(messages, [{**row, "id": "C1:2", "thread_ts": "1.1"}])
        writer.submit(
            messages, [{**row, "id": "C1:3", "thread_ts": None, "posted_at": "2024-05-01T00:00:00Z"}]
        )
    rows = writer.query("SELECT id, thread_ts, posted_at FROM raw.slack_messages ORDER BY id")
    assert rows == [("C1:1", None, posted), ("C1:2", "1.1", posted), ("C1:3", None, posted)]
