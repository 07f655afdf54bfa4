"""Each paginator's stopping rule, driven through the real loop, and the guard against listings that
never end (a cursor handed back again, or more records than the API said it holds)."""

from __future__ import annotations

import httpx
import pytest
from http_support import mock_client

from pipelines.connectors.pagination import (
    AfterCursorPaginator,
    ListingStopped,
    MalformedPage,
    NextPageTokenPaginator,
    OffsetCapReached,
    OffsetPaginator,
    paginate,
)


def _serve(pages_by_key, key_param):
    seen = []

    def handler(request):
        params = dict(request.url.params)
        seen.append(params)
        return httpx.Response(200, json=pages_by_key[params.get(key_param, "")])

    return mock_client(handler, source="t", base_url="http://x"), seen


def test_after_cursor_stops_on_an_empty_page_even_when_meta_says_more():
    pages = {
        "": {"items": [{"id": "a"}, {"id": "b"}], "pagination_meta": {"after": "b"}},
        "b": {"items": [{"id": "c"}], "pagination_meta": {"after": "c"}},
        "c": {"items": [], "pagination_meta": {"after": "c"}},
    }
    client, seen = _serve(pages, "after")
    records = [r for page, _ in paginate(client, "/v2/x", "items", AfterCursorPaginator(250)) for r in page]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert [p.get("after") for p in seen] == [None, "b", "c"]
    assert all(p["page_size"] == "250" for p in seen)


def test_next_page_token_ends_on_empty_token():
    pages = {"": {"p": [1, 2], "next_page_token": "t2"}, "t2": {"p": [3], "next_page_token": ""}}
    client, _ = _serve(pages, "next_page_token")
    pages_seen = paginate(client, "/x", "p", NextPageTokenPaginator(300))
    assert [r for page, _ in pages_seen for r in page] == [1, 2, 3]


def test_offset_advances_by_records_returned_and_stops_on_more_false():
    pages = {
        "0": {"incidents": [1, 2, 3], "more": True},
        "3": {"incidents": [4], "more": False},
    }
    client, seen = _serve(pages, "offset")
    pages_seen = paginate(client, "/incidents", "incidents", OffsetPaginator(100))
    assert [r for page, _ in pages_seen for r in page] == [1, 2, 3, 4]
    assert [p["offset"] for p in seen] == ["0", "3"]


def test_offset_paginator_refuses_to_cross_the_cap():
    paginator = OffsetPaginator(100, max_offset=10_000)
    with pytest.raises(OffsetCapReached):
        paginator.next({"offset": 9_900, "limit": 100}, {"more": True}, list(range(100)))
    # 9,800 + 100 returned = 9,900, and 9,900 + 100 <= 10,000 is still allowed
    assert paginator.next({"offset": 9_800}, {"more": True}, list(range(100))) == {"offset": 9_900}


def test_a_page_without_its_list_is_reported_as_malformed():
    client, _ = _serve({"": {"unexpected": True}}, "after")
    with pytest.raises(MalformedPage, match="no 'items' list"):
        list(paginate(client, "/v2/x", "items", AfterCursorPaginator(250)))


@pytest.mark.parametrize(
    ("paginator", "key_param", "pages"),
    [
        # incident.io: `pagination_meta.after` stuck on the same id
        (
            AfterCursorPaginator(2),
            "after",
            {
                "": {"items": [{"id": "a"}, {"id": "b"}], "pagination_meta": {"after": "b"}},
                "b": {"items": [{"id": "c"}], "pagination_meta": {"after": "b"}},
            },
        ),
        # Zoom: the same `next_page_token` every time (the field case)
        (
            NextPageTokenPaginator(300),
            "next_page_token",
            {
                "": {"items": [{"id": "u1"}], "next_page_token": "STUCK"},
                "STUCK": {"items": [{"id": "u2"}], "next_page_token": "STUCK"},
            },
        ),
    ],
)
def test_a_cursor_handed_back_again_stops_the_listing_naming_the_endpoint(paginator, key_param, pages):
    client, seen = _serve(pages, key_param)
    got = []
    with pytest.raises(ListingStopped, match=r"t /past_meetings/\{uuid\}/participants: listing stopped"):
        for records, _ in paginate(
            client, "/x", "items", paginator, endpoint="/past_meetings/{uuid}/participants"
        ):
            got.extend(records)
    assert len(seen) == 2  # stopped before asking for the repeated cursor a second time
    assert [r["id"] for r in got] == [r["id"] for p in pages.values() for r in p["items"]]


def test_an_offset_that_does_not_advance_stops_the_listing():
    # A page that says `more` but whose records move nothing: offset 0 asked twice.
    calls = []

    def handler(request):
        calls.append(request.url.params.get("offset"))
        return httpx.Response(200, json={"incidents": [], "more": True})

    client = mock_client(handler)

    class Stuck(OffsetPaginator):
        def next(self, params, page, records):  # an API that keeps sending offset 0 back
            return {**params, "offset": 0} if page.get("more") else None

    with pytest.raises(ListingStopped, match="/incidents: listing stopped"):
        list(paginate(client, "/incidents", "incidents", Stuck(100)))
    assert calls == ["0"]


def test_a_listing_that_outgrows_the_total_the_api_reported_is_stopped():
    def handler(request):
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"log_entries": [{"id": offset}], "more": True, "total": 3})

    client = mock_client(handler)
    got = []
    with pytest.raises(ListingStopped, match="4 records received but the API reported 3"):
        for records, _ in paginate(client, "/log_entries", "log_entries", OffsetPaginator(1)):
            got.extend(records)
    assert [r["id"] for r in got] == [0, 1, 2]
