"""The synthetic organisation: deterministic, coherent across tools, and holding every trap on purpose."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_support import ANCHOR

from pipelines.sandbox import Organisation, generate_organisation
from tests.oracle import truth


def _fingerprint(org: Organisation) -> tuple[object, ...]:
    return (
        [(i["id"], i["updated_at"], i["name"]) for i in org.incidents_newest_first()],
        [(p["id"], p["created_at"], p["status"]) for p in org.pd_incidents_sorted()],
        sorted((cid, len(log.top), log.top[-1]["ts"]) for cid, log in org.slack_logs.items()),
        sorted(org.zoom_instances),
        org.counts(),
    )


def test_same_arguments_give_the_same_data(org: Organisation) -> None:
    again = generate_organisation("small", seed=42, anchor=ANCHOR)
    assert _fingerprint(again) == _fingerprint(org)
    # Credentials are random per instance (never literals).
    assert again.credentials.incidentio_api_key != org.credentials.incidentio_api_key


def test_another_seed_gives_other_data(org: Organisation) -> None:
    other = generate_organisation("small", seed=43, anchor=ANCHOR)
    assert _fingerprint(other) != _fingerprint(org)


def test_unknown_size_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="small, default, large"):
        generate_organisation("huge")


def test_default_anchor_is_today_midnight_utc() -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert generate_organisation("small").anchor in (today, today + timedelta(days=1))


def test_small_size_counts(org: Organisation) -> None:
    c = org.counts()
    assert c["incidentio_incidents"] == 40
    assert 2000 <= c["slack_messages"] <= 5000
    assert 12 <= c["zoom_instances"] <= 35
    assert c["pagerduty_incidents"] == 200
    assert 8 <= c["pagerduty_services"] <= 15


def test_data_covers_the_year_before_the_anchor(org: Organisation) -> None:
    created = [truth.parse_time(i["created_at"]) for i in org.io_incidents.values()]
    assert min(created) >= ANCHOR - timedelta(days=366)  # type: ignore[operator]
    assert max(created) < ANCHOR  # type: ignore[operator]
    pd_created = [truth.parse_time(p["created_at"]) for p in org.pd_incidents.values()]
    assert min(pd_created) >= ANCHOR - timedelta(days=366)  # type: ignore[operator]


def test_people_are_the_same_across_tools(org: Organisation) -> None:
    by_email = {p.email: p for p in org.people}
    io = {u["email"].lower(): u for u in org.io_users if u["is_active"]}
    members = [u for u in org.slack_users if u["team_id"] == org.slack_team_id and not u.get("is_restricted")]
    slack = {u["profile"]["email"].lower(): u for u in members if u["profile"].get("email")}
    zoom = {u["email"].lower(): u for u in org.zoom_users}
    pd = {u["email"].lower(): u for u in org.pd_users}
    assert set(io) == set(slack) == set(by_email)
    assert set(zoom) <= set(by_email) and set(pd) <= set(by_email)
    assert len(pd) >= 8
    for email, person in by_email.items():
        assert email == email.lower() and email.endswith("@acme.example")
        assert io[email]["slack_user_id"] == slack[email]["id"] == person.slack_id
        assert slack[email]["tz"] == person.timezone
    for email, u in pd.items():
        assert u["time_zone"] == by_email[email].timezone
    # Identity resolution must lower-case emails: some differ by case between tools.
    assert any(u["email"] != u["email"].lower() for u in org.pd_users)
    assert any(u["email"] != u["email"].lower() for u in org.zoom_users)
    zones = {p.timezone for p in org.people}
    assert {"America/New_York", "Europe/London", "Asia/Kolkata"} <= zones


def test_each_tool_has_its_own_id_format(org: Organisation) -> None:
    p = org.people[0]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", p.incidentio_id)
    assert re.fullmatch(r"U[0-9A-Z]{10}", p.slack_id)
    assert all(re.fullmatch(r"C[0-9A-Z]{10}", c) for c in org.slack_channels)
    assert all(re.fullmatch(r"P[0-9A-Z]{6}", u["id"]) for u in org.pd_users)
    assert all(re.fullmatch(r"P[0-9A-Z]{13}", i) for i in org.pd_incidents)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", u["id"]) for u in org.zoom_users)
    assert all(10 <= len(str(m)) <= 11 for m in org.zoom_meetings)


def test_slack_has_bots_and_a_deleted_user(org: Organisation) -> None:
    assert sum(1 for u in org.slack_users if u.get("is_bot")) >= 2
    assert any(u["deleted"] for u in org.slack_users)


def test_incident_mix(org: Organisation) -> None:
    incidents = list(org.io_incidents.values())
    modes = Counter(i["mode"] for i in incidents)
    assert modes["standard"] > 30 and all(modes[m] >= 1 for m in ("retrospective", "test", "tutorial"))
    cats = Counter(i["incident_status"]["category"] for i in incidents)
    assert cats["closed"] > 20
    assert all(cats[c] >= 1 for c in ("live", "learning", "triage", "declined", "merged", "canceled"))
    sev = Counter(i["severity"]["name"] if i["severity"] else None for i in incidents)
    assert sev["Minor"] > sev["Major"] > sev["Critical"] >= 1 and sev[None] >= 1
    assert [s["rank"] for s in org.io_severities] == [0, 1, 2]
    assert 2 <= len(org.io_types) <= 3
    # A couple just declared: no Slack channel yet.
    assert 1 <= sum(1 for i in incidents if not i["slack_channel_id"]) <= 2


def test_timestamp_traps_are_planted(org: Organisation) -> None:
    facts = truth.incident_facts(org)
    incidents = org.io_incidents.values()
    assert any(truth.timestamp_value(i, "Reported at") is None for i in incidents)
    fallback = [
        i for i in incidents if truth.timestamp_value(i, "Resolved at") is None and truth.resolved_at(org, i)
    ]
    assert fallback, "some incidents resolve only through an update into learning/closed"
    invalid = [f for f in facts.values() if f.resolved_at and f.resolved_at < f.reported_at]
    assert 1 <= len(invalid) <= 2 and all(f.time_to_resolve_seconds is None for f in invalid)


def test_durations_grow_with_severity(org: Organisation) -> None:
    big = generate_organisation("default", seed=42, anchor=ANCHOR)
    facts = truth.incident_facts(big).values()

    def median(sev: str) -> float:
        d = sorted(
            f.time_to_resolve_seconds for f in facts if f.severity_name == sev and f.time_to_resolve_seconds
        )
        return d[len(d) // 2]

    assert median("Minor") < median("Major") < median("Critical")
    working = sum(1 for f in facts if 8 <= f.created_at.hour < 22)
    assert working > 0.6 * len(facts)


def test_pagerduty_links(org: Organisation) -> None:
    incidents = list(org.io_incidents.values())
    with_attachment = [
        i
        for i in incidents
        if any(a["resource"]["resource_type"] == "pager_duty_incident" for a in org.io_attachments[i["id"]])
    ]
    assert 0.45 <= len(with_attachment) / len(incidents) <= 0.75
    for inc in with_attachment:
        pd_id = truth.linked_pagerduty_incident_id(org, inc)
        assert pd_id in org.pd_incidents
        # The page comes a few minutes before the incident.
        gap = truth.parse_time(org.pd_incidents[pd_id]["created_at"]) - truth.reported_at(inc)  # type: ignore[operator]
        if truth.timestamp_value(inc, "Reported at"):
            assert timedelta(minutes=-11) < gap < timedelta(0)
    via_field = [
        i for i in incidents if i not in with_attachment and truth.linked_pagerduty_incident_id(org, i)
    ]
    assert via_field, "some incidents link PagerDuty only through the custom field"
    other = Counter(a["resource"]["resource_type"] for atts in org.io_attachments.values() for a in atts)
    assert other["jira_issue"] + other["sentry_issue"] + other["github_pull_request"] >= 3
    linked = {truth.linked_pagerduty_incident_id(org, i) for i in incidents} - {None}
    assert len(linked) < len(org.pd_incidents) / 2, "most pages are unrelated to incident.io"


def test_pagerduty_log_entries(org: Organisation) -> None:
    types = Counter(e["type"] for es in org.pd_log_entries.values() for e in es)
    for kind in ("trigger", "assign", "notify", "escalate", "acknowledge", "annotate", "resolve"):
        assert types[f"{kind}_log_entry"] >= 1, kind
    methods = Counter(
        truth.notification_method(e)
        for es in org.pd_log_entries.values()
        for e in es
        if e["type"] == "notify_log_entry"
    )
    assert set(methods) == {"sms", "phone", "push", "email"}
    facts = truth.pagerduty_facts(org).values()
    assert any(
        sum(e["type"] == "acknowledge_log_entry" for e in es) > 1 for es in org.pd_log_entries.values()
    )
    assert sum(f.sleep_hour_interruption_count for f in facts) > 0
    bursts = [
        f
        for f in facts
        if f.interruption_count
        and any(e["type"] == "notify_log_entry" for e in org.pd_log_entries[f.pagerduty_incident_id])
    ]
    assert bursts
    statuses = Counter(p["status"] for p in org.pd_incidents.values())
    assert statuses["resolved"] > 150 and statuses["acknowledged"] + statuses["triggered"] >= 2
    for pid, rec in org.pd_incidents.items():
        entries = org.pd_log_entries[pid]
        assert entries[0]["type"] == "trigger_log_entry" and entries[0]["created_at"] == rec["created_at"]
        if "resolved_at" in rec:  # a few older records lack it (the resolve log entry says when)
            assert (rec["resolved_at"] is None) == (rec["status"] != "resolved")


def test_zoom_traps_are_planted(org: Organisation) -> None:
    uuids = list(org.zoom_instances)
    assert sum(u.startswith("/") for u in uuids) >= 2 and sum("//" in u for u in uuids) >= 2
    incidents = [i for i in org.io_incidents.values() if truth.zoom_meeting_id(i.get("call_url"))]
    in_window = {z.uuid for i in incidents for z in truth.call_instances(org, i)}
    assert set(uuids) - in_window, "an instance outside the incident window (the pipeline must skip it)"
    weird = [u for u in uuids if u.startswith("/") or "//" in u]
    assert len(set(weird) & in_window) >= 4, "planted where the pipeline will fetch them"
    rows = [r for z in org.zoom_instances.values() for r in z.participants]
    assert any(r["user_email"] == "" for r in rows), "a guest"
    assert any(len(z.participants) == 1 for z in org.zoom_instances.values()), "a one-person call"
    rejoined = [
        z
        for z in org.zoom_instances.values()
        if any(
            n > 1
            for n in Counter(
                r["id"] for r in z.participants if r["id"] and r["status"] == "in_meeting"
            ).values()
        )
    ]
    assert rejoined
    for z in org.zoom_instances.values():  # a participant id per row (dial-ins have none)
        ids = [r["user_id"] for r in z.participants if "user_id" in r]
        assert len(set(ids)) == len(ids)
    for r in rows:
        assert r["duration"] == (truth.parse_time(r["leave_time"]) - truth.parse_time(r["join_time"])).seconds  # type: ignore[operator]
    severe = [
        i
        for i in org.io_incidents.values()
        if (i["severity"] or {}).get("rank", 0) >= 1
        and i["mode"] == "standard"
        and i["incident_status"]["category"] in ("closed", "learning")
    ]
    assert sum(1 for i in severe if i["call_url"]) > 0.6 * len(severe)


def test_slack_traps_are_planted(org: Organisation) -> None:
    top = [m for log in org.slack_logs.values() for m in log.top]
    replies = [r for log in org.slack_logs.values() for rs in log.threads.values() for r in rs]
    subtypes = Counter(m.get("subtype") for m in top)
    assert subtypes["channel_join"] and subtypes["bot_message"] and subtypes["thread_broadcast"]
    assert any("edited" in m for m in top)
    assert replies and any(r.get("subtype") == "thread_broadcast" for r in replies)
    for log in org.slack_logs.values():
        assert log.top_keys == sorted(log.top_keys) and len(set(log.top_keys)) == len(log.top_keys)
        for parent_ts, rs in log.threads.items():
            parent = log.find_top(parent_ts)
            assert parent is not None and parent["reply_count"] == len(rs)
            assert parent["latest_reply"] == rs[-1]["ts"] and all(r["thread_ts"] == parent_ts for r in rs)
    for inc in org.io_incidents.values():
        if inc["slack_channel_id"]:
            channel = org.slack_channels[inc["slack_channel_id"]]
            first = org.slack_logs[channel["id"]].top[0]
            assert float(first["ts"]) >= channel["created"]


def test_follow_ups_and_actions(org: Organisation) -> None:
    statuses = Counter(f["status"] for f in org.io_follow_ups)
    assert {"outstanding", "completed", "not_doing"} <= set(statuses)
    assert all((f["completed_at"] is not None) == (f["status"] == "completed") for f in org.io_follow_ups)
    assert org.io_actions and all(a["incident_id"] in org.io_incidents for a in org.io_actions)


@pytest.mark.parametrize("seed", range(10))
def test_updates_tell_a_consistent_story(seed: int) -> None:
    org = generate_organisation("small", seed=seed, anchor=ANCHOR)
    for inc in org.io_incidents.values():
        updates = org.io_updates[inc["id"]]
        times = [u["created_at"] for u in updates]
        assert times == sorted(times) and all(t < ANCHOR.isoformat() for t in times)
        progress = [
            u["new_incident_status"]["rank"]
            for u in updates
            if u["new_incident_status"]["category"] in ("live", "learning", "closed")
        ]
        assert progress == sorted(progress), inc["reference"]
        if updates:
            assert updates[-1]["new_incident_status"]["id"] == inc["incident_status"]["id"]
            assert updates[-1]["new_severity"] == inc["severity"]
        closed, resolved = truth.timestamp_value(inc, "Closed at"), truth.resolved_at(org, inc)
        if closed and resolved:
            assert resolved <= closed
