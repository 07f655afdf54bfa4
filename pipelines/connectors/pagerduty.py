"""PagerDuty connector: incidents since a start date, their log entries, services and users.

Traps handled: classic offset paging refuses `offset + limit > 10000`, so the time range is cut
into windows and a window too full to page through is halved until it fits; `/incidents` accepts
at most a 6-month range; 429s carry `ratelimit-reset` in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pipelines.connectors.common import Batch, parse_time, shape_records
from pipelines.connectors.http import ApiError, HttpClient, RequestStats, retry_after_seconds
from pipelines.connectors.pagination import OffsetCapReached, OffsetPaginator, paginate
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

SOURCE = "pagerduty"
LIMIT = 100  # documented maximum
OFFSET_CAP = 10_000
WINDOW = timedelta(days=30)  # well inside the 6-month maximum of GET /incidents

INCIDENTS = RAW_TABLES_BY_NAME["pagerduty_incidents"]
LOG_ENTRIES = RAW_TABLES_BY_NAME["pagerduty_log_entries"]
SERVICES = RAW_TABLES_BY_NAME["pagerduty_services"]
USERS = RAW_TABLES_BY_NAME["pagerduty_users"]


def make_client(token: str, base_url: str, *, max_connections: int = 8, timeout: float = 30.0) -> HttpClient:
    return HttpClient(
        SOURCE,
        base_url,
        headers={
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
        retry_after=lambda h: retry_after_seconds(h.get("ratelimit-reset") or h.get("retry-after")),
        max_connections=max_connections,
        timeout=timeout,
        stats=RequestStats(),
    )


def time_windows(start: datetime, end: datetime, size: timedelta = WINDOW) -> list[tuple[datetime, datetime]]:
    windows = []
    while start < end:
        windows.append((start, min(start + size, end)))
        start += size
    return windows


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class PagerDutyConnector:
    def __init__(self, client: HttpClient, *, concurrency: int = 6, window: timedelta = WINDOW) -> None:
        self.client = client
        self.concurrency = concurrency
        self.window = window

    def _window_records(
        self, path: str, key: str, since: datetime, until: datetime, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """All records of one window, halving the window when it holds more than the offset cap allows."""
        records: list[dict[str, Any]] = []
        window_params = {**params, "since": _iso(since), "until": _iso(until)}
        try:
            for page_records, _ in paginate(
                self.client, path, key, OffsetPaginator(LIMIT, max_offset=OFFSET_CAP), window_params
            ):
                records.extend(page_records)
        except OffsetCapReached:
            middle = since + (until - since) / 2
            if middle - since < timedelta(seconds=1):
                raise
            return self._window_records(path, key, since, middle, params) + self._window_records(
                path, key, middle, until, params
            )
        return records

    def _windows(
        self, path: str, key: str, start: datetime, end: datetime, params: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="pagerduty") as pool:
            yield from pool.map(
                lambda w: self._window_records(path, key, w[0], w[1], params),
                time_windows(start, end, self.window),
            )

    def incidents(self, start: datetime, end: datetime) -> Iterator[Batch]:
        params = {"sort_by": "created_at:asc", "time_zone": "UTC"}
        for records in self._windows("/incidents", "incidents", start, end, params):
            yield shape_records(
                INCIDENTS,
                records,
                "/incidents",
                lambda r: {
                    "created_at": parse_time(r.get("created_at")),
                    "updated_at": parse_time(r.get("updated_at")),
                },
            )

    def incidents_by_id(self, incident_ids: list[str]) -> Iterator[Batch]:
        """Re-read incidents that were open: `since` filters on creation, so a later resolve is
        invisible to a windowed listing of new incidents."""

        def fetch(incident_id: str) -> dict[str, Any] | None:
            try:
                return self.client.get_json(f"/incidents/{incident_id}", endpoint="/incidents/{id}")[
                    "incident"
                ]
            except ApiError as error:
                if error.status == 404:
                    return None  # deleted or merged away: the raw row keeps its last state
                raise

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="pagerduty") as pool:
            records = [r for r in pool.map(fetch, incident_ids) if r is not None]
        yield shape_records(
            INCIDENTS,
            records,
            "/incidents/{id}",
            lambda r: {
                "created_at": parse_time(r.get("created_at")),
                "updated_at": parse_time(r.get("updated_at")),
            },
        )

    def services(self) -> Iterator[Batch]:
        for records, _ in paginate(self.client, "/services", "services", OffsetPaginator(LIMIT)):
            yield shape_records(SERVICES, records, "/services", lambda r: {})

    def users(self) -> Iterator[Batch]:
        for records, _ in paginate(self.client, "/users", "users", OffsetPaginator(LIMIT)):
            yield shape_records(USERS, records, "/users", lambda r: {})

    def log_entries(self, start: datetime, end: datetime) -> Iterator[Batch]:
        """Account-wide log entries by time window: one request per 100 entries, not one per incident."""
        params = {"time_zone": "UTC", "is_overview": "false"}
        for records in self._windows("/log_entries", "log_entries", start, end, params):
            yield shape_records(
                LOG_ENTRIES,
                records,
                "/log_entries",
                lambda r: {
                    "incident_id": (r.get("incident") or {}).get("id"),
                    "created_at": parse_time(r.get("created_at")),
                },
            )


__all__ = ["PagerDutyConnector", "RequestStats", "make_client", "time_windows"]
