"""Slack connector: incident channels, their history and every thread, over the Web API.

Only the channels of incidents (plus configured extras) are read, never the whole workspace.
Requests go through the shared `HttpClient` (httpx, kept-alive connections: slack-sdk's urllib client
opened a new connection for every one of the ~10,000 calls of a sync), so Slack gets the same retries,
per-method budgets and counters as the other APIs. Rate limits: 429 + `Retry-After: <seconds>`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipelines.connectors.common import Batch, parse_time, shape_records, slack_ts_to_datetime
from pipelines.connectors.http import ApiError, AuthError, HttpClient, RequestStats, retry_after_seconds
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

log = logging.getLogger(__name__)

SOURCE = "slack"
HISTORY_LIMIT = 999  # documented maximum for Marketplace / internal apps (15 for non-Marketplace ones)
REPLIES_LIMIT = 1000
AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "missing_scope"}

CHANNELS = RAW_TABLES_BY_NAME["slack_channels"]
MESSAGES = RAW_TABLES_BY_NAME["slack_messages"]
USERS = RAW_TABLES_BY_NAME["slack_users"]
USERS_LIMIT = 200  # Slack's recommended page size for users.list


def make_client(
    token: str,
    base_url: str,
    stats: RequestStats,
    *,
    timeout: float = 30,
    max_connections: int = 16,
    budget: ApiBudget | None = None,
) -> HttpClient:
    return HttpClient(
        SOURCE,
        base_url,
        headers={"Authorization": f"Bearer {token}"},
        retry_after=lambda h: retry_after_seconds(h.get("retry-after")),
        timeout=timeout,
        max_connections=max_connections,
        stats=stats,
        budget=budget,
    )


class SlackConnector:
    def __init__(
        self,
        client: HttpClient,
        stats: RequestStats,
        *,
        concurrency: int = 8,
        history_limit: int = HISTORY_LIMIT,
        replies_limit: int = REPLIES_LIMIT,
    ) -> None:
        self.client = client
        self.stats = stats
        self.concurrency = concurrency
        self.history_limit = history_limit
        self.replies_limit = replies_limit

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        """One Web API call (retried by the client); `ok: false` becomes an error naming the method."""
        data = self.client.get_json(method, params=params, endpoint=method)
        if not isinstance(data, dict):
            raise ApiError(SOURCE, method, None, "malformed response: not a JSON object")
        if not data.get("ok"):
            code = data.get("error")
            needed = data.get("needed")
            message = f"{code}" + (f" (the token lacks the scope '{needed}')" if needed else "")
            cls = AuthError if code in AUTH_ERRORS else ApiError
            raise cls(SOURCE, method, None, message)
        return data

    def _pages(self, method: str, key: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        cursor: str | None = None
        while True:
            data = self._call(method, **params, **({"cursor": cursor} if cursor else {}))
            yield data.get(key) or []
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def users(self) -> Iterator[Batch]:
        for page in self._pages("users.list", "members", limit=USERS_LIMIT):
            yield shape_records(USERS, page, "users.list", lambda r: {})

    def channels(self, channel_ids: list[str]) -> Iterator[Batch]:
        def fetch(channel_id: str) -> dict[str, Any] | None:
            try:
                return self._call("conversations.info", channel=channel_id)["channel"]
            except ApiError as error:
                if isinstance(error, AuthError):
                    raise
                log.warning("slack: channel %s skipped: %s", channel_id, error)
                return None

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="slack") as pool:
            records = [c for c in pool.map(fetch, channel_ids) if c is not None]
        yield shape_records(
            CHANNELS,
            records,
            "conversations.info",
            lambda r: {"created_at": slack_ts_to_datetime(str(r["created"])) if r.get("created") else None},
        )

    def messages(
        self, channel_ids: list[str], known_threads: dict[tuple[str, str], str | None] | None = None
    ) -> Iterator[tuple[str, Batch]]:
        """`(channel, batch)`: history of each channel, then the replies of new or changed threads.

        `known_threads` maps `(channel, thread_ts)` to the `latest_reply` stored by the last sync; with
        it, a re-sync asks `conversations.replies` only for threads that changed since.
        """
        known_threads = known_threads if known_threads is not None else {}

        def fetch(channel_id: str) -> tuple[str, Batch]:
            merged = Batch(MESSAGES)
            changed_threads: list[str] = []
            for page in self._pages(
                "conversations.history", "messages", channel=channel_id, limit=self.history_limit
            ):
                for message in page:
                    if message.get("reply_count") and message.get("ts"):
                        stored = known_threads.get((channel_id, message["ts"]), "missing")
                        if stored != message.get("latest_reply"):
                            changed_threads.append(message["ts"])
                self._merge(merged, self._shape(channel_id, page, "conversations.history"))
            for thread_ts in changed_threads:
                for page in self._pages(
                    "conversations.replies",
                    "messages",
                    channel=channel_id,
                    ts=thread_ts,
                    limit=self.replies_limit,
                ):
                    self._merge(merged, self._shape(channel_id, page, "conversations.replies"))
            return channel_id, merged  # one batch per channel: parents and replies in one transaction

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="slack") as pool:
            yield from pool.map(fetch, channel_ids)

    @staticmethod
    def _merge(into: Batch, batch: Batch) -> None:
        into.rows.extend(batch.rows)
        into.rejected.extend(batch.rejected)

    @staticmethod
    def _shape(channel_id: str, messages: list[dict[str, Any]], endpoint: str) -> Batch:
        return shape_records(
            MESSAGES,
            messages,
            endpoint,
            lambda r: {
                "channel_id": channel_id,
                "ts": r["ts"],
                "thread_ts": r.get("thread_ts"),
                "posted_at": slack_ts_to_datetime(r["ts"]),
            },
            id_of=lambda r: f"{channel_id}:{r['ts']}" if r.get("ts") else None,
        )


__all__ = ["SlackConnector", "make_client", "parse_time"]
