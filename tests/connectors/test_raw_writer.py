"""Upserts by primary key, rejected records kept, cursors stored in the warehouse."""

from __future__ import annotations

from pipelines.connectors.common import shape_records
from pipelines.connectors.zoom import encode_meeting_uuid
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME
from pipelines.warehouse.raw_writer import RawWriter, UpsertCounts, connect_warehouse

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
    batch = shape_records(
        "incidents", [{"id": "x"}, {"name": "no id"}, "junk"], "/v2/incidents", lambda r: {}
    )
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


MESSAGES = RAW_TABLES_BY_NAME["slack_messages"]


def _msg(channel: str, ts: str, thread_ts: str | None = None) -> dict:
    from datetime import UTC, datetime

    return {
        "id": f"{channel}:{ts}",
        "channel_id": channel,
        "ts": ts,
        "thread_ts": thread_ts,
        "posted_at": datetime.fromtimestamp(float(ts), UTC),
        "_record": {"ts": ts, "thread_ts": thread_ts},
    }


def _live_and_deleted(writer: RawWriter) -> tuple[list[str], list[str]]:
    rows = writer.query("SELECT id, _deleted_at IS NOT NULL FROM raw.slack_messages ORDER BY id")
    return [i for i, d in rows if not d], [i for i, d in rows if d]


def test_a_read_of_a_whole_set_marks_what_it_lacks_deleted_and_a_row_that_returns_is_undeleted(tmp_path):
    from pipelines.warehouse.raw_writer import UpsertCounts

    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    parent, reply, gone_reply, plain = (
        _msg("C1", "1.0", "1.0"),
        _msg("C1", "1.5", "1.0"),
        _msg("C1", "1.7", "1.0"),
        _msg("C1", "2.0"),
    )
    orphan = _msg("C1", "3.5", "3.0")  # a reply whose thread parent will vanish
    other_channel = _msg("C2", "2.0")
    writer.submit(MESSAGES, [parent, reply, gone_reply, plain, orphan, other_channel])
    # History of C1 without `plain` and without the parent of `orphan`; replies of thread 1.0 without one.
    counts = UpsertCounts()
    writer.submit(MESSAGES, [parent], counts, covers=[("channel_history", ("C1",))])
    writer.submit(MESSAGES, [parent, reply], counts, covers=[("thread_replies", ("C1", "1.0"))])
    live, deleted = _live_and_deleted(writer)
    assert deleted == ["C1:1.7", "C1:2.0", "C1:3.5"]  # evidence kept
    assert live == ["C1:1.0", "C1:1.5", "C2:2.0"]  # replies of a returned thread wait for their own read
    assert counts.deleted == 3
    # Marked once: a second identical read marks nothing new.
    again = UpsertCounts()
    writer.submit(MESSAGES, [parent], again, covers=[("channel_history", ("C1",))])
    assert again.deleted == 0
    # The message comes back (an undo at the source, or a read that had missed it): un-deleted.
    writer.submit(MESSAGES, [parent, plain], covers=[("channel_history", ("C1",))])
    assert "C1:2.0" in _live_and_deleted(writer)[0]


def test_an_empty_read_of_a_whole_set_marks_the_whole_set(tmp_path):
    actions = RAW_TABLES_BY_NAME["incidentio_actions"]
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    writer.submit(actions, [{"id": "a1", "incident_id": "i", "updated_at": None, "_record": {}}])
    writer.submit(actions, [], covers=[("actions", ())])
    assert writer.query("SELECT count(*) FROM raw.incidentio_actions WHERE _deleted_at IS NOT NULL") == [(1,)]


def test_rows_and_the_marks_of_their_read_commit_together(tmp_path):
    """A failure in the transaction leaves neither: the next sync repeats the read and the mark."""
    import pytest

    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    writer.submit(MESSAGES, [_msg("C1", "1.0"), _msg("C1", "2.0")])
    with pytest.raises(RuntimeError), writer.in_background():
        writer.submit(
            MESSAGES, [_msg("C1", "1.0") | {"_record": {"v": 2}}], covers=[("channel_history", ("C1",))]
        )
        writer.submit(INCIDENTS, [{"id": "bad", "updated_at": "not a time", "_record": {}}])
    assert writer.query("SELECT id, _deleted_at, _record->>'$.v' FROM raw.slack_messages ORDER BY id") == [
        ("C1:1.0", None, None),
        ("C1:2.0", None, None),
    ]


def test_a_warehouse_from_before_gets_the_new_columns(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.incidentio_incidents (id VARCHAR NOT NULL PRIMARY KEY, updated_at TIMESTAMPTZ, "
            "_synced_at TIMESTAMPTZ, _record JSON)"
        )
        con.execute(
            "INSERT INTO raw.incidentio_incidents VALUES ('old', NULL, NULL, '{\"call_url\": \"https://zoom.us/j/93398114182\"}')"
        )
    writer = RawWriter(connect_warehouse(path))
    assert writer.query("SELECT id, zoom_meeting_id, _deleted_at FROM raw.incidentio_incidents") == [
        ("old", None, None)
    ]
    writer.update_column(INCIDENTS, "zoom_meeting_id", {"old": "93398114182"})
    assert writer.query("SELECT zoom_meeting_id FROM raw.incidentio_incidents") == [("93398114182",)]


def test_skipped_entities_are_listed_until_read_again(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    writer.record_skip("pagerduty", "oncalls", 403, "pagerduty /oncalls: HTTP 403: forbidden")
    assert writer.query("SELECT source, entity, status_code FROM meta.skipped_entities") == [
        ("pagerduty", "oncalls", 403)
    ]
    writer.clear_skip("pagerduty", "oncalls")
    assert writer.query("SELECT count(*) FROM meta.skipped_entities") == [(0,)]


def test_a_windowed_read_marks_only_its_schedule_entries_starting_inside_the_window(tmp_path):
    entries = RAW_TABLES_BY_NAME["incidentio_schedule_entries"]
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))

    def row(schedule: str, day: int) -> dict:
        start = f"2026-01-{day:02d}T09:00:00Z"
        return {"id": f"{schedule}:{day}", "schedule_id": schedule, "start_at": start,
                "end_at": f"2026-01-{day + 1:02d}T09:00:00Z", "_record": {"day": day}}  # fmt: skip

    writer.upsert(entries, [row("S1", d) for d in (1, 5, 9, 12)] + [row("S2", 9)])
    # S1 re-read over [Jan 5, Jan 20): day 9 is gone (an override replaced it), day 12 came back.
    window = ("S1", "2026-01-05T00:00:00Z", "2026-01-20T00:00:00Z")
    counts = UpsertCounts()
    writer.submit(entries, [row("S1", 5), row("S1", 12)], counts, [("schedule_window", window)])
    writer.flush()
    deleted = writer.query("SELECT id FROM raw.incidentio_schedule_entries WHERE _deleted_at IS NOT NULL")
    # Day 1 starts before the window (not covered), S2 is another schedule.
    assert deleted == [("S1:9",)] and counts.deleted == 1


def _row_state(writer: RawWriter, table: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in writer.query(f"SELECT id, _synced_at, _deleted_at FROM raw.{table}")}


def test_a_re_read_unchanged_record_is_left_alone_and_a_changed_one_is_rewritten(tmp_path):
    from pipelines.warehouse.raw_writer import data_version

    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    a = {"id": "a", "updated_at": "2024-01-01T00:00:00Z", "_record": {"v": 1}}
    b = {"id": "b", "updated_at": "2024-01-01T00:00:00Z", "_record": {"v": 1}}
    writer.upsert(INCIDENTS, [a, b])
    before, version = _row_state(writer, "incidentio_incidents"), writer.data_version(INCIDENTS)
    # A new writer (a new sync) reads both again: nothing is written.
    writer = RawWriter(writer._con)
    again = writer.upsert(INCIDENTS, [a, b])
    assert (again.new, again.updated, again.deleted) == (0, 0, 0)
    assert _row_state(writer, "incidentio_incidents") == before
    assert writer.data_version(INCIDENTS) == version == data_version(writer._con, INCIDENTS)
    # Only `b` changed (its record; then only a typed key column): only `b` is rewritten, each time.
    for change in ({"_record": {"v": 2}}, {"updated_at": "2024-02-01T00:00:00Z"}):
        b = b | change
        counts = writer.upsert(INCIDENTS, [a, b])
        assert (counts.new, counts.updated) == (0, 1), change
        after = _row_state(writer, "incidentio_incidents")
        assert after["a"] == before["a"]
        assert after["b"][0] > before["b"][0], change
        assert writer.data_version(INCIDENTS) != version, change
        before, version = after, writer.data_version(INCIDENTS)


def test_a_row_that_returns_after_its_deletion_mark_is_resurrected_and_counted(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    one, two = _msg("C1", "1.0"), _msg("C1", "2.0")
    writer.upsert(MESSAGES, [one, two])
    versions = [writer.data_version(MESSAGES)]
    marked = UpsertCounts()
    writer.submit(MESSAGES, [one], marked, covers=[("channel_history", ("C1",))])
    writer.flush()
    assert marked.deleted == 1
    deleted = _row_state(writer, "slack_messages")["C1:2.0"]
    assert deleted[1] is not None
    versions.append(writer.data_version(MESSAGES))
    # `two` comes back unchanged, read by a new writer (a later sync): the mark is cleared.
    writer = RawWriter(writer._con)
    back = UpsertCounts()
    writer.submit(MESSAGES, [one, two], back, covers=[("channel_history", ("C1",))])
    writer.flush()
    assert (back.new, back.updated, back.deleted) == (0, 1, 0)
    synced_at, deleted_at = _row_state(writer, "slack_messages")["C1:2.0"]
    assert deleted_at is None and synced_at > deleted[0]
    versions.append(writer.data_version(MESSAGES))
    # The same writer, whose cache saw the mark and the return, marks and resurrects again.
    writer.submit(MESSAGES, [one], covers=[("channel_history", ("C1",))])
    writer.flush()
    versions.append(writer.data_version(MESSAGES))
    assert writer.upsert(MESSAGES, [two]).updated == 1
    assert _row_state(writer, "slack_messages")["C1:2.0"][1] is None
    versions.append(writer.data_version(MESSAGES))
    assert len(set(versions)) == len(versions), versions


def test_a_filled_column_is_a_change_of_the_row(tmp_path):
    writer = RawWriter(connect_warehouse(tmp_path / "w.duckdb"))
    writer.upsert(INCIDENTS, [{"id": "a", "updated_at": None, "_record": {}}, {"id": "b", "_record": {}}])
    before, version = _row_state(writer, "incidentio_incidents"), writer.data_version(INCIDENTS)
    writer.update_column(INCIDENTS, "zoom_meeting_id", {"a": "93398114182"})
    after = _row_state(writer, "incidentio_incidents")
    assert after["a"][0] > before["a"][0] and after["b"] == before["b"]
    assert writer.data_version(INCIDENTS) != version
    # The cache knows the new content: the same record with the column read again is unchanged.
    counts = writer.upsert(INCIDENTS, [{"id": "a", "zoom_meeting_id": "93398114182", "_record": {}}])
    assert (counts.new, counts.updated) == (0, 0)
