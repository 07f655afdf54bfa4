"""The transport: retries, each API's rate-limit signal, URL joining and redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from http_support import mock_client

from pipelines.connectors import http as transport
from pipelines.connectors.http import ApiError, AuthError, HttpClient


def _client(handler, **kwargs) -> HttpClient:
    return mock_client(handler, base_url="http://api.local/prefix", **kwargs)


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch):
    # The waits themselves are tested through the wait function; here they are kept short.
    monkeypatch.setattr("pipelines.connectors.http.random.uniform", lambda a, b: 0.0)


def test_join_url_keeps_the_base_path_prefix():
    assert transport.join_url("http://h:1/pd", "/incidents") == "http://h:1/pd/incidents"
    assert transport.join_url("http://h:1/pd/", "incidents") == "http://h:1/pd/incidents"
    assert (
        transport.join_url("https://api.pagerduty.com", "/incidents") == "https://api.pagerduty.com/incidents"
    )


def test_redact_url_masks_secret_query_values():
    url = transport.redact_url("http://h/x?token=abc123&channel=C1&client_secret=s3")
    assert "abc123" not in url and "s3" not in url
    assert "channel=C1" in url


def test_retry_after_parsers_read_each_apis_format():
    in_ten = datetime.now(UTC) + timedelta(seconds=10)
    assert transport.retry_after_seconds("3") == 3.0
    http_date = format_datetime(in_ten, usegmt=True).replace("GMT", "UTC")  # incident.io says "UTC"
    assert 8 <= transport.retry_after_http_date(http_date) <= 10.5
    assert 8 <= transport.retry_after_iso(in_ten.strftime("%Y-%m-%dT%H:%M:%SZ")) <= 10.5
    assert transport.retry_after_iso("not a date") is None
    assert transport.retry_after_http_date(None) is None


def test_retries_429_5xx_and_truncated_bodies_then_succeeds():
    responses = iter(
        [
            httpx.Response(429, headers={"retry-after": "0"}),
            httpx.Response(503),
            httpx.Response(200, content=b'{"incidents": [1, 2'),  # cut body
            httpx.Response(200, json={"ok": True}),
        ]
    )
    client = _client(lambda request: next(responses))
    assert client.get_json("/v2/incidents") == {"ok": True}
    assert client.stats.requests == 4
    assert client.stats.retries == 3
    assert client.stats.rate_limited == 1


def test_wait_honours_the_apis_retry_after():
    wait = transport._backoff(max_delay=60)

    class Outcome:
        def exception(self):
            return transport.RetryableError("429", retry_after=7)

    class State:
        outcome = Outcome()
        attempt_number = 1

    assert 7 <= wait(State()) <= 7.5


def test_timeouts_are_retried():
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json=[])

    assert _client(handler).get_json("/x") == []


def test_gives_up_with_a_clear_error_naming_source_and_endpoint():
    client = _client(lambda request: httpx.Response(500), max_attempts=3)
    with pytest.raises(ApiError, match=r"test /x: gave up after 3 attempts"):
        client.get_json("/x")
    assert client.stats.requests == 3


def test_auth_errors_are_not_retried_and_say_why():
    body = {"type": "authentication_error", "status": 401, "errors": [{"message": "API key is invalid"}]}
    client = _client(lambda request: httpx.Response(401, json=body))
    with pytest.raises(AuthError, match="API key is invalid"):
        client.get_json("/v2/incidents")
    assert client.stats.requests == 1


def test_401_with_a_token_refresher_gets_a_new_token_and_retries():
    tokens = iter(["old", "new"])
    current = {"token": next(tokens)}

    def refresh():
        current["token"] = next(tokens)

    def handler(request):
        if request.headers["authorization"] == "Bearer old":
            return httpx.Response(401, json={"code": 124, "message": "Invalid access token."})
        return httpx.Response(200, json={"ok": 1})

    client = _client(
        handler, auth=lambda: {"Authorization": f"Bearer {current['token']}"}, on_unauthorized=refresh
    )
    assert client.get_json("/users") == {"ok": 1}
