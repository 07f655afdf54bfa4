"""The expected answers, computed straight from the Organisation (no SQL): what end-to-end tests compare
the warehouse against. Each function follows the metric ledger, docs/metrics.md."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.sandbox.model import Organisation, Record, ZoomInstance

EXCLUDED_FROM_METRICS = ("declined", "merged", "canceled", "triage")
INTERRUPTION_METHODS = ("push", "phone", "sms")
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


WAITING_ROOM = "in_waiting_room"


def admitted_rows(instance: ZoomInstance) -> list[Record]:
    """The participant rows of time spent in the call: a waiting-room row (`status` in_waiting_room) is
    neither call time nor a join, whether its person was admitted later or never."""
    return [r for r in instance.participants if r.get("status") != WAITING_ROOM]


def zoom_participant_rows(org: Organisation, incident: Record) -> list[Record]:
    """The admitted rows the participants endpoint returns for the incident's calls (none for one-person
    calls), outsiders included: the timeline keeps them, as external."""
    return [r for i in call_instances(org, incident) if len(i.participants) > 1 for r in admitted_rows(i)]


# -------------------------------------------------------------------------------------------- PagerDuty
def is_sleep_hour(at: datetime, timezone: str) -> bool:
    """22:00–08:00 in the person's time zone."""
    hour = at.astimezone(ZoneInfo(timezone)).hour
    return hour >= 22 or hour < 8


def notification_method(entry: Record) -> str | None:
    """How a notify_log_entry reached its user: sms, phone, push or email. Read from
    `channel.notification.type` (the real shape), else a top-level `notification.type`, else the older
    shape's `channel.type`; the `_notification` suffix is dropped."""
    channel = entry.get("channel") or {}
    raw = (channel.get("notification") or {}).get("type") or (entry.get("notification") or {}).get("type")
    raw = raw or channel.get("type")
    if not raw:
        return None
    method = raw.removesuffix("_notification")
    return method


PAGE_CHAIN_SECONDS = 60


def chain_pages(times: list[datetime]) -> list[list[datetime]]:
    """One user's notifications (of one PagerDuty incident or one escalation) grouped into pages: a
    notification at most 60 s after the previous one joins its page, so a burst every 50 s stays one
    page however long it lasts (chained, not measured from the page's first notification). Each page
    is its notifications in time order; the first is the page's `notified_at`."""
    pages: list[list[datetime]] = []
    for t in sorted(times):
        if pages and (t - pages[-1][-1]).total_seconds() <= PAGE_CHAIN_SECONDS:
            pages[-1].append(t)
        else:
            pages.append([t])
    return pages


def interruptions(entries: list[Record]) -> list[tuple[str, datetime]]:
    """(user id, time) per interruption: push, phone or SMS notifications (not email); notifications to one
    user within 60 s of the previous one count once (`chain_pages`)."""
    by_user: dict[str, list[datetime]] = {}
    for e in entries:
        if e["type"] == "notify_log_entry" and notification_method(e) in INTERRUPTION_METHODS:
            by_user.setdefault(e["user"]["id"], []).append(parse_time(e["created_at"]))  # type: ignore[arg-type]
    out = [(user, page[0]) for user, times in by_user.items() for page in chain_pages(times)]
    return sorted(out, key=lambda x: (x[1], x[0]))


def pagerduty_resolved_at(incident: Record, entries: list[Record]) -> datetime | None:
    """`resolved_at`; for an older record without the field, the first resolve log entry if the incident
    is resolved."""
    if "resolved_at" in incident:
        return parse_time(incident["resolved_at"])
    if incident.get("status") != "resolved":
        return None
    resolves = [e["created_at"] for e in entries if e["type"] == "resolve_log_entry"]
    return parse_time(min(resolves)) if resolves else None


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
        resolved = pagerduty_resolved_at(rec, entries)
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


# What a human says in Slack, by message subtype: no subtype, an upload, a /me action, a reply also sent
# to the channel. Every other subtype is a system event (joins, leaves, topic/purpose/name changes,
# tombstones, pins, reminders, bot_message...), and a bot's post counts for nothing with or without one.
CONTENT_SUBTYPES = (None, "file_share", "me_message", "thread_broadcast")


def is_content(message: Record, bot_user_ids: set[str]) -> bool:
    """Whether a Slack message is a human speaking (`CONTENT_SUBTYPES`, not posted by a bot)."""
    if message.get("bot_id") or message.get("bot_profile") or message.get("user") in bot_user_ids:
        return False
    return message.get("subtype") in CONTENT_SUBTYPES


def slack_people_messages(org: Organisation, channel_id: str) -> list[Record]:
    """Human messages and thread replies in a channel (`is_content`; a broadcast reply once). Outsiders'
    messages are included (the timeline keeps them, as external); `person_email` tells them apart."""
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
        if is_content(m, bots):
            out.append(m)
    return sorted(out, key=lambda m: m["ts"])


def directory_emails(org: Organisation) -> frozenset[str]:
    """The lower-cased emails of the organisation's people: its own directories (incident.io users,
    active or not, Slack workspace members, Zoom account users, PagerDuty users). Slack Connect users,
    guests, call-in guests, masked or unknown emails are not in it: they are outsiders."""

    def build() -> frozenset[str]:
        emails = {p.email for p in org.people}
        emails |= {u["email"].lower() for u in org.io_users}
        emails |= {u["email"].lower() for u in org.zoom_users}
        emails |= {u["email"].lower() for u in org.pd_users}
        emails |= {
            u["profile"]["email"].lower()
            for u in org.slack_users
            if (u.get("profile") or {}).get("email") and not _is_outside_slack_user(org, u)
        }
        return frozenset(emails)

    return org.cached(("oracle_directory_emails",), build)


def _is_outside_slack_user(org: Organisation, user: Record) -> bool:
    """A Slack user who is not a member of the workspace itself: another team's (Slack Connect,
    `is_stranger`) or a guest (`is_restricted`, `is_ultra_restricted`)."""
    return bool(
        user.get("team_id") != org.slack_team_id
        or user.get("is_stranger")
        or user.get("is_restricted")
        or user.get("is_ultra_restricted")
    )


def person_email(org: Organisation, email: str | None) -> str | None:
    """The person behind an email (lower-cased), or None for an outsider or no email."""
    if not email:
        return None
    lowered = email.lower()
    return lowered if lowered in directory_emails(org) else None


def slack_person_email(org: Organisation, user_id: str | None) -> str | None:
    """The person behind a Slack user id: a workspace member's profile email, or the incident.io user
    whose `slack_user_id` it is (how a deleted member keeps an owner); None for outsiders and bots."""
    users = {u["id"]: u for u in org.slack_users}
    user = users.get(user_id or "")
    if user is not None and (_is_outside_slack_user(org, user) or user.get("is_bot")):
        return None
    by_io = {u["slack_user_id"]: u["email"].lower() for u in org.io_users if u.get("slack_user_id")}
    if user_id in by_io:
        return by_io[user_id]
    return person_email(org, ((user or {}).get("profile") or {}).get("email"))


# ----------------------------------------------------------------------- teams and fields (second wave)
@dataclass(frozen=True)
class TeamFacts:
    """One team of `dim_teams`, with its members (lower-cased emails) for `dim_team_members`."""

    team_id: str
    team_name: str
    incidentio_team_id: str | None
    pagerduty_team_id: str | None
    members: frozenset[str]

    @property
    def member_count(self) -> int:
        return len(self.members)


def team_key(name: str) -> str:
    """What makes an incident.io team and a PagerDuty team one team: the name trimmed and lower-cased."""
    return name.strip().lower()


def teams(org: Organisation) -> dict[str, TeamFacts]:
    """Every team, keyed by `team_id`: the incident.io team id, else `pagerduty:<PagerDuty team id>`.
    Members are the incident.io members and the PagerDuty users whose `teams[]` hold the team, by
    lower-cased email; a team in both tools keeps its incident.io name."""
    pd_members: dict[str, set[str]] = {}
    for user in org.pd_users:
        for ref in user.get("teams") or []:
            pd_members.setdefault(ref["id"], set()).add(user["email"].lower())
    pd_by_key = {team_key(t["name"]): t for t in org.pd_teams}
    out: dict[str, TeamFacts] = {}
    matched: set[str] = set()
    for t in org.io_teams:
        pd = pd_by_key.get(team_key(t["name"]))
        emails = {m["email"].lower() for m in t["members"] if m.get("email")}
        if pd is not None:
            matched.add(pd["id"])
            emails |= pd_members.get(pd["id"], set())
        out[t["id"]] = TeamFacts(t["id"], t["name"], t["id"], pd["id"] if pd else None, frozenset(emails))
    for pd in org.pd_teams:
        if pd["id"] not in matched:
            team_id = f"pagerduty:{pd['id']}"
            out[team_id] = TeamFacts(
                team_id, pd["name"], None, pd["id"], frozenset(pd_members.get(pd["id"], ()))
            )
    return out


def incident_teams(org: Organisation) -> dict[str, dict[str, str]]:
    """`fct_incident_teams`: incident id -> {team_id: attributed_by}, for incidents of every mode. A
    custom-field value whose catalog entry is a team's gives `custom_field`; an incident with none takes
    the `teams[]` of its linked PagerDuty incident (`pagerduty`); otherwise it is absent."""
    all_teams = teams(org)
    by_entry = {t["catalog_entry"]["id"]: t["id"] for t in org.io_teams}
    by_pd = {f.pagerduty_team_id: f.team_id for f in all_teams.values() if f.pagerduty_team_id}
    out: dict[str, dict[str, str]] = {}
    for incident in org.io_incidents.values():
        found = {
            by_entry[entry_id]: "custom_field"
            for entry in incident["custom_field_entries"]
            for value in entry["values"]
            if (entry_id := (value.get("value_catalog_entry") or {}).get("id")) in by_entry
        }
        if not found:
            pd = org.pd_incidents.get(linked_pagerduty_incident_id(org, incident) or "")
            found = {
                by_pd[ref["id"]]: "pagerduty" for ref in (pd or {}).get("teams") or [] if ref["id"] in by_pd
            }
        if found:
            out[incident["id"]] = found
    return out


@dataclass(frozen=True)
class PostmortemFacts:
    """Post-mortem completion of one incident (the `metrics_post_incident` inputs)."""

    incident_id: str
    document_count: int
    completed_count: int
    earliest_completed_at: datetime | None
    # Earliest completion minus resolution, in hours; None without both, or when it comes first.
    hours_to_completed: float | None


def postmortems(org: Organisation) -> dict[str, PostmortemFacts]:
    """Per incident with at least one document. A document's `completed_at` is its `updated_at` when its
    status is `completed` (the API records no completion time)."""
    by_incident: dict[str, list[Record]] = {}
    for doc in org.io_postmortems:
        by_incident.setdefault(doc["incident_id"], []).append(doc)
    out = {}
    for incident_id, docs in by_incident.items():
        done = [parse_time(d["updated_at"]) for d in docs if d["status"] == "completed"]
        earliest = min(done) if done else None  # type: ignore[type-var]
        incident = org.io_incidents.get(incident_id)
        resolved = resolved_at(org, incident) if incident else None
        hours = None
        if earliest is not None and resolved is not None and earliest >= resolved:
            hours = (earliest - resolved).total_seconds() / 3600
        out[incident_id] = PostmortemFacts(incident_id, len(docs), len(done), earliest, hours)
    return out


# --------------------------------------------------------------------------- on-call (second wave)
@dataclass(frozen=True)
class ShiftFacts:
    """One shift of one person (`fct_oncall_shifts`), times in UTC."""

    source: str  # "pagerduty" | "incidentio"
    schedule_id: str
    escalation_level: int | None
    person_email: str
    start_at: datetime
    end_at: datetime


def oncall_shifts(org: Organisation, since: datetime, until: datetime) -> list[ShiftFacts]:
    """Shifts overlapping [since, until): incident.io `final` schedule entries, and PagerDuty's weekly
    rotation at levels 1 and 2 of each service (`Organisation.on_call`, what `/oncalls` serves)."""
    out = []
    for schedule_id, entries in org.io_schedule_entries.items():
        for e in entries.final:
            start, end = parse_time(e["start_at"]), parse_time(e["end_at"])
            if end > since and start < until:  # type: ignore[operator]
                out.append(
                    ShiftFacts("incidentio", schedule_id, None, e["user"]["email"].lower(), start, end)
                )  # type: ignore[arg-type]
    week = 7 * 86400.0
    origin = org.rotation_start()
    first = max(0, int((since.timestamp() - origin) // week))
    last = int((until.timestamp() - origin) // week)
    for k in range(first, last + 1):
        begin, end = origin + k * week, origin + (k + 1) * week
        if end <= since.timestamp() or begin >= until.timestamp():
            continue
        for service in org.pd_services:
            if not org.context.rotation.get(service["id"]):
                continue
            for level in (1, 2):
                person = org.on_call(service["id"], begin + week / 2, level)
                if person.pagerduty_id is None:
                    continue
                schedule_id = f"PS{service['escalation_policy']['id'][2:]}{level}"
                out.append(
                    ShiftFacts(
                        "pagerduty",
                        schedule_id,
                        level,
                        person.pagerduty_email.lower(),
                        datetime.fromtimestamp(begin, UTC),
                        datetime.fromtimestamp(end, UTC),
                    )
                )
    return sorted(out, key=lambda s: (s.start_at, s.source, s.schedule_id, s.person_email))


def hour_bands(start: datetime, end: datetime, timezone: str) -> tuple[float, float, float]:
    """(business, off, sleep) hours of [start, end) in `timezone`: business Monday-Friday 08:00-18:00,
    sleep every day 22:00-08:00, off the rest. Walks half-hour UTC steps, on which every local hour of
    the zones in use (Asia/Kolkata's half hour included) begins."""
    zone = ZoneInfo(timezone)
    bands = [0.0, 0.0, 0.0]
    t = start
    while t < end:
        whole = t.replace(second=0, microsecond=0)
        boundary = whole.replace(minute=30) if t.minute < 30 else whole.replace(minute=0) + timedelta(hours=1)
        step_end = min(end, boundary)
        bands[BANDS.index(band_of(t, zone))] += (step_end - t).total_seconds() / 3600
        t = step_end
    return bands[0], bands[1], bands[2]


BANDS = ("business", "off", "sleep")


def band_of(at: datetime, timezone: str | ZoneInfo) -> str:
    """The hour band of an instant in a time zone: `sleep` 22:00-08:00 every day, `business` Monday-Friday
    08:00-18:00, `off` the rest (weekday evenings 18:00-22:00, weekend days 08:00-22:00)."""
    local = at.astimezone(timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone))
    if local.hour >= 22 or local.hour < 8:
        return "sleep"
    if local.weekday() < 5 and local.hour < 18:
        return "business"
    return "off"


def union_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of time spans as disjoint spans in order: overlapping or touching spans merge (two rotas
    at once count once). Empty spans are dropped."""
    merged: list[list[datetime]] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def week_of(at: datetime) -> date:
    """The Monday (UTC) of the ISO week of `at`."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def oncall_hours(
    org: Organisation, since: datetime, until: datetime, built_at: datetime
) -> dict[tuple[str, date], tuple[float, float, float, float]]:
    """`metrics_oncall_burden` hours: (person email, ISO week's Monday in UTC) -> (hours, business, off,
    sleep). The union of a person's shifts of both sources (two rotas at once count once), cut at
    `built_at` (a future shift has no hours) and at [since, until); bands in the person's time zone."""
    zones = {p.email: p.timezone for p in org.people}
    by_person: dict[str, list[tuple[datetime, datetime]]] = {}
    for s in oncall_shifts(org, since, until):
        lo, hi = max(s.start_at, since), min(s.end_at, until, built_at)
        if hi > lo:
            by_person.setdefault(s.person_email, []).append((lo, hi))
    out: dict[tuple[str, date], tuple[float, float, float, float]] = {}
    for email, spans in by_person.items():
        for lo, hi in union_spans(spans):
            t = lo
            while t < hi:
                monday = (t - timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
                cut = min(hi, monday + timedelta(days=7))
                business, off, sleep = hour_bands(t, cut, zones.get(email, "UTC"))
                key = (email, monday.date())
                old = out.get(key, (0.0, 0.0, 0.0, 0.0))
                total = (cut - t).total_seconds() / 3600
                out[key] = (old[0] + total, old[1] + business, old[2] + off, old[3] + sleep)
                t = cut
    return out


def first_alert_at(org: Organisation) -> dict[str, datetime]:
    """`fct_incidents.first_alert_at`: per incident with an alert, the earliest `created_at` of its linked
    PagerDuty incident and of the incident.io alerts `/v2/incident_alerts` ties to it."""
    out: dict[str, datetime] = {}
    alerts = {a["id"]: a for a in org.io_alerts}
    for incident in org.io_incidents.values():
        pd = org.pd_incidents.get(linked_pagerduty_incident_id(org, incident) or "")
        if pd is not None:
            out[incident["id"]] = parse_time(pd["created_at"])  # type: ignore[assignment]
    for link in org.io_incident_alerts:
        at = parse_time(alerts[link["alert_id"]]["created_at"])
        current = out.get(link["incident_id"])
        out[link["incident_id"]] = at if current is None or at < current else current  # type: ignore[assignment,operator]
    return out


# ----------------------------------------------------------------------------------- shared statistics
def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (`quantile_cont`); `values` must not be empty."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def month_of(at: datetime) -> date:
    """The first day of the (UTC) month of `at`."""
    return at.astimezone(UTC).date().replace(day=1)


# ------------------------------------------------------------------------------ responder workload
def slack_emails(org: Organisation) -> dict[str, str]:
    """Slack user id -> person email: by the person's Slack id, and incident.io users' `slack_user_id`
    (which is how a deleted Slack user, who has no email left, keeps an owner)."""
    emails = {u["slack_user_id"]: u["email"].lower() for u in org.io_users if u.get("slack_user_id")}
    emails.update({p.slack_id: p.email for p in org.people})
    return emails


def pagerduty_emails(org: Organisation) -> dict[str, str]:
    """PagerDuty user id -> lower-cased email."""
    return {u["id"]: u["email"].lower() for u in org.pd_users}


def linked_pagerduty(org: Organisation) -> dict[str, str]:
    """incident.io incident id -> linked PagerDuty incident id (docs/metrics.md#linking-the-tools)."""
    return {
        inc_id: pd
        for inc_id, inc in org.io_incidents.items()
        if (pd := linked_pagerduty_incident_id(org, inc)) is not None
    }


def union_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    """Length of the union of the intervals, in seconds."""
    return sum((hi - lo).total_seconds() for lo, hi in union_spans(intervals))


def zoom_rows(org: Organisation) -> dict[str, list[tuple[str, Record]]]:
    """Participant rows of every call instance linked to an incident, per instance uuid (an instance in
    two incidents' windows counted once), with the incident ids."""
    out: dict[str, list[tuple[str, Record]]] = {}
    for inc in org.io_incidents.values():
        for instance in call_instances(org, inc):
            if len(instance.participants) > 1:
                out.setdefault(instance.uuid, [(inc["id"], r) for r in admitted_rows(instance)])
    return out


def activities(org: Organisation) -> dict[tuple[str, str], list[tuple[datetime, datetime, bool]]]:
    """(person, incident) -> activities (start, end, is_interval) by docs/metrics.md#workload: Slack
    messages, incident updates and PagerDuty acknowledgements are instants, Zoom rows intervals."""
    s_emails, pd_emails = slack_emails(org), pagerduty_emails(org)
    linked = linked_pagerduty(org)
    acts: dict[tuple[str, str], list[tuple[datetime, datetime, bool]]] = defaultdict(list)
    for inc_id, inc in org.io_incidents.items():
        channel = inc["slack_channel_id"]
        for message in slack_people_messages(org, channel) if channel else []:
            email = s_emails.get(message.get("user"))
            at = datetime.fromtimestamp(float(message["ts"]), UTC)
            if email:
                acts[(email, inc_id)].append((at, at, False))
        for update in org.io_updates.get(inc_id, []):
            user = (update.get("updater") or {}).get("user") or {}
            if user.get("email"):
                at = parse_time(update["created_at"])  # type: ignore[assignment]
                acts[(user["email"].lower(), inc_id)].append((at, at, False))
        for entry in org.pd_log_entries.get(linked.get(inc_id, ""), []):
            if entry["type"] == "acknowledge_log_entry" and entry["agent"]["type"] == "user_reference":
                email = pd_emails.get(entry["agent"]["id"])
                at = parse_time(entry["created_at"])  # type: ignore[assignment]
                if email:
                    acts[(email, inc_id)].append((at, at, False))
        for instance in call_instances(org, inc):
            if len(instance.participants) <= 1:
                continue
            for row in admitted_rows(instance):
                if email := person_email(org, row["user_email"]):
                    start, end = parse_time(row["join_time"]), parse_time(row["leave_time"])
                    acts[(email, inc_id)].append((start, end, True))  # type: ignore[arg-type]
    return acts


def workload_minutes(org: Organisation) -> dict[tuple[str, date], float]:
    """incident.io's 10/20/60-minute rule (docs/metrics.md#workload), person × ISO week."""
    ten, twenty = timedelta(minutes=10), timedelta(minutes=20)
    per_hour: dict[tuple[str, datetime], float] = defaultdict(float)
    for (email, _incident), items in activities(org).items():
        items.sort(key=lambda a: a[0])
        stretches = []
        for i, (start, end, is_interval) in enumerate(items):
            until = end if is_interval else end + ten
            if i + 1 < len(items):
                next_start = items[i + 1][0]
                if next_start - end <= twenty and next_start > until:
                    until = next_start
            stretches.append((start, until))
        for start, until in union_spans(stretches):
            hour = start.replace(minute=0, second=0, microsecond=0)
            while hour < until:
                piece = min(until, hour + timedelta(hours=1)) - max(start, hour)
                per_hour[(email, hour)] += piece.total_seconds() / 60
                hour += timedelta(hours=1)
    weekly: dict[tuple[str, date], float] = defaultdict(float)
    for (email, hour), minutes in per_hour.items():
        weekly[(email, week_of(hour))] += min(minutes, 60.0)
    return weekly


WORKLOAD_COLUMNS = (
    "slack_message_count",
    "zoom_minutes",
    "page_count",
    "sleep_hour_page_count",
    "incident_count",
    "workload_minutes",
)


def responder_workload(org: Organisation) -> dict[tuple[str, date], dict[str, float]]:
    """`metrics_responder_workload`: (person email, ISO week) -> the `WORKLOAD_COLUMNS` (a column the
    person-week has nothing of is absent: read it with `.get(column, 0)`)."""

    def build() -> dict[tuple[str, date], dict[str, float]]:
        s_emails, pd_emails = slack_emails(org), pagerduty_emails(org)
        expected: dict[tuple[str, date], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        seen_messages: set[str] = set()
        for inc in org.io_incidents.values():
            channel = inc["slack_channel_id"]
            for message in slack_people_messages(org, channel) if channel else []:
                email = s_emails.get(message.get("user"))
                key = f"{channel}:{message['ts']}"
                if email and key not in seen_messages:
                    seen_messages.add(key)
                    week = week_of(datetime.fromtimestamp(float(message["ts"]), UTC))
                    expected[(email, week)]["slack_message_count"] += 1
        for instance_rows in zoom_rows(org).values():
            spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
            for _incident, row in instance_rows:
                if email := person_email(org, row["user_email"]):
                    spans[email].append((parse_time(row["join_time"]), parse_time(row["leave_time"])))  # type: ignore[arg-type]
            for email, intervals in spans.items():
                first_join = min(start for start, _ in intervals)
                expected[(email, week_of(first_join))]["zoom_minutes"] += union_seconds(intervals) / 60
        tz = {u["id"]: u["time_zone"] for u in org.pd_users}
        for entries in org.pd_log_entries.values():
            for user, at in interruptions(entries):
                if user in pd_emails:
                    cell = expected[(pd_emails[user], week_of(at))]
                    cell["page_count"] += 1
                    cell["sleep_hour_page_count"] += is_sleep_hour(at, tz.get(user, "UTC"))
        incidents_active: dict[tuple[str, date], set[str]] = defaultdict(set)
        for (email, incident), items in activities(org).items():
            for start, _end, _is_interval in items:
                incidents_active[(email, week_of(start))].add(incident)
        for key, incidents in incidents_active.items():
            expected[key]["incident_count"] = len(incidents)
        for key, minutes in workload_minutes(org).items():
            expected[key]["workload_minutes"] = minutes
        return {key: dict(values) for key, values in expected.items()}

    return org.cached(("oracle_responder_workload",), build)


# ------------------------------------------------------------------ second wave: fields and team metrics
@dataclass(frozen=True)
class FieldValueFacts:
    """One row of `fct_incident_field_values`."""

    incident_id: str
    custom_field_id: str
    custom_field_name: str
    field_type: str
    value: str
    value_numeric: float | None
    catalog_entry_id: str | None


def field_values(org: Organisation) -> list[FieldValueFacts]:
    """A row per custom-field value of every incident (every mode): a multi-select gives a row per
    option, an entry with no values none. `value` is the option's `value`, the catalog entry's `name`,
    the text, the link or the numeric string as sent; `value_numeric` is that string as a number."""
    out = []
    for incident in org.io_incidents.values():
        for entry in incident["custom_field_entries"]:
            field = entry["custom_field"]
            for v in entry["values"]:
                entry_id = None
                numeric = None
                if v.get("value_option"):
                    text = v["value_option"]["value"]
                elif v.get("value_catalog_entry"):
                    text, entry_id = v["value_catalog_entry"]["name"], v["value_catalog_entry"]["id"]
                elif v.get("value_numeric") is not None:
                    text, numeric = v["value_numeric"], float(v["value_numeric"])
                else:
                    text = v.get("value_text") if v.get("value_text") is not None else v.get("value_link")
                out.append(
                    FieldValueFacts(
                        incident["id"],
                        field["id"],
                        field["name"],
                        field["field_type"],
                        text,
                        numeric,
                        entry_id,
                    )
                )
    return out


@dataclass(frozen=True)
class DurationGroup:
    """A `metrics_mttr`-like group: counts and the mean, median and p90 of the non-null durations."""

    incident_count: int
    resolved_count: int
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


def _duration_group(members: list[IncidentFacts]) -> DurationGroup:
    durations = [f.time_to_resolve_seconds for f in members if f.time_to_resolve_seconds is not None]
    return DurationGroup(
        incident_count=len(members),
        resolved_count=sum(1 for f in members if f.resolved_at is not None),
        mean_seconds=sum(durations) / len(durations) if durations else None,
        median_seconds=percentile(durations, 0.5) if durations else None,
        p90_seconds=percentile(durations, 0.9) if durations else None,
    )


TeamMonthKey = tuple[date, str | None, str | None]


def mttr_by_team(org: Organisation) -> dict[TeamMonthKey, tuple[str | None, DurationGroup]]:
    """`metrics_mttr_by_team`: (month of `reported_at`, team_id, severity_name) -> (team_name, group),
    over `is_in_metrics` incidents; an incident with two teams counts in both, one with none in the
    group whose team_id and team_name are null."""
    all_teams, attributed = teams(org), incident_teams(org)
    groups: dict[TeamMonthKey, list[IncidentFacts]] = defaultdict(list)
    for fact in incident_facts(org).values():
        if not fact.is_in_metrics:
            continue
        for team_id in attributed.get(fact.incident_id) or [None]:
            groups[(month_of(fact.reported_at), team_id, fact.severity_name)].append(fact)
    return {
        key: (all_teams[key[1]].team_name if key[1] else None, _duration_group(members))
        for key, members in groups.items()
    }


TEAM_WORKLOAD_SUMS = ("workload_minutes", "page_count", "sleep_hour_page_count")


def team_workload(org: Organisation) -> dict[tuple[str, date], dict[str, float]]:
    """`metrics_team_workload`: (team_id, ISO week) -> member_count, incident_count and the sums over
    the team's current members of `TEAM_WORKLOAD_SUMS` from `responder_workload`. incident_count = the
    team's `is_in_metrics` incidents (`incident_teams`) reported that week. A row for each team-week in
    which a member has a workload row or the team has such an incident."""
    workload = responder_workload(org)
    facts = incident_facts(org)
    out: dict[tuple[str, date], dict[str, float]] = {}
    for team in teams(org).values():

        def cell(week: date, team: TeamFacts = team) -> dict[str, float]:
            return out.setdefault(
                (team.team_id, week),
                {
                    "member_count": team.member_count,
                    "incident_count": 0,
                    **dict.fromkeys(TEAM_WORKLOAD_SUMS, 0),
                },
            )

        for (email, week), values in workload.items():
            if email in team.members:
                row = cell(week)
                for column in TEAM_WORKLOAD_SUMS:
                    row[column] += values.get(column, 0)
        for incident_id, found in incident_teams(org).items():
            fact = facts[incident_id]
            if team.team_id in found and fact.is_in_metrics:
                cell(week_of(fact.reported_at))["incident_count"] += 1
    return out


@dataclass(frozen=True)
class PostIncidentGroup:
    """One row of `metrics_post_incident` (month of `resolved_at` × severity)."""

    resolved_count: int
    postmortem_count: int
    postmortem_completed_count: int
    median_hours_to_postmortem_completed: float | None
    follow_up_count: int
    follow_up_completed_count: int
    median_days_to_follow_up_completed: float | None


def post_incident(org: Organisation) -> dict[tuple[date, str | None], PostIncidentGroup]:
    """`metrics_post_incident` over `is_in_metrics` incidents with a `resolved_at`, grouped by the month
    of `resolved_at` and severity (null severity its own group). The post-mortem median leaves out an
    incident whose earliest completion precedes its resolution (`postmortems`); the follow-up median is
    over completed follow-ups (status `completed`) with a `completed_at`, in days."""
    docs = postmortems(org)
    follow_ups: dict[str, list[Record]] = defaultdict(list)
    for f in org.io_follow_ups:
        follow_ups[f["incident_id"]].append(f)
    groups: dict[tuple[date, str | None], list[IncidentFacts]] = defaultdict(list)
    for fact in incident_facts(org).values():
        if fact.is_in_metrics and fact.resolved_at is not None:
            groups[(month_of(fact.resolved_at), fact.severity_name)].append(fact)
    out = {}
    for key, members in groups.items():
        pm = [docs[f.incident_id] for f in members if f.incident_id in docs]
        hours = [p.hours_to_completed for p in pm if p.hours_to_completed is not None]
        ups = [u for f in members for u in follow_ups.get(f.incident_id, [])]
        done = [u for u in ups if u["status"] == "completed"]
        days = [
            (parse_time(u["completed_at"]) - parse_time(u["created_at"])).total_seconds() / 86400  # type: ignore[operator]
            for u in done
            if u.get("completed_at")
        ]
        out[key] = PostIncidentGroup(
            resolved_count=len(members),
            postmortem_count=len(pm),
            postmortem_completed_count=sum(1 for p in pm if p.completed_count),
            median_hours_to_postmortem_completed=percentile(hours, 0.5) if hours else None,
            follow_up_count=len(ups),
            follow_up_completed_count=len(done),
            median_days_to_follow_up_completed=percentile(days, 0.5) if days else None,
        )
    return out


# ----------------------------------------------------------------- second wave: shifts, pages, burden
def person_zone(org: Organisation, email: str | None) -> str:
    """The person's time zone (`dim_people.timezone`), else UTC."""
    zones = org.cached(("oracle_zones",), lambda: {p.email: p.timezone for p in org.people})
    return zones.get(email or "", "UTC")


def shift_hours(
    org: Organisation, shift: ShiftFacts, built_at: datetime
) -> tuple[float, float, float, float]:
    """`fct_oncall_shifts` (hours, business, off, sleep) of one shift as of `built_at`: the part before
    the build (a running shift up to it, a future one 0), bands in the person's zone."""
    end = min(shift.end_at, built_at)
    if end <= shift.start_at:
        return 0.0, 0.0, 0.0, 0.0
    business, off, sleep = hour_bands(shift.start_at, end, person_zone(org, shift.person_email))
    return (end - shift.start_at).total_seconds() / 3600, business, off, sleep


@dataclass(frozen=True)
class PageFacts:
    """One row of `fct_pages` (the page id aside: it is the warehouse's own key)."""

    source: str  # "pagerduty" | "incidentio"
    person_email: str | None
    notified_at: datetime
    urgency: str | None
    incident_id: str | None
    pagerduty_incident_id: str | None
    escalation_id: str | None
    acknowledged_at: datetime | None
    is_sleep_hour: bool
    during_oncall_shift: bool


def page_band(org: Organisation, page: PageFacts) -> str:
    """The hour band of a page's `notified_at` in its person's zone."""
    return band_of(page.notified_at, person_zone(org, page.person_email))


def _all_shifts(org: Organisation) -> list[ShiftFacts]:
    """Every shift the generator holds (both sources), whatever the sync window."""
    since = datetime.fromtimestamp(org.rotation_start(), UTC) - timedelta(days=1)
    return oncall_shifts(org, since, org.anchor + timedelta(days=90))


def pages(org: Organisation) -> list[PageFacts]:
    """`fct_pages`: PagerDuty interruptions (push, phone or SMS notify log entries of a PagerDuty
    incident, per user) and incident.io escalation `notified_users` events (per notified user), each
    chained within 60 s per user and per PagerDuty incident or escalation (`chain_pages`). `notified_at`
    is the page's first notification. PagerDuty pages take the incident's urgency, first acknowledgement
    and linked incident (docs/metrics.md, linking the tools); incident.io pages the urgency of their
    first event, the escalation's first `acked` event and the first related incident.
    `during_oncall_shift`: a shift of either source with start_at <= notified_at < end_at."""
    shifts_by_person: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in _all_shifts(org):
        shifts_by_person[s.person_email].append((s.start_at, s.end_at))

    def on_shift(email: str | None, at: datetime) -> bool:
        return any(lo <= at < hi for lo, hi in shifts_by_person.get(email or "", ()))

    def page(source: str, email: str | None, at: datetime, **kw: object) -> PageFacts:
        return PageFacts(
            source=source,
            person_email=email,
            notified_at=at,
            is_sleep_hour=band_of(at, person_zone(org, email)) == "sleep",
            during_oncall_shift=on_shift(email, at),
            **kw,  # type: ignore[arg-type]
        )

    pd_emails = pagerduty_emails(org)
    facts = pagerduty_facts(org)
    out = []
    for pid, entries in org.pd_log_entries.items():
        fact = facts.get(pid)
        for user, at in interruptions(entries):
            out.append(
                page(
                    "pagerduty",
                    pd_emails.get(user),
                    at,
                    urgency=fact.urgency if fact else None,
                    incident_id=fact.incident_id if fact else None,
                    pagerduty_incident_id=pid,
                    escalation_id=None,
                    acknowledged_at=fact.first_acknowledged_at if fact else None,
                )
            )
    for escalation in org.io_escalations:
        acks = [parse_time(e["occurred_at"]) for e in escalation["events"] if e["event"] == "acked"]
        related = escalation.get("related_incidents") or []
        first = related[0] if related else None
        incident_id = first["id"] if isinstance(first, dict) else first
        notified: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
        for event in escalation["events"]:
            if event["event"] == "notified_users":
                for user in event.get("users") or []:
                    at = parse_time(event["occurred_at"])
                    notified[user["email"].lower()].append((at, event.get("urgency")))  # type: ignore[arg-type]
        for email, items in notified.items():
            urgency_at = dict(sorted(items, key=lambda x: x[0], reverse=True))  # earliest wins on a tie
            for chained in chain_pages([t for t, _ in items]):
                out.append(
                    page(
                        "incidentio",
                        email,
                        chained[0],
                        urgency=urgency_at[chained[0]],
                        incident_id=incident_id,
                        pagerduty_incident_id=None,
                        escalation_id=escalation["id"],
                        acknowledged_at=min(acks) if acks else None,  # type: ignore[type-var]
                    )
                )
    return sorted(out, key=lambda p: (p.notified_at, p.source, p.person_email or ""))


BURDEN_HOURS = ("oncall_hours", "business_hours", "off_hours", "sleep_hours")
BURDEN_PAGES = ("page_count", "off_hours_page_count", "sleep_hour_page_count", "pages_outside_shift_count")


def oncall_burden(org: Organisation, built_at: datetime) -> dict[tuple[str, date], dict[str, float]]:
    """`metrics_oncall_burden`: (person email, ISO week in UTC) -> `BURDEN_HOURS` (the union of the
    person's shifts as of `built_at`, `oncall_hours`) and `BURDEN_PAGES` (pages by the week and band of
    `notified_at`). A row per person-week with hours > 0 or a page: a week whose only shifts are still
    to come has none."""
    since = datetime.fromtimestamp(org.rotation_start(), UTC) - timedelta(days=1)
    out: dict[tuple[str, date], dict[str, float]] = {}

    def cell(key: tuple[str, date]) -> dict[str, float]:
        return out.setdefault(key, dict.fromkeys((*BURDEN_HOURS, *BURDEN_PAGES), 0))

    for key, values in oncall_hours(org, since, org.anchor + timedelta(days=90), built_at).items():
        cell(key).update(zip(BURDEN_HOURS, values, strict=True))
    for p in pages(org):
        if p.person_email is None:
            continue
        row = cell((p.person_email, week_of(p.notified_at)))
        band = page_band(org, p)
        row["page_count"] += 1
        row["off_hours_page_count"] += band == "off"
        row["sleep_hour_page_count"] += band == "sleep"
        row["pages_outside_shift_count"] += not p.during_oncall_shift
    return out


def time_to_declare(org: Organisation) -> dict[str, float | None]:
    """`fct_incidents.time_to_declare_seconds` per incident with an alert (`first_alert_at`):
    `created_at − first_alert_at` in seconds, None when negative (declared before the alert)."""
    out = {}
    for incident_id, first in first_alert_at(org).items():
        seconds = (parse_time(org.io_incidents[incident_id]["created_at"]) - first).total_seconds()  # type: ignore[operator]
        out[incident_id] = seconds if seconds >= 0 else None
    return out
