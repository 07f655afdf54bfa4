"""incident.io simulator: auth, cursor pagination ending on an empty page, the default mode filter."""

from __future__ import annotations

from typing import Any

import httpx
from sandbox_support import incidentio_headers

from pipelines.sandbox import Organisation


def _all_pages(http: httpx.Client, env: dict[str, str], path: str, key: str, **params: Any) -> list[dict]:
    """Page the way the official tap does: after = last id, stop on an empty page."""
    out: list[dict] = []
    after = None
    for _ in range(1000):
        query = {**params, **({"after": after} if after else {})}
        r = http.get(env["INCIDENTIO_BASE_URL"] + path, params=query, headers=incidentio_headers(env))
        assert r.status_code == 200, r.text
        page = r.json()[key]
        if not page:
            assert "after" not in r.json()["pagination_meta"]
            return out
        assert r.json()["pagination_meta"]["after"] == page[-1]["id"]
        out.extend(page)
        after = page[-1]["id"]
    raise AssertionError("pagination never ended")


def test_auth_errors(http: httpx.Client, env: dict[str, str]) -> None:
    url = env["INCIDENTIO_BASE_URL"] + "/v2/incidents"
    missing = http.get(url)
    assert missing.status_code == 401
    assert missing.json()["type"] == "authentication_error"
    assert missing.json()["errors"][0]["code"] == "missing_authorization_material"
    wrong = http.get(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["status"] == 401


def test_incidents_paginate_to_an_empty_page_and_hide_test_and_tutorial(
    http: httpx.Client, env: dict[str, str], org: Organisation
) -> None:
    got = _all_pages(http, env, "/v2/incidents", "incidents", page_size=7)
    visible = [i for i in org.io_incidents.values() if i["mode"] in ("standard", "retrospective")]
    assert sorted(i["id"] for i in got) == sorted(i["id"] for i in visible)
    assert [i["created_at"] for i in got] == sorted((i["created_at"] for i in got), reverse=True)
    assert len(got) < len(org.io_incidents), "test and tutorial incidents are hidden by default"


def test_mode_one_of_returns_every_mode(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    modes = ["standard", "retrospective", "test", "tutorial"]
    got = _all_pages(http, env, "/v2/incidents", "incidents", page_size=250, **{"mode[one_of]": modes})
    assert {i["id"] for i in got} == set(org.io_incidents)
    only_test = _all_pages(http, env, "/v2/incidents", "incidents", **{"mode[one_of]": "test"})
    assert only_test and {i["mode"] for i in only_test} == {"test"}


def test_page_size_maximum_and_total(http: httpx.Client, env: dict[str, str]) -> None:
    url = env["INCIDENTIO_BASE_URL"] + "/v2/incidents"
    ok = http.get(url, params={"page_size": 250}, headers=incidentio_headers(env))
    assert ok.status_code == 200 and ok.json()["pagination_meta"]["page_size"] == 250
    assert ok.json()["pagination_meta"]["total_record_count"] == len(ok.json()["incidents"])
    too_big = http.get(url, params={"page_size": 251}, headers=incidentio_headers(env))
    assert too_big.status_code == 422 and too_big.json()["type"] == "validation_error"
    assert too_big.json()["errors"][0]["source"]["field"] == "page_size"
    default = http.get(url, headers=incidentio_headers(env)).json()
    assert default["pagination_meta"]["page_size"] == 25


def test_filters(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    every = {"mode[one_of]": ["standard", "retrospective", "test", "tutorial"], "page_size": 250}
    cut = sorted(i["updated_at"] for i in org.io_incidents.values())[30]
    got = _all_pages(http, env, "/v2/incidents", "incidents", **every, **{"updated_at[gte]": cut})
    assert {i["id"] for i in got} == {i["id"] for i in org.io_incidents.values() if i["updated_at"] >= cut}
    live = _all_pages(http, env, "/v2/incidents", "incidents", **every, **{"status_category[one_of]": "live"})
    assert live and {i["incident_status"]["category"] for i in live} == {"live"}
    bad = http.get(
        env["INCIDENTIO_BASE_URL"] + "/v2/incidents",
        params={"created_at[gte]": "yesterday"},
        headers=incidentio_headers(env),
    )
    assert bad.status_code == 422


def test_incident_by_id_or_number(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    inc = next(iter(org.io_incidents.values()))
    base = env["INCIDENTIO_BASE_URL"] + "/v2/incidents/"
    assert http.get(base + inc["id"], headers=incidentio_headers(env)).json()["incident"]["id"] == inc["id"]
    number = inc["reference"].split("-")[1]
    assert http.get(base + number, headers=incidentio_headers(env)).json()["incident"]["id"] == inc["id"]
    missing = http.get(base + "01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=incidentio_headers(env))
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"


def test_updates_attachments_and_lists(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    every = _all_pages(http, env, "/v2/incident_updates", "incident_updates", page_size=50)
    assert len(every) == sum(len(u) for u in org.io_updates.values())
    inc_id = max(org.io_updates, key=lambda i: len(org.io_updates[i]))
    mine = _all_pages(http, env, "/v2/incident_updates", "incident_updates", incident_id=inc_id, page_size=2)
    assert {u["id"] for u in mine} == {u["id"] for u in org.io_updates[inc_id]}
    h = incidentio_headers(env)
    base = env["INCIDENTIO_BASE_URL"]
    linked = next(i for i, atts in org.io_attachments.items() if atts)
    atts = http.get(base + "/v1/incident_attachments", params={"incident_id": linked}, headers=h).json()
    assert atts["incident_attachments"] == org.io_attachments[linked]
    assert http.get(base + "/v1/incident_attachments", headers=h).status_code == 422
    for path, key, expected in (
        ("/v1/severities", "severities", 3),
        ("/v1/incident_statuses", "incident_statuses", 11),
        ("/v2/incident_timestamps", "incident_timestamps", 12),
        ("/v2/incident_roles", "incident_roles", 3),
        ("/v2/actions", "actions", len(org.io_actions)),
        ("/v2/follow_ups", "follow_ups", len(org.io_follow_ups)),
    ):
        assert len(http.get(base + path, headers=h).json()[key]) == expected, path
    users = _all_pages(http, env, "/v2/users", "users", page_size=10)
    assert len(users) == sum(1 for u in org.io_users if u["is_active"])
    assert http.get(base + "/v2/nothing_here", headers=h).status_code == 404
