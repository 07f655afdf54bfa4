"""The real shapes the sandbox sends (issue 11), and the oracle's rules for them: Slack content subtypes
and system events, outsiders, Zoom waiting rooms and guests, PagerDuty's notification shape, records
missing a field they can be derived from. The inline cases restate, in our own data, the field cases
the project was tested against."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from pipelines.sandbox import Organisation
from pipelines.sandbox.generate.slack import CHANNEL_SHAPES
from pipelines.sandbox.generate.zoom import ROW_SHAPES
from pipelines.sandbox.model import ZoomInstance
from tests.oracle import truth


def _messages(org: Organisation) -> list[dict]:
    return [
        m
        for log in org.slack_logs.values()
        for m in [*log.top, *(r for rs in log.threads.values() for r in rs)]
    ]


# ------------------------------------------------------------------------------------------------ Slack
def test_every_slack_shape_is_planted(org: Organisation) -> None:
    messages = _messages(org)
    subtypes = Counter(m.get("subtype") for m in messages)
    for kind in set(CHANNEL_SHAPES) - {"outsider"}:
        assert subtypes[kind] >= 1, kind
    for m in messages:
        if m.get("subtype") == "file_share":
            assert m["upload"] is True and m["files"] and m["files"][0]["id"].startswith("F")
        if m.get("subtype") == "tombstone":
            assert m["user"] == "USLACKBOT" and m["hidden"] and m["reply_count"] >= 1
        if m.get("subtype") == "channel_topic":
            assert m["text"] == f"set the channel topic: {m['topic']}"
    # Bot posts both with a subtype (PagerDuty's bot_message) and without (the incident bot's).
    assert any(m.get("bot_id") and "subtype" not in m for m in messages)
    assert subtypes["bot_message"] >= 1


def test_content_follows_the_subtype_table() -> None:
    bots = {"U0BOT0001"}
    person = {"type": "message", "user": "U0ANA0001", "text": "seeing 500s"}
    assert truth.is_content(person, bots)
    for subtype in ("file_share", "me_message", "thread_broadcast"):
        assert truth.is_content({**person, "subtype": subtype}, bots), subtype
    for subtype in (
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "tombstone",
        "pinned_item",
        "reminder_add",
        "bot_message",
    ):
        assert not truth.is_content({**person, "subtype": subtype}, bots), subtype
    assert not truth.is_content({**person, "bot_id": "B0X"}, bots)
    assert not truth.is_content({**person, "bot_profile": {"id": "B0X"}}, bots)
    assert not truth.is_content({**person, "user": "U0BOT0001"}, bots)


def test_outsiders_are_in_slack_but_not_people(org: Organisation) -> None:
    directory = truth.directory_emails(org)
    outside = [u for u in org.slack_users if u["team_id"] != org.slack_team_id or u.get("is_restricted")]
    kinds = {
        "connect": [u for u in outside if u.get("is_stranger") and u["team_id"] != org.slack_team_id],
        "guest": [u for u in outside if u.get("is_restricted") and not u.get("is_ultra_restricted")],
        "single_channel_guest": [u for u in outside if u.get("is_ultra_restricted")],
    }
    assert all(kinds.values()), kinds
    for u in outside:
        assert u["profile"]["email"] not in directory
        assert truth.slack_person_email(org, u["id"]) is None
    # They talk in some incident channel: content for the timeline, nobody's workload.
    ids = {u["id"] for u in outside}
    spoken = [m for m in _messages(org) if m.get("user") in ids and truth.is_content(m, set())]
    assert spoken
    assert any(m.get("user_team") and m["user_team"] != org.slack_team_id for m in spoken)
    person = org.people[0]
    assert truth.slack_person_email(org, person.slack_id) == person.email


def test_channel_events_agree_with_the_channel(org: Organisation) -> None:
    renamed = [m for m in _messages(org) if m.get("subtype") == "channel_name"]
    for m in renamed:
        channel = next(c for c in org.slack_channels.values() if c["name"] == m["name"])
        assert m["old_name"] in channel["previous_names"]
    for cid, log in org.slack_logs.items():
        for m in log.top:
            if m.get("subtype") == "channel_leave":
                assert m["user"] not in org.slack_members[cid]


# ------------------------------------------------------------------------------------------------- Zoom
def test_every_zoom_row_shape_is_planted(org: Organisation) -> None:
    calls = [z for z in org.zoom_instances.values() if len(z.participants) > 1]
    rows = [r for z in calls for r in z.participants]
    assert {r["status"] for r in rows} == {"in_meeting", "in_waiting_room"}
    directory = truth.directory_emails(org)
    assert any("user_id" not in r and not r["user_email"] for r in rows), "a dial-in"
    assert any(r["user_email"] and "*" in r["user_email"] for r in rows), "a masked email"
    assert any(r["user_email"] and r["user_email"].lower() not in directory for r in rows), "an outsider"
    assert set(ROW_SHAPES) == {"waiting_room", "never_admitted", "outside_guest", "dial_in", "masked_email"}
    for z in calls:
        for r in z.participants:
            if r["status"] == "in_waiting_room" and r["id"]:
                # Admitted: the person's meeting row starts the moment the wait ends.
                assert any(
                    o["id"] == r["id"] and o["status"] == "in_meeting" and o["join_time"] == r["leave_time"]
                    for o in z.participants
                )
    assert any(r["status"] == "in_waiting_room" and not r["id"] for r in rows), "never let in"


def _case_call() -> ZoomInstance:
    """One call: Wren waits 10 minutes, then is in for 20; Xia is in for 30."""

    def row(pid: str, name: str, email: str, join: str, leave: str, status: str, uid: str) -> dict:
        start, end = (datetime.fromisoformat(x.replace("Z", "+00:00")) for x in (join, leave))
        return {
            "id": pid,
            "name": name,
            "user_id": uid,
            "user_email": email,
            "join_time": join,
            "leave_time": leave,
            "duration": int((end - start).total_seconds()),
            "status": status,
        }

    start = datetime(2026, 10, 6, 10, tzinfo=UTC).timestamp()
    return ZoomInstance(
        uuid="caseUuid==",
        meeting_id=81000000001,
        start=start,
        end=start + 1800,
        topic="case",
        host_id="zCaseX01",
        host_email="xia.case@example.com",
        host_name="Xia Case",
        participants=[
            row(
                "zCaseW01",
                "Wren Case",
                "wren.case@example.com",
                "2026-10-06T10:00:00Z",
                "2026-10-06T10:10:00Z",
                "in_waiting_room",
                "1",
            ),
            row(
                "zCaseW01",
                "Wren Case",
                "wren.case@example.com",
                "2026-10-06T10:10:00Z",
                "2026-10-06T10:30:00Z",
                "in_meeting",
                "2",
            ),
            row(
                "zCaseX01",
                "Xia Case",
                "xia.case@example.com",
                "2026-10-06T10:00:00Z",
                "2026-10-06T10:30:00Z",
                "in_meeting",
                "3",
            ),
        ],
        incident_id=None,
    )


def test_waiting_room_time_is_not_call_time() -> None:
    minutes: Counter[str] = Counter()
    joins: Counter[str] = Counter()
    for r in truth.admitted_rows(_case_call()):
        minutes[r["user_email"]] += r["duration"] / 60
        joins[r["user_email"]] += 1
    assert minutes == {"wren.case@example.com": 20.0, "xia.case@example.com": 30.0}
    assert joins["wren.case@example.com"] == 1


# -------------------------------------------------------------------------------------------- PagerDuty
def test_notify_entries_carry_the_real_shape(org: Organisation) -> None:
    notifies = [e for es in org.pd_log_entries.values() for e in es if e["type"] == "notify_log_entry"]
    real = [e for e in notifies if "notification" in e["channel"]]
    older = [e for e in notifies if "notification" not in e["channel"]]
    assert older and len(real) > 10 * len(older)
    types = Counter(e["channel"]["notification"]["type"] for e in real)
    assert set(types) == {"sms_notification", "phone_notification", "push_notification", "email_notification"}
    emails = {u["id"]: u["email"] for u in org.pd_users}
    for e in real:
        n = e["channel"]["notification"]
        assert e["channel"]["type"] == "auto" and n["status"] == "success"
        if n["type"] == "push_notification":
            assert n["address"] is None
        elif n["type"] == "email_notification":
            assert n["address"] == emails[e["user"]["id"]]
        else:
            assert n["address"].startswith("+")
    assert {e["channel"]["type"] for e in older} <= {"sms", "phone", "push_notification", "email"}


def test_interruptions_read_the_notification_object() -> None:
    def notify(at: str, kind: str) -> dict:
        return {
            "type": "notify_log_entry",
            "created_at": at,
            "channel": {"type": "auto", "notification": {"type": kind, "status": "success", "address": "x"}},
            "user": {"id": "P0CASEU1", "type": "user_reference"},
        }

    entries = [
        {"type": "trigger_log_entry", "created_at": "2026-10-06T02:00:00Z", "channel": {"type": "api"}},
        notify("2026-10-06T02:00:04Z", "phone_notification"),
        notify("2026-10-06T02:00:05Z", "email_notification"),  # email never interrupts
        notify("2026-10-06T02:30:04Z", "sms_notification"),
    ]
    pages = truth.interruptions(entries)
    assert [u for u, _ in pages] == ["P0CASEU1", "P0CASEU1"]
    assert all(truth.is_sleep_hour(at, "UTC") for _, at in pages)
    assert truth.notification_method({"channel": {"type": "push_notification"}}) == "push"
    assert (
        truth.notification_method({"channel": {"type": "auto"}, "notification": {"type": "sms_notification"}})
        == "sms"
    )


# --------------------------------------------------------------------------------- derivable fields
def test_records_missing_a_derivable_field(org: Organisation) -> None:
    old = [r for r in org.pd_incidents.values() if "resolved_at" not in r]
    assert old and all(r["status"] == "resolved" for r in old)
    facts = truth.pagerduty_facts(org)
    for r in old:
        resolves = [e for e in org.pd_log_entries[r["id"]] if e["type"] == "resolve_log_entry"]
        assert facts[r["id"]].resolved_at == truth.parse_time(resolves[0]["created_at"])
    no_resolved_value = [
        i
        for i in org.io_incidents.values()
        if i["incident_status"]["category"] in ("learning", "closed")
        and truth.timestamp_value(i, "Resolved at") is None
    ]
    assert no_resolved_value and any(truth.resolved_at(org, i) for i in no_resolved_value)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_shape_in_every_small_organisation(seed: int) -> None:
    from pipelines.sandbox import generate_organisation

    org = generate_organisation("small", seed=seed, anchor=datetime(2026, 3, 2, tzinfo=UTC))
    subtypes = {m.get("subtype") for m in _messages(org)}
    assert set(CHANNEL_SHAPES) - {"outsider"} <= subtypes
    statuses = {r["status"] for z in org.zoom_instances.values() for r in z.participants}
    assert statuses == {"in_meeting", "in_waiting_room"}
