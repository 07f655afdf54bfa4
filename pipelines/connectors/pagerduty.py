"""PagerDuty connector: incidents since a start date, their log entries, services and users.

Traps handled: classic offset paging refuses `offset + limit > 10000`, so the time range is cut
into windows and a window too full to page through is halved until it fits; `/incidents` accepts
at most a 6-month range; 429s carry `ratelimit-reset` in seconds. Records are yielded per entity;
the ingest layer maps entities to raw tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx

from pipelines.connectors.common import ApiTotal, Batch, CoveredSet, parse_time, shape_records
from pipelines.connectors.http import ApiError, HttpClient, RequestStats, retry_after_seconds
from pipelines.connectors.pagination import ListingStopped, OffsetCapReached, OffsetPaginator, paginate
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal
from pipelines.connectors.workers import DaemonPool

SOURCE = "pagerduty"
LIMIT = 100  # documented maximum
OFFSET_CAP = 10_000
WINDOW = timedelta(days=30)  # well inside the 6-month maximum of GET /incidents
SPLIT_FILL = 0.7  # split a too-full window into parts of ~70 % of the cap: records are not spread evenly

# Entities this connector yields (the ingest layer maps them to raw tables).
INCIDENTS, LOG_ENTRIES, SERVICES, USERS, ONCALLS = "incidents", "log_entries", "services", "users", "oncalls"
TEAMS = "teams"


def make_client(
    token: str,
    base_url: str,
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    budget: ApiBudget | None = None,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> HttpClient:
    """The PagerDuty client: `Token token=` auth, REST API v2, `ratelimit-reset` seconds on a 429."""
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
        budget=budget,
        stats=RequestStats(),
        stop=stop,
        transport=transport,
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
        # What the API said each listing holds (`total=true` on the first page of each window).
        self.totals: list[ApiTotal] = []

    def _window_records(
        self, path: str, key: str, since: datetime, until: datetime, params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int | None, ListingStopped | None]:
        """The records of one window, the window's `total` as the API reported it on the first page, and
        the `ListingStopped` that cut the window short (its records up to there are kept), if any.

        A window holding more than the offset cap lets through is split: at once when the first page's
        `total` says so (into as many parts as needed), else when paging reaches the cap (halved). Paging
        a full window to the cap first and then re-reading its halves cost O(n log n) requests.
        """
        records: list[dict[str, Any]] = []
        total: int | None = None
        window_params = {**params, "since": _iso(since), "until": _iso(until), "total": "true"}
        parts = 2
        try:
            for page_records, page in paginate(
                self.client, path, key, OffsetPaginator(LIMIT, max_offset=OFFSET_CAP), window_params
            ):
                if total is None and isinstance(page.get("total"), int):
                    total = page["total"]
                    if total > OFFSET_CAP:
                        parts = math.ceil(total / (OFFSET_CAP * SPLIT_FILL))
                        raise OffsetCapReached(0)
                records.extend(page_records)
        except ListingStopped as stopped:
            return records, total, stopped
        except OffsetCapReached:
            step = (until - since) / parts
            if step < timedelta(seconds=1):
                raise
            bounds = [since + step * k for k in range(parts)] + [until]
            split: list[dict[str, Any]] = []
            first_stop: ListingStopped | None = None
            for lo, hi in itertools.pairwise(bounds):
                part, _, part_stop = self._window_records(path, key, lo, hi, params)
                split.extend(part)
                first_stop = first_stop or part_stop
            return split, total, first_stop
        return records, total, None

    def _windows(
        self,
        path: str,
        key: str,
        start: datetime,
        end: datetime,
        params: dict[str, Any],
    ) -> Iterator[list[dict[str, Any]]]:
        """Records of each window in turn; the windows' totals add up to the records created in
        [start, end), recorded for the totals check."""
        totals: list[int | None] = []
        stops: list[ListingStopped] = []
        with DaemonPool(self.concurrency, "pagerduty") as pool:
            for records, total, stopped in pool.map(
                lambda w: self._window_records(path, key, w[0], w[1], params),
                time_windows(start, end, self.window),
            ):
                totals.append(total)
                if stopped is not None:
                    stops.append(stopped)
                yield records  # a stopped window's pages read before the stop are kept
        if stops:
            # After every other window: one window that does not end must not cost the others.
            raise ListingStopped(
                self.client.source, path, None, f"{len(stops)} of {len(totals)} time windows: {stops[0]}"
            )
        if totals and all(t is not None for t in totals):
            self.totals.append(
                ApiTotal(key, "created_at", start, end, sum(t for t in totals if t is not None))
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
                page = self.client.get_json(f"/incidents/{incident_id}", endpoint="/incidents/{id}")
            except ApiError as error:
                if error.status == 404:
                    return None  # deleted or merged away: the raw row keeps its last state
                raise
            incident = page.get("incident") if isinstance(page, dict) else None
            return incident if isinstance(incident, dict) else {"malformed": page}

        with DaemonPool(self.concurrency, "pagerduty") as pool:
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

    def teams(self) -> Iterator[Batch]:
        """GET /teams, every page in one batch that covers the whole table (a team deleted in PagerDuty
        is marked deleted). Membership is not here: it is each user's `teams[]`."""
        batch = Batch(TEAMS)
        for records, _ in paginate(self.client, "/teams", "teams", OffsetPaginator(LIMIT)):
            batch.merge(shape_records(TEAMS, records, "/teams", lambda r: {}))
        batch.covers.append(CoveredSet(TEAMS))
        yield batch

    def oncalls(self, start: datetime, end: datetime) -> Iterator[Batch]:
        """On-call shifts overlapping [start, end): one listing (a year is ~100 shifts per policy and level;
        halved like the others if it ever passes the offset cap). Time windows would read every shift
        that crosses a window edge twice."""
        records, _, stopped = self._window_records("/oncalls", "oncalls", start, end, {"time_zone": "UTC"})
        yield shape_records(
            ONCALLS,
            records,
            "/oncalls",
            lambda r: {
                "user_id": (r.get("user") or {}).get("id"),
                "escalation_policy_id": (r.get("escalation_policy") or {}).get("id"),
                "escalation_level": r.get("escalation_level"),
                "start_at": parse_time(r.get("start")),
                "end_at": parse_time(r.get("end")),
            },
            id_of=_oncall_id,
        )
        if stopped is not None:
            raise stopped

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


def _oncall_id(record: dict[str, Any]) -> str | None:
    """On-calls have no id: a shift is (policy, level, schedule, user, start); a permanent one, no start."""
    user = (record.get("user") or {}).get("id")
    policy = (record.get("escalation_policy") or {}).get("id")
    if not user or not policy:
        return None
    schedule = (record.get("schedule") or {}).get("id") or "direct"
    return f"{policy}:{record.get('escalation_level')}:{schedule}:{user}:{record.get('start') or 'permanent'}"


__all__ = ["PagerDutyConnector", "RequestStats", "make_client", "time_windows"]
