"""Pure arithmetic of section 3 and 4: the fewest requests the page-size maxima allow, and the shortest
time the APIs' documented budgets allow for a given set of requests.

Minimum requests of a list endpoint: ceil(records / documented page-size maximum), at least one (an
empty list still takes a request to learn it is empty); a per-item endpoint (conversations.info, the
attachments of one incident, the instances of one meeting) takes one request per item; a whole-list
endpoint one request.

The budget bound: a bucket that allows N requests per sliding window of W seconds can serve its k-th
request (k = 0, 1, …) no earlier than floor(k / N) · W after the first, so R requests take at least
floor((R − 1) / N) · W. Buckets are independent (Slack's per-method tiers, Zoom's Light and Medium
categories) and the four APIs are read in parallel, so the bound of a sync is the largest bucket's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from pipelines.sandbox.app import budget_bucket as bucket_of
from pipelines.sandbox.faults import documented_budget

# Documented page-size maxima (docs/sources.md and the APIs' references).
PAGE_MAX = {
    ("incidentio", "/v2/incidents"): 250,
    ("incidentio", "/v2/incident_updates"): 250,
    ("incidentio", "/v2/users"): 10_000,
    ("slack", "users.list"): 1000,
    ("slack", "conversations.history"): 999,
    ("slack", "conversations.replies"): 1000,
    ("zoom", "/users"): 2000,
    ("zoom", "/past_meetings/{id}/participants"): 300,
    ("pagerduty", "/incidents"): 100,
    ("pagerduty", "/log_entries"): 100,
    ("pagerduty", "/oncalls"): 100,
    ("pagerduty", "/services"): 100,
    ("pagerduty", "/users"): 100,
}


def pages(records: int, page_max: int) -> int:
    """Requests to read `records` records at `page_max` a page: at least one."""
    return max(1, math.ceil(records / page_max))


def pages_of_lists(sizes: Iterable[int], page_max: int) -> int:
    """Requests to read several lists (one per channel, thread, instance …) at `page_max` a page."""
    return sum(pages(n, page_max) for n in sizes)


def budget(api: str, bucket: str) -> tuple[int, float] | None:
    """(requests, window seconds) of a bucket at real speed; None if the API sets no limit there."""
    return documented_budget(api, bucket)


def bucket_seconds(requests: int, per_window: int, window: float) -> float:
    """The least time `requests` requests take under `per_window` requests per sliding `window`."""
    if requests <= 0:
        return 0.0
    return ((requests - 1) // per_window) * window


def budget_bound(
    requests: Mapping[str, Mapping[str, int]], speed: float = 1.0, skip: Iterable[str] = ("/oauth/token",)
) -> dict[str, object]:
    """The bound that the budgets impose on `requests` ({api: {endpoint: count}}), time compressed by
    `speed`: per bucket, per API (its slowest bucket) and overall (the slowest API)."""
    skipped = set(skip)
    per_bucket: dict[str, dict[str, int]] = {}
    for api, endpoints in requests.items():
        for endpoint, count in endpoints.items():
            if endpoint in skipped:
                continue
            bucket = bucket_of(api, endpoint)
            per_bucket.setdefault(api, {}).setdefault(bucket, 0)
            per_bucket[api][bucket] += count
    buckets: dict[str, dict[str, float]] = {}
    for api, counts in per_bucket.items():
        for bucket, count in counts.items():
            limit = budget(api, bucket)
            if limit is None:
                continue
            buckets.setdefault(api, {})[bucket] = bucket_seconds(count, limit[0], limit[1] / speed)
    per_api = {api: max(b.values(), default=0.0) for api, b in buckets.items()}
    return {
        "seconds": max(per_api.values(), default=0.0),
        "per_api": per_api,
        "per_bucket": buckets,
        "binding": max(per_api, key=lambda a: per_api[a]) if per_api else None,
    }
