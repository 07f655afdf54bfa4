"""The organisation: its people, and the plan of every incident (timeline, roles, links, call) that the
per-tool builders then turn into records."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from pipelines.sandbox import texts
from pipelines.sandbox.generate.common import (
    DAY,
    HOUR,
    MIN,
    Build,
    ascii_fold,
    lognorm,
    quota,
)
from pipelines.sandbox.ids import (
    token_like,
    ulid,
    upper_id,
    zoom_user_id,
)
from pipelines.sandbox.model import (
    IncidentPlan,
    Person,
)


def add_people(b: Build) -> None:
    """The organisation's people: names, emails, time zones, and an id in each tool they use."""
    rng = b.rng("people")
    n = b.spec.people
    combos = rng.sample(range(len(texts.FIRST_NAMES) * len(texts.LAST_NAMES)), n)
    zones = [z for z, _ in texts.TIMEZONES]
    weights = [w for _, w in texts.TIMEZONES]
    people: list[Person] = []
    for i, c in enumerate(combos):
        first = texts.FIRST_NAMES[c // len(texts.LAST_NAMES)]
        last = texts.LAST_NAMES[c % len(texts.LAST_NAMES)]
        local = f"{ascii_fold(first)}.{ascii_fold(last)}".lower()
        email = f"{local}@{b.org.company}.example"
        # The first few cover the DST zones and Asia/Kolkata even in the small org.
        tz = zones[i] if i < len(zones) else rng.choices(zones, weights)[0]
        on_call = i < 8 or rng.random() < 0.62
        has_zoom = i < 6 or rng.random() < 0.92
        odd_case = f"{ascii_fold(first)}.{ascii_fold(last)}@{b.org.company}.example"
        pd_email = odd_case if on_call and (i in (1, 4) or rng.random() < 0.1) else email
        zoom_email = odd_case if has_zoom and (i == 2 or rng.random() < 0.05) else email
        people.append(
            Person(
                index=i,
                first_name=first,
                last_name=last,
                email=email,
                timezone=tz,
                title=rng.choice(texts.TITLES),
                incidentio_id=ulid(rng, b.start - 400 * DAY + i * 3600),
                slack_id=upper_id(rng, "U0", 11),
                zoom_id=zoom_user_id(rng) if has_zoom else None,
                pagerduty_id=upper_id(rng, "P", 7) if on_call else None,
                pagerduty_email=pd_email,
                zoom_email=zoom_email,
            )
        )
    b.org.people = people


def plan_incidents(b: Build) -> list[IncidentPlan]:
    """The plan of every incident: mode, status category, severity, timeline, people, links and call,
    in creation order (numbers and ids assigned), with the timestamp traps planted."""
    rng = b.rng("incidents")
    n = b.spec.incidents
    sev = {s["name"]: s for s in b.org.io_severities}
    modes = quota(
        rng,
        n,
        {"standard": 0.88, "retrospective": 0.06, "test": 0.04, "tutorial": 0.02},
        {"retrospective": 2, "test": 1, "tutorial": 1},
    )
    n_std = modes.count("standard")
    cats = iter(
        quota(
            rng,
            n_std,
            {
                "closed": 0.79,
                "learning": 0.05,
                "live": 0.03,
                "triage": 0.02,
                "declined": 0.04,
                "merged": 0.035,
                "canceled": 0.035,
            },
            {"learning": 2, "live": 2, "triage": 2, "declined": 1, "merged": 1, "canceled": 1},
        )
    )
    sevs = quota(
        rng,
        n,
        {"Minor": 0.58, "Major": 0.25, "Critical": 0.09, "none": 0.08},
        {"Major": 3, "Critical": 2, "none": 2},
    )
    types = b.org.io_types
    plans: list[IncidentPlan] = []
    for i in range(n):
        mode = modes[i]
        if mode == "standard":
            cat = next(cats)
        elif mode == "retrospective":
            cat = "closed" if rng.random() < 0.8 else "learning"
        else:
            cat = "closed" if rng.random() < 0.85 else "canceled"
        severity = None if sevs[i] == "none" else sev[sevs[i]]
        if cat in ("triage", "declined") and rng.random() < 0.5:
            severity = None
        itype = rng.choices(types, [70, 10, 20])[0]
        inc = IncidentPlan(number=0, mode=mode, category=cat, severity=severity, type=itype, created=0.0)
        inc.created = _created_time(b, rng, cat)
        plans.append(inc)
    # The newest incident was declared minutes ago: its Slack channel does not exist yet.
    fresh = [p for p in plans if p.category in ("live", "triage")]
    for k, inc in enumerate(fresh[: 1 if n < 500 else 2]):
        inc.created = b.anchor - rng.uniform(2, 8) * MIN - k * MIN
        inc.channel_id = "-"  # marker: no channel
    for inc in plans:
        _timeline(b, rng, inc)
    plans.sort(key=lambda p: p.created)
    for k, inc in enumerate(plans, start=1):
        inc.number = k
        inc.id = ulid(rng, inc.created)
    for k, inc in enumerate(plans):
        if inc.category == "merged":
            earlier = [p for p in plans[:k] if p.mode == "standard"]
            inc.merged_into = rng.choice(earlier).id if earlier else None
    _plant_timestamp_traps(b, rng, plans)
    for inc in plans:
        people_and_links(b, rng, inc)
    # PagerDuty: ~60% of incidents carry the integration's attachment, a few more only a link field.
    linkable = [p for p in plans if p.mode in ("standard", "retrospective") and p.channel_id]
    links = quota(
        rng, len(linkable), {"attachment": 0.66, "custom_field": 0.06, "none": 0.28}, {"custom_field": 1}
    )
    for inc, link in zip(linkable, links, strict=True):
        inc.link = None if link == "none" else link
    missing = b.spec.min_calls - sum(1 for p in plans if p.meeting_id)
    if missing > 0:
        eligible = [
            p
            for p in plans
            if not p.call_url
            and p.mode == "standard"
            and p.category in ("closed", "learning")
            and p.channel_id
        ]
        eligible.sort(key=lambda p: -(p.severity["rank"] if p.severity else -1))
        for inc in eligible[:missing]:
            _plan_call(b, rng, inc, zoom_only=True)
    return plans


def _created_time(b: Build, rng: random.Random, cat: str) -> float:
    if cat == "live":
        return b.anchor - rng.uniform(0.5, 30) * HOUR
    if cat == "triage":
        return b.anchor - rng.uniform(0.3, 5 * 24) * HOUR
    if cat == "learning":
        return b.anchor - rng.uniform(1.5, 25) * DAY
    day = math.floor(rng.uniform(b.start, b.anchor - 3 * DAY) / DAY) * DAY
    while datetime.fromtimestamp(day, UTC).weekday() >= 5 and rng.random() < 0.6:
        day = math.floor(rng.uniform(b.start, b.anchor - 3 * DAY) / DAY) * DAY
    if rng.random() < 0.7:  # working hours in New York or London
        hour = rng.uniform(13, 22) if rng.random() < 0.5 else rng.uniform(8, 17)
    else:
        hour = rng.uniform(0, 24)
    return day + hour * HOUR + rng.random()


def _timeline(b: Build, rng: random.Random, inc: IncidentPlan) -> None:
    """Timestamps and status updates, consistent with the incident's final status category."""
    _timeline_steps(b, rng, inc)
    # Nothing has happened after the anchor yet.
    limit = b.anchor - 1
    inc.events = [e for e in inc.events if e[0] < limit]
    if inc.accepted and inc.accepted >= limit:
        inc.accepted = None
    if inc.category == "live":  # what it looks like now, at the anchor
        inc.status = inc.events[-1][1] if inc.events else "Investigating"
        if inc.events:
            inc.severity = inc.events[-1][2]
        inc.fixed = inc.fixed if inc.fixed and inc.fixed < limit else None
        inc.identified = inc.identified if inc.identified and inc.identified < limit else None
    inc.updated = min(max(inc.updated, inc.created + 1), limit)


def _timeline_steps(b: Build, rng: random.Random, inc: IncidentPlan) -> None:
    c = inc.created
    sev_rank = inc.severity["rank"] if inc.severity else -1
    median = {-1: 50, 0: 70, 1: 140, 2: 240}[sev_rank] * MIN
    if inc.mode in ("test", "tutorial"):
        median = 15 * MIN
    duration = min(max(lognorm(rng, median, 1.0), 6 * MIN), 6 * DAY)
    inc.reported = c
    if inc.mode == "retrospective":  # declared after the fact
        inc.reported = c - duration - rng.uniform(1, 120) * HOUR
    if rng.random() < 0.75:
        inc.impact = inc.reported - lognorm(rng, 12 * MIN, 1.0)
    sev0 = inc.severity
    # Some incidents are declared one severity lower, then escalated.
    if inc.severity and inc.severity["rank"] > 0 and rng.random() < 0.3:
        sev0 = b.org.io_severities[inc.severity["rank"] - 1]
    cur_sev = sev0
    ev = inc.events
    triage_first = inc.category in ("triage", "declined") or (
        rng.random() < 0.25 and inc.mode != "retrospective"
    )
    t = c
    if inc.category == "triage":
        inc.status = "Triage"
        inc.updated = c + rng.uniform(0, 5) * MIN
        inc.severity = sev0
        return
    if inc.category in ("declined", "merged", "canceled"):
        inc.severity = sev0  # never escalated: the severity is the one its updates show
    if inc.category == "declined":
        inc.declined = c + rng.uniform(2, 60) * MIN
        ev.append((inc.declined, "Declined", cur_sev))
        inc.status = "Declined"
        inc.updated = inc.declined
        return
    if triage_first:
        inc.accepted = t = c + rng.uniform(1, 12) * MIN
        ev.append((t, "Investigating", cur_sev))
    if inc.category in ("merged", "canceled"):
        t_end = t + rng.uniform(5, 90) * MIN
        if inc.category == "merged":
            inc.merged = t_end
            ev.append((t_end, "Merged", cur_sev))
            inc.status = "Merged"
        else:
            inc.canceled = t_end
            ev.append((t_end, "Canceled", cur_sev))
            inc.status = "Canceled"
        inc.updated = t_end + rng.uniform(0, 10) * MIN
        return
    rep = inc.reported
    fixing = rep + duration * rng.uniform(0.15, 0.45)
    fixed = rep + duration * rng.uniform(0.55, 0.9)
    resolved = rep + duration
    closed = resolved + lognorm(rng, 2 * DAY, 1.0)
    if inc.mode == "retrospective":
        # Declared after the fact: the timestamps are back-filled, one update closes it.
        inc.identified, inc.fixed, inc.resolved = fixing, fixed, resolved
        inc.resolved_value = resolved
        if inc.category == "closed":
            inc.closed = c + rng.uniform(1, 20) * DAY
            inc.closed = min(inc.closed, b.anchor - HOUR)
            ev.append((max(inc.closed, c + MIN), "Closed", inc.severity))
            inc.status = "Closed"
        else:
            ev.append((c + rng.uniform(1, 30) * MIN, "Documenting", inc.severity))
            inc.status = "Documenting"
        inc.updated = max(e[0] for e in ev) + rng.uniform(0, 60)
        return
    if inc.category == "closed" and closed > b.anchor - HOUR:
        shift = closed - (b.anchor - HOUR) + rng.uniform(1, 48) * HOUR
        for name in ("created", "reported", "accepted", "impact"):
            v = getattr(inc, name)
            if v:
                setattr(inc, name, v - shift)
        c, t, rep, fixing, fixed, resolved, closed = (
            x - shift for x in (c, t, rep, fixing, fixed, resolved, closed)
        )
        ev[:] = [(e[0] - shift, e[1], e[2]) for e in ev]
    if inc.category == "learning" and resolved > b.anchor - HOUR:
        duration = max((b.anchor - HOUR - rep) * rng.uniform(0.3, 0.9), 6 * MIN)
        fixing, fixed, resolved = rep + duration * 0.3, rep + duration * 0.7, rep + duration
    if inc.category == "live":
        # Still going: only the steps that already happened, and no resolution yet.
        span = b.anchor - rep
        fixing, fixed = rep + span * rng.uniform(0.1, 0.5), rep + span * rng.uniform(0.6, 0.95)
        steps = rng.choice((1, 2, 3))
    else:
        steps = 3
    # Status changes come in order, after the incident left triage.
    fixing = max(fixing, t + 30)
    fixed = max(fixed, fixing + 30)
    resolved = max(resolved, fixed + 30)
    closed = max(closed, resolved + 60)
    escalate_at = t + (fixing - t) * rng.uniform(0.2, 0.9)
    if steps >= 2:
        if sev0 is not inc.severity and escalate_at < fixing:
            ev.append((escalate_at, "Investigating", inc.severity))
            cur_sev = inc.severity
        inc.identified = fixing
        ev.append((fixing, "Fixing", inc.severity))
    if steps >= 3:
        inc.fixed = fixed
        ev.append((fixed, "Monitoring", inc.severity))
    if inc.category == "live":
        inc.status = ev[-1][1] if ev else "Investigating"
        if steps < 2:
            inc.severity = cur_sev
        inc.updated = (ev[-1][0] if ev else c) + rng.uniform(0, 5) * MIN
        return
    inc.resolved = inc.resolved_value = resolved
    ev.append((resolved, "Documenting", inc.severity))
    if inc.category == "learning":
        inc.status = "Documenting" if rng.random() < 0.6 else "Reviewing"
        if inc.status == "Reviewing":
            ev.append(
                (
                    resolved + rng.uniform(0.2, 0.9) * (b.anchor - HOUR - resolved),
                    "Reviewing",
                    inc.severity,
                )
            )
    else:
        if rng.random() < 0.5:
            ev.append((resolved + (closed - resolved) * rng.uniform(0.3, 0.8), "Reviewing", inc.severity))
        inc.closed = closed
        ev.append((closed, "Closed", inc.severity))
        inc.status = "Closed"
    inc.updated = max(e[0] for e in ev) + rng.uniform(0, 2) * HOUR
    inc.updated = min(inc.updated, b.anchor - rng.uniform(1, 50) * MIN)


def _plant_timestamp_traps(b: Build, rng: random.Random, plans: list[IncidentPlan]) -> None:
    """Null "Reported at" (→ created_at), null "Resolved at" (→ first learning/closed update), and
    "Resolved at" hand-edited to before "Reported at" (~1%, a data error the pipeline must flag)."""
    std_closed = [p for p in plans if p.mode == "standard" and p.category == "closed"]
    done = [p for p in plans if p.mode == "standard" and p.category in ("closed", "learning")]
    k_null = max(1, round(len(plans) * 0.05))
    for p in rng.sample(done, min(k_null, len(done))):
        p.resolved_value = None
    candidates = [p for p in std_closed if p.resolved_value is not None]
    for p in rng.sample(candidates, min(max(1, round(len(plans) * 0.01)), len(candidates))):
        p.resolved_value = p.reported - rng.uniform(10, 180) * MIN
    standard = [p for p in plans if p.mode == "standard"]
    for p in rng.sample(standard, max(1, round(len(plans) * 0.05))):
        p.reported_null = True


def people_and_links(b: Build, rng: random.Random, inc: IncidentPlan) -> None:
    """An incident's services, name, roles, participants, call and Slack channel."""
    org = b.org
    services = org.pd_services
    inc.services = rng.sample(services, 1 if rng.random() < 0.75 else 2)
    svc = inc.services[0]
    symptom = rng.choice(texts.SYMPTOMS)
    inc.name = f"{svc['name']}: {symptom}"
    inc.summary = f"{svc['name']} is showing {symptom}; we're looking into the impact."
    inc.private = inc.type["name"] == "Security" and rng.random() < 0.5
    on_call = b.org.on_call(svc["id"], inc.reported, 1)
    inc.reporter = rng.choice(org.people)
    if rng.random() < 0.92:
        inc.lead = on_call if rng.random() < 0.7 else rng.choice(org.people)
    if inc.severity and inc.severity["rank"] >= 1 and rng.random() < 0.45:
        inc.comms = rng.choice(org.people)
    base = [p for p in (inc.lead, inc.reporter, inc.comms) if p]
    extra_n = {-1: 1, 0: 2, 1: 4, 2: 7}[inc.severity["rank"] if inc.severity else -1]
    pool = [org.people[i] for i in b.state.rotation[svc["id"]]] + rng.sample(org.people, 4)
    extra = rng.sample(pool, min(len(pool), rng.randint(1, extra_n + 1)))
    seen: dict[int, Person] = {}
    for p in base + extra:
        seen.setdefault(p.index, p)
    inc.participants = list(seen.values())
    # The call: most Major and Critical incidents, some Minor ones.
    p_call = {-1: 0.05, 0: 0.2, 1: 0.85, 2: 0.95}[inc.severity["rank"] if inc.severity else -1]
    if (
        inc.mode == "standard"
        and inc.category in ("live", "learning", "closed")
        and inc.channel_id != "-"
        and rng.random() < p_call
    ):
        _plan_call(b, rng, inc)
    if inc.channel_id == "-":
        inc.channel_id = ""
    else:
        inc.channel_id = upper_id(rng, "C0", 11)
        day = datetime.fromtimestamp(inc.created, UTC).strftime("%Y-%m-%d")
        slug = f"{rng.choice(texts.INCIDENT_ADJECTIVES)}-{rng.choice(texts.INCIDENT_ANIMALS)}"
        inc.channel_name = f"inc-{day}-{inc.number}-{slug}"


def _plan_call(b: Build, rng: random.Random, inc: IncidentPlan, zoom_only: bool = False) -> None:
    if not zoom_only and rng.random() < 0.03:  # a few teams use another tool: not a Zoom link
        inc.call_url = f"https://meet.google.com/{token_like(rng, 3).lower()}-{token_like(rng, 4).lower()}"
    else:
        inc.meeting_id = rng.randrange(81_000_000_000, 99_999_999_999)
        inc.call_url = f"https://zoom.us/j/{inc.meeting_id}?pwd={token_like(rng, 32)}.1"
        # The meeting exists even before any instance has ended (its instances list is then empty).
        b.org.zoom_meetings.setdefault(inc.meeting_id, [])
