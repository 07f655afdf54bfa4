"""incident.io On-call (second wave): schedules and their entries, alerts, escalations and which alert
opened which incident.

Three schedules, each owned by one incident.io team, in three time zones: a weekly rota handing over on
Monday mornings in London (its shifts cross ISO week boundaries), a daily primary plus weekly secondary
rota in New York (one person can hold both at once; daily shifts last 23 or 25 hours across DST), and a
twelve-hour rota in Los Angeles for the twin of a PagerDuty team, so some people are on call in both
tools. Overrides hand part of a shift to someone else; the `final` list is the rota with them merged in.

Escalations come from alerts: the people on shift are notified (sometimes twice within 60 s), then
they acknowledge, or the escalation goes to a manager who is on no shift, or it expires, or is cancelled
when the alert resolves. About a quarter of the standard incidents were opened by an alert that fired
1-15 minutes before; one incident was declared before its alert fired.

Every part draws from its own stream (`incidentio-oncall:*`, one per incident for its alert), so the rest
of the organisation is untouched.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.sandbox.generate.common import DAY, HOUR, MIN, Build, lognorm
from pipelines.sandbox.generate.teams import IO_ONLY_TEAMS
from pipelines.sandbox.ids import iso_ms, stable_hash, ulid
from pipelines.sandbox.model import Person, Record, ScheduleEntries

FUTURE_DAYS = 60  # entries are generated this far past the anchor (the API can be asked ahead)
ALERT_SOURCES = ("Datadog", "Grafana", "Sentry")
# (share of escalations, how it ends); `escalated` goes to a manager after 5 minutes and they acknowledge.
OUTCOMES = (("acked", 50), ("escalated", 15), ("expired", 10), ("cancelled", 12), ("resolved", 13))
INCIDENT_ALERT_SHARE = 0.25


@dataclass
class _Rotation:
    name: str
    kind: str  # "daily" | "weekly" | "hourly"
    interval: int
    hour: int  # local handover hour
    offset: int  # who starts: index into the users
    users: list[Person]


def user_ref(p: Person) -> Record:
    """A person as incident.io's embedded user object."""
    return {
        "id": p.incidentio_id,
        "name": p.name,
        "email": p.email,
        "role": "unset",
        "slack_user_id": p.slack_id,
    }


def _handovers(rot: _Rotation, zone: str, start: float, end: float) -> list[float]:
    """Handover instants (Unix seconds) from the first local handover at or before `start` to past `end`.
    Daily and weekly steps are in local wall time (so a day across a DST change lasts 23 or 25 hours);
    hourly steps are exact hours."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(start, tz).replace(hour=rot.hour, minute=0, second=0, microsecond=0)
    if rot.kind == "weekly":
        local -= timedelta(days=local.weekday())  # Mondays
    out = []
    k = 0
    while True:
        if rot.kind == "hourly":
            t = local.timestamp() + k * rot.interval * HOUR
        else:
            step = timedelta(days=rot.interval * (7 if rot.kind == "weekly" else 1))
            t = (local + k * step).timestamp()  # aware arithmetic is wall-clock time
        out.append(t)
        if t > end:
            return out
        k += 1


def add_oncall(b: Build) -> None:
    """Fill the schedules, their entries, alerts, escalations and incident alerts."""
    org = b.org
    if not org.io_teams:
        return
    rng = b.rng("incidentio-oncall:schedules")
    by_id = {p.incidentio_id: p for p in org.people}
    twins = list(b.state.io_team_by_pd_team.values())
    io_only = [t for t in org.io_teams if t not in twins]
    # In the order teams.py names them (Mobile, Site Reliability, ...), whatever the ids.
    io_only.sort(
        key=lambda t: IO_ONLY_TEAMS.index(t["name"]) if t["name"] in IO_ONLY_TEAMS else len(IO_ONLY_TEAMS)
    )
    twin = twins[-1]

    def members(team: Record, prefer_pd: bool = False) -> list[Person]:
        people = [by_id[m["id"]] for m in team["members"]]
        if prefer_pd:
            people.sort(key=lambda p: p.pagerduty_id is None)
        while len(people) < 3:  # a rota needs a few people: borrow from the whole organisation
            extra = org.people[rng.randrange(len(org.people))]
            if extra not in people:
                people.append(extra)
        return people[:6]

    mobile, sre = io_only[0], io_only[1]
    sre_people = members(sre)
    plans = [
        (
            f"{mobile['name'].strip()} on-call",
            mobile,
            "Europe/London",
            [_Rotation("Primary", "weekly", 1, 9, 0, members(mobile))],
        ),
        (
            f"{sre['name'].strip()} on-call",
            sre,
            "America/New_York",
            [
                _Rotation("Primary", "daily", 1, 9, 0, sre_people),
                _Rotation("Secondary", "weekly", 1, 9, 1, sre_people[:4]),
            ],
        ),
        (
            f"{twin['name'].strip()} on-call (moving from PagerDuty)",
            twin,
            "America/Los_Angeles",
            [_Rotation("Follow the clock", "hourly", 12, 8, 0, members(twin, prefer_pd=True))],
        ),
    ]
    start, end = b.start, b.anchor + FUTURE_DAYS * DAY
    created = iso_ms(b.start - 30 * DAY)
    for name, team, zone, rotations in plans:
        sid = ulid(rng, b.start - 30 * DAY)
        entries = ScheduleEntries()
        config = []
        for rot in rotations:
            rid, lid = ulid(rng, b.start - 30 * DAY), ulid(rng, b.start - 30 * DAY)
            times = _handovers(rot, zone, start, end)
            scheduled = []
            for k in range(len(times) - 1):
                who = rot.users[(k + rot.offset) % len(rot.users)]
                scheduled.append(_entry(rng, rid, lid, who, times[k], times[k + 1]))
            # Outsiders covering a shift are PagerDuty users: managers (below) stay on no shift at all.
            stand_ins = [p for p in org.people if p.pagerduty_id]
            overrides = _overrides(rng, scheduled, rot, stand_ins, rid, lid)
            entries.scheduled += scheduled
            entries.overrides += overrides
            entries.final += _merge(rng, scheduled, overrides)
            config.append(
                {
                    "id": rid,
                    "name": rot.name,
                    "handover_start_at": iso_ms(times[0]),
                    "handovers": [{"interval": rot.interval, "interval_type": rot.kind}],
                    "layers": [{"id": lid, "name": "Layer 1"}],
                    "users": [user_ref(p) for p in rot.users],
                    "working_intervals": [],
                    "scheduling_mode": "sequential",
                    "effective_from": iso_ms(times[0]),
                }
            )
        for lst in (entries.scheduled, entries.overrides, entries.final):
            lst.sort(key=lambda e: (e["start_at"], e["entry_id"]))
        org.io_schedule_entries[sid] = entries
        org.io_schedules.append(
            {
                "id": sid,
                "name": name,
                "timezone": zone,
                "team_ids": [team["id"]],
                "config": {"rotations": config},
                "annotations": {},
                "holidays_public_config": {"country_codes": []},
                "permalink": f"https://app.incident.io/{org.company}/on-call/schedules/{sid}",
                "created_at": created,
                "updated_at": created,
            }
        )
    # Managers: people on no rota of any schedule and not on PagerDuty, paged when nobody acknowledges.
    on_rota = {p.index for _, _, _, rotations in plans for r in rotations for p in r.users}
    managers = [p for p in org.people if p.pagerduty_id is None and p.index not in on_rota]
    _alerts_and_escalations(b, managers or [p for p in org.people if p.index not in on_rota])


def _entry(rng: random.Random, rid: str, lid: str, who: Person, start: float, end: float) -> Record:
    eid = ulid(rng, start)
    return {
        "entry_id": eid,
        "fingerprint": f"{rid}:{lid}:{who.incidentio_id}:{int(start)}",
        "rotation_id": rid,
        "layer_id": lid,
        "start_at": iso_ms(start),
        "end_at": iso_ms(end),
        "user": user_ref(who),
    }


def _t(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def _overrides(
    rng: random.Random, scheduled: list[Record], rot: _Rotation, people: list[Person], rid: str, lid: str
) -> list[Record]:
    """About one override a fortnight: part of a shift (or all of it) taken by another rota member,
    now and then by someone from outside the rota."""
    out = []
    k = rng.randrange(3)
    while k < len(scheduled):
        e = scheduled[k]
        s, t = _t(e["start_at"]), _t(e["end_at"])
        a = s + (t - s) * rng.choice((0.0, 0.0, 0.25, 0.5))
        z = min(t, a + rng.uniform(2 * HOUR, max(2 * HOUR, t - a)))
        pool = [p for p in rot.users if p.incidentio_id != e["user"]["id"]]
        who = rng.choice(pool) if rng.random() < 0.85 or not people else rng.choice(people)
        if who.incidentio_id != e["user"]["id"]:
            out.append(_entry(rng, rid, lid, who, a, z))
        k += max(1, round(14 * DAY / max(t - s, HOUR))) + rng.randrange(3)
    return out


def _merge(rng: random.Random, scheduled: list[Record], overrides: list[Record]) -> list[Record]:
    """The `final` list of one rotation: scheduled entries with the override spans cut out (a cut
    shift keeps its id on the first piece), plus the overrides."""
    spans = sorted((_t(o["start_at"]), _t(o["end_at"])) for o in overrides)
    span_starts = [a for a, _ in spans]
    out = list(overrides)
    for e in scheduled:
        s0, t0 = _t(e["start_at"]), _t(e["end_at"])
        pieces = [(s0, t0)]
        # Overrides never outlast the shift they were cut from, so only those starting before its end
        # and at most a shift-length earlier can touch it.
        lo = bisect_right(span_starts, s0 - (t0 - s0) - 8 * DAY)
        for a, z in spans[lo : bisect_right(span_starts, t0)]:
            nxt = []
            for s, t in pieces:
                if z <= s or a >= t:
                    nxt.append((s, t))
                    continue
                if s < a:
                    nxt.append((s, a))
                if z < t:
                    nxt.append((z, t))
            pieces = nxt
        for k, (s, t) in enumerate(pieces):
            piece = dict(e, start_at=iso_ms(s), end_at=iso_ms(t))
            if k > 0 or len(pieces) > 1:
                piece["entry_id"] = ulid(rng, s) if k > 0 else e["entry_id"]
                piece["fingerprint"] = f"{e['fingerprint']}:{k}"
            out.append(piece)
    return out


def on_shift(final: list[Record], starts: list[float], at: float) -> list[Record]:
    """The entries of a schedule's `final` list running at `at` (start <= at < end); `starts` holds their
    start times (Unix seconds), in the same order."""
    i = bisect_right(starts, at)
    # Rotations overlap, but no shift is longer than a week plus a day of DST: look back that far.
    j = bisect_right(starts, at - 8 * DAY)
    return [e for e in final[j:i] if _t(e["end_at"]) > at]


def _alerts_and_escalations(b: Build, managers: list[Person]) -> None:
    org = b.org
    rng = b.rng("incidentio-oncall:alerts")
    sources = {n: ulid(rng, b.start - 60 * DAY) for n in ALERT_SOURCES}
    route_id = ulid(rng, b.start - 60 * DAY)
    paths = {s["id"]: ulid(rng, b.start - 30 * DAY) for s in org.io_schedules}
    schedule_of_team = {s["team_ids"][0]: s for s in org.io_schedules}
    team_of_entry = {t["catalog_entry"]["id"]: t for t in org.io_teams}
    # Alert times: noise spread over the year, then the alerts that opened incidents.
    n_noise = max(12, b.spec.incidents // 12) * len(org.io_schedules)
    jobs: list[tuple[float, Record, str | None]] = []  # (fired at, schedule, incident id)
    for _ in range(n_noise):
        jobs.append((rng.uniform(b.start + DAY, b.anchor - HOUR), rng.choice(org.io_schedules), None))
    late_done = False
    for inc in sorted(b.state.incidents.values(), key=lambda i: i.created):
        one = random.Random(f"{org.seed}:io-alert:{inc.id}")
        if inc.mode != "standard" or one.random() >= INCIDENT_ALERT_SHARE:
            continue
        if not late_done:
            fired = inc.created + 3 * MIN  # declared by hand before the alert fired
            late_done = True
        else:
            fired = inc.created - one.uniform(1, 15) * MIN
        record = org.io_incidents[inc.id]
        schedule: Record | None = None
        for entry in record["custom_field_entries"]:
            for v in entry["values"]:
                team = team_of_entry.get((v.get("value_catalog_entry") or {}).get("id", ""))
                if team and team["id"] in schedule_of_team and schedule is None:
                    schedule = schedule_of_team[team["id"]]
        if schedule is None:
            schedule = org.io_schedules[stable_hash(inc.id) % len(org.io_schedules)]
        jobs.append((fired, schedule, inc.id))
    jobs.sort(key=lambda j: j[0])
    starts = {
        sid: [_t(e["start_at"]) for e in entries.final] for sid, entries in org.io_schedule_entries.items()
    }
    for k, (fired, schedule, incident_id) in enumerate(jobs):
        final = org.io_schedule_entries[schedule["id"]].final
        one = random.Random(f"{org.seed}:io-escalation:{k}:{int(fired)}")
        source = one.choice(ALERT_SOURCES)
        title = one.choice(
            (
                "High error rate",
                "Latency above SLO",
                "Pod crash looping",
                "Queue depth high",
                "Disk almost full",
            )
        )
        alert_id = ulid(one, fired)
        outcome = one.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        if fired > b.anchor - 20 * MIN:
            outcome = "triggered"
        events, status, ended = _events(
            one, fired, outcome, partial(on_shift, final, starts[schedule["id"]]), managers
        )
        resolved_at = None
        if incident_id is not None:
            plan = b.state.incidents[incident_id]
            resolved_at = plan.resolved if plan.resolved and plan.resolved < b.anchor else None
        elif outcome in ("cancelled", "resolved", "acked", "escalated"):
            resolved_at = min(ended + lognorm(one, 30 * MIN, 0.8), b.anchor - MIN)
        alert: dict[str, Any] = {
            "id": alert_id,
            "title": f"{title} on {one.choice(org.pd_services)['name']}",
            "description": f"{title}: triggered by {source} monitor",
            "status": "resolved" if resolved_at else "firing",
            "alert_source_id": sources[source],
            "deduplication_key": f"{source.lower()}-{one.getrandbits(40):010x}",
            "source_url": f"https://{source.lower()}.{org.company}.example/alerts/{one.getrandbits(32)}",
            "alert_group_ids": [],
            "attributes": [],
            "created_at": iso_ms(fired),
            "updated_at": iso_ms(resolved_at or fired),
            "resolved_at": iso_ms(resolved_at) if resolved_at else None,
        }
        org.io_alerts.append(alert)
        escalation_created = fired + one.uniform(1, 5)
        org.io_escalations.append(
            {
                "id": ulid(one, escalation_created),
                "title": alert["title"],
                "status": status,
                "priority": {"name": one.choices(("P1", "P2", "P3", "P4"), (15, 35, 35, 15))[0]},
                "escalation_path_id": paths[schedule["id"]],
                "creator": {"alert": {"id": alert_id, "title": alert["title"]}},
                "events": events,
                "related_alerts": [alert],
                # Incident ids: the server renders each as the incident is now.
                "related_incidents": [incident_id] if incident_id else [],
                "created_at": iso_ms(escalation_created),
                "updated_at": events[-1]["occurred_at"],
            }
        )
        if incident_id is not None:
            org.io_incident_alerts.append(
                {
                    "id": ulid(one, fired),
                    "alert_id": alert_id,
                    "incident_id": incident_id,
                    "alert_route_id": route_id,
                }
            )
    # Newest first, as the incident listing.
    org.io_alerts.sort(key=lambda a: (a["created_at"], a["id"]), reverse=True)
    org.io_escalations.sort(key=lambda e: (e["created_at"], e["id"]), reverse=True)
    org.io_incident_alerts.sort(key=lambda a: a["id"], reverse=True)


def _events(
    rng: random.Random,
    fired: float,
    outcome: str,
    on_call: Callable[[float], list[Record]],
    managers: list[Person],
) -> tuple[list[Record], str, float]:
    """An escalation's events (`on_call(t)`: the schedule's entries running at t), its status, and when
    it settled."""
    t0 = fired + rng.uniform(1, 5)
    urgency = "high" if rng.random() < 0.6 else "low"
    users = list({e["user"]["id"]: e["user"] for e in on_call(t0)}.values())
    manager = user_ref(rng.choice(managers))
    if not users:  # a gap in the rota: straight to the manager
        users = [manager]
    events: list[Record] = []

    def add(at: float, kind: str, who: list[Record] | None = None) -> None:
        e: Record = {"id": ulid(rng, at), "event": kind, "occurred_at": iso_ms(at)}
        if kind == "notified_users":
            e.update(users=who, urgency=urgency)
        elif kind == "acked":
            e["users"] = who
        events.append(e)

    add(t0, "triggered")
    add(t0 + 1, "notified_users", users)
    if rng.random() < 0.35:  # a repeat notification within the minute: one page, not two
        add(t0 + rng.uniform(15, 55), "notified_users", users)
    t = t0 + 60
    if outcome in ("acked", "resolved"):
        t = t0 + min(lognorm(rng, 3 * MIN, 0.7), 4.5 * MIN)
        add(t, "acked", [users[0]])
        if outcome == "resolved":
            t += lognorm(rng, 40 * MIN, 0.8)
            add(t, "resolved")
        status = outcome
    elif outcome in ("escalated", "expired"):
        t = t0 + 5 * MIN
        add(t, "notified_users", [manager])
        if outcome == "escalated":
            t += rng.uniform(1, 6) * MIN
            add(t, "acked", [manager])
            status = "acked"
        else:
            t = t0 + 30 * MIN
            add(t, "expired")
            status = "expired"
    elif outcome == "cancelled":
        t = t0 + rng.uniform(1, 4) * MIN
        add(t, "cancelled")
        status = "cancelled"
    else:
        status = "triggered"
    return events, status, t
