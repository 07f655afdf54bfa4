"""Connectors under field faults, over a mock transport: listings that never end, refused permissions,
stop requests during waits, and Zoom tokens of any lifetime."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from http_support import mock_client

from pipelines.connectors import zoom
from pipelines.connectors.http import AuthError, RequestStats, is_unavailable
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import Stopped, StopSignal


def _participants_api(stuck_uuid: str):
    """Zoom participants: the stuck instance hands back the same `next_page_token` forever (the field
    case); the other has two pages."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        uuid = request.url.path.split("/")[2]
        token = request.url.params.get("next_page_token", "")
        calls.append(f"{uuid}:{token}")
        if uuid == stuck_uuid:
            who = "zCaseU01" if not token else "zCaseU02"
            row = {"id": who, "name": who, "join_time": "2026-10-06T10:00:00Z", "status": "in_meeting"}
            return httpx.Response(200, json={"participants": [row], "next_page_token": "STUCK"})
        page = 1 if not token else 2
        row = {"id": f"u{page}", "name": "x", "join_time": f"2026-10-06T10:0{page}:00Z"}
        return httpx.Response(200, json={"participants": [row], "next_page_token": "" if page == 2 else "p2"})

    return handler, calls


def test_a_stuck_zoom_listing_stops_alone_and_the_other_meetings_complete():
    handler, calls = _participants_api("stuckuuid")
    connector = zoom.ZoomConnector(mock_client(handler, source="zoom"), concurrency=2)
    got = dict(connector.participants([("111111111", "stuckuuid"), ("222222222", "gooduuid")]))
    assert [r["_record"]["id"] for r in got["gooduuid"].rows] == ["u1", "u2"]
    assert [c.name for c in got["gooduuid"].covers] == ["instance_participants"]
    # What the stuck listing read is kept, but it covers nothing: no deletion is inferred from it.
    assert len(got["stuckuuid"].rows) == 2 and not got["stuckuuid"].covers
    assert len(connector.stopped) == 1
    assert "zoom /past_meetings/{uuid}/participants: listing stopped" in connector.stopped[0]
    assert "instance stuckuuid" in connector.stopped[0]
    assert sum(c.startswith("stuckuuid") for c in calls) == 2  # no loop


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"type": "forbidden", "status": 403, "errors": [{"message": "key lacks a scope"}]}),
        (404, {"error": {"message": "Not Found", "code": 2100}}),
    ],
)
def test_403_and_404_are_errors_the_sync_can_skip(status, body):
    client = mock_client(lambda request: httpx.Response(status, json=body))
    with pytest.raises(Exception) as caught:
        client.get_json("/v1/incident_attachments")
    assert is_unavailable(caught.value)
    assert client.stats.requests == 1  # not retried


def test_zoom_reports_a_missing_scope_as_400_code_4711_which_reads_as_403():
    body = {"code": 4711, "message": "Invalid access token, does not contain scopes:[user:read:admin]."}
    client = mock_client(lambda request: httpx.Response(400, json=body), status_of=zoom.zoom_status)
    with pytest.raises(AuthError) as caught:
        client.get_json("/users")
    assert caught.value.status == 403 and is_unavailable(caught.value)
    plain = mock_client(
        lambda r: httpx.Response(400, json={"code": 300, "message": "bad"}), status_of=zoom.zoom_status
    )
    with pytest.raises(Exception) as caught:
        plain.get_json("/users")
    assert not is_unavailable(caught.value)


def _stops_within(seconds: float, work, stop: StopSignal) -> float:
    """Run `work` in a thread, request a stop after 0.3 s; return how long after the request it ended
    (it must end by raising `Stopped`)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            work()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.3)
    asked = time.monotonic()
    stop.set("test stop")
    thread.join(seconds)
    assert not thread.is_alive(), "still running after the stop request"
    assert isinstance(outcome.get("error"), Stopped), outcome
    return time.monotonic() - asked


def test_a_stop_request_ends_backoff_retry_after_and_budget_waits_at_once():
    stop = StopSignal()
    failing = mock_client(lambda r: httpx.Response(503), stop=stop, max_delay=60, max_attempts=50)
    assert _stops_within(2, lambda: failing.get_json("/x"), stop) < 1

    stop = StopSignal()
    limited = mock_client(
        lambda r: httpx.Response(429, headers={"retry-after": "60"}), stop=stop, max_delay=60
    )
    assert _stops_within(2, lambda: limited.get_json("/x"), stop) < 1

    stop = StopSignal()
    budget = ApiBudget("slack", 1, slack_profile="nonmarketplace")  # 1 request a minute

    def two_requests() -> None:
        budget.acquire("conversations.history", stop)
        budget.acquire("conversations.history", stop)

    assert _stops_within(2, two_requests, stop) < 1


def test_a_zoom_token_is_refreshed_shortly_before_it_expires_whatever_its_lifetime(monkeypatch):
    now = {"t": 1000.0}
    monkeypatch.setattr(zoom.time, "monotonic", lambda: now["t"])
    lifetimes = iter([10, 10, 3599, 3599])
    fetched: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            fetched.append(now["t"])
            return httpx.Response(
                200, json={"access_token": f"t{len(fetched)}", "expires_in": next(lifetimes)}
            )
        return httpx.Response(200, json={"users": [], "next_page_token": ""})

    stats = RequestStats()
    tokens = zoom.ZoomTokenProvider("http://zoom.local/oauth/token", "acct", "id", "secret", stats)
    client = zoom.make_client("http://zoom.local/v2", tokens, stats, transport=httpx.MockTransport(handler))

    def requests_until(t: float) -> None:
        while now["t"] < t:
            client.get_json("/users")
            now["t"] += 0.5

    requests_until(1008.9)  # a 10 s token: 18 requests, one token
    assert fetched == [1000.0]
    requests_until(1010.0)  # replaced a tenth of its life early (9 s), never after it expired
    assert fetched == [1000.0, 1009.0]
    requests_until(1030.0)
    assert fetched == [1000.0, 1009.0, 1018.0]
    requests_until(1018.0 + 3599 - 60.5)  # an hour's token: replaced a minute early
    assert len(fetched) == 3
    requests_until(1018.0 + 3599 - 59.5)
    assert len(fetched) == 4
