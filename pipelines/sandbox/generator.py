"""A deterministic synthetic organisation, coherent across incident.io, Slack, Zoom and PagerDuty.

`generate_organisation(size, seed, anchor)` returns the same data for the same arguments (credentials
aside, which are random per instance). The data covers the year before `anchor`: people with accounts in
every tool (each tool with its own ids, some emails spelled with another case), incidents with their
timelines, updates, roles, attachments, follow-ups, their Slack channels, Zoom calls and PagerDuty pages,
plus PagerDuty noise unrelated to any incident. The traps the pipeline must handle are planted on
purpose (see `pipelines/sandbox/README.md`); `mutate(org, step)` applies the changes between two syncs.

Each section draws from its own `random.Random(f"{seed}:{section}")`, so a change in one section
doesn't shift the others.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.sandbox import texts
from pipelines.sandbox.ids import (
    iso_ms,
    iso_s,
    slack_ts,
    slack_ts_us,
    token_like,
    ulid,
    upper_id,
    uuid4_like,
    zoom_user_id,
    zoom_uuid,
)
from pipelines.sandbox.model import (
    ChannelLog,
    Credentials,
    Organisation,
    Person,
    Record,
    ZoomInstance,
)

MIN = 60.0
HOUR = 3600.0
DAY = 86400.0

PD_API = "https://api.pagerduty.com"
SLACK_TEAM_DOMAIN = "acme"


@dataclass(frozen=True)
class SizeSpec:
    people: int
    incidents: int
    pd_incidents: int
    services: int
    messages_per_incident: float
    min_calls: int = 0  # small orgs get topped up to this many Zoom calls, whatever the dice say


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(
        people=24, incidents=40, pd_incidents=200, services=8, messages_per_incident=75, min_calls=16
    ),
    "default": SizeSpec(people=150, incidents=1500, pd_incidents=6000, services=12, messages_per_incident=67),
    "large": SizeSpec(people=700, incidents=15000, pd_incidents=60000, services=15, messages_per_incident=67),
}


def generate_organisation(
    size: str = "small", seed: int = 42, anchor: datetime | None = None
) -> Organisation:
    """Build the organisation for (size, seed, anchor); `anchor` defaults to today 00:00 UTC."""
    if size not in SIZES:
        raise ValueError(f"unknown sandbox size {size!r}: choose one of {', '.join(SIZES)}")
    if anchor is None:
        anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    elif anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    org = Organisation(
        size=size, seed=seed, anchor=anchor.astimezone(UTC), credentials=Credentials.random(), people=[]
    )
    _Builder(org, SIZES[size]).build()
    return org


# ----------------------------------------------------------------------------------------------- helpers
def _lognorm(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _quota(rng: random.Random, n: int, weights: dict[str, float], minimum: dict[str, int]) -> list[str]:
    """Exactly-proportioned labels (with a floor per label, so small datasets still hold every case)."""
    counts = {k: max(minimum.get(k, 0), round(n * w)) for k, w in weights.items()}
    biggest = max(weights, key=lambda k: weights[k])
    counts[biggest] += n - sum(counts.values())
    labels = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(labels)
    return labels


def _tz_offset(zone: str, at: datetime) -> int:
    off = at.astimezone(ZoneInfo(zone)).utcoffset()
    return int(off.total_seconds()) if off else 0


@dataclass
class _Inc:
    """Working state of one incident while its records for the four tools are built."""

    number: int
    mode: str
    category: str
    severity: Record | None
    type: Record
    created: float
    id: str = ""
    reported: float = 0.0
    reported_null: bool = False
    impact: float | None = None
    accepted: float | None = None
    identified: float | None = None
    fixed: float | None = None
    resolved: float | None = None  # when it really resolved (the status change)
    resolved_value: float | None = None  # the "Resolved at" timestamp value (null or hand-edited sometimes)
    closed: float | None = None
    declined: float | None = None
    merged: float | None = None
    canceled: float | None = None
    status: str = "Investigating"
    events: list[tuple[float, str, Record | None]] = field(default_factory=list)  # updates
    merged_into: str | None = None
    lead: Person | None = None
    reporter: Person | None = None
    comms: Person | None = None
    participants: list[Person] = field(default_factory=list)
    services: list[Record] = field(default_factory=list)
    meeting_id: int | None = None
    call_url: str | None = None
    channel_id: str = ""
    channel_name: str = ""
    pd_id: str | None = None
    link: str | None = None  # "attachment" | "custom_field" | None
    name: str = ""
    summary: str = ""
    private: bool = False
    updated: float = 0.0
    pd: _Pd | None = None

    @property
    def window_end(self) -> float:
        return self.closed or self.resolved or self.canceled or self.declined or self.merged or 0.0


@dataclass
class _Pd:
    """Working state of one PagerDuty incident."""

    id: str
    created: float
    service: Record
    urgency: str
    priority: Record | None
    title: str
    resolve_after: float
    ack_after: float | None
    io: _Inc | None = None
    number: int = 0
    entries: list[Record] = field(default_factory=list)


# -------------------------------------------------------------------------------------------------- build
class _Builder:
    def __init__(self, org: Organisation, spec: SizeSpec | None = None) -> None:
        self.org = org
        self.spec = spec or SIZES[org.size]
        self.anchor = org.anchor.timestamp()
        # 364 days, so a client looking back 365 days from a clock just past the anchor sees it all.
        self.start = self.anchor - 364 * DAY
        self.ctx = org.context
        self.web = f"https://{org.company}.pagerduty.com"

    def rng(self, section: str) -> random.Random:
        return random.Random(f"{self.org.seed}:{section}")

    def build(self) -> None:
        org = self.org
        self.people()
        self.incidentio_config()
        self.pagerduty_config()
        self.slack_users()
        self.zoom_users()
        incs = self.plan_incidents()
        pds = self.plan_pagerduty(incs)
        for pd in pds:
            self.add_pd_incident(pd)
        for inc in incs:
            self.add_io_incident(inc)
        self.slack_channels(incs)
        self.zoom_calls(incs)
        org.data_time = self.anchor
        self.ctx["next_incident_number"] = len(incs) + 1
        self.ctx["next_pd_number"] = max((p.number for p in pds), default=1000) + 1
        org.version += 1

    # ---------------------------------------------------------------------------------------- people
    def people(self) -> None:
        rng = self.rng("people")
        n = self.spec.people
        combos = rng.sample(range(len(texts.FIRST_NAMES) * len(texts.LAST_NAMES)), n)
        zones = [z for z, _ in texts.TIMEZONES]
        weights = [w for _, w in texts.TIMEZONES]
        people: list[Person] = []
        for i, c in enumerate(combos):
            first = texts.FIRST_NAMES[c // len(texts.LAST_NAMES)]
            last = texts.LAST_NAMES[c % len(texts.LAST_NAMES)]
            local = f"{_ascii(first)}.{_ascii(last)}".lower()
            email = f"{local}@{self.org.company}.example"
            # The first few cover the DST zones and Asia/Kolkata even in the small org.
            tz = zones[i] if i < len(zones) else rng.choices(zones, weights)[0]
            on_call = i < 8 or rng.random() < 0.62
            has_zoom = i < 6 or rng.random() < 0.92
            odd_case = f"{_ascii(first)}.{_ascii(last)}@{self.org.company}.example"
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
                    incidentio_id=ulid(rng, self.start - 400 * DAY + i * 3600),
                    slack_id=upper_id(rng, "U0", 11),
                    zoom_id=zoom_user_id(rng) if has_zoom else None,
                    pagerduty_id=upper_id(rng, "P", 7) if on_call else None,
                    pagerduty_email=pd_email,
                    zoom_email=zoom_email,
                )
            )
        self.org.people = people
        self.ctx["people_by_slack"] = {p.slack_id: p for p in people}

    # --------------------------------------------------------------------------------- incident.io
    def incidentio_config(self) -> None:
        rng = self.rng("incidentio-config")
        t0 = self.start - 300 * DAY
        created = iso_ms(t0)

        def obj(**kw: Any) -> Record:
            return {"id": ulid(rng, t0), **kw}

        statuses = [
            ("Triage", "triage", 0, "We're triaging this incident."),
            ("Declined", "declined", -1, "This incident was declined."),
            ("Merged", "merged", -2, "This incident was merged into another incident."),
            ("Canceled", "canceled", -3, "This incident was canceled."),
            ("Investigating", "live", 1, "We're investigating the issue."),
            ("Fixing", "live", 2, "We know what's wrong and are fixing it."),
            ("Monitoring", "live", 3, "A fix is in place and we're monitoring."),
            ("Documenting", "learning", 4, "We're writing up what happened."),
            ("Reviewing", "learning", 5, "We're reviewing the incident."),
            ("Closed", "closed", 6, "We're confident the issue is resolved."),
            ("Paused", "paused", 7, "The incident is paused."),
        ]
        self.org.io_statuses = [
            obj(name=n, description=d, category=c, rank=r, created_at=created, updated_at=created)
            for n, c, r, d in statuses
        ]
        self.org.io_severities = [
            obj(
                name="Minor",
                description="Issues with low impact.",
                rank=0,
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Major",
                description="Issues causing significant impact.",
                rank=1,
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Critical",
                description="Issues causing very high impact.",
                rank=2,
                created_at=created,
                updated_at=created,
            ),
        ]
        names = [
            "Reported at",
            "Accepted at",
            "Declined at",
            "Merged at",
            "Canceled at",
            "Resolved at",
            "Impact started at",
            "Identified at",
            "Fixed at",
            "Documented at",
            "Reviewed at",
            "Closed at",
        ]
        ranks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
        self.org.io_timestamps = [obj(name=n, rank=r) for n, r in zip(names, ranks, strict=True)]
        self.org.io_types = [
            obj(
                name="Default",
                description="",
                is_default=True,
                private_incidents_only=False,
                create_in_triage="optional",
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Security",
                description="Security incidents",
                is_default=False,
                private_incidents_only=False,
                create_in_triage="always",
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Customer-facing",
                description="Incidents customers can see",
                is_default=False,
                private_incidents_only=False,
                create_in_triage="optional",
                created_at=created,
                updated_at=created,
            ),
        ]
        self.org.io_roles = [
            obj(
                name="Incident Lead",
                description="The person currently coordinating the incident",
                instructions="- Make sure it's clear who is doing what",
                shortform="lead",
                role_type="lead",
                required=False,
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Reporter",
                description="The person who reported the incident",
                instructions="",
                shortform="",
                role_type="reporter",
                required=False,
                created_at=created,
                updated_at=created,
            ),
            obj(
                name="Communications Lead",
                description="Keeps stakeholders and the status page updated",
                instructions="- Post an update every 30 minutes",
                shortform="comms",
                role_type="custom",
                required=False,
                created_at=created,
                updated_at=created,
            ),
        ]
        services_field = obj(
            name="Affected services",
            description="Which services are impacted",
            field_type="multi_select",
            options=[],
        )
        services_field["options"] = [
            {"id": ulid(rng, t0), "custom_field_id": services_field["id"], "value": s, "sort_key": i * 10}
            for i, s in enumerate(texts.SERVICES[: self.spec.services])
        ]
        impact_field = obj(
            name="Customer impact",
            description="How many customers noticed",
            field_type="single_select",
            options=[],
        )
        impact_field["options"] = [
            {"id": ulid(rng, t0), "custom_field_id": impact_field["id"], "value": v, "sort_key": i * 10}
            for i, v in enumerate(("None", "Some customers", "All customers"))
        ]
        pd_field = obj(
            name="PagerDuty incident",
            description="Link to the PagerDuty incident",
            field_type="link",
            options=[],
        )
        for f in (services_field, impact_field, pd_field):
            f.update(
                created_at=created,
                updated_at=created,
                required="never",
                show_before_creation=False,
                show_before_closure=False,
                show_before_update=False,
            )
        self.org.io_custom_fields = [services_field, impact_field, pd_field]
        self.ctx["follow_up_priorities"] = [
            {"id": ulid(rng, t0), "name": n, "description": d, "rank": r}
            for n, d, r in (
                ("Urgent", "Must be done this week.", 0),
                ("High", "Should be done soon.", 1),
                ("Medium", "Normal priority.", 2),
                ("Low", "A follow-up that is of lower priority compared to other tasks.", 3),
            )
        ]
        self.ctx["duration_metrics"] = [
            {"id": ulid(rng, t0), "name": "Lasted"},
            {"id": ulid(rng, t0), "name": "Time to fix"},
        ]
        base_roles = {
            "responder": {
                "id": ulid(rng, t0),
                "name": "Responder",
                "slug": "responder",
                "description": "Can respond to incidents",
            },
            "admin": {
                "id": ulid(rng, t0),
                "name": "Admin",
                "slug": "admin",
                "description": "Can manage settings",
            },
        }
        users = []
        for p in self.org.people:
            users.append(
                {
                    "id": p.incidentio_id,
                    "name": p.name,
                    "email": p.email,
                    "slack_user_id": p.slack_id,
                    "role": "unset",
                    "is_active": True,
                    "base_role": base_roles["admin" if p.index == 0 else "responder"],
                    "custom_roles": [],
                    "seats": {
                        "on_call": "full_access" if p.pagerduty_id else "none",
                        "response": "full_access",
                    },
                }
            )
        # A former employee, still known to incident.io (inactive) and Slack (deleted).
        self.ctx["former"] = {
            "name": "Old Hand",
            "email": f"old.hand@{self.org.company}.example",
            "io_id": ulid(rng, t0),
            "slack_id": upper_id(rng, "U0", 11),
        }
        f = self.ctx["former"]
        users.append(
            {
                "id": f["io_id"],
                "name": f["name"],
                "email": f["email"],
                "slack_user_id": f["slack_id"],
                "role": "unset",
                "is_active": False,
                "base_role": base_roles["responder"],
                "custom_roles": [],
                "seats": {"on_call": "none", "response": "none"},
            }
        )
        users.sort(key=lambda u: u["id"])
        self.org.io_users = users

    def user_v2(self, p: Person | None) -> Record | None:
        if p is None:
            return None
        return {
            "id": p.incidentio_id,
            "name": p.name,
            "email": p.email,
            "role": "unset",
            "slack_user_id": p.slack_id,
        }

    # ---------------------------------------------------------------------------------- PagerDuty
    def pagerduty_config(self) -> None:
        rng = self.rng("pagerduty-config")
        org = self.org
        created = iso_s(self.start - 200 * DAY)
        on_call = [p for p in org.people if p.pagerduty_id]
        n_teams = min(len(texts.TEAMS), max(2, len(on_call) // 4))
        teams = []
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
                    "html_url": f"{self.web}/teams/{tid}",
                }
            )
        org.pd_teams = teams
        members: dict[str, list[Person]] = {t["id"]: [] for t in teams}
        for i, p in enumerate(on_call):
            members[teams[i % n_teams]["id"]].append(p)
        users = []
        self.ctx["notify_rules"] = {}
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
                    "html_url": f"{self.web}/users/{uid}",
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
                    "teams": [_ref(team, "team_reference")],
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
            self.ctx["notify_rules"][uid] = rng.choice(
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
        self.ctx["pd_user_refs"] = {u["id"]: _ref(u, "user_reference") for u in users}
        priorities = []
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
        services = []
        for i, name in enumerate(texts.SERVICES[: self.spec.services]):
            sid, epid = upper_id(rng, "P", 7), upper_id(rng, "P", 7)
            team = teams[i % n_teams]
            services.append(
                {
                    "id": sid,
                    "summary": name,
                    "type": "service",
                    "self": f"{PD_API}/services/{sid}",
                    "html_url": f"{self.web}/service-directory/{sid}",
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
                        "html_url": f"{self.web}/escalation_policies/{epid}",
                    },
                    "teams": [_ref(team, "team_reference")],
                    "integrations": [],
                    "incident_urgency_rule": {"type": "constant", "urgency": "high"},
                    "support_hours": None,
                    "scheduled_actions": [],
                    "addons": [],
                    "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
                }
            )
        org.pd_services = services
        self.ctx["service_refs"] = {s["id"]: _ref(s, "service_reference") for s in services}
        self.ctx["rotation"] = {s["id"]: [p.index for p in members[s["teams"][0]["id"]]] for s in services}
        self.ctx["priority_by_name"] = {p["name"]: p for p in priorities}

    def on_call(self, service: Record, t: float, level: int) -> Person:
        """Weekly rotation within the service's team; level 2 is the next person in the rotation."""
        rota = self.ctx["rotation"][service["id"]]
        week = int((t - self.start) // (7 * DAY))
        return self.org.people[rota[(week + level - 1 + _stable_hash(service["id"])) % len(rota)]]

    # ------------------------------------------------------------------------------------- Slack/Zoom users
    def slack_users(self) -> None:
        rng = self.rng("slack-users")
        org = self.org
        org.slack_team_id = upper_id(rng, "T0", 11)
        team = org.slack_team_id
        anchor_dt = org.anchor
        users = []
        for p in org.people:
            off = _tz_offset(p.timezone, anchor_dt)
            users.append(
                {
                    "id": p.slack_id,
                    "team_id": team,
                    "name": p.email.split("@")[0],
                    "deleted": False,
                    "color": f"{rng.getrandbits(24):06x}",
                    "real_name": p.name,
                    "tz": p.timezone,
                    "tz_label": anchor_dt.astimezone(ZoneInfo(p.timezone)).tzname() or p.timezone,
                    "tz_offset": off,
                    "profile": {
                        "title": p.title,
                        "phone": "",
                        "skype": "",
                        "real_name": p.name,
                        "real_name_normalized": _ascii(p.name),
                        "display_name": p.first_name.lower(),
                        "display_name_normalized": _ascii(p.first_name).lower(),
                        "fields": None,
                        "status_text": "",
                        "status_emoji": "",
                        "status_expiration": 0,
                        "avatar_hash": f"g{rng.getrandbits(44):011x}",
                        "email": p.email,
                        "first_name": p.first_name,
                        "last_name": p.last_name,
                        "team": team,
                    },
                    "is_admin": p.index == 0,
                    "is_owner": p.index == 0,
                    "is_primary_owner": p.index == 0,
                    "is_restricted": False,
                    "is_ultra_restricted": False,
                    "is_bot": False,
                    "is_app_user": False,
                    "updated": int(self.start),
                    "is_email_confirmed": True,
                    "has_2fa": True,
                    "who_can_share_contact_card": "EVERYONE",
                }
            )
        bots = {}
        for key, name, real in (
            ("incident", "incident", "incident.io"),
            ("pagerduty", "pagerduty", "PagerDuty"),
        ):
            uid, bid, aid = upper_id(rng, "U0", 11), upper_id(rng, "B0", 11), upper_id(rng, "A0", 11)
            bots[key] = {
                "user": uid,
                "bot_id": bid,
                "app_id": aid,
                "name": real,
                "profile": {
                    "id": bid,
                    "app_id": aid,
                    "name": real,
                    "deleted": False,
                    "team_id": team,
                    "updated": int(self.start),
                    "icons": {"image_36": f"https://a.slack-edge.com/{key}_36.png"},
                },
            }
            users.append(
                {
                    "id": uid,
                    "team_id": team,
                    "name": name,
                    "deleted": False,
                    "real_name": real,
                    "tz": "America/Los_Angeles",
                    "tz_label": "Pacific Standard Time",
                    "tz_offset": -28800,
                    "profile": {
                        "real_name": real,
                        "display_name": "",
                        "bot_id": bid,
                        "api_app_id": aid,
                        "always_active": True,
                        "avatar_hash": "",
                        "real_name_normalized": real,
                        "display_name_normalized": "",
                        "title": "",
                        "phone": "",
                        "skype": "",
                        "status_text": "",
                        "status_emoji": "",
                        "fields": None,
                        "team": team,
                    },
                    "is_bot": True,
                    "is_app_user": False,
                    "updated": int(self.start),
                }
            )
        f = self.ctx["former"]
        users.append(
            {
                "id": f["slack_id"],
                "team_id": team,
                "name": "old.hand",
                "deleted": True,
                "profile": {
                    "real_name": f["name"],
                    "display_name": "old.hand",
                    "real_name_normalized": f["name"],
                    "display_name_normalized": "old.hand",
                    "avatar_hash": "",
                    "title": "",
                    "phone": "",
                    "skype": "",
                    "status_text": "",
                    "status_emoji": "",
                    "fields": None,
                    "team": team,
                },
                "is_bot": False,
                "is_app_user": False,
                "updated": int(self.start - 100 * DAY),
            }
        )
        users.append(
            {
                "id": "USLACKBOT",
                "team_id": team,
                "name": "slackbot",
                "deleted": False,
                "real_name": "Slackbot",
                "tz": "America/Los_Angeles",
                "tz_label": "Pacific Standard Time",
                "tz_offset": -28800,
                "profile": {
                    "real_name": "Slackbot",
                    "display_name": "Slackbot",
                    "fields": None,
                    "team": team,
                },
                "is_bot": False,
                "is_app_user": False,
                "updated": 0,
            }
        )
        users.sort(key=lambda u: u["id"])
        org.slack_users = users
        self.ctx["bots"] = bots

    def zoom_users(self) -> None:
        rng = self.rng("zoom-users")
        users = []
        for p in self.org.people:
            if not p.zoom_id:
                continue
            users.append(
                {
                    "id": p.zoom_id,
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "display_name": p.name,
                    "email": p.zoom_email,
                    "type": 2,
                    "pmi": rng.randrange(2_000_000_000, 9_999_999_999),
                    "timezone": p.timezone,
                    "verified": 1,
                    "dept": "Engineering",
                    "user_created_at": iso_s(self.start - 300 * DAY),
                    "created_at": iso_s(self.start - 300 * DAY),
                    "last_login_time": iso_s(self.anchor - rng.uniform(1, 20) * DAY),
                    "last_client_version": "6.2.5.5060(mac)",
                    "group_ids": [],
                    "im_group_ids": [],
                    "role_id": "2",
                    "status": "active",
                    "employee_unique_id": token_like(rng, 22),
                    "language": "en-US",
                    "user_type": "Licensed",
                }
            )
        self.org.zoom_users = users

    # ----------------------------------------------------------------------------------- incidents
    def plan_incidents(self) -> list[_Inc]:
        rng = self.rng("incidents")
        n = self.spec.incidents
        sev = {s["name"]: s for s in self.org.io_severities}
        modes = _quota(
            rng,
            n,
            {"standard": 0.88, "retrospective": 0.06, "test": 0.04, "tutorial": 0.02},
            {"retrospective": 2, "test": 1, "tutorial": 1},
        )
        n_std = modes.count("standard")
        cats = iter(
            _quota(
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
        sevs = _quota(
            rng,
            n,
            {"Minor": 0.58, "Major": 0.25, "Critical": 0.09, "none": 0.08},
            {"Major": 3, "Critical": 2, "none": 2},
        )
        types = self.org.io_types
        plans: list[_Inc] = []
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
            inc = _Inc(number=0, mode=mode, category=cat, severity=severity, type=itype, created=0.0)
            inc.created = self._created_time(rng, cat)
            plans.append(inc)
        # The newest incident was declared minutes ago: its Slack channel does not exist yet.
        fresh = [p for p in plans if p.category in ("live", "triage")]
        for k, inc in enumerate(fresh[: 1 if n < 500 else 2]):
            inc.created = self.anchor - rng.uniform(2, 8) * MIN - k * MIN
            inc.channel_id = "-"  # marker: no channel
        for inc in plans:
            self.timeline(rng, inc)
        plans.sort(key=lambda p: p.created)
        for k, inc in enumerate(plans, start=1):
            inc.number = k
            inc.id = ulid(rng, inc.created)
        for k, inc in enumerate(plans):
            if inc.category == "merged":
                earlier = [p for p in plans[:k] if p.mode == "standard"]
                inc.merged_into = rng.choice(earlier).id if earlier else None
        self.plant_timestamp_traps(rng, plans)
        for inc in plans:
            self.people_and_links(rng, inc)
        # PagerDuty: ~60% of incidents carry the integration's attachment, a few more only a link field.
        linkable = [p for p in plans if p.mode in ("standard", "retrospective") and p.channel_id]
        links = _quota(
            rng, len(linkable), {"attachment": 0.66, "custom_field": 0.06, "none": 0.28}, {"custom_field": 1}
        )
        for inc, link in zip(linkable, links, strict=True):
            inc.link = None if link == "none" else link
        missing = self.spec.min_calls - sum(1 for p in plans if p.meeting_id)
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
                self.zoom_call(rng, inc, zoom_only=True)
        return plans

    def _created_time(self, rng: random.Random, cat: str) -> float:
        if cat == "live":
            return self.anchor - rng.uniform(0.5, 30) * HOUR
        if cat == "triage":
            return self.anchor - rng.uniform(0.3, 5 * 24) * HOUR
        if cat == "learning":
            return self.anchor - rng.uniform(1.5, 25) * DAY
        day = math.floor(rng.uniform(self.start, self.anchor - 3 * DAY) / DAY) * DAY
        while datetime.fromtimestamp(day, UTC).weekday() >= 5 and rng.random() < 0.6:
            day = math.floor(rng.uniform(self.start, self.anchor - 3 * DAY) / DAY) * DAY
        if rng.random() < 0.7:  # working hours in New York or London
            hour = rng.uniform(13, 22) if rng.random() < 0.5 else rng.uniform(8, 17)
        else:
            hour = rng.uniform(0, 24)
        return day + hour * HOUR + rng.random()

    def timeline(self, rng: random.Random, inc: _Inc) -> None:
        """Timestamps and status updates, consistent with the incident's final status category."""
        self._timeline(rng, inc)
        # Nothing has happened after the anchor yet.
        limit = self.anchor - 1
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

    def _timeline(self, rng: random.Random, inc: _Inc) -> None:
        c = inc.created
        sev_rank = inc.severity["rank"] if inc.severity else -1
        median = {-1: 50, 0: 70, 1: 140, 2: 240}[sev_rank] * MIN
        if inc.mode in ("test", "tutorial"):
            median = 15 * MIN
        duration = min(max(_lognorm(rng, median, 1.0), 6 * MIN), 6 * DAY)
        inc.reported = c
        if inc.mode == "retrospective":  # declared after the fact
            inc.reported = c - duration - rng.uniform(1, 120) * HOUR
        if rng.random() < 0.75:
            inc.impact = inc.reported - _lognorm(rng, 12 * MIN, 1.0)
        sev0 = inc.severity
        # Some incidents are declared one severity lower, then escalated.
        if inc.severity and inc.severity["rank"] > 0 and rng.random() < 0.3:
            sev0 = self.org.io_severities[inc.severity["rank"] - 1]
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
        closed = resolved + _lognorm(rng, 2 * DAY, 1.0)
        if inc.mode == "retrospective":
            # Declared after the fact: the timestamps are back-filled, one update closes it.
            inc.identified, inc.fixed, inc.resolved = fixing, fixed, resolved
            inc.resolved_value = resolved
            if inc.category == "closed":
                inc.closed = c + rng.uniform(1, 20) * DAY
                inc.closed = min(inc.closed, self.anchor - HOUR)
                ev.append((max(inc.closed, c + MIN), "Closed", inc.severity))
                inc.status = "Closed"
            else:
                ev.append((c + rng.uniform(1, 30) * MIN, "Documenting", inc.severity))
                inc.status = "Documenting"
            inc.updated = max(e[0] for e in ev) + rng.uniform(0, 60)
            return
        if inc.category == "closed" and closed > self.anchor - HOUR:
            shift = closed - (self.anchor - HOUR) + rng.uniform(1, 48) * HOUR
            for name in ("created", "reported", "accepted", "impact"):
                v = getattr(inc, name)
                if v:
                    setattr(inc, name, v - shift)
            c, t, rep, fixing, fixed, resolved, closed = (
                x - shift for x in (c, t, rep, fixing, fixed, resolved, closed)
            )
            ev[:] = [(e[0] - shift, e[1], e[2]) for e in ev]
        if inc.category == "learning" and resolved > self.anchor - HOUR:
            duration = max((self.anchor - HOUR - rep) * rng.uniform(0.3, 0.9), 6 * MIN)
            fixing, fixed, resolved = rep + duration * 0.3, rep + duration * 0.7, rep + duration
        if inc.category == "live":
            # Still going: only the steps that already happened, and no resolution yet.
            span = self.anchor - rep
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
                        resolved + rng.uniform(0.2, 0.9) * (self.anchor - HOUR - resolved),
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
        inc.updated = min(inc.updated, self.anchor - rng.uniform(1, 50) * MIN)

    def plant_timestamp_traps(self, rng: random.Random, plans: list[_Inc]) -> None:
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

    def people_and_links(self, rng: random.Random, inc: _Inc) -> None:
        org = self.org
        services = org.pd_services
        inc.services = rng.sample(services, 1 if rng.random() < 0.75 else 2)
        svc = inc.services[0]
        symptom = rng.choice(texts.SYMPTOMS)
        inc.name = f"{svc['name']}: {symptom}"
        inc.summary = f"{svc['name']} is showing {symptom}; we're looking into the impact."
        inc.private = inc.type["name"] == "Security" and rng.random() < 0.5
        on_call = self.on_call(svc, inc.reported, 1)
        inc.reporter = rng.choice(org.people)
        if rng.random() < 0.92:
            inc.lead = on_call if rng.random() < 0.7 else rng.choice(org.people)
        if inc.severity and inc.severity["rank"] >= 1 and rng.random() < 0.45:
            inc.comms = rng.choice(org.people)
        base = [p for p in (inc.lead, inc.reporter, inc.comms) if p]
        extra_n = {-1: 1, 0: 2, 1: 4, 2: 7}[inc.severity["rank"] if inc.severity else -1]
        pool = [org.people[i] for i in self.ctx["rotation"][svc["id"]]] + rng.sample(org.people, 4)
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
            self.zoom_call(rng, inc)
        if inc.channel_id == "-":
            inc.channel_id = ""
        else:
            inc.channel_id = upper_id(rng, "C0", 11)
            day = datetime.fromtimestamp(inc.created, UTC).strftime("%Y-%m-%d")
            slug = f"{rng.choice(texts.INCIDENT_ADJECTIVES)}-{rng.choice(texts.INCIDENT_ANIMALS)}"
            inc.channel_name = f"inc-{day}-{inc.number}-{slug}"

    def zoom_call(self, rng: random.Random, inc: _Inc, zoom_only: bool = False) -> None:
        if not zoom_only and rng.random() < 0.03:  # a few teams use another tool: not a Zoom link
            inc.call_url = (
                f"https://meet.google.com/{token_like(rng, 3).lower()}-{token_like(rng, 4).lower()}"
            )
        else:
            inc.meeting_id = rng.randrange(81_000_000_000, 99_999_999_999)
            inc.call_url = f"https://zoom.us/j/{inc.meeting_id}?pwd={token_like(rng, 32)}.1"
            # The meeting exists even before any instance has ended (its instances list is then empty).
            self.org.zoom_meetings.setdefault(inc.meeting_id, [])

    # ------------------------------------------------------------------------------- PagerDuty plan
    def plan_pagerduty(self, incs: list[_Inc]) -> list[_Pd]:
        rng = self.rng("pagerduty")
        pds: list[_Pd] = []
        for inc in incs:
            if inc.link:
                pds.append(self.linked_pd(rng, inc))
        n_other = max(0, self.spec.pd_incidents - len(pds))
        services = self.org.pd_services
        weights = [1.0 / (1 + i * 0.3) for i in range(len(services))]
        for k in range(n_other):
            day = math.floor(rng.uniform(self.start, self.anchor) / DAY) * DAY
            hour = rng.uniform(0, 24) if rng.random() < 0.6 else rng.uniform(13, 22)
            created = min(day + hour * HOUR + rng.random(), self.anchor - rng.uniform(1, 60) * MIN)
            if k < 4:  # a few pages from the last hours, some of them still open
                created = self.anchor - rng.uniform(0.5, 16) * HOUR
            svc = rng.choices(services, weights)[0]
            urgency = "high" if rng.random() < 0.6 else "low"
            prio = (
                None
                if rng.random() < 0.3
                else self.ctx["priority_by_name"][rng.choice(["P2", "P3", "P3", "P4", "P5"])]
            )
            med_res = 40 * MIN if urgency == "high" else 3 * HOUR
            ack = None if rng.random() < 0.07 else _lognorm(rng, 150 if urgency == "high" else 600, 1.1)
            pds.append(
                _Pd(
                    id=upper_id(rng, "P", 14),
                    created=created,
                    service=svc,
                    urgency=urgency,
                    priority=prio,
                    title=f"{svc['name']}: {rng.choice(texts.SYMPTOMS)}",
                    resolve_after=max(_lognorm(rng, med_res, 1.2), (ack or 0) + 60),
                    ack_after=ack,
                )
            )
        # A few recent pages still open (the pipeline must re-fetch them until they resolve).
        recent = [p for p in pds if p.io is None and p.created > self.anchor - 18 * HOUR]
        for p in recent[: max(3, len(recent) // 3)]:
            p.resolve_after = self.anchor - p.created + rng.uniform(1, 30) * DAY
        pds.sort(key=lambda p: (p.created, p.id))
        for k, p in enumerate(pds):
            p.number = 1000 + k
        return pds

    def linked_pd(self, rng: random.Random, inc: _Inc) -> _Pd:
        rank = inc.severity["rank"] if inc.severity else -1
        prio = {2: "P1", 1: "P2", 0: rng.choice(["P3", "P4"]), -1: None}[rank]
        created = inc.reported - rng.uniform(1, 10) * MIN
        end = inc.resolved or inc.fixed or inc.canceled or inc.merged or inc.declined
        if end is None or inc.category == "live":
            resolve_after = self.anchor - created + rng.uniform(2, 20) * DAY  # still open
        else:
            resolve_after = max(end - created + rng.uniform(-5, 5) * MIN, 3 * MIN)
        ack = min(_lognorm(rng, 120, 1.0), resolve_after - 30)
        pd = _Pd(
            id=upper_id(rng, "P", 14),
            created=created,
            service=inc.services[0],
            urgency="high" if rank >= 1 or rng.random() < 0.7 else "low",
            priority=self.ctx["priority_by_name"][prio] if prio else None,
            title=inc.name,
            resolve_after=resolve_after,
            ack_after=max(ack, 20),
            io=inc,
        )
        inc.pd_id, inc.pd = pd.id, pd
        return pd

    def add_pd_incident(self, pd: _Pd, now: float | None = None) -> Record:
        """Build the log entries and the incident record; anything after `now` hasn't happened yet."""
        now = self.anchor if now is None else now
        rng = random.Random(f"{self.org.seed}:pd:{pd.id}")
        svc_ref = self.ctx["service_refs"][pd.service["id"]]
        urefs = self.ctx["pd_user_refs"]
        inc_ref = {
            "id": pd.id,
            "type": "incident_reference",
            "summary": f"[#{pd.number}] {pd.title}",
            "self": f"{PD_API}/incidents/{pd.id}",
            "html_url": f"{self.web}/incidents/{pd.id}",
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
                    "html_url": f"{self.web}/incidents/{pd.id}/log_entries/{eid}",
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

        def notify(user: Person, at: float, until: float) -> None:
            assert user.pagerduty_id
            rules = self.ctx["notify_rules"][user.pagerduty_id]
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
                        {"type": method},
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
        level1 = self.on_call(pd.service, t0, 1)
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
            level2 = self.on_call(pd.service, t0, 2)
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
                ack_at = escalated_at + _lognorm(rng, 120, 0.8)
                resolve_at = max(resolve_at, ack_at + 60)
            notify(level2, escalated_at + 1, ack_at or resolve_at)
        acks: list[tuple[float, Person]] = []
        if ack_at is not None:
            acks.append((ack_at, assignee))
            if rng.random() < 0.06 and resolve_at - ack_at > 120:  # acknowledged again, maybe by someone else
                other = self.on_call(pd.service, t0, 2) if rng.random() < 0.5 else assignee
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
        return self.publish_pd(pd, now)

    def publish_pd(self, pd: _Pd, now: float) -> Record:
        """The incident as the API shows it at `now` (entries after `now` are held back)."""
        visible = [e for e in pd.entries if e["created_at"] <= iso_s(now)]
        org = self.org
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
            "html_url": f"{self.web}/incidents/{pd.id}",
            "incident_number": pd.number,
            "title": pd.title,
            "description": pd.title,
            "created_at": iso_s(pd.created),
            "updated_at": last["created_at"],
            "status": status,
            "incident_key": trig["channel"]["incident_key"],
            "service": self.ctx["service_refs"][pd.service["id"]],
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
        org.pd_incidents[pd.id] = record
        org.pd_log_entries[pd.id] = visible
        self.ctx.setdefault("pd_plans", {})[pd.id] = pd
        svc = pd.service
        if svc["last_incident_timestamp"] is None or svc["last_incident_timestamp"] < record["created_at"]:
            svc["last_incident_timestamp"] = record["created_at"]
        return record

    # ----------------------------------------------------------------------------- incident records
    def add_io_incident(self, inc: _Inc) -> Record:
        org = self.org
        rng = random.Random(f"{org.seed}:io:{inc.id}")
        if inc.id in org.io_incidents:  # rebuilt after a mutation: replace its actions and follow-ups
            org.io_actions = [x for x in org.io_actions if x["incident_id"] != inc.id]
            org.io_follow_ups = [x for x in org.io_follow_ups if x["incident_id"] != inc.id]
        status = next(s for s in org.io_statuses if s["name"] == inc.status)
        roles = {r["role_type"]: r for r in org.io_roles}
        assignments = [
            {"role": roles["lead"], **({"assignee": self.user_v2(inc.lead)} if inc.lead else {})},
            {"role": roles["reporter"], "assignee": self.user_v2(inc.reporter)},
            {"role": roles["custom"], **({"assignee": self.user_v2(inc.comms)} if inc.comms else {})},
        ]
        fields = {f["name"]: f for f in org.io_custom_fields}
        opts = {o["value"]: o for o in fields["Affected services"]["options"]}
        impact_opts = fields["Customer impact"]["options"]
        pd_values: list[Record] = []
        if inc.link == "custom_field" and inc.pd_id:
            pd_values = [{"value_link": f"{self.web}/incidents/{inc.pd_id}"}]
        entries = [
            {
                "custom_field": fields["Affected services"],
                "values": [{"value_option": opts[s["name"]]} for s in inc.services],
            },
            {
                "custom_field": fields["Customer impact"],
                "values": []
                if inc.category == "triage"
                else [
                    {
                        "value_option": impact_opts[
                            min(2, (inc.severity["rank"] if inc.severity else 0) + (rng.random() < 0.3))
                        ]
                    }
                ],
            },
            {"custom_field": fields["PagerDuty incident"], "values": pd_values},
        ]
        ts_values = {
            "Reported at": None if inc.reported_null else inc.reported,
            "Accepted at": inc.accepted,
            "Declined at": inc.declined,
            "Merged at": inc.merged,
            "Canceled at": inc.canceled,
            "Resolved at": inc.resolved_value,
            "Impact started at": inc.impact,
            "Identified at": inc.identified,
            "Fixed at": inc.fixed,
            "Documented at": None,
            "Reviewed at": None,
            "Closed at": inc.closed,
        }
        stamp_values = [
            {
                "incident_timestamp": ts,
                "value": {"value": iso_ms(ts_values[ts["name"]])}
                if ts_values[ts["name"]] is not None
                else None,
            }
            for ts in org.io_timestamps
        ]
        start = inc.reported
        metrics = []
        for metric, end in zip(self.ctx["duration_metrics"], (inc.resolved_value, inc.fixed), strict=True):
            if end is None:
                metrics.append({"duration_metric": metric, "status": "timestamps_missing"})
            elif end < start:
                metrics.append({"duration_metric": metric, "status": "invalid_timestamps"})
            else:
                metrics.append(
                    {"duration_metric": metric, "status": "success", "value_seconds": int(end - start)}
                )
        workload = (
            round(len(inc.participants) * _lognorm(rng, 25, 0.6), 1) if inc.category != "triage" else 0.0
        )
        creator: Record = {"user": self.user_v2(inc.reporter)}
        if inc.link == "attachment" and rng.random() < 0.3:
            creator = {"workflow": {"id": ulid(rng, self.start), "name": "Declare from PagerDuty"}}
        record: Record = {
            "id": inc.id,
            "reference": f"INC-{inc.number}",
            "name": inc.name,
            "summary": inc.summary,
            "mode": inc.mode,
            "visibility": "private" if inc.private else "public",
            "permalink": f"https://app.incident.io/{org.company}/incidents/{inc.number}",
            "call_url": inc.call_url,
            "slack_channel_id": inc.channel_id,
            "slack_channel_name": inc.channel_name,
            "slack_team_id": org.slack_team_id,
            "postmortem_document_url": (
                f"https://docs.{org.company}.example/postmortems/INC-{inc.number}"
                if inc.category == "closed" and (inc.severity or {}).get("rank", 0) >= 1
                else None
            ),
            "postmortem_document_ids": [],
            "has_debrief": False,
            "external_issue_reference": (
                {
                    "provider": "jira",
                    "issue_name": f"OPS-{1000 + inc.number}",
                    "issue_permalink": f"https://{org.company}.atlassian.net/browse/OPS-{1000 + inc.number}",
                }
                if rng.random() < 0.15
                else None
            ),
            "created_at": iso_ms(inc.created),
            "updated_at": iso_ms(inc.updated),
            "creator": creator,
            "incident_status": status,
            "severity": inc.severity,
            "incident_type": inc.type,
            "incident_role_assignments": assignments,
            "custom_field_entries": entries,
            "incident_timestamp_values": stamp_values,
            "duration_metrics": metrics,
            "workload_minutes_total": workload,
            "workload_minutes_working": round(workload * 0.7, 1),
            "workload_minutes_late": round(workload * 0.2, 1),
            "workload_minutes_sleeping": round(workload * 0.1, 1),
        }
        org.io_incidents[inc.id] = record
        self.ctx.setdefault("io_plans", {})[inc.id] = inc
        # Updates (status and severity changes), each by a person.
        statuses = {s["name"]: s for s in org.io_statuses}
        updaters = [p for p in (inc.lead, inc.reporter, inc.comms) if p] or inc.participants
        updates = []
        for k, (t, status_name, severity) in enumerate(inc.events):
            # One stream per update (and below, per part): rebuilding the incident after a mutation
            # must keep every existing id.
            rng = random.Random(f"{org.seed}:io-update:{inc.id}:{k}")
            up: Record = {
                "id": ulid(rng, t),
                "incident_id": inc.id,
                "created_at": iso_ms(t),
                "message": rng.choice(texts.UPDATE_MESSAGES) if rng.random() < 0.7 else None,
                "new_incident_status": statuses[status_name],
                "new_severity": severity,
                "updater": {"user": self.user_v2(rng.choice(updaters))},
            }
            if status_name == "Merged" and inc.merged_into:
                up["merged_into_incident_id"] = inc.merged_into
            updates.append(up)
        org.io_updates[inc.id] = updates
        # Attachments: the PagerDuty integration's link, plus other tools.
        rng = random.Random(f"{org.seed}:io-attachments:{inc.id}")
        atts = []
        if inc.link == "attachment" and inc.pd_id:
            atts.append(("pager_duty_incident", inc.pd_id, f"{self.web}/incidents/{inc.pd_id}", inc.name))
        if rng.random() < 0.15:
            key = f"OPS-{2000 + inc.number}"
            atts.append(
                ("jira_issue", key, f"https://{org.company}.atlassian.net/browse/{key}", "Investigate")
            )
        if rng.random() < 0.15:
            sid = str(rng.randrange(10**9, 10**10))
            atts.append(
                (
                    "sentry_issue",
                    sid,
                    f"https://{org.company}.sentry.io/issues/{sid}/",
                    f"TimeoutError in {inc.services[0]['name']}",
                )
            )
        if rng.random() < 0.1:
            pr = str(rng.randrange(100, 9000))
            atts.append(
                (
                    "github_pull_request",
                    pr,
                    f"https://github.com/{org.company}/platform/pull/{pr}",
                    "Revert config change",
                )
            )
        org.io_attachments[inc.id] = [
            {
                "id": ulid(rng, inc.created + 60 + k),
                "incident_id": inc.id,
                "resource": {"external_id": ext, "permalink": link, "resource_type": kind, "title": title},
            }
            for k, (kind, ext, link, title) in enumerate(atts)
        ]
        self.actions_and_follow_ups(inc)
        return record

    def actions_and_follow_ups(self, inc: _Inc) -> None:
        org = self.org
        rng = random.Random(f"{org.seed}:io-actions:{inc.id}")
        if inc.category in ("triage", "declined"):
            return
        end = inc.resolved or inc.canceled or inc.merged or self.anchor - MIN
        for k in range(rng.choice((0, 0, 1, 1, 2, 3))):
            # Its id stays when a mutation resolves the incident (and the action gets completed).
            one = random.Random(f"{org.seed}:io-action:{inc.id}:{k}")
            action_id = ulid(one, inc.created + 60 * (k + 1))
            t = inc.created + (end - inc.created) * one.uniform(0.05, 0.6)
            who = one.choice(inc.participants)
            done = inc.category != "live" and one.random() < 0.8
            t_done = t + (end - t) * one.uniform(0.2, 1.0)
            org.io_actions.append(
                {
                    "id": action_id,
                    "incident_id": inc.id,
                    "description": one.choice(texts.ACTION_DESCRIPTIONS),
                    "status": "completed" if done else one.choice(("outstanding", "not_doing")),
                    "assignee": self.user_v2(who),
                    "creator": {"user": self.user_v2(inc.lead or inc.reporter)},
                    "completed_at": iso_ms(t_done) if done else None,
                    "created_at": iso_ms(t),
                    "updated_at": iso_ms(t_done if done else t),
                }
            )
        if inc.category not in ("closed", "learning"):
            return
        priorities = self.ctx["follow_up_priorities"]
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
            t = (inc.resolved or inc.created) + rng.uniform(0.1, 30) * HOUR
            t = min(t, self.anchor - MIN)
            status = rng.choices(("outstanding", "completed", "not_doing", "deleted"), (35, 45, 12, 8))[0]
            t_done = min(t + _lognorm(rng, 12 * DAY, 1.0), self.anchor - MIN)
            assignee = rng.choice(inc.participants) if rng.random() < 0.85 else None
            org.io_follow_ups.append(
                {
                    "id": ulid(rng, t),
                    "incident_id": inc.id,
                    "title": rng.choice(texts.FOLLOW_UP_TITLES),
                    "description": "",
                    "status": status,
                    "priority": rng.choice(priorities) if rng.random() < 0.8 else None,
                    "assignee": self.user_v2(assignee),
                    "assignee_team": None,
                    "creator": {"user": self.user_v2(inc.lead or inc.reporter)},
                    "labels": [],
                    "external_issue_reference": None,
                    "completed_at": iso_ms(t_done) if status == "completed" else None,
                    "created_at": iso_ms(t),
                    "updated_at": iso_ms(t_done if status != "outstanding" else t),
                }
            )

    # ------------------------------------------------------------------------------------- Slack
    def slack_channels(self, incs: list[_Inc]) -> None:
        rng = self.rng("slack")
        org = self.org
        with_channel = [i for i in incs if i.channel_id]
        sev_f = {-1: 0.5, 0: 0.7, 1: 1.6, 2: 3.0}
        cat_f = {"triage": 0.3, "declined": 0.2, "merged": 0.3, "canceled": 0.3}
        weights = []
        for inc in with_channel:
            w = sev_f[inc.severity["rank"] if inc.severity else -1] * cat_f.get(inc.category, 1.0)
            if inc.mode in ("test", "tutorial", "retrospective"):
                w *= 0.15
            weights.append(w * rng.lognormvariate(0, 0.5))
        total = self.spec.messages_per_incident * len(incs)
        scale = total / (sum(weights) or 1)
        for inc, w in zip(with_channel, weights, strict=True):
            self.add_channel(inc)
            self.channel_messages(inc, max(4, round(w * scale)))
        # Two ordinary channels the pipeline must leave alone (it syncs incident channels only).
        for name in ("general", "sre-oncall"):
            cid = upper_id(rng, "C0", 11)
            org.slack_channels[cid] = self.channel_record(
                cid, name, self.start - 300 * DAY, org.people[0].slack_id, f"#{name}", False, False
            )
            org.slack_members[cid] = [p.slack_id for p in org.people]
            log = ChannelLog()
            for k in range(20):
                us = int((self.anchor - (20 - k) * DAY) * 1_000_000)
                log.add_top(
                    {
                        "type": "message",
                        "ts": slack_ts(us),
                        "user": rng.choice(org.people).slack_id,
                        "text": rng.choice(texts.MESSAGES),
                        "team": org.slack_team_id,
                    }
                )
            org.slack_logs[cid] = log

    def channel_record(
        self, cid: str, name: str, created: float, creator: str, purpose: str, private: bool, archived: bool
    ) -> Record:
        return {
            "id": cid,
            "name": name,
            "name_normalized": name,
            "created": int(created),
            "creator": creator,
            "is_channel": not private,
            "is_group": private,
            "is_im": False,
            "is_mpim": False,
            "is_private": private,
            "is_archived": archived,
            "is_general": name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "is_member": True,
            "unlinked": 0,
            "previous_names": [],
            "parent_conversation": None,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": purpose, "creator": creator, "last_set": int(created)},
            "context_team_id": self.org.slack_team_id,
            "shared_team_ids": [self.org.slack_team_id],
            "updated": int(created * 1000),
        }

    def add_channel(self, inc: _Inc) -> None:
        org = self.org
        archived = inc.category == "closed" and (inc.closed or 0) < self.anchor - 45 * DAY
        assert inc.reporter
        rec = self.channel_record(
            inc.channel_id,
            inc.channel_name,
            inc.created,
            inc.reporter.slack_id,
            f"INC-{inc.number}: {inc.name}",
            inc.private,
            archived,
        )
        sev = inc.severity["name"] if inc.severity else "Unset"
        lead = inc.lead.first_name.lower() if inc.lead else "unassigned"
        rec["topic"] = {
            "value": f"{sev} | {inc.name} | Lead: @{lead}",
            "creator": self.ctx["bots"]["incident"]["user"],
            "last_set": int(inc.created) + 5,
        }
        org.slack_channels[inc.channel_id] = rec
        org.slack_members[inc.channel_id] = [p.slack_id for p in inc.participants] + [
            self.ctx["bots"]["incident"]["user"],
            self.ctx["bots"]["pagerduty"]["user"],
        ]

    def channel_messages(self, inc: _Inc, n_total: int, now: float | None = None) -> None:
        """The channel's conversation: joins, bot posts, people's messages, threads (a few broadcast)."""
        org = self.org
        limit = (now or self.anchor) - 30
        rng = random.Random(f"{org.seed}:slack:{inc.id}")
        team = org.slack_team_id
        bots = self.ctx["bots"]
        start = inc.created + 1
        active_end = inc.resolved or inc.fixed or inc.window_end or limit
        if inc.category == "live":
            active_end = limit
        end = min(max(inc.window_end, active_end, start + 10 * MIN), limit)
        active_end = min(max(active_end, start + 5 * MIN), end)
        used: set[int] = set()

        def uniq(t: float) -> str:
            us = int(t * 1_000_000)
            while us in used:
                us += 1
            used.add(us)
            return slack_ts(us)

        top: list[Record] = []
        threads: dict[str, list[Record]] = {}
        inc_bot, pd_bot = bots["incident"], bots["pagerduty"]

        def bot_post(bot: Record, t: float, text: str, pd: bool = False) -> None:
            m: Record = {
                "type": "message",
                "ts": uniq(t),
                "bot_id": bot["bot_id"],
                "app_id": bot["app_id"],
                "text": text,
                "bot_profile": bot["profile"],
                "team": team,
            }
            if pd:
                m["subtype"] = "bot_message"
                m["username"] = "PagerDuty"
                m["attachments"] = [
                    {
                        "id": 1,
                        "color": "a8171c",
                        "fallback": text,
                        "title": text,
                        "title_link": f"{self.web}/incidents/{inc.pd_id}",
                    }
                ]
            else:
                m["user"] = bot["user"]
            top.append(m)

        ref = f"INC-{inc.number}"
        bot_post(
            inc_bot, start, f"{ref} declared: {inc.name}. Lead: {inc.lead.name if inc.lead else 'unassigned'}"
        )
        for t, status_name, _ in inc.events:
            if start < t < end:
                bot_post(inc_bot, t, f"{ref} status changed to {status_name}")
        if inc.pd is not None:
            bot_post(pd_bot, start + 2, f"Triggered: [#{inc.pd.number}] {inc.pd.title}", pd=True)
            t_res = inc.pd.created + inc.pd.resolve_after
            if start < t_res < end:
                bot_post(pd_bot, t_res, f"Resolved: [#{inc.pd.number}] {inc.pd.title}", pd=True)
        members = list(inc.participants)
        old = inc.created < self.anchor - 200 * DAY
        if old and (rng.random() < 0.15 or not self.ctx.setdefault("former_posted", False)):
            self.ctx["former_posted"] = True
            members.append(None)  # type: ignore[arg-type]  # the former employee, deleted from Slack since
        former_id = self.ctx["former"]["slack_id"]
        uid_of = [p.slack_id if p else former_id for p in members]
        inviter = inc.reporter.slack_id if inc.reporter else uid_of[0]
        t = start + 3
        for uid in uid_of:
            t += rng.uniform(1, 120)
            top.append(
                {
                    "type": "message",
                    "subtype": "channel_join",
                    "ts": uniq(min(t, end)),
                    "user": uid,
                    "inviter": inviter,
                    "text": f"<@{uid}> has joined the channel",
                }
            )
        remaining = max(0, n_total - len(top))
        n_top = max(1, round(remaining / 1.42))
        author_w = [3.0 if p is inc.lead else 1.0 for p in members]
        t_lo, t_hi, t_late = start + 60, active_end, end
        for _ in range(n_top):
            if t_late > t_hi and rng.random() < 0.2:
                t = rng.uniform(t_hi, t_late)
            else:
                t = rng.uniform(t_lo, max(t_hi, t_lo + 1))
            k = rng.choices(range(len(members)), author_w)[0]
            uid = uid_of[k]
            m = {
                "type": "message",
                "ts": uniq(t),
                "user": uid,
                "text": rng.choice(texts.MESSAGES),
                "team": team,
                "client_msg_id": uuid4_like(rng),
            }
            r = rng.random()
            if r < 0.05:
                m["edited"] = {
                    "user": uid,
                    "ts": slack_ts(slack_ts_us(m["ts"]) + rng.randrange(10, 600) * 1_000_000),
                }
            elif r < 0.12:
                who = rng.sample(uid_of, min(len(uid_of), rng.randint(1, 3)))
                m["reactions"] = [
                    {"name": rng.choice(("eyes", "+1", "white_check_mark")), "users": who, "count": len(who)}
                ]
            top.append(m)
            if rng.random() < 0.12:
                replies = []
                tr = t
                for _ in range(min(12, 1 + int(rng.expovariate(1 / 2.5)))):
                    tr += rng.expovariate(1 / 150) + 1
                    if tr > limit:
                        break
                    ru = rng.choice(uid_of)
                    reply = {
                        "type": "message",
                        "ts": uniq(tr),
                        "user": ru,
                        "text": rng.choice(texts.REPLIES),
                        "team": team,
                        "client_msg_id": uuid4_like(rng),
                        "thread_ts": m["ts"],
                        "parent_user_id": uid,
                    }
                    if rng.random() < 0.1:
                        reply["subtype"] = "thread_broadcast"
                        reply["root"] = {"ts": m["ts"], "user": uid, "text": m["text"], "thread_ts": m["ts"]}
                        top.append(reply)
                    replies.append(reply)
                if replies:
                    replies.sort(key=lambda x: x["ts"])
                    threads[m["ts"]] = replies
                    _set_thread_fields(m, replies)
        top.sort(key=lambda x: slack_ts_us(x["ts"]))
        log = ChannelLog(top=top, top_keys=[slack_ts_us(x["ts"]) for x in top], threads=threads)
        org.slack_logs[inc.channel_id] = log

    # -------------------------------------------------------------------------------------- Zoom
    def zoom_calls(self, incs: list[_Inc]) -> None:
        rng = self.rng("zoom")
        instances: list[ZoomInstance] = []
        in_window: list[ZoomInstance] = []
        for inc in incs:
            if not inc.meeting_id:
                continue
            host = next(
                (p for p in (inc.lead, inc.reporter, *inc.participants) if p and p.zoom_id),
                self.org.people[0],
            )
            topic = f"INC-{inc.number} bridge"

            def add(
                s: float,
                e: float,
                n: int,
                own: bool,
                inc: _Inc = inc,
                host: Person = host,
                topic: str = topic,
            ) -> None:
                if e >= self.anchor - 60 or e - s < 60:
                    return  # still running (or a non-call): Zoom lists ended instances only
                zi = ZoomInstance(
                    uuid=zoom_uuid(rng),
                    meeting_id=inc.meeting_id or 0,
                    start=s,
                    end=e,
                    topic=topic,
                    host_id=host.zoom_id or "",
                    host_email=host.zoom_email,
                    host_name=host.name,
                    participants=[],
                    incident_id=inc.id if own else None,
                )
                zi.participants = self.participants(rng, inc, host, s, e, n)
                instances.append(zi)
                if own and len(zi.participants) >= 2:
                    in_window.append(zi)

            rank = inc.severity["rank"] if inc.severity else 0
            base_n = {0: 3, 1: 5, 2: 8}[max(rank, 0)]
            s1 = inc.reported + rng.uniform(1, 15) * MIN
            end_cap = inc.resolved or (self.anchor - 60)
            e1 = min(s1 + min(_lognorm(rng, 50 * MIN, 0.7), 5 * HOUR), max(end_cap, s1 + 10 * MIN))
            n1 = 1 if rng.random() < 0.05 else max(2, round(base_n * rng.uniform(0.6, 1.4)))
            add(s1, e1, n1, True)
            window_end = inc.window_end or self.anchor
            if rng.random() < 0.2 and e1 + HOUR < window_end:
                s2 = rng.uniform(e1 + 30 * MIN, min(window_end, e1 + 8 * HOUR))
                add(s2, s2 + _lognorm(rng, 30 * MIN, 0.5), max(2, n1 // 2), True)
            if rng.random() < 0.08:  # the same meeting id reused for something unrelated, days away
                s3 = (
                    inc.reported - rng.uniform(3, 40) * DAY
                    if rng.random() < 0.5
                    else window_end + rng.uniform(3, 40) * DAY
                )
                add(s3, s3 + rng.uniform(15, 45) * MIN, 2, False)
        self.guarantee_zoom_traps(rng, incs, instances, in_window)
        # UUIDs that start with "/" or contain "//" must be double-encoded by clients: plant a few.
        k = max(2, len(in_window) // 40)
        for zi in in_window[:k]:
            zi.uuid = "/" + zi.uuid[1:]
        for zi in in_window[k : 2 * k]:
            zi.uuid = zi.uuid[:7] + "//" + zi.uuid[9:]
        for zi in instances:
            self.org.zoom_instances[zi.uuid] = zi
            self.org.zoom_meetings.setdefault(zi.meeting_id, []).append(zi)
        for lst in self.org.zoom_meetings.values():
            lst.sort(key=lambda z: z.start)

    def guarantee_zoom_traps(
        self,
        rng: random.Random,
        incs: list[_Inc],
        instances: list[ZoomInstance],
        in_window: list[ZoomInstance],
    ) -> None:
        """Every dataset, however small, holds a one-person call, a guest, a rejoin and an instance outside
        its incident's window. (The first few in-window instances are left for the odd UUIDs.)"""
        spare = in_window[8:] or in_window[-1:]
        if spare and not any(len(z.participants) == 1 for z in instances):
            z = spare[-1]
            z.participants = z.participants[:1]
            in_window.remove(z)
            spare = in_window[8:] or in_window[-1:]
        if spare and not any(
            r["user_email"] == "" and not r["id"] for z in instances for r in z.participants
        ):
            z = spare[0]
            join = z.start + (z.end - z.start) / 3
            z.participants.append(
                dict(
                    z.participants[-1],
                    id="",
                    name="Guest Phone",
                    user_email="",
                    internal_user=False,
                    user_id=str(rng.randrange(40_000_000, 50_000_000)),
                    join_time=iso_s(join),
                    leave_time=iso_s(join + 300),
                    duration=300,
                )
            )
        rejoined = any(
            len({r["user_id"] for r in z.participants if r["id"] == rid}) > 1
            for z in instances
            for rid in {r["id"] for r in z.participants if r["id"]}
        )
        if spare and not rejoined:
            z = max(spare, key=lambda x: len(x.participants))
            row = next((r for r in z.participants[1:] if r["id"]), z.participants[0])
            join, leave = iso_s(z.end - 240), iso_s(z.end - 60)
            z.participants.append(
                dict(
                    row, user_id=str(int(row["user_id"]) + 7), join_time=join, leave_time=leave, duration=180
                )
            )
            row.update(leave_time=iso_s(z.end - 300))
            row["duration"] = int(z.end - 300) - int(datetime.fromisoformat(row["join_time"]).timestamp())
            if row["duration"] < 0:  # it had joined late: keep it one short row
                row.update(join_time=iso_s(z.end - 400), duration=100)
        if in_window and not any(z.incident_id is None for z in instances):
            z = in_window[-1]
            start = z.start - 12 * DAY
            instances.append(
                ZoomInstance(
                    uuid=zoom_uuid(rng),
                    meeting_id=z.meeting_id,
                    start=start,
                    end=start + 20 * MIN,
                    topic=z.topic,
                    host_id=z.host_id,
                    host_email=z.host_email,
                    host_name=z.host_name,
                    participants=[],
                    incident_id=None,
                )
            )
            for k, r in enumerate(z.participants[:2]):
                join, leave = start + 30 * k, start + 1200
                instances[-1].participants.append(
                    dict(
                        r,
                        user_id=str(int(r["user_id"]) + 1000),
                        join_time=iso_s(join),
                        leave_time=iso_s(leave),
                        duration=int(leave) - int(join),
                    )
                )
        for z in instances:
            z.participants.sort(key=lambda r: (r["join_time"], r["user_id"]))

    def participants(
        self, rng: random.Random, inc: _Inc, host: Person, s: float, e: float, n: int
    ) -> list[Record]:
        others = [p for p in inc.participants if p is not host]
        people = [host, *rng.sample(others, min(len(others), n - 1))]
        rows: list[Record] = []
        user_id = rng.randrange(16_000_000, 40_000_000)

        def row(name: str, zid: str, email: str, join: float, leave: float, internal: bool) -> None:
            nonlocal user_id
            user_id += rng.randrange(1, 2048)
            rows.append(
                {
                    "id": zid,
                    "name": name,
                    "user_id": str(user_id),
                    "registrant_id": "",
                    "user_email": email,
                    "join_time": iso_s(join),
                    "leave_time": iso_s(leave),
                    "duration": int(leave) - int(join),
                    "failover": False,
                    "status": "in_meeting",
                    "internal_user": internal,
                }
            )

        for k, p in enumerate(people):
            join = s if k == 0 else min(s + rng.expovariate(1 / 240), e - 60)
            leave = e if k == 0 or rng.random() < 0.5 else max(join + 60, e - rng.expovariate(1 / 300))
            zid, email = (p.zoom_id, p.zoom_email) if p.zoom_id else ("", "")
            if k > 0 and leave - join > 600 and rng.random() < 0.12:  # dropped and rejoined: a second row
                mid = join + (leave - join) * rng.uniform(0.2, 0.6)
                back = mid + rng.uniform(10, 240)
                row(p.name, zid, email, join, mid, bool(p.zoom_id))
                row(p.name, zid, email, back, max(leave, back + 30), bool(p.zoom_id))
            else:
                row(p.name, zid, email, join, leave, bool(p.zoom_id))
        if len(people) > 1 and rng.random() < 0.12:
            join = rng.uniform(s, max(s + 1, e - 120))
            row(
                rng.choice(("Guest Phone", "Vendor Support", "iPhone")),
                "",
                "",
                join,
                min(e, join + rng.uniform(60, 1800)),
                False,
            )
        rows.sort(key=lambda r: (r["join_time"], r["user_id"]))
        return rows


def _set_thread_fields(parent: Record, replies: list[Record]) -> None:
    users: list[str] = []
    for r in replies:
        if r["user"] not in users:
            users.append(r["user"])
    parent.update(
        thread_ts=parent["ts"],
        reply_count=len(replies),
        reply_users_count=len(users),
        reply_users=users[:5],
        latest_reply=replies[-1]["ts"],
        is_locked=False,
        subscribed=False,
    )


def _ref(obj: Record, kind: str) -> Record:
    return {
        "id": obj["id"],
        "type": kind,
        "summary": obj["summary"],
        "self": obj["self"],
        "html_url": obj["html_url"],
    }


def _ascii(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _stable_hash(s: str) -> int:
    """A stable small hash (Python's `hash` of str is salted per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(s))


stable_hash = _stable_hash


def rotation_start(org: Organisation) -> float:
    """When the weekly on-call rotations began (`_Builder.on_call` counts weeks from here)."""
    return org.anchor.timestamp() - 364 * DAY


# -------------------------------------------------------------------------------------------- mutations
def mutate(org: Organisation, step: int | None = None) -> dict[str, Any]:
    """Apply change set `step`: what happens between two syncs. Deterministic for (org seed, step).

    Each step, at `anchor + 10 min × step`: one or two new incidents (live, with a channel and a page),
    an old incident edited (name or severity; `updated_at` moves), a live incident resolved (with its
    PagerDuty incident, whose `created_at` stays), new Slack messages, a late reply in an old thread (its
    parent's `latest_reply` moves), and a new note on an old PagerDuty incident.
    """
    with org.lock:
        step = step if step is not None else (max(org.mutation_steps, default=0) + 1)
        rng = random.Random(f"{org.seed}:mutate:{step}")
        b = _Builder(org)
        now = b.anchor + step * 10 * MIN
        plans: dict[str, _Inc] = b.ctx["io_plans"]
        pd_plans: dict[str, _Pd] = b.ctx["pd_plans"]
        summary: dict[str, Any] = {"step": step, "at": iso_s(now)}

        # 1. New incidents, declared just now.
        new_ids = []
        for _ in range(1 if org.size == "small" else 2):
            sev = rng.choice(org.io_severities[:2])
            inc = _Inc(
                number=b.ctx["next_incident_number"],
                mode="standard",
                category="live",
                severity=sev,
                type=org.io_types[0],
                created=now - rng.uniform(1, 8) * MIN,
            )
            b.ctx["next_incident_number"] += 1
            inc.id = ulid(rng, inc.created)
            inc.reported = inc.created
            inc.status = "Investigating"
            inc.updated = inc.created + 30
            b.people_and_links(rng, inc)
            inc.link = "attachment"
            pd = b.linked_pd(rng, inc)
            pd.number = b.ctx["next_pd_number"]
            b.ctx["next_pd_number"] += 1
            b.add_pd_incident(pd, now)
            b.add_io_incident(inc)
            b.add_channel(inc)
            b.channel_messages(inc, 8, now)
            new_ids.append(inc.id)
        summary["new_incidents"] = new_ids
        summary["new_pagerduty_incidents"] = [plans[i].pd_id for i in new_ids]

        # 2. An old closed incident edited by hand.
        old = sorted(
            (p for p in plans.values() if p.category == "closed" and p.mode == "standard"), key=lambda p: p.id
        )
        edited = rng.choice(old)
        rec = dict(org.io_incidents[edited.id])
        if rng.random() < 0.5 or not rec["severity"]:
            rec["name"] = edited.name = edited.name + " (edited)"
        else:
            rec["severity"] = org.io_severities[min(2, rec["severity"]["rank"] + 1)]
            org.io_updates[edited.id] = [
                *org.io_updates[edited.id],
                {
                    "id": ulid(rng, now),
                    "incident_id": edited.id,
                    "created_at": iso_ms(now),
                    "message": "Severity changed after review.",
                    "new_incident_status": rec["incident_status"],
                    "new_severity": rec["severity"],
                    "updater": {"user": b.user_v2(edited.lead or edited.reporter)},
                },
            ]
        rec["updated_at"] = iso_ms(now)
        org.io_incidents[edited.id] = rec
        summary["edited_incident"] = edited.id

        # 3. A live incident resolved, and its page too.
        live = sorted(
            (p for p in plans.values() if p.category == "live" and p.id not in new_ids),
            key=lambda p: p.created,
        )
        summary["resolved_incident"] = None
        summary["resolved_pagerduty_incident"] = None
        if live:
            inc = live[0]
            inc.category = "learning"
            inc.fixed = inc.fixed or now - 5 * MIN
            inc.resolved = inc.resolved_value = now
            inc.events.append((now, "Documenting", inc.severity))
            inc.status = "Documenting"
            inc.updated = now
            b.add_io_incident(inc)
            if inc.pd is not None:
                _resolve_pd(b, inc.pd, now)
                summary["resolved_pagerduty_incident"] = inc.pd.id
            if inc.channel_id:
                log = org.slack_logs[inc.channel_id]
                log.add_top(
                    {
                        "type": "message",
                        "ts": slack_ts(int(now * 1_000_000)),
                        "user": b.ctx["bots"]["incident"]["user"],
                        "bot_id": b.ctx["bots"]["incident"]["bot_id"],
                        "text": f"INC-{inc.number} status changed to Documenting",
                        "team": org.slack_team_id,
                    }
                )
            summary["resolved_incident"] = inc.id
        # Another open page (unrelated to incident.io) resolves; its created_at stays long ago.
        open_pd = sorted(
            (p for p in pd_plans.values() if org.pd_incidents[p.id]["status"] != "resolved" and p.io is None),
            key=lambda p: p.created,
        )
        summary["resolved_unlinked_pagerduty_incident"] = None
        if open_pd:
            _resolve_pd(b, open_pd[0], now)
            summary["resolved_unlinked_pagerduty_incident"] = open_pd[0].id

        # 4. New messages in a live channel, and 5. a late reply in an old thread.
        channels = [p.channel_id for p in plans.values() if p.channel_id and p.category == "live"]
        summary["new_messages"] = []
        if channels:
            cid = rng.choice(sorted(channels))
            log = org.slack_logs[cid]
            members = org.slack_members[cid]
            for k in range(3):
                ts = slack_ts(int((now - 60 + k * 7) * 1_000_000) + 17)
                log.add_top(
                    {
                        "type": "message",
                        "ts": ts,
                        "user": members[k % max(1, len(members) - 2)],
                        "text": rng.choice(texts.MESSAGES),
                        "team": org.slack_team_id,
                        "client_msg_id": uuid4_like(rng),
                    }
                )
                summary["new_messages"].append([cid, ts])
        threads = sorted(
            (cid, ts)
            for cid, log in org.slack_logs.items()
            for ts in log.threads
            if slack_ts_us(ts) < (b.anchor - 20 * DAY) * 1_000_000
        )
        summary["late_reply"] = None
        if threads:
            cid, parent_ts = rng.choice(threads)
            log = org.slack_logs[cid]
            parent = log.find_top(parent_ts)
            if parent is not None:
                reply_ts = slack_ts(int(now * 1_000_000) + 29)
                reply = {
                    "type": "message",
                    "ts": reply_ts,
                    "user": rng.choice(org.slack_members[cid][:-2] or [parent["user"]]),
                    "text": "Coming back to this: the follow-up is done.",
                    "team": org.slack_team_id,
                    "client_msg_id": uuid4_like(rng),
                    "thread_ts": parent_ts,
                    "parent_user_id": parent["user"],
                }
                log.add_reply(parent, reply)
                # A new dict for the parent, so a response being serialised never sees a half update.
                new_parent = dict(parent)
                _set_thread_fields(new_parent, log.threads[parent_ts])
                log.replace_top(parent, new_parent)
                summary["late_reply"] = [cid, parent_ts, reply_ts]

        # 6. A note on an old resolved page: a new log entry with the incident itself unchanged.
        resolved_pd = sorted(
            p.id for p in pd_plans.values() if org.pd_incidents[p.id]["status"] == "resolved"
        )
        pid = rng.choice(resolved_pd)
        entries = org.pd_log_entries[pid]
        note = dict(entries[-1])
        note.update(
            id=upper_id(rng, "R", 26),
            type="annotate_log_entry",
            summary="Note added",
            created_at=iso_s(now),
            channel={"type": "website"},
            note="Post-incident review done.",
        )
        note["self"] = f"{PD_API}/log_entries/{note['id']}?incident_id={pid}"
        note["html_url"] = f"{b.web}/incidents/{pid}/log_entries/{note['id']}"
        note.pop("assignees", None)
        org.pd_log_entries[pid] = [*entries, note]
        summary["new_log_entries"] = [[pid, note["id"]]]

        org.mutation_steps.append(step)
        org.data_time = max(org.data_time, now)
        org.version += 1
        return summary


def _resolve_pd(b: _Builder, pd: _Pd, now: float) -> None:
    """Resolve an open PagerDuty incident at `now`: acknowledge first if nobody had, then resolve."""
    rng = random.Random(f"{b.org.seed}:resolve:{pd.id}")
    entries = list(b.org.pd_log_entries[pd.id])
    urefs = b.ctx["pd_user_refs"]
    who = b.on_call(pd.service, pd.created, 1)
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
    b.publish_pd(pd, now)
