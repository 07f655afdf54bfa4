"""The benchmark's arithmetic: fewest requests the page-size maxima allow, and the budget bound."""

from __future__ import annotations

import pytest

from bench.limits import bucket_of, bucket_seconds, budget_bound, pages, pages_of_lists


def test_pages_round_up_and_an_empty_list_still_costs_one_request() -> None:
    assert pages(0, 100) == 1
    assert pages(100, 100) == 1
    assert pages(101, 100) == 2
    assert pages_of_lists([0, 999, 1000], 999) == 1 + 1 + 2


def test_sliding_window_bound() -> None:
    assert bucket_seconds(0, 50, 60) == 0
    assert bucket_seconds(50, 50, 60) == 0  # the first window's worth goes at once
    assert bucket_seconds(51, 50, 60) == 60
    assert bucket_seconds(150, 50, 60) == 120


def test_buckets_follow_each_api() -> None:
    assert bucket_of("slack", "conversations.replies") == "conversations.replies"
    assert bucket_of("zoom", "/past_meetings/{id}") == "light"
    assert bucket_of("zoom", "/past_meetings/{id}/participants") == "medium"
    assert bucket_of("pagerduty", "/incidents") == "all"


def test_budget_bound_is_the_slowest_bucket_of_the_slowest_api() -> None:
    requests = {
        "slack": {"conversations.history": 101, "conversations.replies": 151, "users.list": 1},
        "incidentio": {"/v2/incidents": 1201, "/v1/incident_attachments": 1200},  # one bucket: 2401
        "zoom": {"/oauth/token": 5, "/past_meetings/{id}/participants": 41},
        "pagerduty": {"/incidents": 960},
    }
    bound = budget_bound(requests, speed=60)
    # Slack replies: 151 at 50 a minute (1 s at 60×) → 3 s; history 101 → 2 s
    assert bound["per_bucket"]["slack"]["conversations.replies"] == pytest.approx(3.0)
    assert bound["per_api"]["incidentio"] == pytest.approx(2.0)  # 2401 at 1200 a second
    assert bound["per_api"]["zoom"] == pytest.approx(2 / 60)  # 41 at 20/s, 60× faster; token not counted
    assert bound["per_api"]["pagerduty"] == 0
    assert bound["seconds"] == pytest.approx(3.0)
    assert bound["binding"] == "slack"
