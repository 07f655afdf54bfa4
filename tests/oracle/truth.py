"""The expected answers, computed straight from the Organisation (no SQL): what end-to-end tests compare
the warehouse against. Each function follows the metric ledger, docs/metrics.md."""

from __future__ import annotations

import re
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


def interruptions(entries: list[Record]) -> list[tuple[str, datetime]]:
    """(user id, time) per interruption: push, phone or SMS notifications (not email); notifications to one
    user within 60 s of the previous one count once."""
    by_user: dict[str, list[datetime]] = {}
    for e in entries:
        if e["type"] == "notify_log_entry" and notification_method(e) in INTERRUPTION_METHODS:
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
        local = t.astimezone(zone)
        if local.hour >= 22 or local.hour < 8:
            band = 2
        elif local.weekday() < 5 and local.hour < 18:
            band = 0
        else:
            band = 1
        bands[band] += (step_end - t).total_seconds() / 3600
        t = step_end
    return bands[0], bands[1], bands[2]


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
        spans.sort()
        merged: list[list[datetime]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        for lo, hi in merged:
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
