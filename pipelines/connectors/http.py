"""HTTP transport shared by the four connectors.

One small client per API: joins paths onto a base URL that may carry a prefix, retries 429s
(honouring the API's own rate-limit signal), 5xx, timeouts, dropped connections and truncated bodies
with jittered exponential backoff (tenacity), counts what it did, and never logs a secret.

Requests go through urllib3's thread-safe connection pool (kept-alive connections): per request it
costs about half the CPU of httpx, and a sync is tens of thousands of small GETs whose client-side
cost is what bounds it against a fast API.
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
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from pipelines.connectors.ratelimit import ApiBudget

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


# --- the four APIs' rate-limit signals (DESIGN §4) -------------------------------------------------


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


@dataclass(frozen=True)
class Response:
    """What the client reads of an HTTP response (headers are case-insensitive)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class TransportFailure(Exception):
    """No usable response: a timeout, a refused or dropped connection, a cut-off body."""


# (url with its query string, headers) -> response; raises TransportFailure. Tests pass a fake one.
Transport = Callable[[str, Mapping[str, str]], Response]


def urllib3_transport(timeout: float, max_connections: int) -> tuple[Transport, Callable[[], None]]:
    """The production transport (and its close function): a pooled urllib3 client, no own retries."""
    pool = urllib3.PoolManager(
        num_pools=4,
        maxsize=max_connections,
        block=True,  # more threads than connections wait for one rather than open extra ones
        retries=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
    )

    def send(url: str, headers: Mapping[str, str]) -> Response:
        try:
            raw = pool.request("GET", url, headers=dict(headers), redirect=False, retries=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransportFailure(type(error).__name__) from error
        return Response(raw.status, raw.headers, raw.data)

    return send, pool.clear


# --- errors -----------------------------------------------------------------------------------------


class ApiError(Exception):
    """A request that failed for good: says which source, which endpoint and why."""

    def __init__(self, source: str, endpoint: str, status: int | None, message: str) -> None:
        self.source, self.endpoint, self.status = source, endpoint, status
        where = f"{source} {endpoint}"
        super().__init__(f"{where}: HTTP {status}: {message}" if status else f"{where}: {message}")


class AuthError(ApiError):
    """Wrong, missing or under-scoped credentials: retrying cannot help."""


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
        if asked is not None:
            return min(asked, max_delay) + random.uniform(0, 0.5)
        return random.uniform(0, min(max_delay, 0.5 * 2 ** (state.attempt_number - 1)))

    return wait


class HttpClient:
    """A JSON-over-HTTP client for one API source."""

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
        transport: Transport | None = None,
        budget: ApiBudget | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url
        self._auth = auth
        self._retry_after = retry_after
        self._on_unauthorized = on_unauthorized
        self._max_attempts = max_attempts
        self._max_delay = max_delay
        self.stats = stats or RequestStats()
        # Proactive: wait for room in the API's budget before sending (the 429 path stays as a backstop).
        self.budget = budget or ApiBudget(source, 0)
        # After a 429 every thread of this client waits, not only the one that was told to.
        self._paused_until = 0.0
        self._pause_lock = threading.Lock()
        self._headers = {"Accept-Encoding": "gzip, deflate", **dict(headers or {})}
        self._close: Callable[[], None] = lambda: None
        if transport is None:
            transport, self._close = urllib3_transport(timeout, max_connections)
        self._send = transport

    def close(self) -> None:
        self._close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(self, path: str, params: Any = None, *, endpoint: str | None = None) -> Any:
        """GET a JSON document, retrying what can be retried."""
        endpoint = endpoint or path
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableError),
            stop=stop_after_attempt(self._max_attempts),
            wait=_backoff(self._max_delay),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(
                        path, params, endpoint, retry=attempt.retry_state.attempt_number > 1
                    )
        except RetryableError as error:
            raise ApiError(
                self.source, endpoint, None, f"gave up after {self._max_attempts} attempts: {error}"
            ) from error
        raise AssertionError("unreachable")

    def _wait_if_paused(self) -> None:
        polite_sleep(self._paused_until - time.monotonic())

    def _pause(self, seconds: float | None) -> None:
        if seconds:
            with self._pause_lock:
                self._paused_until = max(self._paused_until, time.monotonic() + min(seconds, self._max_delay))

    def _get_once(self, path: str, params: Any, endpoint: str, *, retry: bool) -> Any:
        self._wait_if_paused()
        self.budget.acquire(endpoint)
        url = join_url(self.base_url, path)
        if params:
            # Lists repeat the key (`mode[one_of]=a&mode[one_of]=b`), as the APIs expect.
            url += "?" + urlencode(params, doseq=True)
        headers = {**self._headers, **self._auth()} if self._auth else self._headers
        try:
            response = self._send(url, headers)
        except TransportFailure as error:
            self.stats.count(endpoint, retry=retry)
            log.debug("%s %s: %s", self.source, redact_url(url), error)
            raise RetryableError(f"{error} on {endpoint}") from error
        status = response.status_code
        self.stats.count(endpoint, rate_limited=status == 429, retry=retry)
        if status == 429:
            retry_after = self._retry_after(response.headers)
            self._pause(retry_after)
            raise RetryableError("rate limited (429)", retry_after)
        if status in RETRYABLE_STATUS:
            raise RetryableError(f"HTTP {status}")
        if status == 401 and self._on_unauthorized is not None:
            # An expired OAuth token: get a new one and try again.
            self._on_unauthorized()
            raise RetryableError("HTTP 401, token refreshed", retry_after=0.0)
        if status in (401, 403):
            raise AuthError(self.source, endpoint, status, _error_message(response))
        if status >= 400:
            raise ApiError(self.source, endpoint, status, _error_message(response))
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            # A truncated or garbled body: the request is safe to repeat.
            raise RetryableError(f"malformed JSON body from {endpoint}") from error


def _error_message(response: Response) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:200]
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
    return response.text[:200]


def polite_sleep(seconds: float) -> None:
    """Sleep used by throttles; a function so tests can see it."""
    if seconds > 0:
        time.sleep(seconds)
