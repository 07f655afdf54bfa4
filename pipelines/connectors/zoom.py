"""Zoom connector: past instances of incident calls and their participants.

Traps handled: Server-to-Server OAuth tokens live an hour and have no refresh token (ask again on
expiry or on a 401); instance UUIDs that start with `/` or contain `//` must be URL-encoded twice;
a participant who rejoins is a new row (kept; merged in dbt); 429s carry `Retry-After` as an ISO time.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from pipelines.connectors.common import Batch, parse_time, shape_records
from pipelines.connectors.http import (
    ApiError,
    AuthError,
    HttpClient,
    RequestStats,
    redact_url,
    retry_after_iso,
)
from pipelines.connectors.pagination import NextPageTokenPaginator, paginate
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

log = logging.getLogger(__name__)

SOURCE = "zoom"
PARTICIPANTS_PAGE_SIZE = 300  # documented maximum

INSTANCES = RAW_TABLES_BY_NAME["zoom_meeting_instances"]
PARTICIPANTS = RAW_TABLES_BY_NAME["zoom_participants"]
USERS = RAW_TABLES_BY_NAME["zoom_users"]
USERS_PAGE_SIZE = 2000  # documented maximum of GET /users


def encode_meeting_uuid(uuid: str) -> str:
    """Zoom wants UUIDs that begin with `/` or contain `//` encoded twice, others once."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


class ZoomTokenProvider:
    """Server-to-Server OAuth: `account_credentials` grant; a new token when the old one expires."""

    def __init__(
        self,
        oauth_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        stats: RequestStats,
        *,
        timeout: float = 30.0,
    ) -> None:
        self._oauth_url = oauth_url
        self._account_id = account_id
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic = f"Basic {basic}"
        self._stats = stats
        self._timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or time.monotonic() > self._expires_at - 60:
                self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> None:
        self._stats.count("oauth/token")
        try:
            response = httpx.post(
                self._oauth_url,
                params={"grant_type": "account_credentials", "account_id": self._account_id},
                headers={"Authorization": self._basic},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise AuthError(
                SOURCE, "oauth/token", None, f"cannot reach {redact_url(self._oauth_url)}: {error}"
            ) from error
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
        self._expires_at = time.monotonic() + float(body.get("expires_in", 3599))


def make_client(
    base_url: str,
    tokens: ZoomTokenProvider,
    stats: RequestStats,
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    budget: ApiBudget | None = None,
) -> HttpClient:
    return HttpClient(
        SOURCE,
        base_url,
        auth=tokens.headers,
        on_unauthorized=tokens.invalidate,
        retry_after=lambda h: retry_after_iso(h.get("retry-after")),
        max_connections=max_connections,
        timeout=timeout,
        budget=budget,
        stats=stats,
    )


@dataclass(frozen=True)
class CallWindow:
    """An incident's call: the meeting id and the window its instances must start in (DESIGN §5b)."""

    meeting_id: str
    start: datetime
    end: datetime


class ZoomConnector:
    def __init__(self, client: HttpClient, *, concurrency: int = 8) -> None:
        self.client = client
        self.concurrency = concurrency

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

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="zoom") as pool:
            yield from pool.map(fetch, meeting_ids)

    def participants(self, instances: list[tuple[str, str]]) -> Iterator[tuple[str, Batch]]:
        """`(uuid, batch)`: every participant row of each `(meeting_id, uuid)` instance, all pages."""

        def fetch(item: tuple[str, str]) -> tuple[str, Batch]:
            meeting_id, uuid = item
            merged = Batch(PARTICIPANTS)
            path = f"/past_meetings/{encode_meeting_uuid(uuid)}/participants"
            for records, _ in paginate(
                self.client,
                path,
                "participants",
                NextPageTokenPaginator(PARTICIPANTS_PAGE_SIZE),
                endpoint="/past_meetings/{uuid}/participants",
            ):
                batch = shape_records(
                    PARTICIPANTS,
                    records,
                    "/past_meetings/{uuid}/participants",
                    lambda r: {
                        "meeting_uuid": uuid,
                        "meeting_id": meeting_id,
                        "join_time": parse_time(r.get("join_time")),
                    },
                    # No row id in the API: a join is (instance, per-join user_id, join time).
                    id_of=lambda r: (
                        f"{uuid}:{r.get('user_id') or r.get('id') or r.get('name')}:{r.get('join_time')}"
                    ),
                )
                merged.rows.extend(batch.rows)
                merged.rejected.extend(batch.rejected)
            return uuid, merged

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="zoom") as pool:
            yield from pool.map(fetch, instances)


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
