"""What the four simulators share: server state, JSON responses, and each API's own error bodies."""

from __future__ import annotations

import math
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pipelines.sandbox.faults import Budget, FaultPlan, FaultSpec, Stats
from pipelines.sandbox.model import Organisation


@dataclass
class SandboxState:
    """Everything the handlers need besides the request: the data, faults, counters, issued tokens."""

    org: Organisation
    faults: FaultSpec = field(default_factory=FaultSpec)
    zoom_token_ttl: float = 3599.0
    zoom_page_token_ttl: float = 15 * 60.0
    stats: Stats = field(default_factory=Stats)
    plan: FaultPlan = field(init=False)
    budget: Budget = field(init=False)
    zoom_tokens: dict[str, float] = field(default_factory=dict)  # token -> monotonic expiry
    page_tokens: dict[str, tuple[str, int, float]] = field(
        default_factory=dict
    )  # token -> (scope, offset, issued)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The first next cursor each stuck listing handed out (`stuck=` faults), by listing.
    stuck_cursors: dict[tuple[Any, ...], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.plan = FaultPlan(self.faults)
        self.budget = Budget(self.faults)

    def issue_page_token(self, scope: str, offset: int) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            if len(self.page_tokens) > 100_000:  # forget the oldest half: they'd have expired anyway
                for k in list(self.page_tokens)[:50_000]:
                    del self.page_tokens[k]
            self.page_tokens[token] = (scope, offset, time.monotonic())
        return token

    def page_token(self, token: str, scope: str) -> int | None:
        """The offset behind a Zoom next_page_token, or None when unknown, expired or for another list."""
        entry = self.page_tokens.get(token)
        if entry is None or entry[0] != scope or time.monotonic() - entry[2] > self.zoom_page_token_ttl:
            return None
        return entry[1]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def int_param(request: Request, name: str, default: int, lo: int = 0) -> int | None:
    """An integer query parameter; None when it isn't one (callers answer with their API's 400/422)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= lo else None


def bool_param(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").lower() in ("true", "1", "yes")


def request_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------- per-API errors
def incidentio_error(status: int, type_: str, code: str, message: str, field: str | None = None) -> Response:
    err: dict[str, Any] = {"code": code, "message": message}
    if field:
        err["source"] = {"field": field}
    return json_response(
        {"type": type_, "status": status, "request_id": request_id(), "errors": [err]}, status
    )


def pagerduty_error(status: int, code: int, message: str, errors: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response({"error": body}, status)


def zoom_error(status: int, code: int, message: str) -> Response:
    return json_response({"code": code, "message": message}, status)


def slack_error(error: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response({"ok": False, "error": error}, status, headers)


def rate_limited(api: str, wait: float, limit: int = 0) -> Response:
    """Each API's own 429: what it says and how it says when to come back."""
    wait_s = max(1, math.ceil(wait))
    until = datetime.now(UTC) + timedelta(seconds=wait_s)
    if api == "slack":
        return slack_error("ratelimited", 429, {"Retry-After": str(wait_s)})
    if api == "incidentio":
        body = {
            "type": "too_many_requests",
            "status": 429,
            "request_id": request_id(),
            "rate_limit": {
                "name": "api_key_name",
                "limit": limit or 1200,
                "remaining": 0,
                "retry_after": until.strftime("%a, %d %b %Y %H:%M:%S UTC"),
            },
            "errors": [
                {
                    "code": "too_many_requests",
                    "message": "Too many requests hit the API too quickly. "
                    "We recommend an exponential backoff of your requests.",
                }
            ],
        }
        return json_response(body, 429, {"Retry-After": format_datetime(until, usegmt=True)})
    if api == "zoom":
        return json_response(
            {
                "code": 429,
                "message": "You have reached the maximum per-second rate limit for this API. "
                "Try again later.",
            },
            429,
            {
                "Retry-After": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "X-RateLimit-Category": "Medium",
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": str(limit or 20),
                "X-RateLimit-Remaining": "0",
            },
        )
    return json_response(
        {"error": {"code": 2020, "message": "Rate Limit Exceeded"}},
        429,
        {"ratelimit-limit": str(limit or 960), "ratelimit-remaining": "0", "ratelimit-reset": str(wait_s)},
    )


# The scope each endpoint needs, as the APIs name them in their errors.
_SLACK_SCOPES = {
    "conversations.history": "channels:history,groups:history",
    "conversations.replies": "channels:history,groups:history",
    "conversations.info": "channels:read,groups:read",
    "conversations.list": "channels:read,groups:read",
    "conversations.members": "channels:read,groups:read",
    "users.list": "users:read",
}
_SLACK_ALL_SCOPES = (
    "channels:history",
    "channels:read",
    "groups:history",
    "groups:read",
    "users:read",
    "users:read.email",
)
_ZOOM_SCOPES = {
    "/users": "user:read:list_users:admin",
    "/past_meetings/{id}/instances": "meeting:read:list_past_instances:admin",
    "/past_meetings/{id}/participants": "meeting:read:list_past_participants:admin",
    "/past_meetings/{id}": "meeting:read:past_meeting:admin",
}


def permission_denied(api: str, template: str) -> Response:
    """What each API answers a key that lacks the endpoint's permission: Slack `missing_scope` (HTTP
    200, `needed`/`provided`), Zoom code 4711 (HTTP 400, the scope named in the message), incident.io
    and PagerDuty a 403 in their own error body."""
    if api == "slack":
        needed = _SLACK_SCOPES.get(template, "channels:read")
        granted = [x for x in _SLACK_ALL_SCOPES if x not in needed.split(",")]
        body = {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(granted)}
        return json_response(body, 200, {"x-oauth-scopes": ",".join(granted)})
    if api == "zoom":
        scope = _ZOOM_SCOPES.get(template, "meeting:read:admin")
        return zoom_error(400, 4711, f"Invalid access token, does not contain scopes:[{scope}].")
    if api == "incidentio":
        return incidentio_error(
            403,
            "forbidden",
            "forbidden",
            "Your API key does not have the permissions to perform this action.",
        )
    return pagerduty_error(403, 2010, "Access Denied", ["The API key does not have access to this resource."])


def feature_missing(api: str) -> Response:
    """What incident.io and PagerDuty answer for an endpoint of a feature the account does not have."""
    if api == "incidentio":
        return incidentio_error(
            404, "not_found", "feature_not_enabled", "This feature is not enabled for your organisation."
        )
    return pagerduty_error(404, 2100, "Not Found")


_GATEWAY_HTML = (
    b"<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}"
    b"</h1></center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def server_error(api: str, status: int) -> Response:
    """A 500 comes from the API itself (its JSON error shape); 502-504 from a proxy in front (HTML)."""
    if status != 500:
        html = _GATEWAY_HTML.replace(b"{code}", str(status).encode()).replace(
            b"{reason}", _REASONS[status].encode()
        )
        return Response(html, status_code=status, media_type="text/html")
    if api == "slack":
        return slack_error("fatal_error", 500)
    if api == "incidentio":
        return incidentio_error(
            500,
            "internal_server_error",
            "internal_server_error",
            "Something went wrong on our side. Please try again.",
        )
    if api == "zoom":
        return zoom_error(500, 500, "Internal Server Error")
    return pagerduty_error(500, 2000, "Internal Error")
