"""Injected faults, rate-limit budgets and request counters for the simulated APIs.

A fault spec is a comma-separated string, e.g.
`"429=0.05,500=0.05,timeout=0.02,drop=0.01,truncate=0.01,seed=7"`:

- rates per request (their sum must be at most 1): `429` (each API's own rate-limit signal), `500`, `502`,
  `503`, `504` (server errors), `timeout` (the response is held back for `delay` seconds), `drop` (the
  connection is closed without a response), `truncate` (a 200 whose JSON body is cut short);
- `seed=N`: faults are a pure function of (seed, API, request path and query, how many times that exact
  request was seen), so a run is reproducible even with concurrent clients, and a retry can succeed;
- `delay=S` (default 15): how long `timeout` holds a response; `retry_after=S` (default 1): the wait
  each 429 asks for;
- `apis=slack+zoom`: restrict random faults to some APIs (default all four);
- `budget=1`: enforce each API's documented budget (Slack tier 2/3 per method, incident.io 1200/min,
  Zoom 20/s (Medium) or 30/s (Light), PagerDuty 960/min) and answer 429 beyond it; `speed=N` compresses
  time, so `speed=60` allows 60× the documented rate (windows 60× shorter);
- `slack=nonmarketplace`: Slack's 2025 limits for non-Marketplace apps: conversations.history and
  conversations.replies at 1 request/min (compressed by `speed`) with `limit` clamped to 15;
- `no_permission=incidentio_attachments+pagerduty_oncalls`: those endpoints (names in `ENDPOINTS`) answer
  as each API does for a key without the scope; `no_feature=…` answers 404 as for an account without the
  feature (incident.io and PagerDuty); `profile=restricted_key` (a cautious key) and `profile=no_oncall`
  (an account without incident.io On-call) name sets of them;
- `stuck=zoom_participants+slack_history`: those listings never move on: the cursor (Zoom
  `next_page_token`, Slack `next_cursor`, incident.io `after`) repeats forever, PagerDuty ignores
  `offset` and always says `more`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

APIS = ("incidentio", "slack", "zoom", "pagerduty")
FAULT_KINDS = ("429", "500", "502", "503", "504", "timeout", "drop", "truncate")

# Endpoint names for `no_permission`, `no_feature` and `stuck`: name -> (API, path templates as
# `app.path_template` writes them).
ENDPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "incidentio_incidents": ("incidentio", ("/v2/incidents", "/v2/incidents/{id}")),
    "incidentio_updates": ("incidentio", ("/v2/incident_updates",)),
    "incidentio_attachments": ("incidentio", ("/v1/incident_attachments",)),
    "incidentio_actions": ("incidentio", ("/v2/actions",)),
    "incidentio_follow_ups": ("incidentio", ("/v2/follow_ups",)),
    "incidentio_severities": ("incidentio", ("/v1/severities",)),
    "incidentio_statuses": ("incidentio", ("/v1/incident_statuses",)),
    "incidentio_timestamps": ("incidentio", ("/v2/incident_timestamps",)),
    "incidentio_types": ("incidentio", ("/v1/incident_types",)),
    "incidentio_roles": ("incidentio", ("/v1/incident_roles", "/v2/incident_roles")),
    "incidentio_custom_fields": ("incidentio", ("/v2/custom_fields",)),
    "incidentio_users": ("incidentio", ("/v2/users", "/v2/users/{id}")),
    "incidentio_teams": ("incidentio", ("/v3/teams", "/v3/teams/{id}")),
    "incidentio_catalog_types": ("incidentio", ("/v3/catalog_types", "/v3/catalog_types/{id}")),
    "incidentio_catalog_entries": ("incidentio", ("/v3/catalog_entries",)),
    "incidentio_postmortems": ("incidentio", ("/v1/postmortem_documents",)),
    "incidentio_schedules": ("incidentio", ("/v2/schedules", "/v2/schedules/{id}")),
    "incidentio_schedule_entries": ("incidentio", ("/v2/schedule_entries",)),
    "incidentio_escalations": ("incidentio", ("/v2/escalations", "/v2/escalations/{id}")),
    "incidentio_alerts": ("incidentio", ("/v2/alerts", "/v2/alerts/{id}")),
    "incidentio_incident_alerts": ("incidentio", ("/v2/incident_alerts",)),
    "slack_history": ("slack", ("conversations.history",)),
    "slack_replies": ("slack", ("conversations.replies",)),
    "slack_info": ("slack", ("conversations.info",)),
    "slack_channels": ("slack", ("conversations.list",)),
    "slack_members": ("slack", ("conversations.members",)),
    "slack_users": ("slack", ("users.list",)),
    "zoom_users": ("zoom", ("/users",)),
    "zoom_instances": ("zoom", ("/past_meetings/{id}/instances",)),
    "zoom_participants": ("zoom", ("/past_meetings/{id}/participants",)),
    "zoom_meeting": ("zoom", ("/past_meetings/{id}",)),
    "pagerduty_incidents": ("pagerduty", ("/incidents", "/incidents/{id}")),
    "pagerduty_log_entries": (
        "pagerduty",
        ("/incidents/{id}/log_entries", "/log_entries", "/log_entries/{id}"),
    ),
    "pagerduty_services": ("pagerduty", ("/services", "/services/{id}")),
    "pagerduty_users": ("pagerduty", ("/users", "/users/{id}")),
    "pagerduty_teams": ("pagerduty", ("/teams",)),
    "pagerduty_priorities": ("pagerduty", ("/priorities",)),
    "pagerduty_oncalls": ("pagerduty", ("/oncalls",)),
}
# The incident.io On-call endpoints: an account without On-call has none of them.
INCIDENTIO_ONCALL = (
    "incidentio_schedules",
    "incidentio_schedule_entries",
    "incidentio_escalations",
    "incidentio_alerts",
    "incidentio_incident_alerts",
)
# `restricted_key`: a key with read access to the core listings only, as a cautious admin might issue
# (no Catalog or post-mortem access either). `no_oncall`: an account without incident.io On-call.
PROFILES: dict[str, dict[str, tuple[str, ...]]] = {
    "restricted_key": {
        "no_permission": (
            "incidentio_attachments",
            "incidentio_actions",
            "incidentio_follow_ups",
            "incidentio_catalog_types",
            "incidentio_catalog_entries",
            "incidentio_postmortems",
            "pagerduty_oncalls",
            "slack_members",
        ),
        "no_feature": ("pagerduty_priorities",),
    },
    "no_oncall": {"no_feature": INCIDENTIO_ONCALL},
}
# Which API can say "your account lacks this feature" with a 404 (Slack and Zoom answer otherwise).
FEATURE_404_APIS = ("incidentio", "pagerduty")


def endpoint_of(api: str, template: str) -> str | None:
    """The `ENDPOINTS` name of a request, or None for an endpoint without one."""
    for name, (owner, templates) in ENDPOINTS.items():
        if owner == api and template in templates:
            return name
    return None


def _endpoint_names(value: str, option: str) -> tuple[str, ...]:
    names = tuple(n for n in value.replace("|", "+").split("+") if n)
    unknown = [n for n in names if n not in ENDPOINTS]
    if unknown:
        raise ValueError(f"unknown endpoint {unknown[0]!r} in {option}=: use {', '.join(ENDPOINTS)}")
    if option == "no_feature":
        wrong = [n for n in names if ENDPOINTS[n][0] not in FEATURE_404_APIS]
        if wrong:
            raise ValueError(
                f"no_feature={wrong[0]}: only incident.io and PagerDuty answer 404 for a feature"
            )
    return names


def documented_budget(api: str, bucket: str) -> tuple[int, float] | None:
    """(requests, window seconds) each API documents for a bucket at real speed; None where it sets none."""
    if api == "slack":
        return SLACK_TIERS.get(bucket, 20), 60.0
    if api == "incidentio":
        return 1200, 60.0
    if api == "pagerduty":
        return 960, 60.0
    if api == "zoom":
        return (30, 1.0) if bucket == "light" else (20, 1.0)
    return None


@dataclass(frozen=True)
class FaultSpec:
    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    delay: float = 15.0
    retry_after: float = 1.0
    apis: tuple[str, ...] = APIS
    budget: bool = False
    speed: float = 1.0
    slack_profile: str = "tier3"
    no_permission: tuple[str, ...] = ()
    no_feature: tuple[str, ...] = ()
    stuck: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse `"429=0.05,timeout=0.02,seed=7"`; raise ValueError naming the bad part."""
        if not spec or not spec.strip():
            return cls()
        rates: dict[str, float] = {}
        opts: dict[str, Any] = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                raise ValueError(f"fault spec part {part!r} is not key=value")
            try:
                if key in FAULT_KINDS:
                    rate = float(value)
                    if not 0 <= rate <= 1:
                        raise ValueError
                    rates[key] = rate
                elif key == "seed":
                    opts["seed"] = int(value)
                elif key in ("delay", "retry_after", "speed"):
                    opts[key] = float(value)
                    if opts[key] <= 0 and key != "delay":
                        raise ValueError
                elif key == "budget":
                    opts["budget"] = value.lower() in ("1", "true", "yes", "on")
                elif key == "apis":
                    apis = tuple(a for a in value.replace("|", "+").split("+") if a)
                    unknown = [a for a in apis if a not in APIS]
                    if unknown:
                        raise ValueError
                    opts["apis"] = apis
                elif key == "slack":
                    if value not in ("tier3", "nonmarketplace"):
                        raise ValueError
                    opts["slack_profile"] = value
                elif key in ("no_permission", "no_feature", "stuck"):
                    opts[key] = tuple(dict.fromkeys((*opts.get(key, ()), *_endpoint_names(value, key))))
                elif key == "profile":
                    if value not in PROFILES:
                        raise ValueError(f"unknown profile {value!r}: use {', '.join(PROFILES)}")
                    for option, names in PROFILES[value].items():
                        opts[option] = tuple(dict.fromkeys((*opts.get(option, ()), *names)))
                else:
                    raise KeyError(key)
            except KeyError:
                raise ValueError(
                    f"unknown fault spec key {key!r}: use {', '.join(FAULT_KINDS)}, seed, delay, "
                    "retry_after, apis, budget, speed, slack, no_permission, no_feature, profile, stuck"
                ) from None
            except ValueError as exc:
                detail = f": {exc}" if str(exc) else ""
                raise ValueError(f"bad value in fault spec part {part!r}{detail}") from None
        if sum(rates.values()) > 1 + 1e-9:
            raise ValueError(f"fault rates add up to more than 1: {spec!r}")
        return cls(rates=rates, **opts)

    def __str__(self) -> str:
        parts = [f"{k}={v:g}" for k, v in self.rates.items()]
        parts.append(f"seed={self.seed}")
        if self.budget:
            parts.append(f"budget=1,speed={self.speed:g}")
        if self.slack_profile != "tier3":
            parts.append(f"slack={self.slack_profile}")
        for option in ("no_permission", "no_feature", "stuck"):
            names = getattr(self, option)
            if names:
                parts.append(f"{option}={'+'.join(names)}")
        return ",".join(parts)

    @property
    def changes_answers(self) -> bool:
        """Whether some endpoint answers otherwise than the API normally would (for the startup line)."""
        return bool(self.no_permission or self.no_feature or self.stuck)

    @property
    def active(self) -> bool:
        return any(self.rates.values())


def _unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) from the parts: deterministic and independent of request interleaving."""
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultPlan:
    """Decides, per request, whether to inject a fault (and which)."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._seen: dict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()

    def decide(self, api: str, request_key: str) -> str | None:
        if not self.spec.active or api not in self.spec.apis:
            return None
        with self._lock:
            n = self._seen[(api, request_key)]
            self._seen[(api, request_key)] = n + 1
        u = _unit(self.spec.seed, api, request_key, n)
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += self.spec.rates.get(kind, 0.0)
            if u < edge:
                return kind
        return None


# Documented budgets: (requests, window seconds) per bucket.
SLACK_TIERS = {
    "conversations.history": 50,
    "conversations.replies": 50,
    "conversations.info": 50,
    "conversations.list": 20,
    "users.list": 20,
    "conversations.members": 100,
    "auth.test": 100,
}


class Budget:
    """Sliding-window limits per (API, bucket), in compressed time. `check` returns seconds to wait, or 0."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def limit_for(self, api: str, bucket: str) -> tuple[int, float] | None:
        nonmarketplace = self.spec.slack_profile == "nonmarketplace"
        if api == "slack" and nonmarketplace and bucket in ("conversations.history", "conversations.replies"):
            return 1, 60.0
        if not self.spec.budget:
            return None
        return documented_budget(api, bucket)

    def check(self, api: str, bucket: str) -> tuple[float, int, int]:
        """Record a request; return (seconds to wait or 0 if allowed, limit, remaining)."""
        limit = self.limit_for(api, bucket)
        if limit is None:
            return 0.0, 0, 0
        n, window = limit[0], limit[1] / self.spec.speed
        now = time.monotonic()
        with self._lock:
            hits = self._hits[(api, bucket)]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= n:
                return max(hits[0] + window - now, 0.001), n, 0
            hits.append(now)
            return 0.0, n, n - len(hits)


class Stats:
    """Request counters per API and path template (what benchmarks and tests read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.faults: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def count(self, api: str, path: str) -> None:
        with self._lock:
            self.requests[api][path] += 1

    def fault(self, api: str, kind: str) -> None:
        with self._lock:
            self.faults[api][kind] += 1

    def status(self, api: str, code: int) -> None:
        with self._lock:
            self.statuses[api][code] += 1

    def total(self, api: str | None = None, path: str | None = None) -> int:
        with self._lock:
            apis = [api] if api else list(self.requests)
            return sum(
                n for a in apis for p, n in self.requests.get(a, {}).items() if path is None or p == path
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {a: dict(p) for a, p in self.requests.items()},
                "faults": {a: dict(f) for a, f in self.faults.items()},
                "statuses": {a: {str(k): v for k, v in s.items()} for a, s in self.statuses.items()},
                "total": sum(sum(p.values()) for p in self.requests.values()),
            }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.statuses.clear()
