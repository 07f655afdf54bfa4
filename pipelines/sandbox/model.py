"""The synthetic organisation: every record in the exact shape the APIs return, plus indexes to serve fast.

The generator fills it (`generator.py` and the per-tool builders in `generate/`), the API simulators read
it (`apis/`), the test oracle computes expected values from it (`tests/oracle/truth.py`). Records are
plain dicts, shared with the HTTP layer: never edit one in place outside `mutations.py`, which keeps the
indexes in step. This module imports nothing from the generator: the generator hands its `mutate` to the
organisation it builds (`Organisation.mutator`), so the dependency only runs one way.
"""

from __future__ import annotations

import secrets
import threading
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pipelines.sandbox.ids import iso_s, slack_ts_us, stable_hash

Record = dict[str, Any]
DAY = 86400.0
WEEK = 7 * DAY
# The data covers the 364 days before the anchor, so a client looking back 365 days from a clock just
# past the anchor sees it all; the on-call rotations start there too.
HISTORY_DAYS = 364


@dataclass(frozen=True)
class Credentials:
    """Per-instance secrets (random, never literals in the source: repo hooks flag token-shaped strings)."""

    incidentio_api_key: str
    slack_bot_token: str
    zoom_account_id: str
    zoom_client_id: str
    zoom_client_secret: str
    pagerduty_api_token: str

    @classmethod
    def random(cls) -> Credentials:
        return cls(
            incidentio_api_key="inc_" + secrets.token_urlsafe(32),
            slack_bot_token="xoxb-"
            + "-".join(
                (str(secrets.randbelow(10**12)), str(secrets.randbelow(10**13)), secrets.token_hex(12))
            ),
            zoom_account_id=secrets.token_urlsafe(16),
            zoom_client_id=secrets.token_urlsafe(16),
            zoom_client_secret=secrets.token_urlsafe(24),
            pagerduty_api_token=secrets.token_urlsafe(15)[:20],
        )

    def __repr__(self) -> str:  # keep secrets out of test output and logs
        return "Credentials(<redacted>)"


@dataclass
class Person:
    """One human, known to every tool under its own id; `email` is the canonical lower-case address."""

    index: int
    first_name: str
    last_name: str
    email: str
    timezone: str
    title: str
    incidentio_id: str
    slack_id: str
    zoom_id: str | None
    pagerduty_id: str | None
    # How the address is spelled in PagerDuty / Zoom (sometimes with a different case).
    pagerduty_email: str
    zoom_email: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class ChannelLog:
    """One Slack channel's messages. `top` is what conversations.history shows (top-level messages and
    thread broadcasts) in ascending ts; `threads` maps a parent ts to its replies in ascending ts."""

    top: list[Record] = field(default_factory=list)
    top_keys: list[int] = field(default_factory=list)
    threads: dict[str, list[Record]] = field(default_factory=dict)

    def add_top(self, message: Record) -> None:
        key = slack_ts_us(message["ts"])
        i = bisect_left(self.top_keys, key)
        self.top_keys.insert(i, key)
        self.top.insert(i, message)

    def find_top(self, ts: str) -> Record | None:
        key = slack_ts_us(ts)
        i = bisect_left(self.top_keys, key)
        if i < len(self.top_keys) and self.top_keys[i] == key and self.top[i]["ts"] == ts:
            return self.top[i]
        return None

    def replace_top(self, old: Record, new: Record) -> None:
        i = bisect_left(self.top_keys, slack_ts_us(old["ts"]))
        while self.top[i] is not old:
            i += 1
        self.top[i] = new

    def add_reply(self, parent: Record, reply: Record) -> None:
        replies = self.threads.setdefault(parent["ts"], [])
        insort(replies, reply, key=lambda m: slack_ts_us(m["ts"]))
        if reply.get("subtype") == "thread_broadcast":
            self.add_top(reply)

    def remove_top(self, message: Record) -> None:
        """Drop a top-level message (deleted at the source)."""
        i = bisect_left(self.top_keys, slack_ts_us(message["ts"]))
        while self.top[i] is not message:
            i += 1
        del self.top[i]
        del self.top_keys[i]

    def remove_reply(self, parent_ts: str, reply: Record) -> None:
        """Drop a thread reply (and its channel copy when it was broadcast); the caller updates the parent."""
        self.threads[parent_ts] = [r for r in self.threads[parent_ts] if r is not reply]
        if not self.threads[parent_ts]:
            del self.threads[parent_ts]
        if reply.get("subtype") == "thread_broadcast":
            self.remove_top(reply)

    def message_count(self) -> int:
        broadcasts = sum(1 for m in self.top if m.get("subtype") == "thread_broadcast")
        return len(self.top) - broadcasts + sum(len(r) for r in self.threads.values())


@dataclass
class ZoomInstance:
    """One past instance of a meeting; `participants` is what the participants report holds (one row per
    join), even for single-participant calls, for which the API itself returns nothing."""

    uuid: str
    meeting_id: int
    start: float
    end: float
    topic: str
    host_id: str
    host_email: str
    host_name: str
    participants: list[Record]
    incident_id: str | None

    def listing(self) -> Record:
        return {"uuid": self.uuid, "start_time": iso_s(self.start)}


@dataclass
class ScheduleEntries:
    """One incident.io schedule's entries, each list in ascending `start_at`: `scheduled` (what the
    rotations produce), `overrides`, and `final` (scheduled with the overrides merged in)."""

    scheduled: list[Record] = field(default_factory=list)
    overrides: list[Record] = field(default_factory=list)
    final: list[Record] = field(default_factory=list)


@dataclass
class SlackBot:
    """A Slack app's bot user: `user` is its `U…` member id, `profile` the `bot_profile` its posts carry."""

    user: str
    bot_id: str
    app_id: str
    name: str
    profile: Record


@dataclass
class FormerEmployee:
    """Someone who left: still an inactive incident.io user, a deleted Slack member, author of old posts."""

    name: str
    email: str
    io_id: str
    slack_id: str


@dataclass
class Outsider:
    """Someone outside the organisation who still shows up: a Slack Connect user (`kind` "connect", a
    foreign team), a workspace guest ("guest": `is_restricted`; "single_channel_guest": also
    `is_ultra_restricted`). Not a person of the organisation: no incident.io, Zoom or PagerDuty account."""

    first_name: str
    last_name: str
    email: str
    kind: str
    slack_id: str
    team_id: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class IncidentPlan:
    """Working state of one incident while its records for the four tools are built (and again when a
    mutation changes it). Times are Unix seconds."""

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
    pd: PagePlan | None = None

    @property
    def window_end(self) -> float:
        return self.closed or self.resolved or self.canceled or self.declined or self.merged or 0.0


@dataclass
class PagePlan:
    """Working state of one PagerDuty incident; `entries` holds every log entry, even future ones."""

    id: str
    created: float
    service: Record
    urgency: str
    priority: Record | None
    title: str
    resolve_after: float
    ack_after: float | None
    io: IncidentPlan | None = None
    number: int = 0
    entries: list[Record] = field(default_factory=list)


@dataclass
class GenerationState:
    """What the builders share and what mutations need again: lookups, rotations, plans. Not API data."""

    follow_up_priorities: list[Record] = field(default_factory=list)
    duration_metrics: list[Record] = field(default_factory=list)
    former: FormerEmployee | None = None
    former_posted: bool = False  # the former employee has posted in at least one old channel
    # How each PagerDuty user gets paged: (delay seconds, method) steps, by PagerDuty user id.
    notify_rules: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    pd_user_refs: dict[str, Record] = field(default_factory=dict)
    service_refs: dict[str, Record] = field(default_factory=dict)
    # Weekly on-call rotation per PagerDuty service id: indexes into `Organisation.people`.
    rotation: dict[str, list[int]] = field(default_factory=dict)
    priority_by_name: dict[str, Record] = field(default_factory=dict)
    bots: dict[str, SlackBot] = field(default_factory=dict)  # "incident", "pagerduty"
    outsiders: list[Outsider] = field(default_factory=list)  # Slack users outside the organisation
    # Ids of incident.io actions, follow-ups and attachments deleted by mutations: a rebuilt incident
    # leaves them out too.
    deleted: set[str] = field(default_factory=set)
    next_incident_number: int = 1
    next_pd_number: int = 1000
    incidents: dict[str, IncidentPlan] = field(default_factory=dict)  # by incident.io id
    pages: dict[str, PagePlan] = field(default_factory=dict)  # by PagerDuty incident id
    # Second wave (teams and catalog): the incident.io team mirroring each PagerDuty team (by PagerDuty
    # team id; the PagerDuty-only team is absent), and the "Service" catalog entry of each service name.
    io_team_by_pd_team: dict[str, Record] = field(default_factory=dict)
    service_entries: dict[str, Record] = field(default_factory=dict)


class Mutator(Protocol):
    def __call__(self, org: Organisation, step: int | None = None) -> dict[str, Any]: ...


@dataclass
class Organisation:
    size: str
    seed: int
    anchor: datetime
    credentials: Credentials
    people: list[Person]
    company: str = "acme"
    # incident.io
    io_users: list[Record] = field(default_factory=list)
    io_severities: list[Record] = field(default_factory=list)
    io_statuses: list[Record] = field(default_factory=list)
    io_timestamps: list[Record] = field(default_factory=list)
    io_types: list[Record] = field(default_factory=list)
    io_roles: list[Record] = field(default_factory=list)
    io_custom_fields: list[Record] = field(default_factory=list)
    io_incidents: dict[str, Record] = field(default_factory=dict)
    io_updates: dict[str, list[Record]] = field(default_factory=dict)  # by incident id, ascending
    io_attachments: dict[str, list[Record]] = field(default_factory=dict)
    io_actions: list[Record] = field(default_factory=list)
    io_follow_ups: list[Record] = field(default_factory=list)
    # Slack
    slack_team_id: str = ""
    slack_users: list[Record] = field(default_factory=list)
    slack_channels: dict[str, Record] = field(default_factory=dict)
    slack_logs: dict[str, ChannelLog] = field(default_factory=dict)
    # Zoom
    zoom_users: list[Record] = field(default_factory=list)
    zoom_meetings: dict[int, list[ZoomInstance]] = field(default_factory=dict)  # ascending start
    zoom_instances: dict[str, ZoomInstance] = field(default_factory=dict)
    # PagerDuty
    pd_services: list[Record] = field(default_factory=list)
    pd_users: list[Record] = field(default_factory=list)
    pd_priorities: list[Record] = field(default_factory=list)
    pd_teams: list[Record] = field(default_factory=list)
    pd_incidents: dict[str, Record] = field(default_factory=dict)
    pd_log_entries: dict[str, list[Record]] = field(default_factory=dict)  # by incident id, ascending
    # incident.io, second wave: teams, the catalog (types, and entries by type id), post-mortem documents,
    # On-call (schedules, their entries by schedule id, escalations, alerts, alert-incident links).
    # Escalations and incident alerts hold incident ids; the servers render the incident as it is now.
    io_teams: list[Record] = field(default_factory=list)
    io_catalog_types: list[Record] = field(default_factory=list)
    io_catalog_entries: dict[str, list[Record]] = field(default_factory=dict)
    io_postmortems: list[Record] = field(default_factory=list)
    io_schedules: list[Record] = field(default_factory=list)
    io_schedule_entries: dict[str, ScheduleEntries] = field(default_factory=dict)
    io_escalations: list[Record] = field(default_factory=list)
    io_alerts: list[Record] = field(default_factory=list)
    io_incident_alerts: list[Record] = field(default_factory=list)
    # Bumped by every change, so the servers can cache sorted views.
    version: int = 0
    mutation_steps: list[int] = field(default_factory=list)
    # Generator internals that mutations need again (rotations, config lookups); not API data.
    context: GenerationState = field(default_factory=GenerationState, repr=False)
    # Slack channel members, by channel id (conversations.members, `num_members`).
    slack_members: dict[str, list[str]] = field(default_factory=dict)
    # The latest time the data claims to know about (moves forward with mutations).
    data_time: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # The change sets between syncs (`pipelines.sandbox.mutations.mutate`), set by the generator.
    mutator: Mutator | None = field(default=None, repr=False)
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------------------------------- views
    def now(self) -> datetime:
        """The server's clock: wall time, but never before the newest generated or mutated record."""
        return max(datetime.now(UTC), datetime.fromtimestamp(self.data_time, UTC) + timedelta(seconds=1))

    def cached(self, key: tuple[Any, ...], build: Any) -> Any:
        """A view derived from the data (sorted lists, filters), rebuilt after each mutation."""
        full = (self.version, *key)
        hit = self._cache.get(full)
        if hit is None:
            if len(self._cache) > 256:
                self._cache.clear()
            hit = self._cache[full] = build()
        return hit

    def incidents_newest_first(self) -> list[Record]:
        return self.cached(
            ("io_incidents_desc",),
            lambda: sorted(
                self.io_incidents.values(), key=lambda r: (r["created_at"], r["id"]), reverse=True
            ),
        )

    def pd_incidents_sorted(self) -> list[Record]:
        return self.cached(
            ("pd_incidents_asc",),
            lambda: sorted(self.pd_incidents.values(), key=lambda r: (r["created_at"], r["incident_number"])),
        )

    def io_user(self, user_id: str) -> Record | None:
        index = self.cached(("io_users_by_id",), lambda: {u["id"]: u for u in self.io_users})
        return index.get(user_id)

    def counts(self) -> dict[str, int]:
        """Record counts per entity (for the README, benchmarks and the generation report)."""
        return {
            "people": len(self.people),
            "incidentio_incidents": len(self.io_incidents),
            "incidentio_updates": sum(len(v) for v in self.io_updates.values()),
            "incidentio_attachments": sum(len(v) for v in self.io_attachments.values()),
            "incidentio_actions": len(self.io_actions),
            "incidentio_follow_ups": len(self.io_follow_ups),
            "slack_users": len(self.slack_users),
            "slack_channels": len(self.slack_channels),
            "slack_messages": sum(log.message_count() for log in self.slack_logs.values()),
            "zoom_meetings": len(self.zoom_meetings),
            "zoom_instances": len(self.zoom_instances),
            "zoom_participant_rows": sum(len(i.participants) for i in self.zoom_instances.values()),
            "pagerduty_services": len(self.pd_services),
            "pagerduty_users": len(self.pd_users),
            "pagerduty_incidents": len(self.pd_incidents),
            "pagerduty_log_entries": sum(len(v) for v in self.pd_log_entries.values()),
            "incidentio_teams": len(self.io_teams),
            "incidentio_catalog_entries": sum(len(v) for v in self.io_catalog_entries.values()),
            "incidentio_postmortems": len(self.io_postmortems),
            "incidentio_schedule_entries": sum(len(v.final) for v in self.io_schedule_entries.values()),
            "incidentio_escalations": len(self.io_escalations),
            "incidentio_alerts": len(self.io_alerts),
            "incidentio_incident_alerts": len(self.io_incident_alerts),
        }

    def rotation_start(self) -> float:
        """When the weekly on-call rotations began (Unix seconds): `HISTORY_DAYS` before the anchor."""
        return self.anchor.timestamp() - HISTORY_DAYS * DAY

    def on_call(self, service_id: str, at: float, level: int) -> Person:
        """Who is on call for a PagerDuty service at `at` (Unix seconds): a weekly rotation within the
        service's team, each service starting at its own offset; level 2 is the next person in the
        rotation. The generator pages by this rule and `GET /oncalls` serves it."""
        rota = self.context.rotation[service_id]
        week = int((at - self.rotation_start()) // WEEK)
        return self.people[rota[(week + level - 1 + stable_hash(service_id)) % len(rota)]]

    def mutate(self, step: int | None = None) -> dict[str, Any]:
        """Apply the deterministic change set `step` (default: the next one); see `mutations.mutate`.

        Raises `RuntimeError` for an organisation built by hand (it has no generator state to change)."""
        if self.mutator is None:
            raise RuntimeError("this organisation was not built by generate_organisation: it cannot mutate")
        return self.mutator(self, step)
