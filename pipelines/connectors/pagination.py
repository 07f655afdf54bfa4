"""One paginator per pagination strategy, and the loop that drives them.

A paginator only knows how to ask for the next page; the loop (`paginate`) sends requests through
an `HttpClient`, picks the records out of each page and stops when the paginator says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from pipelines.connectors.http import HttpClient


class Paginator(Protocol):
    def first(self, params: dict[str, Any]) -> dict[str, Any]: ...

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        """Parameters of the next request, or None when this was the last page."""
        ...


class AfterCursorPaginator:
    """incident.io: `page_size` + `after=<id of the last record>`; the end is an *empty* page.

    `pagination_meta.after` is not trusted to be absent on the last page: the official tap stops
    on an empty page, and so do we.
    """

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def first(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "page_size": self.page_size}

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        if not records:
            return None
        after = (page.get("pagination_meta") or {}).get("after") or records[-1].get("id")
        return {**params, "after": after} if after else None


class NextPageTokenPaginator:
    """Zoom: `page_size` + `next_page_token`; an empty token ends the list."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def first(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "page_size": self.page_size}

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        token = page.get("next_page_token")
        return {**params, "next_page_token": token} if token else None


class OffsetPaginator:
    """PagerDuty classic pagination: `limit` + `offset`, `more` says whether to go on.

    The offset advances by the records actually returned (as PagerDuty's own client does), and the
    paginator refuses to cross the API's `offset + limit <= max_offset` cap: callers split the time
    window instead (see `pagerduty.py`).
    """

    def __init__(self, limit: int, max_offset: int | None = None) -> None:
        self.limit = limit
        self.max_offset = max_offset

    def first(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "limit": self.limit, "offset": 0}

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        if not page.get("more") or not records:
            return None
        offset = int(params.get("offset", 0)) + len(records)
        if self.max_offset is not None and offset + self.limit > self.max_offset:
            raise OffsetCapReached(offset)
        return {**params, "offset": offset}


class OffsetCapReached(Exception):
    """The next page would cross the API's offset cap: the caller must narrow the query."""


def paginate(
    client: HttpClient,
    path: str,
    records_key: str,
    paginator: Paginator,
    params: dict[str, Any] | None = None,
    *,
    endpoint: str | None = None,
) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Yield `(records, page)` for every page of a list endpoint."""
    request_params: dict[str, Any] | None = paginator.first(dict(params or {}))
    while request_params is not None:
        page = client.get_json(path, params=request_params, endpoint=endpoint or path)
        if not isinstance(page, dict) or not isinstance(page.get(records_key), list):
            raise MalformedPage(client.source, endpoint or path, f"no '{records_key}' list in the response")
        records = page[records_key]
        yield records, page
        request_params = paginator.next(request_params, page, records)


class MalformedPage(Exception):
    def __init__(self, source: str, endpoint: str, reason: str) -> None:
        super().__init__(f"{source} {endpoint}: malformed page: {reason}")
