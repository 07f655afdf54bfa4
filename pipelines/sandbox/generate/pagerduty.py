"""PagerDuty: teams, users, services, priorities, the pages (linked to incidents or not) and their log
entries, served as they stand at a given time."""

from __future__ import annotations

import math
import random
from typing import Any

from pipelines.sandbox import texts
from pipelines.sandbox.generate.common import (
    DAY,
    HOUR,
    MIN,
    PD_API,
    Build,
    lognorm,
    ref,
)
from pipelines.sandbox.ids import (
    iso_s,
    stable_hash,
    token_like,
    upper_id,
)
from pipelines.sandbox.model import (
    IncidentPlan,
    PagePlan,
    Person,
    Record,
)


def add_config(b: Build) -> None:
    """Teams, users (with how each is notified), priorities, services and the on-call rotations."""
    rng = b.rng("pagerduty-config")
    org = b.org
    created = iso_s(b.start - 200 * DAY)
    on_call = [p for p in org.people if p.pagerduty_id]
    n_teams = min(len(texts.TEAMS), max(2, len(on_call) // 4))
    teams: list[Record] = []
    for name in texts.TEAMS[:n_teams]:
        tid = upper_id(rng, "P", 7)
        teams.append(
            {
                "id": tid,
                "type": "team",
                "summary": name,
                "name": name,
                "description": f"{name} team",
                "self": f"{PD_API}/teams/{tid}",
                "html_url": f"{b.web}/teams/{tid}",
            }
        )
    org.pd_teams = teams
    members: dict[str, list[Person]] = {t["id"]: [] for t in teams}
    for i, p in enumerate(on_call):
        members[teams[i % n_teams]["id"]].append(p)
    users: list[Record] = []
    b.state.notify_rules = {}
    colors = ["purple", "teal", "red", "green", "orange", "blue", "brown"]
    for p in on_call:
        assert p.pagerduty_id
        team = next(t for t in teams if p in members[t["id"]])
        uid = p.pagerduty_id
        cm = upper_id(rng, "P", 7)
        users.append(
            {
                "id": uid,
                "type": "user",
                "summary": p.name,
                "self": f"{PD_API}/users/{uid}",
                "html_url": f"{b.web}/users/{uid}",
                "name": p.name,
                "email": p.pagerduty_email,
                "time_zone": p.timezone,
                "color": rng.choice(colors),
                "role": "admin" if p.index == 0 else "user",
                "avatar_url": f"https://secure.gravatar.com/avatar/{token_like(rng, 32).lower()}.png",
                "description": None,
                "invitation_sent": False,
                "created_via_sso": True,
                "job_title": p.title,
                "teams": [ref(team, "team_reference")],
                "contact_methods": [
                    {
                        "id": cm,
                        "type": "email_contact_method_reference",
                        "summary": "Default",
                        "self": f"{PD_API}/users/{uid}/contact_methods/{cm}",
                    }
                ],
                "notification_rules": [],
            }
        )
        # How this user gets paged: (delay seconds, method); bursts stay within 60 s of their start.
        b.state.notify_rules[uid] = rng.choice(
            [
                [(0, "push_notification"), (20, "sms"), (300, "phone")],
                [(0, "push_notification"), (0, "email"), (600, "phone")],
                [(0, "sms"), (5, "email"), (180, "phone"), (420, "phone")],
                [(0, "push_notification"), (40, "push_notification"), (300, "sms")],
                [(0, "phone"), (0, "email")],
            ]
        )
    users.sort(key=lambda u: u["name"])
    org.pd_users = users
    b.state.pd_user_refs = {u["id"]: ref(u, "user_reference") for u in users}
    priorities: list[Record] = []
    for i, name in enumerate(("P1", "P2", "P3", "P4", "P5")):
        pid = upper_id(rng, "P", 7)
        priorities.append(
            {
                "id": pid,
                "type": "priority",
                "summary": name,
                "self": f"{PD_API}/priorities/{pid}",
                "html_url": None,
                "name": name,
                "description": f"Priority {name}",
                "order": 1 << (29 - i),
                "color": ["a8171c", "eb6016", "f9b406", "0b9bd8", "5e5e5e"][i],
            }
        )
    org.pd_priorities = priorities
    services: list[Record] = []
    for i, name in enumerate(texts.SERVICES[: b.spec.services]):
        sid, epid = upper_id(rng, "P", 7), upper_id(rng, "P", 7)
        team = teams[i % n_teams]
        services.append(
            {
                "id": sid,
                "summary": name,
                "type": "service",
                "self": f"{PD_API}/services/{sid}",
                "html_url": f"{b.web}/service-directory/{sid}",
                "name": name,
                "description": f"{name} (prod)",
                "auto_resolve_timeout": 14400,
                "acknowledgement_timeout": 1800,
                "created_at": created,
                "status": "active",
                "last_incident_timestamp": None,
                "alert_creation": "create_alerts_and_incidents",
                "alert_grouping_parameters": {"type": "intelligent"},
                "escalation_policy": {
                    "id": epid,
                    "type": "escalation_policy_reference",
                    "summary": f"{name} escalation",
                    "self": f"{PD_API}/escalation_policies/{epid}",
                    "html_url": f"{b.web}/escalation_policies/{epid}",
                },
                "teams": [ref(team, "team_reference")],
                "integrations": [],
                "incident_urgency_rule": {"type": "constant", "urgency": "high"},
                "support_hours": None,
                "scheduled_actions": [],
                "addons": [],
                "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
            }
        )
    org.pd_services = services
    b.state.service_refs = {s["id"]: ref(s, "service_reference") for s in services}
    b.state.rotation = {s["id"]: [p.index for p in members[s["teams"][0]["id"]]] for s in services}
    b.state.priority_by_name = {p["name"]: p for p in priorities}


def plan_pages(b: Build, incs: list[IncidentPlan]) -> list[PagePlan]:
    """The pages: one per incident linked to PagerDuty, the rest unrelated noise; numbered by creation."""
    rng = b.rng("pagerduty")
    pds: list[PagePlan] = []
    for inc in incs:
        if inc.link:
            pds.append(linked_page(b, rng, inc))
    n_other = max(0, b.spec.pd_incidents - len(pds))
    services = b.org.pd_services
    weights = [1.0 / (1 + i * 0.3) for i in range(len(services))]
    for k in range(n_other):
        day = math.floor(rng.uniform(b.start, b.anchor) / DAY) * DAY
        hour = rng.uniform(0, 24) if rng.random() < 0.6 else rng.uniform(13, 22)
        created = min(day + hour * HOUR + rng.random(), b.anchor - rng.uniform(1, 60) * MIN)
        if k < 4:  # a few pages from the last hours, some of them still open
            created = b.anchor - rng.uniform(0.5, 16) * HOUR
        svc = rng.choices(services, weights)[0]
        urgency = "high" if rng.random() < 0.6 else "low"
        prio = (
            None
            if rng.random() < 0.3
            else b.state.priority_by_name[rng.choice(["P2", "P3", "P3", "P4", "P5"])]
        )
        med_res = 40 * MIN if urgency == "high" else 3 * HOUR
        ack = None if rng.random() < 0.07 else lognorm(rng, 150 if urgency == "high" else 600, 1.1)
        pds.append(
            PagePlan(
                id=upper_id(rng, "P", 14),
                created=created,
                service=svc,
                urgency=urgency,
                priority=prio,
                title=f"{svc['name']}: {rng.choice(texts.SYMPTOMS)}",
                resolve_after=max(lognorm(rng, med_res, 1.2), (ack or 0) + 60),
                ack_after=ack,
            )
        )
    # A few recent pages still open (the pipeline must re-fetch them until they resolve).
    recent = [p for p in pds if p.io is None and p.created > b.anchor - 18 * HOUR]
    for p in recent[: max(3, len(recent) // 3)]:
        p.resolve_after = b.anchor - p.created + rng.uniform(1, 30) * DAY
    pds.sort(key=lambda p: (p.created, p.id))
    for k, p in enumerate(pds):
        p.number = 1000 + k
    return pds


def linked_page(b: Build, rng: random.Random, inc: IncidentPlan) -> PagePlan:
    """The page behind an incident: opened 1–10 minutes before it was reported, resolved with it."""
    rank = inc.severity["rank"] if inc.severity else -1
    prio = {2: "P1", 1: "P2", 0: rng.choice(["P3", "P4"]), -1: None}[rank]
    created = inc.reported - rng.uniform(1, 10) * MIN
    end = inc.resolved or inc.fixed or inc.canceled or inc.merged or inc.declined
    if end is None or inc.category == "live":
        resolve_after = b.anchor - created + rng.uniform(2, 20) * DAY  # still open
    else:
        resolve_after = max(end - created + rng.uniform(-5, 5) * MIN, 3 * MIN)
    ack = min(lognorm(rng, 120, 1.0), resolve_after - 30)
    pd = PagePlan(
        id=upper_id(rng, "P", 14),
        created=created,
        service=inc.services[0],
        urgency="high" if rank >= 1 or rng.random() < 0.7 else "low",
        priority=b.state.priority_by_name[prio] if prio else None,
        title=inc.name,
        resolve_after=resolve_after,
        ack_after=max(ack, 20),
        io=inc,
    )
    inc.pd_id, inc.pd = pd.id, pd
    return pd


class _UserRefs:
    """PagerDuty user references by the person's PagerDuty id (everyone paged is on call, so has one)."""

    def __init__(self, refs: dict[str, Record]) -> None:
        self._refs = refs

    def __getitem__(self, pagerduty_id: str | None) -> Record:
        assert pagerduty_id is not None, "only people with a PagerDuty account are paged"
        return self._refs[pagerduty_id]


# Most notify entries carry the method in `channel.notification.type` under `channel.type: "auto"` (the
# API's `Notification` schema; go-pagerduty added the field because real payloads have it); a few come
# in the older shape some clients show, with the method in `channel.type` itself.
LEGACY_NOTIFY_SHARE = 0.05
# One resolved incident in this many (by id) lacks `resolved_at`, as older records do.
OLD_RECORD_EVERY = 40
NOTIFICATION_TYPES = {
    "sms": "sms_notification",
    "phone": "phone_notification",
    "push_notification": "push_notification",
    "email": "email_notification",
}


def notify_channel(user: Person, method: str, at: float, legacy: bool = False) -> Record:
    """The `channel` of a notify_log_entry sent by `method` (sms, phone, push_notification, email) at `at`
    (Unix seconds). The address is the user's phone for SMS and phone calls, their email for email, and
    null for push, as the API documents."""
    if legacy:
        return {"type": method}
    address: str | None = None
    if method in ("sms", "phone"):
        address = f"+1555{user.index:07d}"
    elif method == "email":
        address = user.pagerduty_email
    return {
        "type": "auto",
        "notification": {
            "type": NOTIFICATION_TYPES[method],
            "status": "success",
            "address": address,
            "started_at": iso_s(at),
        },
    }


def add_incident(b: Build, pd: PagePlan, now: float | None = None) -> Record:
    """Build the log entries and the incident record; anything after `now` hasn't happened yet."""
    now = b.anchor if now is None else now
    rng = random.Random(f"{b.org.seed}:pd:{pd.id}")
    svc_ref = b.state.service_refs[pd.service["id"]]
    urefs = _UserRefs(b.state.pd_user_refs)
    inc_ref = {
        "id": pd.id,
        "type": "incident_reference",
        "summary": f"[#{pd.number}] {pd.title}",
        "self": f"{PD_API}/incidents/{pd.id}",
        "html_url": f"{b.web}/incidents/{pd.id}",
    }
    teams = pd.service["teams"]
    key = f"{rng.getrandbits(128):032x}"
    entries: list[Record] = []

    def entry(kind: str, t: float, summary: str, agent: Record, channel: Record, **extra: Any) -> None:
        eid = upper_id(rng, "R", 26)
        entries.append(
            {
                "id": eid,
                "type": kind,
                "summary": summary,
                "self": f"{PD_API}/log_entries/{eid}?incident_id={pd.id}",
                "html_url": f"{b.web}/incidents/{pd.id}/log_entries/{eid}",
                "created_at": iso_s(t),
                "agent": agent,
                "channel": channel,
                "service": svc_ref,
                "incident": inc_ref,
                "teams": teams,
                "contexts": [],
                **extra,
            }
        )

    # Its own stream, so the shape of a notification never shifts the rest of the data.
    shape_rng = random.Random(f"{b.org.seed}:pd-notify-shape:{pd.id}")

    def notify(user: Person, at: float, until: float) -> None:
        assert user.pagerduty_id
        rules = b.state.notify_rules[user.pagerduty_id]
        if pd.urgency == "low":
            rules = [r for r in rules if r[0] == 0] or rules[:1]
        uref = urefs[user.pagerduty_id]
        for delay, method in rules:
            t = at + delay + rng.uniform(0, 8)
            if t < until:
                label = {
                    "sms": "SMS",
                    "phone": "phone",
                    "push_notification": "push notification",
                    "email": "email",
                }[method]
                entry(
                    "notify_log_entry",
                    t,
                    f"Notified {user.name} via {label}.",
                    uref,
                    notify_channel(user, method, t, legacy=shape_rng.random() < LEGACY_NOTIFY_SHARE),
                    user=uref,
                )

    t0 = pd.created
    ack_at = t0 + pd.ack_after if pd.ack_after is not None else None
    resolve_at = t0 + pd.resolve_after
    entry(
        "trigger_log_entry",
        t0,
        "Triggered through the API.",
        svc_ref,
        {
            "type": "api",
            "summary": pd.title,
            "service_key": key[:32],
            "description": pd.title,
            "incident_key": key,
            "details": {"source": "datadog", "monitor": pd.title},
        },
        event_details={"description": pd.title},
    )
    level1 = b.org.on_call(pd.service["id"], t0, 1)
    assignee = level1
    entry(
        "assign_log_entry",
        t0 + 1,
        f"Assigned to {level1.name}.",
        svc_ref,
        {"type": "auto"},
        assignees=[urefs[level1.pagerduty_id]],
    )
    first_stop = min(x for x in (ack_at, resolve_at) if x is not None)
    timeout = 1800.0 if pd.urgency == "high" else 3600.0
    escalated_at: float | None = None
    if first_stop - t0 > timeout:
        escalated_at = t0 + timeout
    elif first_stop - t0 > 240 and rng.random() < (0.05 if ack_at is None else 0.03):
        escalated_at = t0 + rng.uniform(60, min(first_stop - t0 - 30, 600))  # escalated by hand
    notify(level1, t0 + 2, escalated_at or first_stop)
    if escalated_at is not None:
        level2 = b.org.on_call(pd.service["id"], t0, 2)
        manual = escalated_at - t0 < timeout
        entry(
            "escalate_log_entry",
            escalated_at,
            f"Escalated to level 2 {'by ' + level1.name if manual else 'due to timeout'}.",
            urefs[level1.pagerduty_id] if manual else svc_ref,
            {"type": "website"} if manual else {"type": "timeout"},
            assignees=[urefs[level2.pagerduty_id]],
        )
        assignee = level2
        if ack_at is not None and ack_at < escalated_at + 30:
            ack_at = escalated_at + lognorm(rng, 120, 0.8)
            resolve_at = max(resolve_at, ack_at + 60)
        notify(level2, escalated_at + 1, ack_at or resolve_at)
    acks: list[tuple[float, Person]] = []
    if ack_at is not None:
        acks.append((ack_at, assignee))
        if rng.random() < 0.06 and resolve_at - ack_at > 120:  # acknowledged again, maybe by someone else
            other = b.org.on_call(pd.service["id"], t0, 2) if rng.random() < 0.5 else assignee
            acks.append((ack_at + rng.uniform(60, min(900, resolve_at - ack_at - 30)), other))
    for t, who in acks:
        entry(
            "acknowledge_log_entry",
            t,
            f"Acknowledged by {who.name}.",
            urefs[who.pagerduty_id],
            {"type": rng.choice(("website", "mobile", "sms"))},
            acknowledgement_timeout=1800,
        )
    if ack_at is not None and rng.random() < 0.15:
        entry(
            "annotate_log_entry",
            min(ack_at + rng.uniform(60, 900), resolve_at - 1),
            "Note added",
            urefs[assignee.pagerduty_id],
            {"type": "website"},
            note=rng.choice(
                (
                    "Rolled back the deploy",
                    "Looking at the DB",
                    "Vendor issue, ticket opened",
                    "Mitigated, root cause tbd",
                )
            ),
        )
    if ack_at is not None:
        entry(
            "resolve_log_entry",
            resolve_at,
            f"Resolved by {assignee.name}.",
            urefs[assignee.pagerduty_id],
            {"type": "website"},
        )
    else:
        entry(
            "resolve_log_entry",
            resolve_at,
            "Resolved through the API.",
            svc_ref,
            {"type": "api", "summary": pd.title},
        )
    entries.sort(key=lambda e: e["created_at"])
    pd.entries = entries
    return publish(b, pd, now)


def publish(b: Build, pd: PagePlan, now: float) -> Record:
    """The incident as the API shows it at `now` (entries after `now` are held back)."""
    visible = [e for e in pd.entries if e["created_at"] <= iso_s(now)]
    org = b.org
    resolved = next((e for e in visible if e["type"] == "resolve_log_entry"), None)
    acks = [e for e in visible if e["type"] == "acknowledge_log_entry"]
    assigns = [e for e in visible if e["type"] in ("assign_log_entry", "escalate_log_entry")]
    status = "resolved" if resolved else "acknowledged" if acks else "triggered"
    last = visible[-1]
    status_change = resolved or (acks[-1] if acks else visible[0])
    trig = visible[0]
    n_alerts = 1 + (pd.number % 3 == 0)
    record = {
        "id": pd.id,
        "type": "incident",
        "summary": f"[#{pd.number}] {pd.title}",
        "self": f"{PD_API}/incidents/{pd.id}",
        "html_url": f"{b.web}/incidents/{pd.id}",
        "incident_number": pd.number,
        "title": pd.title,
        "description": pd.title,
        "created_at": iso_s(pd.created),
        "updated_at": last["created_at"],
        "status": status,
        "incident_key": trig["channel"]["incident_key"],
        "service": b.state.service_refs[pd.service["id"]],
        "assignments": []
        if resolved
        else [{"at": a["created_at"], "assignee": a["assignees"][0]} for a in assigns[-1:]],
        "assigned_via": "escalation_policy",
        "last_status_change_at": status_change["created_at"],
        "resolved_at": resolved["created_at"] if resolved else None,
        "first_trigger_log_entry": {
            "id": trig["id"],
            "type": "trigger_log_entry_reference",
            "summary": trig["summary"],
            "self": trig["self"],
            "html_url": trig["html_url"],
        },
        "alert_counts": {
            "all": n_alerts,
            "triggered": 0 if resolved else n_alerts,
            "resolved": n_alerts if resolved else 0,
        },
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": pd.service["escalation_policy"],
        "teams": pd.service["teams"],
        "pending_actions": [],
        "acknowledgements": []
        if resolved
        else [{"at": a["created_at"], "acknowledger": a["agent"]} for a in acks],
        "alert_grouping": {
            "grouping_type": "advanced",
            "started_at": iso_s(pd.created),
            "ended_at": None,
            "alert_grouping_active": not resolved,
        },
        "last_status_change_by": status_change["agent"],
        "priority": (
            {
                "id": pd.priority["id"],
                "type": "priority_reference",
                "summary": pd.priority["name"],
                "self": pd.priority["self"],
                "html_url": None,
            }
            if pd.priority
            else None
        ),
        "resolve_reason": None,
        "conference_bridge": None,
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": pd.urgency,
    }
    if pd.io is not None and pd.io.call_url and pd.io.meeting_id:
        record["conference_bridge"] = {"conference_number": None, "conference_url": pd.io.call_url}
    if resolved and now <= b.anchor and stable_hash(pd.id) % OLD_RECORD_EVERY == 0:
        # Records from before the API had the field: the resolve log entry still says when.
        del record["resolved_at"]
    org.pd_incidents[pd.id] = record
    org.pd_log_entries[pd.id] = visible
    b.state.pages[pd.id] = pd
    svc = pd.service
    if svc["last_incident_timestamp"] is None or svc["last_incident_timestamp"] < record["created_at"]:
        svc["last_incident_timestamp"] = record["created_at"]
    return record


def resolve(b: Build, pd: PagePlan, now: float) -> None:
    """Resolve an open PagerDuty incident at `now`: acknowledge first if nobody had, then resolve."""
    rng = random.Random(f"{b.org.seed}:resolve:{pd.id}")
    entries = list(b.org.pd_log_entries[pd.id])
    urefs = _UserRefs(b.state.pd_user_refs)
    who = b.org.on_call(pd.service["id"], pd.created, 1)
    template = entries[0]

    def entry(kind: str, t: float, summary: str, **extra: Any) -> None:
        eid = upper_id(rng, "R", 26)
        entries.append(
            {
                **{k: template[k] for k in ("service", "incident", "teams", "contexts")},
                "id": eid,
                "type": kind,
                "summary": summary,
                "self": f"{PD_API}/log_entries/{eid}?incident_id={pd.id}",
                "html_url": f"{b.web}/incidents/{pd.id}/log_entries/{eid}",
                "created_at": iso_s(t),
                "agent": urefs[who.pagerduty_id],
                "channel": {"type": "website"},
                **extra,
            }
        )

    if not any(e["type"] == "acknowledge_log_entry" for e in entries):
        entry(
            "acknowledge_log_entry",
            now - 2 * MIN,
            f"Acknowledged by {who.name}.",
            acknowledgement_timeout=1800,
        )
    entry("resolve_log_entry", now, f"Resolved by {who.name}.")
    pd.entries = entries
    pd.resolve_after = now - pd.created
    publish(b, pd, now)
