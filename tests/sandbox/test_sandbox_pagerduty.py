"""PagerDuty simulator: Token auth, offset pagination, the 10,000 cap and the 6-month range limit."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sandbox_support import pagerduty_headers

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation
from pipelines.sandbox.ids import iso_s
from tests.oracle import truth

OFFSET_ERROR = {
    "error": {
        "message": "Arguments Caused Error",
        "code": 2002,
        "errors": [
            "Offset+limit exceeds maximum allowed value of 10000. Please try to refine your search to reduce "
            "the returned set of records below this number, like adding a date range."
        ],
    }
}


def _get(http: httpx.Client, env: dict[str, str], path: str, **params: object) -> httpx.Response:
    return http.get(env["PAGERDUTY_BASE_URL"] + path, params=params, headers=pagerduty_headers(env))


def test_auth(http: httpx.Client, env: dict[str, str]) -> None:
    url = env["PAGERDUTY_BASE_URL"] + "/services"
    for headers in (
        {},
        {"Authorization": f"Bearer {env['PAGERDUTY_API_TOKEN']}"},
        {"Authorization": "Token token=x"},
    ):
        r = http.get(url, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == 2006
    assert _get(http, env, "/services").status_code == 200


def test_offset_pagination(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        body = _get(http, env, "/incidents", date_range="all", limit=100, offset=offset).json()
        assert body["limit"] == 100 and body["offset"] == offset and body["total"] is None
        seen += [i["id"] for i in body["incidents"]]
        offset += len(body["incidents"])
        if not body["more"]:
            break
    assert sorted(seen) == sorted(org.pd_incidents)
    created = [org.pd_incidents[i]["created_at"] for i in seen]
    assert created == sorted(created)
    clamped = _get(http, env, "/incidents", date_range="all", limit=500, total="true").json()
    assert (
        clamped["limit"] == 100
        and len(clamped["incidents"]) == 100
        and clamped["total"] == len(org.pd_incidents)
    )
    assert _get(http, env, "/incidents", date_range="all").json()["limit"] == 25


def test_offset_plus_limit_over_10000_is_refused(http: httpx.Client, env: dict[str, str]) -> None:
    r = _get(http, env, "/incidents", date_range="all", offset=9901, limit=100)
    assert r.status_code == 400 and r.json() == OFFSET_ERROR
    assert _get(http, env, "/incidents", date_range="all", offset=9900, limit=100).status_code == 200
    assert _get(http, env, "/log_entries", offset=10000, limit=1).status_code == 400


def test_since_until_window(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    too_long = _get(http, env, "/incidents", since="2025-01-01T00:00:00Z", until="2025-07-03T00:00:00Z")
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == 2001
    since, until = "2025-09-01T00:00:00Z", "2026-02-28T00:00:00Z"
    r = _get(http, env, "/incidents", since=since, until=until, limit=100, total="true")
    assert r.status_code == 200
    expected = [p for p in org.pd_incidents.values() if since <= p["created_at"] < until]
    assert r.json()["total"] == len(expected)


def test_filters_and_log_entries(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    r = _get(
        http, env, "/incidents", date_range="all", limit=100, **{"statuses[]": ["triggered", "acknowledged"]}
    )
    open_ids = {p["id"] for p in org.pd_incidents.values() if p["status"] != "resolved"}
    assert {i["id"] for i in r.json()["incidents"]} == open_ids and open_ids
    pid = max(org.pd_log_entries, key=lambda i: len(org.pd_log_entries[i]))
    entries = _get(http, env, f"/incidents/{pid}/log_entries", limit=100).json()["log_entries"]
    assert entries == org.pd_log_entries[pid]
    assert _get(http, env, "/incidents/PNOPE").status_code == 404
    assert _get(http, env, f"/incidents/{pid}").json()["incident"]["id"] == pid
    everything = _get(http, env, "/log_entries", limit=100, total="true").json()
    assert everything["total"] == sum(len(e) for e in org.pd_log_entries.values())
    services = _get(http, env, "/services", limit=100).json()
    assert len(services["services"]) == len(org.pd_services) and services["more"] is False
    users = _get(http, env, "/users", limit=5, offset=5).json()
    assert users["users"] == org.pd_users[5:10]
    facts = truth.pagerduty_facts(org)
    assert facts[pid].created_at == truth.parse_time(org.pd_incidents[pid]["created_at"])


def test_default_window_is_the_last_month(http: httpx.Client) -> None:
    org = generate_organisation("small", seed=5)  # anchored today, so the last month holds data
    with SandboxServer(org) as server:
        env = server.env()
        default = _get(http, env, "/incidents", limit=100, total="true").json()
        month_ago = iso_s((org.now() - timedelta(days=31)).timestamp())
        recent = [p for p in org.pd_incidents.values() if p["created_at"] >= month_ago]
        assert 0 < default["total"] <= len(recent) < len(org.pd_incidents) / 4
        since_only = _get(http, env, "/incidents", since=month_ago, total="true").json()
        assert since_only["total"] == len(recent)


def test_oncalls_are_the_rotation_that_gets_paged(
    http: httpx.Client, env: dict[str, str], org: Organisation
) -> None:
    """GET /oncalls: weekly shifts per escalation policy and level, paged offset-style; the level-1 user
    on call when an incident was created is the one it was first assigned to."""
    incidents = sorted(org.pd_incidents.values(), key=lambda i: i["created_at"])
    checked = 0
    for incident in incidents[:: max(1, len(incidents) // 10)][:10]:
        policy = incident["escalation_policy"]["id"]
        body = _get(
            http,
            env,
            "/oncalls",
            since=incident["created_at"],
            until=incident["created_at"],
            **{"escalation_policy_ids[]": policy},
        ).json()
        levels = {o["escalation_level"]: o for o in body["oncalls"]}
        assert set(levels) == {1, 2} and body["more"] is False
        assert levels[1]["start"] <= incident["created_at"] < levels[1]["end"]
        first_assign = next(e for e in org.pd_log_entries[incident["id"]] if e["type"] == "assign_log_entry")
        assert levels[1]["user"]["id"] == first_assign["assignees"][0]["id"]
        checked += 1
    assert checked == 10, f"only {len(incidents)} incidents"
    year = _get(
        http,
        env,
        "/oncalls",
        since=iso_s(org.anchor.timestamp() - 300 * 86400),
        until=iso_s(org.anchor.timestamp()),
        limit=100,
        total="true",
    ).json()
    assert year["total"] > 100 and year["more"] is True and len(year["oncalls"]) == 100
