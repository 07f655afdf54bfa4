"""The Slack connector through slack-sdk's `WebClient`, against a local stub of the Web API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from pipelines.connectors import slack
from pipelines.connectors.http import AuthError, is_unavailable

Answer = Callable[[str, dict[str, str]], tuple[int, dict[str, str], dict[str, Any]]]


@pytest.fixture
def stub() -> Iterator[Callable[[Answer], str]]:
    """`base_url = stub(answer)`: serve `answer(method, params) -> (status, headers, body)`."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # slack-sdk sends every method as a POST
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                params = dict(parse_qsl(parts.query)) | dict(parse_qsl(self.rfile.read(length).decode()))
                status, headers, body = answer(parts.path.rsplit("/", 1)[-1], params)
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/api/"

    yield start
    for server in servers:
        server.shutdown()


def _message(ts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": "U1", "text": "hi", "ts": ts, **extra}


def test_history_with_a_repeating_next_cursor_stops_that_channel_only(stub):
    def answer(method: str, params: dict[str, str]):
        if params["channel"] == "CSTUCK":
            ts = "1.000002" if params.get("cursor") else "1.000001"
            return (
                200,
                {},
                {"ok": True, "messages": [_message(ts)], "response_metadata": {"next_cursor": "same"}},
            )
        return (
            200,
            {},
            {"ok": True, "messages": [_message("2.000001")], "response_metadata": {"next_cursor": ""}},
        )

    api = slack.make_client("xoxb-test", stub(answer))
    connector = slack.SlackConnector(api, concurrency=2)
    got = dict(connector.messages(["CSTUCK", "COK"]))
    assert [c.name for c in got["COK"].covers] == ["channel_history"]
    assert not got["CSTUCK"].covers and len(got["CSTUCK"].rows) == 2
    assert (
        len(connector.stopped) == 1 and "slack conversations.history: listing stopped" in connector.stopped[0]
    )
    assert api.stats.by_endpoint["conversations.history"] == 3


def test_rate_limits_are_waited_out_through_slack_sdks_handler_and_counted(stub):
    calls = {"n": 0}

    def answer(method: str, params: dict[str, str]):
        calls["n"] += 1
        if calls["n"] <= 2:
            return 429, {"retry-after": "0"}, {"ok": False, "error": "ratelimited"}
        return 200, {}, {"ok": True, "members": [{"id": "U1"}], "response_metadata": {"next_cursor": ""}}

    api = slack.make_client("xoxb-test", stub(answer))
    batches = list(slack.SlackConnector(api).users())
    assert [r["id"] for b in batches for r in b.rows] == ["U1"]
    assert api.stats.rate_limited == 2 and api.stats.requests == 3


def test_a_missing_scope_is_a_refused_permission_and_a_bad_token_an_auth_failure(stub):
    def answer(method: str, params: dict[str, str]):
        if method == "users.list":
            return 200, {}, {"ok": False, "error": "missing_scope", "needed": "users:read"}
        return 200, {}, {"ok": False, "error": "invalid_auth"}

    api = slack.make_client("xoxb-test", stub(answer))
    with pytest.raises(AuthError, match="users:read") as caught:
        api.call("users.list")
    assert is_unavailable(caught.value)
    with pytest.raises(AuthError, match="invalid_auth") as caught:
        api.call("conversations.history", channel="C1")
    assert not is_unavailable(caught.value)
