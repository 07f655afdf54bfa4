"""What every per-tool builder shares: time units, the size table, the build context and small helpers.

Each builder draws from its own `random.Random(f"{seed}:{section}")` (or a stream per record), so a
change in one tool's data does not shift another's.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pipelines.sandbox.model import DAY, HISTORY_DAYS, GenerationState, Organisation, Record

MIN = 60.0
HOUR = 3600.0

PD_API = "https://api.pagerduty.com"
SLACK_TEAM_DOMAIN = "acme"


@dataclass(frozen=True)
class SizeSpec:
    """How big an organisation is: head count, incident.io incidents, PagerDuty incidents (linked ones
    included), PagerDuty services, and the mean Slack messages per incident channel."""

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


class Build:
    """The context every builder function takes: the organisation being filled, its size, and its clock
    (`anchor` and `start` in Unix seconds: the data covers [start, anchor))."""

    def __init__(self, org: Organisation, spec: SizeSpec | None = None) -> None:
        self.org = org
        self.spec = spec or SIZES[org.size]
        self.anchor = org.anchor.timestamp()
        self.start = self.anchor - HISTORY_DAYS * DAY
        self.web = f"https://{org.company}.pagerduty.com"

    @property
    def state(self) -> GenerationState:
        return self.org.context

    def rng(self, section: str) -> random.Random:
        """The random stream of one section of the data, independent of every other section."""
        return random.Random(f"{self.org.seed}:{section}")


def lognorm(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal draw with the given median (same unit) and sigma."""
    return median * math.exp(rng.gauss(0.0, sigma))


def quota(rng: random.Random, n: int, weights: dict[str, float], minimum: dict[str, int]) -> list[str]:
    """Exactly-proportioned labels (with a floor per label, so small datasets still hold every case)."""
    counts = {k: max(minimum.get(k, 0), round(n * w)) for k, w in weights.items()}
    biggest = max(weights, key=lambda k: weights[k])
    counts[biggest] += n - sum(counts.values())
    labels = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(labels)
    return labels


def tz_offset(zone: str, at: datetime) -> int:
    """The zone's UTC offset at `at`, in seconds (what Slack's `tz_offset` holds)."""
    off = at.astimezone(ZoneInfo(zone)).utcoffset()
    return int(off.total_seconds()) if off else 0


def ascii_fold(s: str) -> str:
    """Accents dropped (Slack's `*_normalized` names, email local parts)."""
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def ref(obj: Record, kind: str) -> Record:
    """A PagerDuty reference object (`…_reference`) to `obj`."""
    return {
        "id": obj["id"],
        "type": kind,
        "summary": obj["summary"],
        "self": obj["self"],
        "html_url": obj["html_url"],
    }


def set_thread_fields(parent: Record, replies: list[Record]) -> None:
    """Slack's thread fields on a parent, from its replies in time order (`reply_users` holds at most 5)."""
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
