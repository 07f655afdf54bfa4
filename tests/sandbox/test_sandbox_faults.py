"""Faults and rate limits: each API's own 429 signal, 5xx, timeouts, dropped connections, truncated bodies,
rates roughly as asked, budgets, and Slack's non-Marketplace profile."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest
from sandbox_support import incidentio_headers, pagerduty_headers

from pipelines.sandbox import FaultSpec, Organisation, SandboxServer


@pytest.fixture
def serve(org: Organisation) -> Iterator[object]:
    servers: list[SandboxServer] = []

    def start(faults: str, **kw: object) -> SandboxServer:
        server = SandboxServer(org, faults=faults, **kw).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def _zoom_headers(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    r = http.post(
        env["ZOOM_OAUTH_URL"],
        params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
        auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _requests(http: httpx.Client, env: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "incidentio": (env["INCIDENTIO_BASE_URL"] + "/v2/incidents", incidentio_headers(env)),
        "slack": (
            env["SLACK_BASE_URL"] + "users.list",
            {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"},
        ),
        "zoom": (env["ZOOM_BASE_URL"] + "/users", _zoom_headers(http, env)),
        "pagerduty": (env["PAGERDUTY_BASE_URL"] + "/services", pagerduty_headers(env)),
    }


def test_spec_parsing() -> None:
    spec = FaultSpec.parse("429=0.05,500=0.05,timeout=0.02,drop=0.01,truncate=0.01,seed=7")
    assert spec.rates == {"429": 0.05, "500": 0.05, "timeout": 0.02, "drop": 0.01, "truncate": 0.01}
    assert spec.seed == 7 and spec.delay == 15 and FaultSpec.parse(str(spec)) == spec
    assert not FaultSpec.parse(None).active and not FaultSpec.parse("").active
    opts = FaultSpec.parse("budget=1,speed=60,slack=nonmarketplace,apis=slack+zoom,delay=0.5,retry_after=2")
    assert opts.budget and opts.speed == 60 and opts.slack_profile == "nonmarketplace"
    assert opts.apis == ("slack", "zoom") and opts.delay == 0.5 and opts.retry_after == 2
    for bad in ("418=0.1", "429=2", "429=0.7,500=0.7", "nonsense", "apis=teams", "slack=premium"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_each_api_signals_429_its_own_way(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("429=1,seed=1")
    calls = _requests(http, server.env())
    before = datetime.now(UTC)

    slack = http.get(calls["slack"][0], headers=calls["slack"][1])
    assert slack.status_code == 429 and slack.json() == {"ok": False, "error": "ratelimited"}
    assert slack.headers["Retry-After"] == "1"

    inc = http.get(calls["incidentio"][0], headers=calls["incidentio"][1])
    assert inc.status_code == 429 and inc.json()["type"] == "too_many_requests"
    assert inc.json()["rate_limit"]["limit"] == 1200
    retry_at = parsedate_to_datetime(inc.headers["Retry-After"])  # an RFC 1123 date
    assert 0 <= (retry_at - before).total_seconds() <= 3

    zoom = http.get(calls["zoom"][0], headers=calls["zoom"][1])
    assert zoom.status_code == 429 and zoom.json()["code"] == 429
    retry_iso = datetime.fromisoformat(zoom.headers["Retry-After"].replace("Z", "+00:00"))  # ISO 8601
    assert 0 <= (retry_iso - before).total_seconds() <= 3

    pd = http.get(calls["pagerduty"][0], headers=calls["pagerduty"][1])
    assert pd.status_code == 429 and pd.json() == {"error": {"code": 2020, "message": "Rate Limit Exceeded"}}
    assert pd.headers["ratelimit-reset"] == "1"
    assert server.stats.faults["slack"]["429"] == 1


def test_server_errors(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    calls = _requests(http, serve("500=1").env())
    bodies = {api: http.get(url, headers=h) for api, (url, h) in calls.items()}
    assert all(r.status_code == 500 for r in bodies.values())
    assert bodies["slack"].json()["ok"] is False
    assert bodies["incidentio"].json()["status"] == 500
    assert bodies["pagerduty"].json()["error"]["code"] == 2000
    env = serve("503=1").env()
    gateway = http.get(env["PAGERDUTY_BASE_URL"] + "/services", headers=pagerduty_headers(env))
    assert gateway.status_code == 503 and "text/html" in gateway.headers["content-type"]


def test_timeout_drop_and_truncate(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    env = serve("timeout=1,delay=0.6,apis=pagerduty").env()
    url, headers = env["PAGERDUTY_BASE_URL"] + "/services", pagerduty_headers(env)
    with pytest.raises(httpx.ReadTimeout):
        http.get(url, headers=headers, timeout=0.2)
    started = time.monotonic()
    assert http.get(url, headers=headers, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.5
    # Other APIs are untouched when `apis` restricts the faults.
    assert (
        http.get(env["INCIDENTIO_BASE_URL"] + "/v1/severities", headers=incidentio_headers(env)).status_code
        == 200
    )

    env = serve("drop=1").env()
    with pytest.raises(httpx.TransportError):
        http.get(env["PAGERDUTY_BASE_URL"] + "/services", headers=pagerduty_headers(env))

    env = serve("truncate=1").env()
    r = http.get(env["INCIDENTIO_BASE_URL"] + "/v1/severities", headers=incidentio_headers(env))
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(ValueError):
        r.json()


def test_rates_are_roughly_honoured_and_deterministic(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    def run() -> list[int]:
        env = serve("500=0.2,429=0.1,seed=3").env()
        url, headers = env["PAGERDUTY_BASE_URL"] + "/services", pagerduty_headers(env)
        return [http.get(url, params={"offset": i % 7}, headers=headers).status_code for i in range(400)]

    first = run()
    counts = Counter(first)
    assert 50 <= counts[500] <= 110 and 20 <= counts[429] <= 65 and counts[200] > 220
    assert run() == first, "same seed, same requests: same faults"


def test_budget_mode(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("budget=1")  # real-time windows: a slow machine cannot slip under the limits
    env = server.env()
    channel = next(iter(server.org.slack_channels))
    slack_headers = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
    codes = [
        http.get(
            env["SLACK_BASE_URL"] + "conversations.history",
            params={"channel": channel},
            headers=slack_headers,
        ).status_code
        for _ in range(55)
    ]
    assert codes[:50] == [200] * 50 and 429 in codes[50:]
    zoom = _zoom_headers(http, env)
    zcodes = [http.get(env["ZOOM_BASE_URL"] + "/users", headers=zoom).status_code for _ in range(25)]
    assert 429 in zcodes
    assert server.stats.faults["slack"]["budget"] >= 1


def test_slack_nonmarketplace_profile(http: httpx.Client, serve, org: Organisation) -> None:  # type: ignore[no-untyped-def]
    env = serve("slack=nonmarketplace,speed=30").env()
    channel = max(org.slack_logs, key=lambda c: len(org.slack_logs[c].top))
    headers = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
    first = http.get(
        env["SLACK_BASE_URL"] + "conversations.history",
        params={"channel": channel, "limit": 200},
        headers=headers,
    )
    assert first.status_code == 200 and len(first.json()["messages"]) == 15
    second = http.get(
        env["SLACK_BASE_URL"] + "conversations.history", params={"channel": channel}, headers=headers
    )
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1
    assert http.get(env["SLACK_BASE_URL"] + "users.list", headers=headers).status_code == 200


def test_stats_endpoint(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("")
    env = server.env()
    for _ in range(3):
        http.get(
            env["PAGERDUTY_BASE_URL"] + f"/incidents/{next(iter(server.org.pd_incidents))}/log_entries",
            headers=pagerduty_headers(env),
        )
    stats = http.get(server.base_url + "/_sandbox/stats").json()
    assert stats["requests"]["pagerduty"]["/incidents/{id}/log_entries"] == 3
    assert server.stats.total("pagerduty") == 3
    assert http.delete(server.base_url + "/_sandbox/stats").json()["total"] == 0
    assert server.stats.total() == 0


def test_permission_and_stuck_spec_parsing() -> None:
    spec = FaultSpec.parse("no_permission=incidentio_attachments+pagerduty_oncalls,stuck=zoom_participants")
    assert spec.no_permission == ("incidentio_attachments", "pagerduty_oncalls")
    assert spec.stuck == ("zoom_participants",) and not spec.active and spec.changes_answers
    assert FaultSpec.parse(str(spec)) == spec
    restricted = FaultSpec.parse("profile=restricted_key")
    assert "pagerduty_oncalls" in restricted.no_permission and restricted.no_feature == (
        "pagerduty_priorities",
    )
    for bad, words in (
        ("no_permission=incidentio_nothing", "unknown endpoint 'incidentio_nothing'"),
        ("no_feature=slack_history", "only incident.io and PagerDuty"),
        ("profile=admin", "unknown profile"),
    ):
        with pytest.raises(ValueError, match=words):
            FaultSpec.parse(bad)


def test_permission_less_key_gets_each_apis_answer(http: httpx.Client, serve) -> None:  # type: ignore[no-untyped-def]
    names = "incidentio_attachments+slack_users+zoom_users+pagerduty_oncalls"
    env = serve(f"no_permission={names},no_feature=incidentio_follow_ups+pagerduty_priorities").env()
    io = http.get(
        env["INCIDENTIO_BASE_URL"] + "/v1/incident_attachments",
        params={"incident_id": "x"},
        headers=incidentio_headers(env),
    )
    assert io.status_code == 403 and io.json()["type"] == "forbidden" and io.json()["errors"][0]["message"]
    feature = http.get(env["INCIDENTIO_BASE_URL"] + "/v2/follow_ups", headers=incidentio_headers(env))
    assert feature.status_code == 404 and feature.json()["errors"][0]["code"] == "feature_not_enabled"
    slack = http.post(
        env["SLACK_BASE_URL"] + "users.list", headers={"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
    )
    body = slack.json()
    assert slack.status_code == 200 and body["error"] == "missing_scope" and body["needed"] == "users:read"
    assert "users:read" not in body["provided"].split(",")
    zoom = http.get(env["ZOOM_BASE_URL"] + "/users", headers=_zoom_headers(http, env))
    assert zoom.status_code == 400 and zoom.json()["code"] == 4711 and "does not contain scopes" in zoom.text
    pd = http.get(env["PAGERDUTY_BASE_URL"] + "/oncalls", headers=pagerduty_headers(env))
    assert pd.status_code == 403 and pd.json()["error"]["message"] == "Access Denied"
    pd = http.get(env["PAGERDUTY_BASE_URL"] + "/priorities", headers=pagerduty_headers(env))
    assert pd.status_code == 404 and pd.json()["error"]["code"] == 2100
    # Everything else answers as usual.
    ok = http.get(env["INCIDENTIO_BASE_URL"] + "/v2/incidents", headers=incidentio_headers(env))
    assert ok.status_code == 200 and ok.json()["incidents"]
    assert (
        http.get(env["PAGERDUTY_BASE_URL"] + "/services", headers=pagerduty_headers(env)).status_code == 200
    )


def _pages(fetch, cursor_of, n: int = 4) -> list[str]:  # type: ignore[no-untyped-def]
    """The cursors of the first `n` pages a client following the cursor would get."""
    seen: list[str] = []
    cursor = ""
    for _ in range(n):
        cursor = cursor_of(fetch(cursor))
        seen.append(cursor)
    return seen


def test_stuck_cursors_repeat_forever(http: httpx.Client, serve, org: Organisation) -> None:  # type: ignore[no-untyped-def]
    names = "zoom_users+slack_history+incidentio_incidents+pagerduty_incidents"
    env = serve(f"stuck={names}").env()
    zoom = _zoom_headers(http, env)

    def zoom_page(token: str) -> dict:
        params = {"page_size": 3, **({"next_page_token": token} if token else {})}
        return http.get(env["ZOOM_BASE_URL"] + "/users", params=params, headers=zoom).json()

    tokens = _pages(zoom_page, lambda b: b["next_page_token"])
    assert tokens[0] and len(set(tokens)) == 1
    channel = max(org.slack_logs, key=lambda c: len(org.slack_logs[c].top))
    slack = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}

    def slack_page(cursor: str) -> dict:
        data = {"channel": channel, "limit": "5", **({"cursor": cursor} if cursor else {})}
        return http.post(env["SLACK_BASE_URL"] + "conversations.history", data=data, headers=slack).json()

    cursors = _pages(slack_page, lambda b: b["response_metadata"]["next_cursor"], n=40)
    assert cursors[0] and len(set(cursors)) == 1  # past the channel's last page, still the same cursor
    assert slack_page(cursors[0])["has_more"] is True

    def io_page(after: str) -> dict:
        params = {"page_size": 5, **({"after": after} if after else {})}
        return http.get(
            env["INCIDENTIO_BASE_URL"] + "/v2/incidents", params=params, headers=incidentio_headers(env)
        ).json()

    afters = _pages(io_page, lambda b: b["pagination_meta"]["after"], n=12)
    assert afters[0] and len(set(afters)) == 1

    def pd_page(offset: str) -> dict:
        params = {"limit": 5, "offset": offset or "0", "date_range": "all"}
        return http.get(
            env["PAGERDUTY_BASE_URL"] + "/incidents", params=params, headers=pagerduty_headers(env)
        ).json()

    first, later = pd_page("0"), pd_page("5")
    assert later["more"] is True and later["offset"] == first["offset"] == 0
    assert [i["id"] for i in later["incidents"]] == [i["id"] for i in first["incidents"]]
