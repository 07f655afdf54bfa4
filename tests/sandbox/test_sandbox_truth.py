"""The truth helpers follow the metric ledger (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.sandbox import Organisation
from tests.oracle import truth


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

    def pd_links(inc: dict) -> list[str]:
        return [
            v["value_link"]
            for e in inc["custom_field_entries"]
            if e["custom_field"]["name"] == "PagerDuty incident"
            for v in e["values"]
        ]

    by_field = [i for i in org.io_incidents.values() if pd_links(i)]
    assert by_field
    for inc in by_field:
        assert pd_links(inc)[0].endswith("/" + truth.linked_pagerduty_incident_id(org, inc))  # type: ignore[operator]
    # Another link field ("Status page") also holds `/incidents/…` URLs: never taken for a PagerDuty link.
    status_pages = [
        i
        for i in org.io_incidents.values()
        if not pd_links(i)
        and any(e["custom_field"]["name"] == "Status page" and e["values"] for e in i["custom_field_entries"])
        and not any(
            a["resource"]["resource_type"] == "pager_duty_incident" for a in org.io_attachments[i["id"]]
        )
    ]
    assert status_pages and all(truth.linked_pagerduty_incident_id(org, i) is None for i in status_pages)


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
