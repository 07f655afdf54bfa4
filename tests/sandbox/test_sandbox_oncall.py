"""Second wave, part two: incident.io On-call over HTTP (schedules, schedule entries paged through
`entry_window_start`, escalations, alerts, incident alerts), the traps the on-call marts need, the
missing-permission switch for every new endpoint, and the on-call oracle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sandbox_support import ANCHOR, incidentio_headers
from test_sandbox_incidentio import _all_pages

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation
from pipelines.sandbox.faults import ENDPOINTS, INCIDENTIO_ONCALL
from tests.oracle import truth

WINDOW = {"entry_window_start": "2025-03-01T00:00:00Z", "entry_window_end": "2026-03-16T00:00:00Z"}


def _get(http: httpx.Client, env: dict[str, str], path: str, **params: Any) -> httpx.Response:
    return http.get(env["INCIDENTIO_BASE_URL"] + path, params=params, headers=incidentio_headers(env))


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _entries(
    http: httpx.Client, env: dict[str, str], schedule_id: str, start: str, end: str
) -> tuple[list, int]:
    """Every `final` entry of the window, paging as the API documents; and the number of pages."""
    out: list[dict] = []
    cursor = start
    for pages in range(1, 1000):
        r = _get(
            http,
            env,
            "/v2/schedule_entries",
            schedule_id=schedule_id,
            entry_window_start=cursor,
            entry_window_end=end,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body["schedule_entries"]) == {"final", "scheduled", "overrides"}
        out += body["schedule_entries"]["final"]
        if "pagination_meta" not in body:
            return out, pages
        cursor = body["pagination_meta"]["after"]
        assert "after_url" in body["pagination_meta"]
    raise AssertionError("schedule entries never ended")


def test_schedules_listing(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    listed = _all_pages(http, env, "/v2/schedules", "schedules", page_size=1)
    assert [s["id"] for s in listed] == [s["id"] for s in org.io_schedules]
    assert len({s["timezone"] for s in listed}) == len(listed) >= 3
    team_ids = {t["id"] for t in org.io_teams}
    for s in listed:
        assert set(s["team_ids"]) <= team_ids and s["config"]["rotations"]
        assert {"current_shifts", "permalink", "created_at", "updated_at"} <= set(s)
    assert _get(http, env, f"/v2/schedules/{listed[0]['id']}").json()["schedule"]["id"] == listed[0]["id"]


def test_schedule_entries_paging_and_errors(
    http: httpx.Client, env: dict[str, str], org: Organisation
) -> None:
    missing = _get(http, env, "/v2/schedule_entries", **WINDOW)
    assert missing.status_code == 422 and missing.json()["errors"][0]["code"] == "is_required"
    assert _get(http, env, "/v2/schedule_entries", schedule_id="nope", **WINDOW).status_code == 404
    sid = org.io_schedules[-1]["id"]
    backwards = _get(
        http,
        env,
        "/v2/schedule_entries",
        schedule_id=sid,
        entry_window_start=WINDOW["entry_window_end"],
        entry_window_end=WINDOW["entry_window_start"],
    )
    assert backwards.status_code == 422
    bad_cursor = _get(
        http,
        env,
        "/v2/schedule_entries",
        schedule_id=sid,
        entry_window_start="not-a-cursor",
        entry_window_end=WINDOW["entry_window_end"],
    )
    assert bad_cursor.status_code == 422
    got, pages = _entries(
        http, env, sid, **{"start": WINDOW["entry_window_start"], "end": WINDOW["entry_window_end"]}
    )
    assert pages > 2
    lo, hi = _t(WINDOW["entry_window_start"]), _t(WINDOW["entry_window_end"])
    expected = [
        e for e in org.io_schedule_entries[sid].final if _t(e["end_at"]) > lo and _t(e["start_at"]) < hi
    ]
    assert [e["entry_id"] for e in got] == [e["entry_id"] for e in expected]  # each once, none missing
    # No window: the API answers from now on only.
    now_only = _get(http, env, "/v2/schedule_entries", schedule_id=sid).json()
    now = org.now()
    assert all(_t(e["end_at"]) > now - timedelta(seconds=5) for e in now_only["schedule_entries"]["final"])


def test_schedule_traps(org: Organisation) -> None:
    zones = {p.email: p.timezone for p in org.people}
    final = [e for entries in org.io_schedule_entries.values() for e in entries.final]
    scheduled = [e for entries in org.io_schedule_entries.values() for e in entries.scheduled]
    overrides = [e for entries in org.io_schedule_entries.values() for e in entries.overrides]
    assert overrides and len(final) > len(scheduled)  # overrides cut shifts in pieces
    lengths = {(_t(e["end_at"]) - _t(e["start_at"])).total_seconds() / 3600 for e in scheduled}
    assert {23.0, 25.0} <= lengths  # daily shifts across DST changes
    crosses_midnight = crosses_week = False
    for e in final:
        start, end = _t(e["start_at"]), _t(e["end_at"])
        zone = ZoneInfo(zones[e["user"]["email"]])
        crosses_midnight |= (
            start.astimezone(zone).date() != (end - timedelta(seconds=1)).astimezone(zone).date()
        )
        crosses_week |= start.isocalendar()[:2] != (end - timedelta(seconds=1)).isocalendar()[:2]
    assert crosses_midnight and crosses_week
    # One person on two rotas at once (the union rule), and people on call in both tools.
    shifts = truth.oncall_shifts(org, ANCHOR - timedelta(days=364), ANCHOR)
    by_person: dict[str, list[truth.ShiftFacts]] = {}
    for s in shifts:
        by_person.setdefault(s.person_email, []).append(s)
    both_tools = [e for e, ss in by_person.items() if {s.source for s in ss} == {"pagerduty", "incidentio"}]
    assert both_tools
    io_overlap = any(
        a.source == b.source == "incidentio"
        and a.schedule_id == b.schedule_id
        and a.start_at < b.end_at
        and b.start_at < a.end_at
        for ss in by_person.values()
        for i, a in enumerate(ss)
        for b in ss[i + 1 :]
    )
    assert io_overlap


def test_escalations(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    assert _get(http, env, "/v2/escalations", page_size=51).status_code == 422
    listed = _all_pages(http, env, "/v2/escalations", "escalations", page_size=50)
    assert [e["id"] for e in listed] == [e["id"] for e in org.io_escalations]
    assert {"acked", "resolved", "expired", "cancelled"} <= {e["status"] for e in listed}
    assert all(e["updated_at"] > e["created_at"] for e in listed)  # they change after creation
    notified = [[ev for ev in e["events"] if ev["event"] == "notified_users"] for e in listed]
    assert all(n and all(ev["users"] and ev["urgency"] in ("high", "low") for ev in n) for n in notified)
    escalated = [n for n in notified if len({u["id"] for ev in n for u in ev["users"]}) > 1]
    assert escalated  # the page went on to someone else
    bursts = [
        n
        for n in notified
        if any(
            (_t(b["occurred_at"]) - _t(a["occurred_at"])).total_seconds() <= 60 and a["users"] == b["users"]
            for a, b in pairwise(n)
        )
    ]
    assert bursts  # notified again within the minute: one page
    acked = [ev for e in listed for ev in e["events"] if ev["event"] == "acked"]
    assert acked and all(ev["users"] for ev in acked)
    linked = [e for e in listed if e["related_incidents"]]
    assert linked and set(linked[0]["related_incidents"][0]) >= {
        "id",
        "reference",
        "external_id",
        "status_category",
    }
    # Pages to people on no shift of either tool.
    shifts = truth.oncall_shifts(org, ANCHOR - timedelta(days=365), ANCHOR + timedelta(days=1))

    def on_shift(email: str, at: datetime) -> bool:
        return any(s.person_email == email and s.start_at <= at < s.end_at for s in shifts)

    outside = [
        (u["email"], ev["occurred_at"])
        for e in listed
        for ev in e["events"]
        if ev["event"] == "notified_users"
        for u in ev["users"]
        if not on_shift(u["email"].lower(), _t(ev["occurred_at"]))
    ]
    assert outside


def test_escalation_filters(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    middle = org.io_escalations[len(org.io_escalations) // 2]
    since = middle["created_at"]
    created = _all_pages(
        http, env, "/v2/escalations", "escalations", page_size=25, **{"created_at[gte]": since}
    )
    assert created and all(e["created_at"] >= since for e in created)
    assert len(created) == sum(1 for e in org.io_escalations if e["created_at"] >= since)
    updated = _all_pages(
        http, env, "/v2/escalations", "escalations", page_size=25, **{"updated_at[gte]": since}
    )
    assert len(updated) >= len(created)
    expired = _all_pages(
        http, env, "/v2/escalations", "escalations", page_size=50, **{"status[one_of]": "expired"}
    )
    assert expired and {e["status"] for e in expired} == {"expired"}
    not_acked = _all_pages(
        http, env, "/v2/escalations", "escalations", page_size=50, **{"status[not_in]": "acked"}
    )
    assert "acked" not in {e["status"] for e in not_acked}
    assert _get(http, env, f"/v2/escalations/{middle['id']}").json()["escalation"]["id"] == middle["id"]


def test_escalation_changes_after_creation(fresh_org: Organisation) -> None:
    with SandboxServer(fresh_org) as server:
        env = server.env()
        with httpx.Client(timeout=10) as http:
            before = _get(http, env, "/v2/escalations", page_size=50).json()["escalations"]
            summary = fresh_org.mutate(1)
            changed = summary["resolved_escalation"]
            after = _all_pages(
                http,
                env,
                "/v2/escalations",
                "escalations",
                page_size=50,
                **{"updated_at[gte]": summary["at"]},
            )
    assert [e["id"] for e in after] == [changed]
    old = next((e for e in before if e["id"] == changed), None)
    assert after[0]["status"] == "resolved" and after[0]["events"][-1]["event"] == "resolved"
    assert old is None or (
        old["created_at"] == after[0]["created_at"] and old["updated_at"] < after[0]["updated_at"]
    )


def test_alerts_and_incident_alerts(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    for path in ("/v2/alerts", "/v2/incident_alerts"):
        missing = _get(http, env, path)
        assert missing.status_code == 422 and missing.json()["errors"][0]["code"] == "is_required"
        assert _get(http, env, path, page_size=51).status_code == 422
    alerts = _all_pages(http, env, "/v2/alerts", "alerts", page_size=50)
    assert [a["id"] for a in alerts] == [a["id"] for a in org.io_alerts]
    firing = _all_pages(http, env, "/v2/alerts", "alerts", page_size=50, **{"status[one_of]": "firing"})
    assert firing and {a["status"] for a in firing} == {"firing"}
    links = _all_pages(http, env, "/v2/incident_alerts", "incident_alerts", page_size=7)
    assert len(links) == len(org.io_incident_alerts) > 0
    by_id = {a["id"]: a for a in alerts}
    leads = []
    for link in links:
        incident = org.io_incidents[link["incident"]["id"]]
        assert link["incident"]["reference"] == incident["reference"]
        assert link["alert"]["id"] in by_id
        leads.append((_t(incident["created_at"]) - _t(link["alert"]["created_at"])).total_seconds())
    assert sum(1 for s in leads if s < 0) == 1  # one incident declared before its alert fired
    assert all(60 <= s <= 15 * 60 + 1 for s in leads if s >= 0)
    one = links[0]
    only = _get(http, env, "/v2/incident_alerts", page_size=50, incident_id=one["incident"]["id"]).json()
    assert [x["id"] for x in only["incident_alerts"]] == [one["id"]]
    first = truth.first_alert_at(org)
    assert first[one["incident"]["id"]] <= _t(one["alert"]["created_at"])


@pytest.fixture
def restricted(org: Organisation, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    with SandboxServer(org, faults=request.param) as server:
        yield server.env()


NEW_ENDPOINTS = {
    "incidentio_teams": ("/v3/teams", {}),
    "incidentio_catalog_types": ("/v3/catalog_types", {}),
    "incidentio_catalog_entries": ("/v3/catalog_entries", {"page_size": 5, "catalog_type_id": "x"}),
    "incidentio_postmortems": ("/v1/postmortem_documents", {}),
    "incidentio_schedules": ("/v2/schedules", {}),
    "incidentio_schedule_entries": ("/v2/schedule_entries", {"schedule_id": "x"}),
    "incidentio_escalations": ("/v2/escalations", {}),
    "incidentio_alerts": ("/v2/alerts", {"page_size": 5}),
    "incidentio_incident_alerts": ("/v2/incident_alerts", {"page_size": 5}),
}


@pytest.mark.parametrize("restricted", ["no_permission=" + "+".join(NEW_ENDPOINTS)], indirect=True)
def test_every_new_endpoint_can_lack_permission(http: httpx.Client, restricted: dict[str, str]) -> None:
    assert set(NEW_ENDPOINTS) <= set(ENDPOINTS)
    for path, params in NEW_ENDPOINTS.values():
        r = _get(http, restricted, path, **params)
        assert r.status_code == 403 and r.json()["type"] == "forbidden", path


@pytest.mark.parametrize("restricted", ["profile=no_oncall"], indirect=True)
def test_account_without_oncall(http: httpx.Client, restricted: dict[str, str]) -> None:
    for name, (path, params) in NEW_ENDPOINTS.items():
        r = _get(http, restricted, path, **{**params, "page_size": 5})
        if name in INCIDENTIO_ONCALL:
            assert r.status_code == 404 and r.json()["errors"][0]["code"] == "feature_not_enabled", path
        else:
            assert r.status_code != 404 or name == "incidentio_catalog_entries", (
                path
            )  # its type "x" is unknown
    assert _get(http, restricted, "/v2/incidents").status_code == 200


@pytest.mark.parametrize("restricted", ["profile=restricted_key"], indirect=True)
def test_restricted_key_has_no_catalog_or_postmortems(http: httpx.Client, restricted: dict[str, str]) -> None:
    for path in ("/v3/catalog_types", "/v1/postmortem_documents"):
        assert _get(http, restricted, path).status_code == 403
    assert _get(http, restricted, "/v3/teams").status_code == 200


@pytest.mark.parametrize("restricted", ["stuck=incidentio_schedule_entries"], indirect=True)
def test_schedule_entries_cursor_can_get_stuck(
    http: httpx.Client, restricted: dict[str, str], org: Organisation
) -> None:
    sid = org.io_schedules[-1]["id"]
    first = _get(http, restricted, "/v2/schedule_entries", schedule_id=sid, **WINDOW).json()[
        "pagination_meta"
    ]["after"]
    second = _get(
        http,
        restricted,
        "/v2/schedule_entries",
        schedule_id=sid,
        entry_window_start=first,
        entry_window_end=WINDOW["entry_window_end"],
    )
    assert second.json()["pagination_meta"]["after"] == first


def test_oncall_hours_oracle(org: Organisation) -> None:
    since, built = ANCHOR - timedelta(days=364), ANCHOR
    hours = truth.oncall_hours(org, since, ANCHOR + timedelta(days=14), built)
    assert hours
    for total, business, off, sleep in hours.values():
        assert total <= 168 + 1e-9 and abs(business + off + sleep - total) < 1e-6
    # The union: summed shift lengths exceed the union for someone on two rotas at once.
    shifts = truth.oncall_shifts(org, since, built)
    summed: dict[str, float] = {}
    for s in shifts:
        summed[s.person_email] = (
            summed.get(s.person_email, 0)
            + (min(s.end_at, built) - max(s.start_at, since)).total_seconds() / 3600
        )
    union: dict[str, float] = {}
    for (email, _), v in hours.items():
        union[email] = union.get(email, 0) + v[0]
    assert any(summed[e] > union[e] + 1 for e in union)
    assert all(summed[e] >= union[e] - 1e-6 for e in union)


def test_hour_bands_across_dst() -> None:
    # 2025-03-09 is the US spring-forward Sunday: 00:00-12:00 New York local is 11 real hours.
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)  # 00:00 EST
    end = datetime(2025, 3, 9, 16, tzinfo=UTC)  # 12:00 EDT
    business, off, sleep = truth.hour_bands(start, end, "America/New_York")
    assert (business, off, sleep) == (0.0, 4.0, 7.0)  # a Sunday: sleep 00-08 (one hour skipped), off 08-12
    monday = truth.hour_bands(
        datetime(2025, 3, 10, 12, tzinfo=UTC), datetime(2025, 3, 10, 23, tzinfo=UTC), "America/New_York"
    )
    assert monday == (10.0, 1.0, 0.0)  # 08:00-19:00 EDT: business to 18:00, then off
    kolkata = truth.hour_bands(
        datetime(2025, 3, 10, 2, 0, tzinfo=UTC), datetime(2025, 3, 10, 3, 0, tzinfo=UTC), "Asia/Kolkata"
    )
    assert kolkata == (0.5, 0.0, 0.5)  # 07:30-08:30 local


def test_default_size_oncall_counts() -> None:
    org = generate_organisation("default", seed=42, anchor=ANCHOR)
    assert len(org.io_escalations) > 300 and len(org.io_incident_alerts) > 100
    assert 6 <= len(org.io_teams) <= 10
