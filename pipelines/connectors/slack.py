"""Slack connector: incident channels, their history and every thread, over the Web API.

Only the channels of incidents (plus configured extras) are read, never the whole workspace.
Requests go through slack-sdk's `WebClient` with its retry handlers (rate limits, connection errors,
server errors), made stop-aware and paced by our `RequestPolicy`: the per-method budget (`ApiBudget`)
before every attempt, a 429's `Retry-After: <seconds>` pausing every thread, and more attempts for what
slack-sdk gives up on (timeouts, cut-off bodies). Records are yielded per entity; which raw table they
go to is the ingest layer's business.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest as RetryHttpRequest
from slack_sdk.http_retry.response import HttpResponse as RetryHttpResponse
from slack_sdk.http_retry.state import RetryState

from pipelines.connectors.common import Batch, CoveredSet, parse_time, shape_records, slack_ts_to_datetime
from pipelines.connectors.http import (
    ApiError,
    AuthError,
    RequestPolicy,
    RequestStats,
    RetryableError,
    retry_after_seconds,
)
from pipelines.connectors.pagination import ListingGuard, ListingStopped
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal
from pipelines.connectors.workers import DaemonPool

log = logging.getLogger(__name__)
# slack-sdk logs every transient failure it retries; ours are reported once, by endpoint, by the policy.
_SDK_LOG = logging.getLogger(f"{__name__}.sdk")
_SDK_LOG.setLevel(logging.CRITICAL)

SOURCE = "slack"
HISTORY_LIMIT = 999  # documented maximum for Marketplace / internal apps (15 for non-Marketplace ones)
REPLIES_LIMIT = 1000
AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked"}
# The token works but may not do this: an optional method is skipped (docs/sync.md, "Permissions").
PERMISSION_ERRORS = {"missing_scope", "not_allowed_token_type", "no_permission", "access_denied"}
USERS_LIMIT = 200  # Slack's recommended page size for users.list

# Entities this connector yields (the ingest layer maps them to raw tables).
USERS, CHANNELS, MESSAGES = "users", "channels", "messages"


class _PolicyAware(RetryHandler):
    """slack-sdk's handlers, with every wait stop-aware and budgeted, and every retry counted."""

    policy: RequestPolicy
    stats: RequestStats

    def bind(self, policy: RequestPolicy, stats: RequestStats) -> _PolicyAware:
        self.policy, self.stats = policy, stats
        return self

    def _wait(self, request: RetryHttpRequest, seconds: float, *, rate_limited: bool) -> None:
        method = request.url.rsplit("/", 1)[-1].split("?", 1)[0]
        self.stats.count(method, retry=True, rate_limited=rate_limited)
        self.policy.stop.sleep(seconds)
        self.policy.before_request(method)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: RetryHttpRequest,
        response: RetryHttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._wait(
            request,
            self.interval_calculator.calculate_sleep_duration(state.current_attempt),
            rate_limited=False,
        )
        state.increment_current_attempt()


class _RateLimitHandler(_PolicyAware, RateLimitErrorRetryHandler):
    """A 429: every thread of this API waits what Slack asked (`Retry-After`, seconds), then retries."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: RetryHttpRequest,
        response: RetryHttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        values = {k.lower(): v for k, v in (response.headers if response else {}).items()}
        header = values.get("retry-after")
        asked = retry_after_seconds(header[0] if isinstance(header, list) else header)
        self.policy.pause(asked if asked is not None else 1.0)
        self._wait(request, 0.0, rate_limited=True)  # before_request waits out the pause
        state.increment_current_attempt()


class _ConnectionErrorHandler(_PolicyAware, ConnectionErrorRetryHandler):
    pass


class _ServerErrorHandler(_PolicyAware, ServerErrorRetryHandler):
    pass


class SlackWebApi:
    """One `WebClient` for one workspace, behind our `RequestPolicy`.

    `call(method, **params)` returns the response body; raises `AuthError` (bad token), `ApiError`
    (status 403 for a missing scope, else the Slack error code) or `Stopped`.
    """

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        stats: RequestStats | None = None,
        budget: ApiBudget | None = None,
        stop: StopSignal | None = None,
        max_attempts: int = 8,
        max_delay: float = 60.0,
    ) -> None:
        self.source = SOURCE
        self.stats = stats or RequestStats()
        self.policy = RequestPolicy(
            SOURCE, budget=budget, stop=stop, max_attempts=max_attempts, max_delay=max_delay
        )
        handlers: list[RetryHandler] = [
            _RateLimitHandler(max_retry_count=max_attempts).bind(self.policy, self.stats),
            _ConnectionErrorHandler(max_retry_count=2).bind(self.policy, self.stats),
            _ServerErrorHandler(max_retry_count=2).bind(self.policy, self.stats),
        ]
        self.web = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes seconds as a float
            retry_handlers=handlers,
            logger=_SDK_LOG,
        )

    @property
    def stop(self) -> StopSignal:
        return self.policy.stop

    def close(self) -> None:
        """Nothing to release: slack-sdk opens a connection per request."""

    def __enter__(self) -> SlackWebApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.policy.run(method, lambda retry: self._call_once(method, params, retry=retry))

    def _call_once(self, method: str, params: dict[str, Any], *, retry: bool) -> dict[str, Any]:
        self.policy.before_request(method)
        self.stats.count(method, retry=retry)
        try:
            data = self.web.api_call(method, http_verb="GET", params=params).data
        except SlackApiError as error:
            data = error.response.data if isinstance(error.response.data, dict) else {}
            status = error.response.status_code
            if status == 429:
                asked = retry_after_seconds(
                    error.response.headers.get("retry-after") or error.response.headers.get("Retry-After")
                )
                self.policy.pause(asked)
                raise RetryableError("rate limited (429)", asked) from error
            if status >= 500:
                raise RetryableError(f"HTTP {status}") from error
            return self._check(method, data, status)
        except (URLError, OSError, http.client.HTTPException, json.JSONDecodeError) as error:
            # A timeout, a dropped connection or a cut-off body that slack-sdk's handlers gave up on.
            raise RetryableError(f"{type(error).__name__} on {method}") from error
        if not isinstance(data, dict):
            raise ApiError(SOURCE, method, None, "malformed response: not a JSON object")
        return self._check(method, data, 200)

    @staticmethod
    def _check(method: str, data: dict[str, Any], status: int) -> dict[str, Any]:
        """`ok: false` becomes an error naming the method (and the scope the token lacks)."""
        if data.get("ok"):
            return data
        code = str(data.get("error"))
        if code == "ratelimited":
            raise RetryableError("rate limited")
        needed = data.get("needed")
        message = code + (f" (the token lacks the scope '{needed}')" if needed else "")
        if code in AUTH_ERRORS:
            raise AuthError(SOURCE, method, None, message)
        if code in PERMISSION_ERRORS:
            raise AuthError(SOURCE, method, 403, message)
        raise ApiError(SOURCE, method, status if status >= 400 else None, message)


def make_client(
    token: str,
    base_url: str,
    stats: RequestStats | None = None,
    *,
    timeout: float = 30,
    budget: ApiBudget | None = None,
    stop: StopSignal | None = None,
) -> SlackWebApi:
    return SlackWebApi(token, base_url, timeout=timeout, stats=stats, budget=budget, stop=stop)


class SlackConnector:
    def __init__(
        self,
        client: SlackWebApi,
        stats: RequestStats | None = None,
        *,
        concurrency: int = 8,
        history_limit: int = HISTORY_LIMIT,
        replies_limit: int = REPLIES_LIMIT,
    ) -> None:
        self.client = client
        self.stats = stats or client.stats
        self.concurrency = concurrency
        self.history_limit = history_limit
        self.replies_limit = replies_limit
        # Listings stopped by their guard (a repeated cursor), one line each, for the source's summary.
        self.stopped: list[str] = []

    def _pages(self, method: str, key: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Pages of a cursor-paginated method; `ListingStopped` if `next_cursor` repeats."""
        guard = ListingGuard(SOURCE, method)
        cursor: str | None = None
        while True:
            guard.request(cursor)
            data = self.client.call(method, **params, **({"cursor": cursor} if cursor else {}))
            page = data.get(key) or []
            guard.received(page, None)  # Slack reports no totals
            yield page
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def users(self) -> Iterator[Batch]:
        for page in self._pages("users.list", "members", limit=USERS_LIMIT):
            yield shape_records(USERS, page, "users.list", lambda r: {})

    def channels(self, channel_ids: list[str]) -> Iterator[Batch]:
        def fetch(channel_id: str) -> dict[str, Any] | None:
            try:
                channel = self.client.call("conversations.info", channel=channel_id).get("channel")
            except ApiError as error:
                if isinstance(error, AuthError):
                    raise
                log.warning("slack: channel %s skipped: %s", channel_id, error)
                return None
            # A response without its channel object is kept as a rejected record, not dropped.
            return channel if isinstance(channel, dict) else {"malformed": channel}

        with DaemonPool(self.concurrency, "slack") as pool:
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

        `known_threads` maps `(channel, thread_ts)` to the thread's state stored by the last sync
        (`thread_state`); with it, a re-sync asks `conversations.replies` only for threads that changed.
        A batch says which sets it read whole (`covers`): the channel's history, each thread re-read.
        A listing stopped by its guard is reported in `stopped`; what it read is kept, nothing is
        marked deleted from it.
        """
        known_threads = known_threads if known_threads is not None else {}

        def fetch(channel_id: str) -> tuple[str, Batch]:
            merged = Batch(MESSAGES)
            changed_threads: list[str] = []
            try:
                for page in self._pages(
                    "conversations.history", "messages", channel=channel_id, limit=self.history_limit
                ):
                    for message in page:
                        if message.get("reply_count") and message.get("ts"):
                            stored = known_threads.get((channel_id, message["ts"]), "missing")
                            if stored != thread_state(message):
                                changed_threads.append(message["ts"])
                    merged.merge(self._shape(channel_id, page, "conversations.history"))
                merged.covers.append(CoveredSet("channel_history", (channel_id,)))
            except ListingStopped as error:
                self._stopped(f"{error} (channel {channel_id})")
                return channel_id, merged
            for thread_ts in changed_threads:
                thread = Batch(MESSAGES)
                try:
                    for page in self._pages(
                        "conversations.replies",
                        "messages",
                        channel=channel_id,
                        ts=thread_ts,
                        limit=self.replies_limit,
                    ):
                        thread.merge(self._shape(channel_id, page, "conversations.replies"))
                except ListingStopped as error:
                    self._stopped(f"{error} (thread {channel_id}/{thread_ts})")
                    thread.covers.clear()
                else:
                    thread.covers.append(CoveredSet("thread_replies", (channel_id, thread_ts)))
                merged.merge(thread)
            return channel_id, merged  # one batch per channel: parents, replies and marks in one transaction

        with DaemonPool(self.concurrency, "slack") as pool:
            yield from pool.map(fetch, channel_ids)

    def _stopped(self, line: str) -> None:
        log.error("%s", line)
        self.stopped.append(line)

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


def thread_state(message: dict[str, Any]) -> str:
    """What tells a changed thread from an unchanged one: its latest reply and its reply count (a
    deleted reply in the middle changes only the count)."""
    return f"{message.get('latest_reply')}|{message.get('reply_count')}"


__all__ = ["SlackConnector", "SlackWebApi", "make_client", "parse_time", "thread_state"]
