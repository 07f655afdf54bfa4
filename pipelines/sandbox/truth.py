"""The expected answers, computed straight from the Organisation (no SQL): what end-to-end tests compare
the warehouse against. Each function follows the definitions of DESIGN §5 and §5b."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.sandbox.model import Organisation, Record, ZoomInstance

EXCLUDED_FROM_METRICS = ("declined", "merged", "canceled", "triage")
INTERRUPTION_METHODS = ("push_notification", "phone", "sms")
_ZOOM_ID = re.compile(r"zoom\.us/j/(\d+)")
_PD_URL = re.compile(r"/incidents/([A-Z0-9]+)")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


# ------------------------------------------------------------------------------------------ incident.io
def timestamp_value(incident: Record, name: str) -> datetime | None:
    for entry in incident["incident_timestamp_values"]:
        if entry["incident_timestamp"]["name"] == name:
            return parse_time((entry.get("value") or {}).get("value"))
    return None


def reported_at(incident: Record) -> datetime:
    """ "Reported at", else `created_at`."""
    return timestamp_value(incident, "Reported at") or parse_time(incident["created_at"])  # type: ignore[return-value]


def resolved_at(org: Organisation, incident: Record) -> datetime | None:
    """ "Resolved at", else the first update into status category learning or closed."""
    value = timestamp_value(incident, "Resolved at")
    if value is not None:
        return value
    moves = [
        u["created_at"]
        for u in org.io_updates.get(incident["id"], [])
        if u["new_incident_status"]["category"] in ("learning", "closed")
    ]
    return parse_time(min(moves)) if moves else None


def zoom_meeting_id(call_url: str | None) -> str | None:
    match = _ZOOM_ID.search(call_url or "")
    return match.group(1) if match else None


def linked_pagerduty_incident_id(org: Organisation, incident: Record) -> str | None:
    """The integration's attachment first, else a custom field holding a PagerDuty incident URL or id."""
    for att in org.io_attachments.get(incident["id"], []):
        if att["resource"]["resource_type"] == "pager_duty_incident":
            return att["resource"]["external_id"]
    for entry in incident["custom_field_entries"]:
        for value in entry["values"]:
            text = value.get("value_link") or value.get("value_text") or ""
            match = _PD_URL.search(text)
            if match and "pagerduty" in text:
                return match.group(1)
            if text in org.pd_incidents:
                return text
    return None


def lead_email(incident: Record) -> str | None:
    for assignment in incident["incident_role_assignments"]:
        if assignment["role"]["role_type"] == "lead" and assignment.get("assignee"):
            return assignment["assignee"]["email"].lower()
    return None


def is_in_metrics(incident: Record) -> bool:
    return (
        incident["mode"] == "standard"
        and incident["incident_status"]["category"] not in EXCLUDED_FROM_METRICS
    )


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


@dataclass(frozen=True)
class IncidentFacts:
    incident_id: str
    reference: str
    mode: str
    status_category: str
    severity_name: str | None
    incident_type: str | None
    created_at: datetime
    reported_at: datetime
    impact_started_at: datetime | None
    fixed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    lead_email: str | None
    slack_channel_id: str | None
    zoom_meeting_id: str | None
    pagerduty_incident_id: str | None
    time_to_resolve_seconds: float | None
    time_to_mitigate_seconds: float | None
    is_in_metrics: bool
    # An end before its start (hand-edited timestamps): the duration is null, the row is flagged.
    has_invalid_timestamps: bool


def incident_facts(org: Organisation) -> dict[str, IncidentFacts]:
    """One entry per incident.io incident (every mode), keyed by id: the `fct_incidents` truth."""
    out = {}
    for inc in org.io_incidents.values():
        rep = reported_at(inc)
        res = resolved_at(org, inc)
        fixed = timestamp_value(inc, "Fixed at")
        impact = timestamp_value(inc, "Impact started at")
        mitigate_start = impact or rep
        out[inc["id"]] = IncidentFacts(
            incident_id=inc["id"],
            reference=inc["reference"],
            mode=inc["mode"],
            status_category=inc["incident_status"]["category"],
            severity_name=inc["severity"]["name"] if inc["severity"] else None,
            incident_type=inc["incident_type"]["name"] if inc.get("incident_type") else None,
            created_at=parse_time(inc["created_at"]),  # type: ignore[arg-type]
            reported_at=rep,
            impact_started_at=impact,
            fixed_at=fixed,
            resolved_at=res,
            closed_at=timestamp_value(inc, "Closed at"),
            lead_email=lead_email(inc),
            slack_channel_id=inc["slack_channel_id"] or None,
            zoom_meeting_id=zoom_meeting_id(inc.get("call_url")),
            pagerduty_incident_id=linked_pagerduty_incident_id(org, inc),
            time_to_resolve_seconds=_duration(rep, res),
            time_to_mitigate_seconds=_duration(mitigate_start, fixed),
            is_in_metrics=is_in_metrics(inc),
            has_invalid_timestamps=bool((res and res < rep) or (fixed and fixed < mitigate_start)),
        )
    return out


def role_assignments(org: Organisation) -> list[tuple[str, str, str, str]]:
    """(incident_id, role_name, role_type, person_email) for assigned roles only: `fct_incident_roles`."""
    return [
        (inc["id"], a["role"]["name"], a["role"]["role_type"], a["assignee"]["email"].lower())
        for inc in org.io_incidents.values()
        for a in inc["incident_role_assignments"]
        if a.get("assignee")
    ]


# ------------------------------------------------------------------------------------------------- Zoom
def call_window(org: Organisation, incident: Record) -> tuple[datetime, datetime]:
    """Calls that start between reported_at − 1 h and (closed, else resolved, else now) + 1 h."""
    end = timestamp_value(incident, "Closed at") or resolved_at(org, incident) or org.now()
    return reported_at(incident) - timedelta(hours=1), end + timedelta(hours=1)


def call_instances(org: Organisation, incident: Record) -> list[ZoomInstance]:
    meeting = zoom_meeting_id(incident.get("call_url"))
    if meeting is None:
        return []
    lo, hi = call_window(org, incident)
    return [
        i for i in org.zoom_meetings.get(int(meeting), []) if lo <= datetime.fromtimestamp(i.start, UTC) <= hi
    ]


def zoom_participant_rows(org: Organisation, incident: Record) -> list[Record]:
    """The rows the participants endpoint returns for the incident's calls (none for one-person calls)."""
    return [r for i in call_instances(org, incident) if len(i.participants) > 1 for r in i.participants]


# -------------------------------------------------------------------------------------------- PagerDuty
def is_sleep_hour(at: datetime, timezone: str) -> bool:
    """22:00–08:00 in the person's time zone."""
    hour = at.astimezone(ZoneInfo(timezone)).hour
    return hour >= 22 or hour < 8


def interruptions(entries: list[Record]) -> list[tuple[str, datetime]]:
    """(user id, time) per interruption: push, phone or SMS notifications (not email); notifications to one
    user within 60 s of the previous one count once."""
    by_user: dict[str, list[datetime]] = {}
    for e in entries:
        if e["type"] == "notify_log_entry" and e["channel"]["type"] in INTERRUPTION_METHODS:
            by_user.setdefault(e["user"]["id"], []).append(parse_time(e["created_at"]))  # type: ignore[arg-type]
    out = []
    for user, times in by_user.items():
        times.sort()
        previous: datetime | None = None
        for t in times:
            if previous is None or (t - previous).total_seconds() > 60:
                out.append((user, t))
            previous = t
    return sorted(out, key=lambda x: (x[1], x[0]))


@dataclass(frozen=True)
class PagerDutyFacts:
    pagerduty_incident_id: str
    incident_number: int
    service_name: str
    urgency: str
    priority_name: str | None
    created_at: datetime
    first_acknowledged_at: datetime | None
    resolved_at: datetime | None
    seconds_to_first_ack: float | None
    seconds_to_resolve: float | None
    escalation_count: int
    interruption_count: int
    sleep_hour_interruption_count: int
    incident_id: str | None  # the incident.io incident that links to it


def pagerduty_facts(org: Organisation) -> dict[str, PagerDutyFacts]:
    """One entry per PagerDuty incident: the `fct_pagerduty_incidents` truth."""
    linked = {
        pd: inc_id
        for inc_id, inc in org.io_incidents.items()
        if (pd := linked_pagerduty_incident_id(org, inc)) is not None
    }
    tz = {u["id"]: u["time_zone"] for u in org.pd_users}
    out = {}
    for pid, rec in org.pd_incidents.items():
        entries = org.pd_log_entries.get(pid, [])
        created = parse_time(rec["created_at"])
        assert created is not None
        acks = [parse_time(e["created_at"]) for e in entries if e["type"] == "acknowledge_log_entry"]
        first_ack = min(acks) if acks else None  # type: ignore[type-var]
        resolved = parse_time(rec["resolved_at"])
        pages = interruptions(entries)
        out[pid] = PagerDutyFacts(
            pagerduty_incident_id=pid,
            incident_number=rec["incident_number"],
            service_name=rec["service"]["summary"],
            urgency=rec["urgency"],
            priority_name=rec["priority"]["summary"] if rec["priority"] else None,
            created_at=created,
            first_acknowledged_at=first_ack,
            resolved_at=resolved,
            seconds_to_first_ack=(first_ack - created).total_seconds() if first_ack else None,
            seconds_to_resolve=(resolved - created).total_seconds() if resolved else None,
            escalation_count=sum(1 for e in entries if e["type"] == "escalate_log_entry"),
            interruption_count=len(pages),
            sleep_hour_interruption_count=sum(1 for u, t in pages if is_sleep_hour(t, tz.get(u, "UTC"))),
            incident_id=linked.get(pid),
        )
    return out


# ------------------------------------------------------------------------------------------ people, Slack
@dataclass(frozen=True)
class PersonFacts:
    person_email: str
    name: str
    incidentio_user_id: str
    slack_user_id: str
    zoom_user_id: str | None
    pagerduty_user_id: str | None
    timezone: str


def people(org: Organisation) -> dict[str, PersonFacts]:
    """One entry per person, keyed by lower-cased email: the `dim_people` truth."""
    return {
        p.email: PersonFacts(
            p.email, p.name, p.incidentio_id, p.slack_id, p.zoom_id, p.pagerduty_id, p.timezone
        )
        for p in org.people
    }


def slack_people_messages(org: Organisation, channel_id: str) -> list[Record]:
    """People's messages and thread replies in a channel (no joins, no bots; a broadcast reply once)."""
    log = org.slack_logs.get(channel_id)
    if log is None:
        return []
    bots = {u["id"] for u in org.slack_users if u.get("is_bot")}
    seen: set[str] = set()
    out = []
    for m in [*log.top, *(r for replies in log.threads.values() for r in replies)]:
        if m["ts"] in seen:
            continue
        seen.add(m["ts"])
        if m.get("bot_id") or m.get("subtype") not in (None, "thread_broadcast") or m.get("user") in bots:
            continue
        out.append(m)
    return sorted(out, key=lambda m: m["ts"])
