"""The five cases found in the field, each asserted end to end on the sandbox over HTTP (see conftest.py
and case_org.py): what the marts must hold after two syncs and a dbt build."""

from __future__ import annotations

import pytest
from case_org import (
    DELETED_INCIDENT,
    PAGES_INCIDENT,
    PEOPLE,
    SUBTYPES_INCIDENT,
    WAITING_MEETING,
)
from case_run import SYNC_TIMEOUT_SECONDS, CaseRun

# One sandbox run and one dbt build (a module-scoped fixture) serve every test here.
pytestmark = pytest.mark.xdist_group("field_cases")


def _slack_events(run: CaseRun, incident_id: str) -> int:
    rows = run.query(
        "select count(*) as n from marts.fct_incident_timeline where incident_id = ? and source = 'slack'",
        [incident_id],
    )
    return rows[0]["n"]


def _workload(run: CaseRun, person: str, column: str) -> float:
    """The person's `column` of metrics_responder_workload summed over weeks (0 when they have no row)."""
    rows = run.query(
        f"select coalesce(sum({column}), 0) as total from marts.metrics_responder_workload "
        "where person_email = ?",
        [PEOPLE[person].email],
    )
    return rows[0]["total"]


def _workload_week(run: CaseRun, person: str) -> dict:
    rows = run.query(
        "select * from marts.metrics_responder_workload where person_email = ? and week = ?",
        [PEOPLE[person].email, run.times.week],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_the_build_succeeds(case_run: CaseRun) -> None:
    assert case_run.dbt_returncode == 0, case_run.dbt_output[-4000:]


# -------------------------------------------------------------------------- a person's Slack content
def test_subtypes_a_persons_upload_and_me_message_count(case_run: CaseRun) -> None:
    # A plain message, a file_share and a me_message; not the channel join nor the bot's post.
    assert _slack_events(case_run, SUBTYPES_INCIDENT) == 3
    assert _workload(case_run, "ana", "slack_message_count") == 3


def test_subtypes_a_channel_join_is_not_a_message(case_run: CaseRun) -> None:
    assert _workload(case_run, "ben", "slack_message_count") == 0


# -------------------------------------------------------------------------------- deletions in Slack
def test_deleted_messages_and_replies_stop_counting(case_run: CaseRun) -> None:
    # m1, m2 and r1 remain; m3 and r2 were deleted between the syncs.
    assert _slack_events(case_run, DELETED_INCIDENT) == 3
    assert _workload(case_run, "gil", "slack_message_count") == 2
    assert _workload(case_run, "gus", "slack_message_count") == 1


def test_deleted_messages_stay_in_raw_as_evidence(case_run: CaseRun) -> None:
    rows = case_run.query(
        "select _record->>'$.text' as text, _deleted_at from raw.slack_messages "
        "where channel_id = ? order by ts",
        ["C0LCDELETED"],
    )
    deleted = {r["text"] for r in rows if r["_deleted_at"] is not None}
    assert deleted == {"m3 (wrong channel, sorry)", "r2"}, rows
    assert {r["text"] for r in rows} == {"m1", "m2", "m3 (wrong channel, sorry)", "r1", "r2"}


# ------------------------------------------------------------------------------- Zoom waiting room
def test_waiting_room_time_is_not_call_time(case_run: CaseRun) -> None:
    assert _workload_week(case_run, "wyn")["zoom_minutes"] == 20.0
    assert _workload_week(case_run, "xan")["zoom_minutes"] == 30.0


def test_entering_the_waiting_room_is_not_joining(case_run: CaseRun) -> None:
    rows = case_run.query(
        "select count(*) as n from marts.fct_incident_timeline "
        "where source = 'zoom' and event_type = 'join' and person_email = ?",
        [PEOPLE["wyn"].email],
    )
    assert rows[0]["n"] == 1


# ------------------------------------------------------------------------------- a stuck Zoom cursor
def test_a_stuck_cursor_ends_with_one_error_naming_the_listing(case_run: CaseRun) -> None:
    for summaries, seconds in zip(
        (case_run.first_sync, case_run.second_sync), case_run.sync_seconds, strict=True
    ):
        assert seconds < SYNC_TIMEOUT_SECONDS
        zoom = summaries["zoom"]
        assert zoom.status == "incomplete", zoom.line()
        assert len(zoom.stopped_listings) == 1, zoom.stopped_listings
        assert "participants" in zoom.stopped_listings[0], zoom.stopped_listings


def test_a_stuck_cursor_leaves_the_rest_of_the_sync_complete(case_run: CaseRun) -> None:
    for summaries in (case_run.first_sync, case_run.second_sync):
        others = {s: summaries[s].status for s in ("incidentio", "slack", "pagerduty")}
        assert others == {"incidentio": "ok", "slack": "ok", "pagerduty": "ok"}, [
            summaries[s].line() for s in summaries
        ]
    rows = case_run.query(
        "select count(*) as n from raw.zoom_participants where meeting_id = ?", [str(WAITING_MEETING)]
    )
    assert rows[0]["n"] == 3


# ---------------------------------------------------------------------- PagerDuty notification shape
def test_notification_method_read_from_channel_notification_type(case_run: CaseRun) -> None:
    # Phone at 02:00:04 and SMS at 02:30:04 are interruptions; the email a second after the call is not.
    rows = case_run.query(
        "select interruption_count from marts.fct_pagerduty_incidents where pagerduty_incident_id = ?",
        [PAGES_INCIDENT],
    )
    assert rows == [{"interruption_count": 2}]
    week = _workload_week(case_run, "pia")
    assert week["page_count"] == 2
    assert week["sleep_hour_page_count"] == 2  # 02:00 and 02:30 in her time zone (UTC)
