"""Zoom simulator: Server-to-Server OAuth and expiry, next_page_token paging, double-encoded UUIDs."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from pipelines.sandbox import Organisation, SandboxServer
from tests.oracle import truth


def _token(http: httpx.Client, env: dict[str, str]) -> str:
    r = http.post(
        env["ZOOM_OAUTH_URL"],
        params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
        auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599 and body["scope"]
    return body["access_token"]


@pytest.fixture(scope="module")
def zoom(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(http, env)}"}


def test_oauth_errors(http: httpx.Client, env: dict[str, str]) -> None:
    url = env["ZOOM_OAUTH_URL"]
    good = {"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]}
    wrong_secret = http.post(url, params=good, auth=(env["ZOOM_CLIENT_ID"], "nope"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    auth = (env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"])
    assert http.post(url, params={**good, "grant_type": "client_credentials"}, auth=auth).status_code == 400
    assert http.post(url, params={**good, "account_id": "other"}, auth=auth).status_code == 400
    # The form body works as well as the query string.
    assert http.post(url, data=good, auth=auth).status_code == 200
    r = http.get(env["ZOOM_BASE_URL"] + "/users", headers={"Authorization": "Bearer made-up"})
    assert r.status_code == 401 and r.json() == {"code": 124, "message": "Invalid access token."}


def test_tokens_expire(http: httpx.Client, org: Organisation) -> None:
    with SandboxServer(org, zoom_token_ttl=1.0) as server:
        env = server.env()
        headers = {"Authorization": f"Bearer {_token_short(http, env)}"}
        assert http.get(env["ZOOM_BASE_URL"] + "/users", headers=headers).status_code == 200
        time.sleep(1.1)
        r = http.get(env["ZOOM_BASE_URL"] + "/users", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == 124


def _token_short(http: httpx.Client, env: dict[str, str]) -> str:
    r = http.post(
        env["ZOOM_OAUTH_URL"],
        params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
        auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
    )
    return r.json()["access_token"]


def test_users_next_page_token(
    http: httpx.Client, env: dict[str, str], zoom: dict[str, str], org: Organisation
) -> None:
    seen: list[str] = []
    token = ""
    while True:
        params = {"page_size": 5, **({"next_page_token": token} if token else {})}
        body = http.get(env["ZOOM_BASE_URL"] + "/users", params=params, headers=zoom).json()
        seen += [u["id"] for u in body["users"]]
        assert body["total_records"] == len(org.zoom_users)
        token = body["next_page_token"]
        if token == "":
            break
    assert seen == [u["id"] for u in org.zoom_users]
    bad = http.get(env["ZOOM_BASE_URL"] + "/users", params={"next_page_token": "junk"}, headers=zoom)
    assert bad.status_code == 400 and bad.json()["code"] == 300


def test_instances_and_participants(
    http: httpx.Client, env: dict[str, str], zoom: dict[str, str], org: Organisation
) -> None:
    base = env["ZOOM_BASE_URL"]
    inc = next(i for i in org.io_incidents.values() if truth.call_instances(org, i))
    meeting = truth.zoom_meeting_id(inc["call_url"])
    listed = http.get(f"{base}/past_meetings/{meeting}/instances", headers=zoom).json()["meetings"]
    assert [m["uuid"] for m in listed] == [z.uuid for z in org.zoom_meetings[int(meeting)]]
    assert http.get(f"{base}/past_meetings/12345678901/instances", headers=zoom).json()["code"] == 3001
    instance = max(org.zoom_instances.values(), key=lambda z: len(z.participants))
    rows: list[dict] = []
    token = ""
    while True:
        params = {"page_size": 2, **({"next_page_token": token} if token else {})}
        body = http.get(
            f"{base}/past_meetings/{quote(quote(instance.uuid, safe=''), safe='')}/participants",
            params=params,
            headers=zoom,
        ).json()
        rows += body["participants"]
        token = body["next_page_token"]
        if not token:
            break
    assert rows == instance.participants
    big = http.get(
        f"{base}/past_meetings/{quote(quote(instance.uuid, safe=''), safe='')}/participants",
        params={"page_size": 1000},
        headers=zoom,
    ).json()
    assert big["page_size"] == 300


def test_uuids_with_slashes_must_be_double_encoded(
    http: httpx.Client, env: dict[str, str], zoom: dict[str, str], org: Organisation
) -> None:
    base = env["ZOOM_BASE_URL"]
    weird = [u for u in org.zoom_instances if u.startswith("/") or "//" in u]
    assert len(weird) >= 4
    for uuid in weird:
        twice = http.get(
            f"{base}/past_meetings/{quote(quote(uuid, safe=''), safe='')}/participants", headers=zoom
        )
        assert (
            twice.status_code == 200 and twice.json()["participants"] == org.zoom_instances[uuid].participants
        )
        once = http.get(f"{base}/past_meetings/{quote(uuid, safe='')}/participants", headers=zoom)
        assert once.status_code == 404 and once.json()["code"] == 3001
    plain = next(u for u in org.zoom_instances if "/" not in u)
    assert (
        http.get(f"{base}/past_meetings/{quote(plain, safe='')}/participants", headers=zoom).status_code
        == 200
    )
    single = next(z for z in org.zoom_instances.values() if len(z.participants) == 1)
    body = http.get(
        f"{base}/past_meetings/{quote(quote(single.uuid, safe=''), safe='')}/participants", headers=zoom
    ).json()
    assert body["participants"] == [] and body["total_records"] == 0
