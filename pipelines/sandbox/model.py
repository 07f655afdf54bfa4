"""The synthetic organisation: every record in the exact shape the APIs return, plus indexes to serve fast.

The generator fills it (`generator.py`), the API simulators read it (`apis/`), tests compute expected
values from it (`truth.py`). Records are plain dicts, shared with the HTTP layer: never edit one in place
outside `mutate`, which keeps the indexes in step.
"""

from __future__ import annotations

import secrets
import threading
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.sandbox.ids import iso_s, slack_ts_us

Record = dict[str, Any]


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
    # Bumped by every change, so the servers can cache sorted views.
    version: int = 0
    mutation_steps: list[int] = field(default_factory=list)
    # Generator internals that mutations need again (rotations, config lookups); not API data.
    context: dict[str, Any] = field(default_factory=dict, repr=False)
    # Slack channel members, by channel id (conversations.members, `num_members`).
    slack_members: dict[str, list[str]] = field(default_factory=dict)
    # The latest time the data claims to know about (moves forward with mutations).
    data_time: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
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
        }

    def mutate(self, step: int | None = None) -> dict[str, Any]:
        """Apply the deterministic change set `step` (default: the next one); see `generator.mutate`."""
        from pipelines.sandbox.generator import mutate

        return mutate(self, step)
