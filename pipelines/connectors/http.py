"""HTTP for the incident.io, Zoom and PagerDuty connectors, in small separate pieces.

- transport: one `httpx.Client` per API (pooled kept-alive connections, timeouts, no redirects); its
  `transport` argument is the seam tests use (`httpx.MockTransport`);
- `RequestPolicy`: what every request of one API obeys whatever sends it (Slack's slack-sdk client uses
  it too): stop requests, the client-side budget (`ApiBudget`), a pause of every thread after a 429,
  and retries with the API's own Retry-After or jittered exponential backoff (tenacity);
- `HttpClient`: GET a JSON document through both, turning statuses into errors that name the source
  and endpoint. Pagination lives in `pagination.py`, record shaping in `common.py`.

URLs are logged only through `redact_url`, so a secret in a query string never reaches a log.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal

log = logging.getLogger(__name__)

SENSITIVE_PARAMS = frozenset(
    {"token", "api_key", "apikey", "access_token", "client_secret", "password", "key"}
)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def redact_url(url: str) -> str:
    """The URL with secret-looking query values masked, safe to log."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    query = [(k, "***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]*")))


def join_url(base_url: str, path: str) -> str:
    """Join a path onto a base URL that may itself carry a path prefix (`http://h/pd`)."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


# --- the four APIs' rate-limit signals (docs/sync.md#rate-limits) -------------------------------------------


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After: <seconds>` (Slack and the HTTP standard)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def retry_after_http_date(value: str | None) -> float | None:
    """`Retry-After: Thu, 17 Apr 2025 11:17:18 UTC` (incident.io); seconds also accepted."""
    if not value:
        return None
    seconds = retry_after_seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.replace(" UTC", " GMT"))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retry_after_iso(value: str | None) -> float | None:
    """`Retry-After: 2020-05-31T00:00:00Z` (Zoom); seconds also accepted."""
    if not value:
        return None
    seconds = retry_after_seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


RetryAfterParser = Callable[[Mapping[str, str]], float | None]


# --- errors -----------------------------------------------------------------------------------------


class ApiError(Exception):
    """A request that failed for good: says which source, which endpoint and why.

    `status` is the HTTP status (403 also for Slack's `missing_scope`), None when there was no usable one.
    """

    def __init__(self, source: str, endpoint: str, status: int | None, message: str) -> None:
        self.source, self.endpoint, self.status = source, endpoint, status
        where = f"{source} {endpoint}"
        super().__init__(f"{where}: HTTP {status}: {message}" if status else f"{where}: {message}")


class AuthError(ApiError):
    """Wrong, missing or under-scoped credentials: retrying cannot help."""


UNAVAILABLE_STATUS = frozenset({403, 404})


def is_unavailable(error: BaseException) -> bool:
    """A permission the key lacks or a feature the account does not have (403, 404): the endpoint is
    skipped where it is optional (docs/sync.md, "Permissions")."""
    return isinstance(error, ApiError) and error.status in UNAVAILABLE_STATUS


class RetryableError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class RequestStats:
    """What one source's client did during a sync; read for the end-of-sync summary."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, endpoint: str, *, rate_limited: bool = False, retry: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1
            self.rate_limited += int(rate_limited)
            self.retries += int(retry)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
        }


def _backoff(max_delay: float) -> Callable[[RetryCallState], float]:
    """Wait what the API asked for (plus jitter), else exponential backoff with full jitter."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        if isinstance(asked, int | float):
            return min(float(asked), max_delay) + random.uniform(0, 0.5)
        return random.uniform(0, min(max_delay, 0.5 * 2 ** (state.attempt_number - 1)))

    return wait


T = TypeVar("T")


class RequestPolicy:
    """Budget, pause, retries and stop requests for every request of one API, whatever sends it.

    `run(endpoint, attempt)` calls `attempt(is_retry)` until it returns, retrying `RetryableError`
    up to `max_attempts` times; each attempt first waits for a pause, then for room in the budget.
    Every wait ends early with `Stopped` when `stop` is set.
    """

    def __init__(
        self,
        source: str,
        *,
        budget: ApiBudget | None = None,
        stop: StopSignal | None = None,
        max_attempts: int = 8,
        max_delay: float = 60.0,
    ) -> None:
        self.source = source
        # Proactive: wait for room in the API's budget before sending (the 429 path stays as a backstop).
        self.budget = budget or ApiBudget(source, 0)
        self.stop = stop or StopSignal()
        self.max_attempts = max_attempts
        self.max_delay = max_delay
        # After a 429 every thread of this API waits, not only the one that was told to.
        self._paused_until = 0.0
        self._pause_lock = threading.Lock()

    def pause(self, seconds: float | None) -> None:
        """Hold every request of this API for `seconds` (capped at `max_delay`)."""
        if seconds:
            with self._pause_lock:
                self._paused_until = max(self._paused_until, time.monotonic() + min(seconds, self.max_delay))

    def before_request(self, endpoint: str) -> None:
        """Wait out a pause and the budget; raise `Stopped` if a stop is requested."""
        self.stop.check()
        self.stop.sleep(self._paused_until - time.monotonic())
        self.budget.acquire(endpoint, self.stop)

    def run(self, endpoint: str, attempt: Callable[[bool], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableError),
            stop=stop_after_attempt(self.max_attempts),
            wait=_backoff(self.max_delay),
            sleep=self.stop.sleep,
            reraise=True,
        )
        try:
            for state in retrying:
                with state:
                    return attempt(state.retry_state.attempt_number > 1)
        except RetryableError as error:
            raise ApiError(
                self.source, endpoint, None, f"gave up after {self.max_attempts} attempts: {error}"
            ) from error
        raise AssertionError("unreachable")


def http_timeout(seconds: float) -> httpx.Timeout:
    """One limit for connecting, each read, each write and waiting for a pooled connection."""
    return httpx.Timeout(seconds)


class HttpClient:
    """A JSON-over-HTTP client for one API source: one `httpx.Client` and one `RequestPolicy`.

    `transport` replaces the network (tests pass `httpx.MockTransport`); `http` is the underlying
    client, for the few calls that are not a JSON GET (Zoom's OAuth token).
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Callable[[], Mapping[str, str]] | None = None,
        retry_after: RetryAfterParser = lambda h: retry_after_seconds(h.get("retry-after")),
        on_unauthorized: Callable[[], None] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 8,
        max_delay: float = 60.0,
        max_connections: int = 16,
        stats: RequestStats | None = None,
        transport: httpx.BaseTransport | None = None,
        budget: ApiBudget | None = None,
        stop: StopSignal | None = None,
        status_of: Callable[[int, bytes], int] | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url
        # An API that says "forbidden" in its body (Zoom: HTTP 400, code 4711) maps it to 403 here.
        self._status_of = status_of
        self._auth = auth
        self._retry_after = retry_after
        self._on_unauthorized = on_unauthorized
        self.stats = stats or RequestStats()
        self.policy = RequestPolicy(
            source, budget=budget, stop=stop, max_attempts=max_attempts, max_delay=max_delay
        )
        self.http = httpx.Client(
            headers={"Accept-Encoding": "gzip, deflate", **dict(headers or {})},
            timeout=http_timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            transport=transport,
        )

    @property
    def budget(self) -> ApiBudget:
        return self.policy.budget

    @property
    def stop(self) -> StopSignal:
        return self.policy.stop

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(self, path: str, params: Any = None, *, endpoint: str | None = None) -> Any:
        """GET a JSON document, retrying what can be retried.

        Raises `AuthError` (401, 403), `ApiError` (other 4xx, or retries exhausted; `.status` set when
        the API answered), `Stopped` (a stop request).
        """
        name = endpoint or path
        url = join_url(self.base_url, path)
        if params:
            # Lists repeat the key (`mode[one_of]=a&mode[one_of]=b`), as the APIs expect.
            url += "?" + urlencode(params, doseq=True)
        return self.policy.run(name, lambda retry: self._get_once(url, name, retry=retry))

    def _get_once(self, url: str, endpoint: str, *, retry: bool) -> Any:
        self.policy.before_request(endpoint)
        headers = dict(self._auth()) if self._auth else None
        try:
            response = self.http.get(url, headers=headers)
            content = response.content
        except httpx.TransportError as error:  # timeouts, refused or dropped connections, cut bodies
            self.stats.count(endpoint, retry=retry)
            log.debug("%s %s: %s", self.source, redact_url(url), error)
            raise RetryableError(f"{type(error).__name__} on {endpoint}") from error
        status = response.status_code
        if self._status_of is not None and status >= 400:
            status = self._status_of(status, content)
        self.stats.count(endpoint, rate_limited=status == 429, retry=retry)
        if status == 429:
            retry_after = self._retry_after(response.headers)
            self.policy.pause(retry_after)
            raise RetryableError("rate limited (429)", retry_after)
        if status in RETRYABLE_STATUS:
            raise RetryableError(f"HTTP {status}")
        if status == 401 and self._on_unauthorized is not None:
            # An expired OAuth token: get a new one and try again.
            self._on_unauthorized()
            raise RetryableError("HTTP 401, token refreshed", retry_after=0.0)
        if status in (401, 403):
            raise AuthError(self.source, endpoint, status, error_message(content))
        if status >= 400:
            raise ApiError(self.source, endpoint, status, error_message(content))
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as error:
            # A truncated or garbled body: the request is safe to repeat.
            raise RetryableError(f"malformed JSON body from {endpoint}") from error


def error_message(content: bytes) -> str:
    """The API's own words for an error, from the shapes the four APIs use; else the body's start."""
    text = content.decode("utf-8", "replace")
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return text[:200]
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict):
            err = body["error"]
            details = "; ".join(str(e) for e in err.get("errors") or [])
            return f"{err.get('message', '')} {details}".strip()
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in body["errors"]
            )
        if "message" in body:
            return str(body["message"])
    return text[:200]
