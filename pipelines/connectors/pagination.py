"""One paginator per pagination strategy, a guard every listing passes through, and the loop.

A paginator only knows how to ask for the next page, where a request stands in the listing
(`position`: the cursor, token or offset it sends) and what total the API reported. The loop
(`paginate`) sends requests through an `HttpClient`, picks the records out of each page, and stops
when the paginator says so. `ListingGuard` stops a listing that cannot end: a position asked for
twice (the API handed back a cursor it had already given), a page it had already sent (an offset the
API ignores), or more records than the API said the listing holds
(docs/sync.md, "Listings that do not end"). Slack's cursor loop uses the same guard.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any, Protocol

import orjson

from pipelines.connectors.http import ApiError, HttpClient


class ListingStopped(ApiError):
    """A listing stopped because its cursor repeated or it outgrew its reported total.

    Raised by `ListingGuard`; the sync records it against the source and goes on with the rest.
    """


class ListingGuard:
    """Watches one listing (one endpoint, one set of filters) from its first page to its last."""

    def __init__(self, source: str, endpoint: str) -> None:
        self.source = source
        self.endpoint = endpoint
        self._positions: set[Hashable] = set()
        self._pages: set[int] = set()
        self.records = 0

    def request(self, position: Hashable) -> None:
        """Before asking for the page at `position` (None: the first page)."""
        if position in self._positions:
            raise ListingStopped(
                self.source,
                self.endpoint,
                None,
                f"listing stopped: the API returned the cursor {str(position)[:40]!r} again after "
                f"{self.records} records (it would repeat forever)",
            )
        self._positions.add(position)

    def received(self, records: Sequence[Any], total: int | None) -> None:
        """After a page; `total` is what the API says the whole listing holds (None: not said)."""
        self.records += len(records)
        if records:
            # A page is known by its size and its first and last records (cheap: two small dumps).
            fingerprint = hash((len(records), orjson.dumps(records[0]), orjson.dumps(records[-1])))
            if fingerprint in self._pages:
                raise ListingStopped(
                    self.source,
                    self.endpoint,
                    None,
                    f"listing stopped: the API sent a page of {len(records)} records it had already sent "
                    f"(after {self.records - len(records)} records; it would repeat forever)",
                )
            self._pages.add(fingerprint)
        if total is not None and self.records > total:
            raise ListingStopped(
                self.source,
                self.endpoint,
                None,
                f"listing stopped: {self.records} records received but the API reported {total} in all",
            )


class Paginator(Protocol):
    def first(self, params: dict[str, Any]) -> dict[str, Any]: ...

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        """Parameters of the next request, or None when this was the last page."""
        ...

    def position(self, params: dict[str, Any]) -> Hashable:
        """Where a request with these parameters stands in the listing (its cursor, token or offset)."""
        ...

    def total(self, page: dict[str, Any]) -> int | None:
        """How many records the API says the whole listing holds, if it says."""
        ...


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
        last = records[-1] if isinstance(records[-1], dict) else {}
        after = (page.get("pagination_meta") or {}).get("after") or last.get("id")
        return {**params, "after": after} if after else None

    def position(self, params: dict[str, Any]) -> Hashable:
        return params.get("after")

    def total(self, page: dict[str, Any]) -> int | None:
        return _int_or_none((page.get("pagination_meta") or {}).get("total_record_count"))


class WindowStartPaginator:
    """incident.io schedule entries: no `page_size`; the next page is asked for by passing
    `pagination_meta.after` back as `entry_window_start` (`entry_window_end` unchanged), and the
    listing ends when a response has no `pagination_meta` or no `after` in it.

    The cursor is opaque: it replaces the window's start, so the first request must carry a real time
    there (without a window the API answers from now on only).
    """

    def first(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("entry_window_start") or not params.get("entry_window_end"):
            raise ValueError("schedule entries need entry_window_start and entry_window_end")
        return dict(params)

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        after = (page.get("pagination_meta") or {}).get("after")
        return {**params, "entry_window_start": after} if after else None

    def position(self, params: dict[str, Any]) -> Hashable:
        return params.get("entry_window_start")

    def total(self, page: dict[str, Any]) -> int | None:
        return None


class NextPageTokenPaginator:
    """Zoom: `page_size` + `next_page_token`; an empty token ends the list."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size

    def first(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "page_size": self.page_size}

    def next(self, params: dict[str, Any], page: dict[str, Any], records: list[Any]) -> dict[str, Any] | None:
        token = page.get("next_page_token")
        return {**params, "next_page_token": token} if token else None

    def position(self, params: dict[str, Any]) -> Hashable:
        return params.get("next_page_token")

    def total(self, page: dict[str, Any]) -> int | None:
        return _int_or_none(page.get("total_records"))


class OffsetPaginator:
    """PagerDuty classic pagination: `limit` + `offset`, `more` says whether to go on.

    The offset advances by the records actually returned (as PagerDuty's own client does), and the
    paginator refuses to cross the API's `offset + limit <= max_offset` cap: callers split the time
    window instead (see `pagerduty.py`). `total` is only sent when the request asks `total=true`.
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

    def position(self, params: dict[str, Any]) -> Hashable:
        return int(params.get("offset", 0))

    def total(self, page: dict[str, Any]) -> int | None:
        return _int_or_none(page.get("total"))


class OffsetCapReached(Exception):
    """The next page would cross the API's offset cap: the caller must narrow the query."""


def paginate(
    client: HttpClient,
    path: str,
    records_key: str | tuple[str, ...],
    paginator: Paginator,
    params: dict[str, Any] | None = None,
    *,
    endpoint: str | None = None,
) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Yield `(records, page)` for every page of a list endpoint.

    `records_key` names the list in each page, or the path to it when it is nested
    (`("schedule_entries", "final")`).
    Raises `MalformedPage` (a page without its list) and `ListingStopped` (a repeated cursor, or more
    records than the reported total), both naming the endpoint; pages already yielded stay valid.
    """
    name = endpoint or path
    keys = (records_key,) if isinstance(records_key, str) else records_key
    guard = ListingGuard(client.source, name)
    request_params: dict[str, Any] | None = paginator.first(dict(params or {}))
    while request_params is not None:
        guard.request(paginator.position(request_params))
        page = client.get_json(path, params=request_params, endpoint=name)
        records = _records_at(page, keys)
        if not isinstance(page, dict) or not isinstance(records, list):
            raise MalformedPage(client.source, name, f"no '{'.'.join(keys)}' list in the response")
        guard.received(records, paginator.total(page))
        yield records, page
        request_params = paginator.next(request_params, page, records)


def _records_at(page: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(page, dict):
            return None
        page = page.get(key)
    return page


class MalformedPage(Exception):
    def __init__(self, source: str, endpoint: str, reason: str) -> None:
        super().__init__(f"{source} {endpoint}: malformed page: {reason}")
