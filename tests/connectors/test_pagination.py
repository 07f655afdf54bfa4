"""Each paginator's stopping rule, driven through the real loop."""

from __future__ import annotations

import httpx
import pytest
from http_support import fake_transport

from pipelines.connectors.http import HttpClient
from pipelines.connectors.pagination import (
    AfterCursorPaginator,
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

    return HttpClient("t", "http://x", transport=fake_transport(handler)), seen


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
