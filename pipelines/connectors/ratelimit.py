"""Client-side budgets: stay inside each API's documented rate limit instead of waiting to be told 429.

One `ApiBudget` per source, one pyrate-limiter `Limiter` (GCRA: a leaky bucket, thread-safe, blocking)
per budget bucket: the whole API for incident.io and PagerDuty, the rate-limit label for Zoom, the
method for Slack (tiers are per method). Requests are paced evenly at 90 % of the documented rate with
a small burst, so that no window the API measures ever holds more than its limit, even when requests
reach it a little late or bunched; a window-based client limiter sends a whole window's worth at once
and the API, whose window is shifted by the network, can still answer 429.

`scale` multiplies every rate: 1 for the real APIs (the default),
`N` for the sandbox at `speed=N` (time compressed N times), 0 turns the budgets off (an unbudgeted
sandbox). The reactive path stays: a 429 still pauses every thread for what the API asked.
"""

from __future__ import annotations

import math

from pyrate_limiter import GCRA, Limiter, Rate, StateBucket

from pipelines.connectors.stopping import StopSignal

# (requests, window seconds) per bucket, from the APIs' documentation (docs/sources.md#rate-limits-and-speed).
INCIDENTIO = {"all": (1200, 60.0)}
PAGERDUTY = {"all": (960, 60.0)}
ZOOM = {"light": (30, 1.0), "medium": (20, 1.0)}  # Pro plan: the lowest documented per-second limits
SLACK_TIERS = {
    "users.list": (20, 60.0),  # tier 2
    "conversations.list": (20, 60.0),  # tier 2
    "conversations.info": (50, 60.0),  # tier 3
    "conversations.history": (50, 60.0),  # tier 3 (Marketplace and internal apps)
    "conversations.replies": (50, 60.0),  # tier 3
    "conversations.members": (100, 60.0),  # tier 4
}
SLACK_NONMARKETPLACE = {"conversations.history": (1, 60.0), "conversations.replies": (1, 60.0)}
SLACK_DEFAULT = (20, 60.0)  # an unlisted method: assume tier 2
# Sustained pace as a share of the documented rate; the rest is left for a burst and for timing jitter.
HEADROOM = 0.9
# A blocked acquire looks at the stop signal this often (seconds): a stop is noticed within it.
STOP_POLL_SECONDS = 0.5


def budgets_for(source: str, slack_profile: str = "tier3") -> dict[str, tuple[int, float]]:
    if source == "incidentio":
        return dict(INCIDENTIO)
    if source == "pagerduty":
        return dict(PAGERDUTY)
    if source == "zoom":
        return dict(ZOOM)
    if source == "slack":
        return {**SLACK_TIERS, **(SLACK_NONMARKETPLACE if slack_profile == "nonmarketplace" else {})}
    raise ValueError(f"unknown source {source!r}")


def bucket_of(source: str, endpoint: str) -> str:
    """Which budget a request spends: Slack by method, Zoom by rate-limit label, others one budget."""
    if source == "slack":
        return endpoint
    if source == "zoom":
        # GET /past_meetings/{id} is Light; every list endpoint we call is Medium.
        return "light" if endpoint == "/past_meetings/{id}" else "medium"
    return "all"


class ApiBudget:
    """Blocks a request until its bucket has room; a no-op when `scale` is 0."""

    def __init__(self, source: str, scale: float = 1.0, *, slack_profile: str = "tier3") -> None:
        self.source = source
        self.scale = scale
        self._limiters: dict[str, Limiter] = {}
        if scale <= 0:
            return
        budgets = budgets_for(source, slack_profile)
        if source == "slack":
            budgets.setdefault("*", SLACK_DEFAULT)
        for bucket, (requests, seconds) in budgets.items():
            self._limiters[bucket] = _limiter(requests, seconds / scale)

    @property
    def enabled(self) -> bool:
        return bool(self._limiters)

    def acquire(self, endpoint: str, stop: StopSignal | None = None) -> None:
        """Block until `endpoint`'s bucket has room; raise `Stopped` if `stop` is set meanwhile."""
        if not self._limiters:
            return
        bucket = bucket_of(self.source, endpoint)
        limiter = self._limiters.get(bucket) or self._limiters.get("*")
        if limiter is None:
            return
        if stop is None:
            limiter.try_acquire(bucket)
            return
        # In short waits, so a stop request is seen even under Slack's 1-a-minute budget.
        while not limiter.try_acquire(bucket, timeout=STOP_POLL_SECONDS):
            stop.check()


def _limiter(requests: int, seconds: float) -> Limiter:
    """At most `requests` in any `seconds`: paced at HEADROOM of that, plus a burst of what is left."""
    sustained = max(1, math.floor(requests * HEADROOM))
    burst = max(1, requests - sustained - 1)
    # pyrate-limiter counts whole milliseconds: stretch short windows (compressed time) to at least a
    # second, same rate, so rounding cannot make the pace faster than the budget.
    stretch = max(1, math.ceil(1.0 / seconds)) if seconds < 1 else 1
    rate = Rate(sustained * stretch, math.ceil(seconds * stretch * 1000), burst=burst)
    return Limiter(StateBucket([rate], algorithm=GCRA()), buffer_ms=1)
