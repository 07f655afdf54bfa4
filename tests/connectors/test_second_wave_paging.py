"""Paging edge cases of the second-wave incident.io and PagerDuty listings, over `httpx.MockTransport`:
schedule entries paged by handing the cursor back as the window's start, ids of entries without a
fingerprint, required parameters, and the covered sets each whole listing carries."""

from __future__ import annotations

import httpx
import pytest
from http_support import mock_client

from pipelines.connectors.common import CoveredSet
from pipelines.connectors.incidentio import IncidentioConnector, schedule_entry_id
from pipelines.connectors.pagerduty import PagerDutyConnector
from pipelines.connectors.pagination import ListingStopped, WindowStartPaginator, paginate

START, END = "2025-12-01T00:00:00Z", "2026-12-15T00:00:00Z"


def _entry(n: int, fingerprint: str | None = "auto") -> dict:
    return {
        "entry_id": f"E{n}",
        "fingerprint": f"F{n}" if fingerprint == "auto" else fingerprint,
        "start_at": f"2026-01-{n:02d}T09:00:00.000Z",
        "end_at": f"2026-01-{n + 1:02d}T09:00:00.000Z",
        "user": {"id": f"U{n % 3}", "email": f"u{n % 3}@acme.example"},
    }


def _entries_server(pages: dict[str, dict]):
    """Answers /v2/schedule_entries by the `entry_window_start` it is sent; records every query."""
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        return httpx.Response(200, json=pages[params["entry_window_start"]])

    return mock_client(handler, source="incidentio"), seen


def _page(entries: list[dict], after: str | None, meta: bool = True) -> dict:
    body: dict = {"schedule_entries": {"final": entries, "scheduled": [], "overrides": []}}
    if meta:
        body["pagination_meta"] = {"after": after, "after_url": "…"} if after else {}
    return body


def test_schedule_entries_pass_the_cursor_back_as_the_window_start():
    pages = {
        START: _page([_entry(1), _entry(2)], "tok1"),
        "tok1": _page([_entry(3)], "tok2"),
        "tok2": _page([_entry(4)], None, meta=False),  # the last page has no pagination_meta
    }
    client, seen = _entries_server(pages)
    batch = IncidentioConnector(client).schedule_entries("S1", START, END)
    assert [r["id"] for r in batch.rows] == ["S1:F1", "S1:F2", "S1:F3", "S1:F4"]
    assert [p["entry_window_start"] for p in seen] == [START, "tok1", "tok2"]
    assert {p["entry_window_end"] for p in seen} == {END}  # the end never moves
    assert {p["schedule_id"] for p in seen} == {"S1"}
    assert all("page_size" not in p for p in seen)
    # One batch covering the entries that start in the window read, with its bounds.
    assert batch.covers == [CoveredSet("schedule_window", ("S1", START, END))]
    assert {r["schedule_id"] for r in batch.rows} == {"S1"}
    assert batch.rows[0]["start_at"].isoformat() == "2026-01-01T09:00:00+00:00"


def test_schedule_entries_end_on_pagination_meta_without_after():
    client, seen = _entries_server({START: _page([_entry(1)], None, meta=True)})
    batch = IncidentioConnector(client).schedule_entries("S1", START, END)
    assert len(batch.rows) == 1 and len(seen) == 1


def test_a_schedule_entries_cursor_that_repeats_stops_the_listing():
    client, seen = _entries_server({START: _page([_entry(1)], "tok"), "tok": _page([_entry(2)], "tok")})
    with pytest.raises(ListingStopped, match="returned the cursor 'tok' again"):
        IncidentioConnector(client).schedule_entries("S1", START, END)
    assert len(seen) == 2


def test_schedule_entries_are_never_asked_for_without_a_window():
    with pytest.raises(ValueError, match="entry_window_start and entry_window_end"):
        WindowStartPaginator().first({"schedule_id": "S1", "entry_window_end": END})


def test_an_entry_without_a_fingerprint_falls_back_to_start_and_user_or_is_rejected():
    assert schedule_entry_id("S1", _entry(5)) == "S1:F5"
    assert schedule_entry_id("S1", _entry(5, None)) == "S1:2026-01-05T09:00:00.000Z:U2"
    assert schedule_entry_id("S1", {**_entry(5, None), "user": None}) is None
    no_time = {**_entry(6), "end_at": "soon"}
    client, _ = _entries_server(
        {START: _page([_entry(5, None), {**_entry(7, None), "user": {}}, no_time], None)}
    )
    batch = IncidentioConnector(client).schedule_entries("S1", START, END)
    assert [r["id"] for r in batch.rows] == ["S1:2026-01-05T09:00:00.000Z:U2"]
    reasons = sorted(reason for _, _, reason, _ in batch.rejected)
    assert reasons[0].startswith("cannot read key fields") and "end_at" in reasons[0]
    assert reasons[1] == "record has no id"


def test_a_page_without_the_final_list_is_malformed():
    client, _ = _entries_server({START: {"schedule_entries": {"scheduled": []}}})
    with pytest.raises(Exception, match=r"no 'schedule_entries\.final' list"):
        list(paginate(client, "/v2/schedule_entries", ("schedule_entries", "final"), WindowStartPaginator(),
                      {"entry_window_start": START, "entry_window_end": END}))  # fmt: skip


def _after_server(key: str, records: list[dict], page_size_cap: int):
    """An incident.io listing paged by `after` (the id of the last record), ending on an empty page."""
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        size = int(params["page_size"])
        if size > page_size_cap:
            return httpx.Response(422, json={"type": "validation_error", "status": 422})
        ids = [r["id"] for r in records]
        start = ids.index(params["after"]) + 1 if "after" in params else 0
        return httpx.Response(200, json={key: records[start : start + size], "pagination_meta": {}})

    return mock_client(handler, source="incidentio"), seen


def test_escalations_page_by_50_and_filter_on_updated_at():
    records = [
        {
            "id": f"X{n:03d}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": f"2026-01-02T00:{n % 60:02d}:00Z",
        }
        for n in range(120)
    ]
    client, seen = _after_server("escalations", records, 50)
    rows = [r for b in IncidentioConnector(client).escalations("2026-01-01T00:00:00Z") for r in b.rows]
    assert len(rows) == 120 and len({r["id"] for r in rows}) == 120
    assert [p.get("after") for p in seen] == [None, "X049", "X099", "X119"]  # the 4th page is empty
    assert {p["updated_at[gte]"] for p in seen} == {"2026-01-01T00:00:00Z"}
    assert rows[0]["updated_at"] is not None and rows[0]["created_at"] is not None


def test_incident_alerts_are_one_batch_covering_the_table_with_their_keys():
    records = [
        {"id": f"IA{n}", "alert": {"id": f"A{n}"}, "incident": {"id": f"I{n}"}, "alert_route_id": "R"}
        for n in range(60)
    ] + [{"id": "IA-broken", "alert": None, "incident": {"id": "I1"}}]
    client, seen = _after_server("incident_alerts", records, 50)
    batches = list(IncidentioConnector(client).incident_alerts())
    assert len(batches) == 1 and batches[0].covers == [CoveredSet("incident_alerts")]
    assert len(batches[0].rows) == 60 and batches[0].rows[7]["alert_id"] == "A7"
    assert batches[0].rows[7]["incident_id"] == "I7"
    assert [rid for _, rid, _, _ in batches[0].rejected] == ["IA-broken"]
    assert all(p["page_size"] == "50" for p in seen)  # required by the API


def test_catalog_entries_are_read_per_type_with_both_required_parameters():
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        if "after" in params:
            return httpx.Response(200, json={"catalog_entries": [], "pagination_meta": {}})
        entry = {"id": f"E-{params['catalog_type_id']}", "name": "x"}  # no catalog_type_id in the record
        return httpx.Response(200, json={"catalog_entries": [entry], "pagination_meta": {}})

    client = mock_client(handler, source="incidentio")
    batches = list(IncidentioConnector(client).catalog_entries(["T1", "T2"]))
    assert [b.covers for b in batches] == [
        [CoveredSet("catalog_type_entries", ("T1",))],
        [CoveredSet("catalog_type_entries", ("T2",))],
    ]
    assert [b.rows[0]["catalog_type_id"] for b in batches] == ["T1", "T2"]  # from the request
    assert all(p["page_size"] == "250" and p["catalog_type_id"] in ("T1", "T2") for p in seen)


def test_pagerduty_teams_are_offset_paged_into_one_covering_batch():
    teams = [{"id": f"PT{n}", "name": f"Team {n}"} for n in range(230)]
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        offset, limit = int(params["offset"]), int(params["limit"])
        page = teams[offset : offset + limit]
        return httpx.Response(200, json={"teams": page, "more": offset + limit < len(teams)})

    client = mock_client(handler, source="pagerduty")
    batches = list(PagerDutyConnector(client).teams())
    assert len(batches) == 1 and len(batches[0].rows) == 230
    assert batches[0].covers == [CoveredSet("teams")]
    assert [p["offset"] for p in seen] == ["0", "100", "200"]
