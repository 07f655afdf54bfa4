"""Client-side budgets: never above what each API documents, and paced so the API never says 429."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.connectors.ratelimit import ApiBudget, bucket_of, budgets_for
from pipelines.sandbox.faults import Budget, FaultSpec

SOURCES = ("incidentio", "slack", "zoom", "pagerduty")


@pytest.mark.parametrize("profile", ["tier3", "nonmarketplace"])
@pytest.mark.parametrize("source", SOURCES)
def test_client_budgets_are_within_the_documented_ones(source, profile):
    """The sandbox's budgets are the documented ones (docs/sources.md#rate-limits-and-speed); ours must
    not be above them."""
    server = Budget(FaultSpec.parse(f"budget=1,slack={profile}"))
    for bucket, (requests, seconds) in budgets_for(source, profile).items():
        documented = server.limit_for(source, bucket)
        assert documented is not None, (source, bucket)
        assert requests / seconds <= documented[0] / documented[1], (source, bucket)


def test_requests_map_to_the_buckets_the_apis_count():
    assert bucket_of("slack", "conversations.replies") == "conversations.replies"
    assert bucket_of("zoom", "/past_meetings/{id}") == "light"
    assert bucket_of("zoom", "/past_meetings/{uuid}/participants") == "medium"
    assert bucket_of("pagerduty", "/incidents/{id}") == bucket_of("pagerduty", "/log_entries") == "all"


def test_scale_zero_turns_the_budgets_off():
    budget = ApiBudget("slack", 0)
    assert not budget.enabled
    for _ in range(1000):
        budget.acquire("conversations.history")  # never blocks


def _violations(budget: ApiBudget, calls: int) -> int:
    """Requests the sandbox's own sliding-window budget (60× compressed) would have answered with 429."""
    server = Budget(FaultSpec.parse("budget=1,speed=60"))

    def one(_: int) -> bool:
        budget.acquire("conversations.history")
        return server.check("slack", "conversations.history")[0] > 0

    with ThreadPoolExecutor(6) as pool:
        return sum(pool.map(one, range(calls)))


def test_paced_requests_stay_inside_the_api_window():
    # Slack tier 3 at 60× is 50 requests a second: 120 requests span three windows.
    assert _violations(ApiBudget("slack", 60), 120) == 0
    assert _violations(ApiBudget("slack", 0), 120) > 0, "without the budget the same calls go over"
