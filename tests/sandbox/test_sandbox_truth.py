"""The truth helpers follow DESIGN §5 / §5b."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.sandbox import Organisation, truth


def test_fallbacks_and_flags(org: Organisation) -> None:
    facts = truth.incident_facts(org)
    for inc in org.io_incidents.values():
        f = facts[inc["id"]]
        if truth.timestamp_value(inc, "Reported at") is None:
            assert f.reported_at == truth.parse_time(inc["created_at"])
        if f.has_invalid_timestamps and f.resolved_at and f.resolved_at < f.reported_at:
            assert f.time_to_resolve_seconds is None
        assert f.is_in_metrics == (
            inc["mode"] == "standard"
            and f.status_category not in ("declined", "merged", "canceled", "triage")
        )
        if f.zoom_meeting_id:
            assert inc["call_url"].startswith(f"https://zoom.us/j/{f.zoom_meeting_id}?pwd=")
    assert any(f.lead_email is None for f in facts.values())
    assert sum(f.is_in_metrics for f in facts.values()) > 25


def test_zoom_meeting_id_and_pagerduty_link(org: Organisation) -> None:
    assert truth.zoom_meeting_id("https://zoom.us/j/93398114182?pwd=abc") == "93398114182"
    assert truth.zoom_meeting_id("https://meet.google.com/abc-defg-hij") is None
    assert truth.zoom_meeting_id(None) is None
    by_field = [
        i
        for i in org.io_incidents.values()
        if any(v.get("value_link") for e in i["custom_field_entries"] for v in e["values"])
    ]
    for inc in by_field:
        link = next(
            v["value_link"] for e in inc["custom_field_entries"] for v in e["values"] if v.get("value_link")
        )
        assert link.endswith("/" + truth.linked_pagerduty_incident_id(org, inc))  # type: ignore[operator]


def test_interruptions_and_sleep_hours() -> None:
    def note(user: str, at: str, method: str) -> dict:
        return {
            "type": "notify_log_entry",
            "created_at": at,
            "channel": {"type": method},
            "user": {"id": user},
        }

    entries = [
        note("PA", "2026-01-01T02:00:00Z", "push_notification"),
        note("PA", "2026-01-01T02:00:40Z", "sms"),  # within 60 s: the same interruption
        note("PA", "2026-01-01T02:00:50Z", "email"),  # email never interrupts
        note("PA", "2026-01-01T02:05:00Z", "phone"),
        note("PB", "2026-01-01T02:00:10Z", "sms"),
    ]
    assert [u for u, _ in truth.interruptions(entries)] == ["PA", "PB", "PA"]
    at = datetime(2026, 1, 1, 17, 0, tzinfo=UTC)
    assert truth.is_sleep_hour(at, "Asia/Kolkata")  # 22:30 there
    assert not truth.is_sleep_hour(at, "America/New_York")  # 12:00 there


def test_pagerduty_facts(org: Organisation) -> None:
    facts = truth.pagerduty_facts(org)
    assert len(facts) == len(org.pd_incidents)
    linked = [f for f in facts.values() if f.incident_id]
    assert linked and all(
        truth.linked_pagerduty_incident_id(org, org.io_incidents[f.incident_id]) == f.pagerduty_incident_id
        for f in linked
    )
    for f in facts.values():
        if f.seconds_to_first_ack is not None:
            assert f.seconds_to_first_ack > 0
        if f.seconds_to_resolve is not None:
            assert f.seconds_to_resolve >= (f.seconds_to_first_ack or 0)
