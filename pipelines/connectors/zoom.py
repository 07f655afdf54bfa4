"""Zoom connector: past instances of incident calls and their participants.

Traps handled: Server-to-Server OAuth tokens live an hour and have no refresh token (ask again on
expiry or on a 401); instance UUIDs that start with `/` or contain `//` must be URL-encoded twice;
a participant who rejoins is a new row (kept; merged in dbt); 429s carry `Retry-After` as an ISO time.
This module is also the one home of the rule that finds a meeting id in an incident's call URL.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from pipelines.connectors.common import Batch, CoveredSet, parse_time, shape_records
from pipelines.connectors.http import (
    ApiError,
    AuthError,
    HttpClient,
    RequestStats,
    redact_url,
    retry_after_iso,
)
from pipelines.connectors.pagination import ListingStopped, NextPageTokenPaginator, paginate
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal
from pipelines.connectors.workers import DaemonPool

log = logging.getLogger(__name__)

SOURCE = "zoom"
PARTICIPANTS_PAGE_SIZE = 300  # documented maximum

USERS_PAGE_SIZE = 2000  # documented maximum of GET /users
# Entities this connector yields (the ingest layer maps them to raw tables).
USERS, INSTANCES, PARTICIPANTS = "users", "meeting_instances", "participants"
# A token is replaced this long before it expires: a minute, or a tenth of a short token's lifetime.
TOKEN_MARGIN_SECONDS = 60.0
TOKEN_MARGIN_SHARE = 0.1

# A Zoom join URL (`https://zoom.us/j/93398114182?pwd=…`, `https://acme.zoom.us/j/…`): the meeting id is
# the 9 to 12 digits after `/j/`.
ZOOM_JOIN_URL = re.compile(r"/j/(\d{9,12})")


# Zoom's codes for a token without the scope an endpoint needs (sent with HTTP 400).
MISSING_SCOPE_CODES = frozenset({4700, 4711})


def zoom_status(status: int, content: bytes) -> int:
    """HTTP 400 with a missing-scope code is a refused permission: 403, like the other APIs."""
    if status != 400:
        return status
    try:
        code = orjson.loads(content).get("code")
    except (orjson.JSONDecodeError, AttributeError):
        return status
    return 403 if code in MISSING_SCOPE_CODES else status


def zoom_meeting_id(call_url: str | None) -> str | None:
    """The numeric meeting id in a Zoom join URL, else None (no URL, or not a Zoom join link).

    The one place this rule lives: the incident.io connector stores its result in the typed column
    `raw.incidentio_incidents.zoom_meeting_id`, which the Zoom sync and dbt read.
    """
    if not call_url or not isinstance(call_url, str):
        return None
    match = ZOOM_JOIN_URL.search(call_url)
    return match.group(1) if match else None


def encode_meeting_uuid(uuid: str) -> str:
    """Zoom wants UUIDs that begin with `/` or contain `//` encoded twice, others once."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


class ZoomTokenProvider:
    """Server-to-Server OAuth: `account_credentials` grant; a new token shortly before the old expires.

    "Shortly" is a minute, or a tenth of the token's lifetime when that is shorter, so a token of any
    `expires_in` is fetched once per lifetime (a 401 still invalidates it at once). The request goes
    through the API's own `httpx.Client` (`bind`), so tests reach it through the same transport seam.
    """

    def __init__(
        self,
        oauth_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        stats: RequestStats,
        *,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._oauth_url = oauth_url
        self._account_id = account_id
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic = f"Basic {basic}"
        self._stats = stats
        self._timeout = timeout
        self._http = http
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()

    def bind(self, http: httpx.Client) -> None:
        """Send token requests through `http` (the Zoom API client's pooled connections)."""
        self._http = http

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or time.monotonic() >= self._refresh_at:
                self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> None:
        self._stats.count("oauth/token")
        http = self._http or httpx.Client(timeout=self._timeout)
        try:
            response = http.post(
                self._oauth_url,
                params={"grant_type": "account_credentials", "account_id": self._account_id},
                headers={"Authorization": self._basic},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise AuthError(
                SOURCE, "oauth/token", None, f"cannot reach {redact_url(self._oauth_url)}: {error}"
            ) from error
        finally:
            if http is not self._http:
                http.close()
        if response.status_code != 200:
            raise AuthError(
                SOURCE,
                "oauth/token",
                response.status_code,
                "the Server-to-Server OAuth app was refused a token: check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID "
                "and ZOOM_CLIENT_SECRET, and that the app is activated",
            )
        body = response.json()
        self._token = body["access_token"]
        try:
            lifetime = max(0.0, float(body.get("expires_in", 3599)))
        except (TypeError, ValueError):
            lifetime = 3599.0  # Zoom's documented lifetime
        self._refresh_at = (
            time.monotonic() + lifetime - min(TOKEN_MARGIN_SECONDS, TOKEN_MARGIN_SHARE * lifetime)
        )


def make_client(
    base_url: str,
    tokens: ZoomTokenProvider,
    stats: RequestStats,
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    budget: ApiBudget | None = None,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> HttpClient:
    """The Zoom client: OAuth bearer tokens from `tokens` (sent through this client's own
    `httpx.Client`), `Retry-After` as an ISO time."""
    client = HttpClient(
        SOURCE,
        base_url,
        auth=tokens.headers,
        on_unauthorized=tokens.invalidate,
        retry_after=lambda h: retry_after_iso(h.get("retry-after")),
        max_connections=max_connections,
        timeout=timeout,
        budget=budget,
        stats=stats,
        stop=stop,
        transport=transport,
        status_of=zoom_status,
    )
    tokens.bind(client.http)
    return client


@dataclass(frozen=True)
class CallWindow:
    """An incident's call: the meeting id and the window its instances must start in
    (docs/metrics.md#linking-the-tools)."""

    meeting_id: str
    start: datetime
    end: datetime


class ZoomConnector:
    def __init__(self, client: HttpClient, *, concurrency: int = 8) -> None:
        self.client = client
        self.concurrency = concurrency
        # Listings stopped by their guard (a repeated token), one line each, for the source's summary.
        self.stopped: list[str] = []

    def users(self) -> Iterator[Batch]:
        for status in ("active", "inactive"):
            for records, _ in paginate(
                self.client, "/users", "users", NextPageTokenPaginator(USERS_PAGE_SIZE), {"status": status}
            ):
                # Pending users have no id yet: they are keyed by email.
                yield shape_records(
                    USERS, records, "/users", lambda r: {}, id_of=lambda r: r.get("id") or r.get("email")
                )

    def instances(self, meeting_ids: list[str]) -> Iterator[Batch]:
        def fetch(meeting_id: str) -> Batch:
            try:
                page = self.client.get_json(
                    f"/past_meetings/{meeting_id}/instances", endpoint="/past_meetings/{id}/instances"
                )
            except ApiError as error:
                if error.status not in (400, 404):
                    raise
                # A deleted meeting (404, code 3001) or one over Zoom's history limit (400, code 12702):
                # nothing to read, and no reason to stop the other meetings. Logged by the caller.
                log.warning("zoom: meeting %s skipped: %s", meeting_id, error)
                return Batch(INSTANCES)
            meetings = page.get("meetings") if isinstance(page, dict) else None
            if not isinstance(meetings, list):
                batch = Batch(INSTANCES)
                batch.rejected.append(("/past_meetings/{id}/instances", meeting_id, "malformed page", page))
                return batch
            return shape_records(
                INSTANCES,
                meetings,
                "/past_meetings/{id}/instances",
                lambda r: {"meeting_id": meeting_id, "start_time": parse_time(r.get("start_time"))},
                id_of=lambda r: r.get("uuid"),
            )

        with DaemonPool(self.concurrency, "zoom") as pool:
            yield from pool.map(fetch, meeting_ids)

    def participants(self, instances: list[tuple[str, str]]) -> Iterator[tuple[str, Batch]]:
        """`(uuid, batch)`: every participant row of each `(meeting_id, uuid)` instance, all pages.

        A complete read covers the instance (`covers`); a listing stopped by its guard keeps what it
        read, covers nothing, and is reported in `stopped` while the other instances go on.
        """

        def fetch(item: tuple[str, str]) -> tuple[str, Batch]:
            meeting_id, uuid = item
            merged = Batch(PARTICIPANTS)
            path = f"/past_meetings/{encode_meeting_uuid(uuid)}/participants"
            pages = paginate(
                self.client,
                path,
                "participants",
                NextPageTokenPaginator(PARTICIPANTS_PAGE_SIZE),
                endpoint="/past_meetings/{uuid}/participants",
            )
            try:
                for records, _ in pages:
                    merged.merge(shape_participants(meeting_id, uuid, records))
            except ListingStopped as error:
                line = f"{error} (meeting {meeting_id}, instance {uuid})"
                log.error("%s", line)
                self.stopped.append(line)
                return uuid, merged
            merged.covers.append(CoveredSet("instance_participants", (uuid,)))
            return uuid, merged

        with DaemonPool(self.concurrency, "zoom") as pool:
            yield from pool.map(fetch, instances)


def shape_participants(meeting_id: str, uuid: str, records: list[Any]) -> Batch:
    """Participant rows of one instance; a join is keyed (instance, per-join user_id, join time)."""
    return shape_records(
        PARTICIPANTS,
        records,
        "/past_meetings/{uuid}/participants",
        lambda r: {
            "meeting_uuid": uuid,
            "meeting_id": meeting_id,
            "join_time": parse_time(r.get("join_time")),
        },
        # No row id in the API: a join is (instance, per-join user_id, join time).
        id_of=lambda r: f"{uuid}:{r.get('user_id') or r.get('id') or r.get('name')}:{r.get('join_time')}",
    )


def instances_in_windows(instances: list[dict[str, Any]], windows: list[CallWindow]) -> list[tuple[str, str]]:
    """The `(meeting_id, uuid)` of instances that started inside one of their meeting's incident windows."""
    by_meeting: dict[str, list[CallWindow]] = {}
    for window in windows:
        by_meeting.setdefault(window.meeting_id, []).append(window)
    selected = []
    for instance in instances:
        start = parse_time(instance.get("start_time"))
        meeting_id = str(instance.get("meeting_id"))
        if start is None:
            continue
        if any(w.start <= start <= w.end for w in by_meeting.get(meeting_id, [])):
            selected.append((meeting_id, instance["uuid"]))
    return selected
