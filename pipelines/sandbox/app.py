"""One ASGI app serving the four simulated APIs under path prefixes, plus `/_sandbox/*` controls.

| prefix | API | env var value |
|---|---|---|
| `/incidentio` | incident.io | `INCIDENTIO_BASE_URL=http://HOST:PORT/incidentio` |
| `/slack/api/` | Slack Web API | `SLACK_BASE_URL=http://HOST:PORT/slack/api/` |
| `/zoom/v2`, `/zoom/oauth/token` | Zoom | `ZOOM_BASE_URL`, `ZOOM_OAUTH_URL` |
| `/pagerduty` | PagerDuty REST v2 | `PAGERDUTY_BASE_URL=http://HOST:PORT/pagerduty` |

`GET /_sandbox/stats` (request counters; `DELETE` resets them), `POST /_sandbox/mutate?step=N`
(`&kind=typical_hour`: one typical hour of change instead of the step's change set), `GET /_sandbox/health`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipelines.sandbox.apis import incidentio, pagerduty, slack, zoom
from pipelines.sandbox.apis.common import (
    SandboxState,
    feature_missing,
    json_response,
    permission_denied,
    rate_limited,
    server_error,
)
from pipelines.sandbox.faults import FaultSpec, endpoint_of
from pipelines.sandbox.model import Organisation
from pipelines.sandbox.mutations import typical_hour

_API_PREFIXES = (
    ("/incidentio/", "incidentio"),
    ("/slack/api/", "slack"),
    ("/zoom/", "zoom"),
    ("/pagerduty/", "pagerduty"),
)
_ID_SEGMENT = re.compile(r"^(?!v\d$)[A-Za-z0-9%+=_.-]*\d[A-Za-z0-9%+=_.-]*$")


def api_of(path: str) -> str | None:
    for prefix, api in _API_PREFIXES:
        if path.startswith(prefix):
            return api
    return None


def path_template(api: str, raw_path: str) -> str:
    """The request path with ids replaced by `{id}`, so counters group by endpoint."""
    if api == "slack":
        return raw_path.rsplit("/", 1)[-1]
    rest = raw_path.split("/", 2)[2] if raw_path.count("/") >= 2 else ""
    parts = rest.split("/")
    if api == "zoom" and parts[:1] == ["v2"]:
        parts = parts[1:]
        if len(parts) >= 2 and parts[0] == "past_meetings":
            tail = parts[-1] if parts[-1] in ("instances", "participants") and len(parts) > 2 else ""
            parts = ["past_meetings", "{id}"] + ([tail] if tail else [])
    parts = ["{id}" if i > 0 and _ID_SEGMENT.match(p) else p for i, p in enumerate(parts)]
    return "/" + "/".join(parts)


def budget_bucket(api: str, template: str) -> str:
    """The budget a request spends, as each API documents it: Slack per method, Zoom per label."""
    if api == "slack":
        return template
    if api == "zoom":
        return "light" if template == "/past_meetings/{id}" else "medium"
    return "all"


class SandboxMiddleware:
    """Counts every API request, enforces budgets, and injects the faults of the spec."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        api = api_of(scope["path"])
        if api is None:
            await self.app(scope, receive, send)
            return
        state = self.state
        template = path_template(api, raw_path)
        state.stats.count(api, template)

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.stats.status(api, message["status"])
            await send(message)

        endpoint = endpoint_of(api, template)
        if endpoint in state.faults.no_permission:
            state.stats.fault(api, "no_permission")
            await permission_denied(api, template)(scope, receive, counted_send)
            return
        if endpoint in state.faults.no_feature:
            state.stats.fault(api, "no_feature")
            await feature_missing(api)(scope, receive, counted_send)
            return
        if endpoint in state.faults.stuck:
            state.stats.fault(api, "stuck")
            scope, receive, stuck_send = await _stuck(api, scope, receive, counted_send, state)
            await self.app(scope, receive, stuck_send)  # its own rewrite: no random fault on top
            return
        if template != "/oauth/token":  # the token endpoint has its own (unsimulated) limits
            wait, limit, _ = state.budget.check(api, budget_bucket(api, template))
            if wait:
                state.stats.fault(api, "budget")
                await rate_limited(api, wait, limit)(scope, receive, counted_send)
                return
            query = scope.get("query_string", b"").decode("latin-1")
            fault = state.plan.decide(api, f"{raw_path}?{query}")
        else:
            fault = None
        if fault is None:
            await self.app(scope, receive, counted_send)
            return
        state.stats.fault(api, fault)
        spec = state.faults
        if fault == "429":
            await rate_limited(api, spec.retry_after)(scope, receive, counted_send)
        elif fault.isdigit():
            await server_error(api, int(fault))(scope, receive, counted_send)
        elif fault == "timeout":
            still_there, replay = await _hold(receive, spec.delay)
            if still_there:
                await self.app(scope, replay, counted_send)
        elif fault == "drop":
            await _drop_connection(scope, receive, counted_send)
        elif fault == "truncate":
            await self.app(scope, receive, _truncating(counted_send))


# The query or form parameter that carries each API's cursor (PagerDuty: the offset).
_CURSOR_PARAMS = {"slack": "cursor", "zoom": "next_page_token", "incidentio": "after", "pagerduty": "offset"}


async def _stuck(
    api: str, scope: Scope, receive: Receive, send: Send, state: SandboxState
) -> tuple[Scope, Receive, Send]:
    """Make a listing that never moves on. Cursor APIs: the first next cursor a listing hands out is the
    one every later page hands out again, even past the end (pages differ, the cursor repeats).
    PagerDuty: `offset` is ignored, so every page is the first, and `more` stays true.

    A listing is the endpoint with its parameters other than the cursor (Slack's may be in a form or JSON
    body, which is read here and replayed to the app)."""
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
    cursor_param = _CURSOR_PARAMS[api]
    if scope["path"].endswith("/v2/schedule_entries"):  # its cursor comes back as the window's start
        cursor_param = "entry_window_start"
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), True)]
    params = dict(query)
    if body:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            parsed = orjson.loads(body) if body.lstrip()[:1] == b"{" else dict(parse_qsl(body.decode(), True))
            params.update({k: str(v) for k, v in parsed.items()})
    key = (api, scope["path"], tuple(sorted((k, v) for k, v in params.items() if k != cursor_param)))
    if api == "pagerduty":
        kept = [(k, v) for k, v in query if k != "offset"]
        scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return scope, replay, _sticking(send, api, key, state)


def _sticking(send: Send, api: str, key: tuple[Any, ...], state: SandboxState) -> Send:
    """Rewrite a listing's JSON answer so its cursor repeats (see `_stuck`)."""

    def rewrite(status: int, body: bytes) -> bytes:
        if status != 200:
            return body
        with contextlib.suppress(ValueError):
            data = orjson.loads(body)
            if isinstance(data, dict) and data.get("ok", True):
                _repeat_cursor(api, data, state.stuck_cursors.setdefault(key, []))
                return orjson.dumps(data)
        return body

    return _rewriting(send, rewrite)


def _rewriting(send: Send, rewrite: Callable[[int, bytes], bytes]) -> Send:
    """Buffer the whole response, pass (status, body) through `rewrite`, and send the result with a
    matching Content-Length."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = rewrite(int(start.get("status", 200)), b"".join(chunks))
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return wrapped


def _repeat_cursor(api: str, data: dict[str, Any], first: list[str]) -> None:
    """Set the answer's next cursor to the first one this listing handed out (remembered in `first`)."""
    if api == "pagerduty":
        data["more"] = True
        return
    if api == "slack":
        meta = data.setdefault("response_metadata", {})
        current = meta.get("next_cursor") or ""
    elif api == "zoom":
        current = data.get("next_page_token") or ""
    else:
        meta = data.setdefault("pagination_meta", {})
        current = meta.get("after") or ""
    if not first:
        if not current:
            return  # a one-page listing: nothing to repeat yet
        first.append(current)
    if api == "slack":
        data["response_metadata"]["next_cursor"] = first[0]
        data["has_more"] = True
    elif api == "zoom":
        data["next_page_token"] = first[0]
    else:
        data["pagination_meta"]["after"] = first[0]


async def _hold(receive: Receive, delay: float) -> tuple[bool, Receive]:
    """Wait `delay` seconds, or less if the client gives up first (then nothing is sent, and no task lingers
    to slow down shutdown). Returns whether the client is still there, and a `receive` that replays what
    was read meanwhile (the request body) to the app."""
    read: list[Message] = []
    gone = asyncio.Event()

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
                return
            read.append(message)

    watcher = asyncio.ensure_future(watch())
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(delay):
            await gone.wait()
    watcher.cancel()

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    return not gone.is_set(), replay


def _truncating(send: Send) -> Send:
    """Buffer the response and send only the first half of its body (with a matching Content-Length),
    so the client gets a complete HTTP response holding broken JSON."""
    return _rewriting(send, lambda _status, body: body[: max(1, len(body) // 2)] if len(body) > 1 else b"{")


async def _drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the TCP connection without answering. Uvicorn's `receive` is a bound method of the request
    cycle, which holds the transport; once it has seen the disconnect, uvicorn sends nothing more."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:  # another server: the closest we can do is an empty 500 with `Connection: close`
        await send({"type": "http.response.start", "status": 500, "headers": [(b"connection", b"close")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    transport.abort()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass


def build_app(
    org: Organisation,
    faults: FaultSpec | str | None = None,
    zoom_token_ttl: float = 3599.0,
) -> tuple[ASGIApp, SandboxState]:
    """The ASGI app and its state (stats, faults, issued tokens) for one organisation."""
    spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
    state = SandboxState(org=org, faults=spec, zoom_token_ttl=zoom_token_ttl)

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            state.stats.reset()
        return json_response(state.stats.snapshot())

    async def mutate(request: Request) -> Response:
        raw = request.query_params.get("step")
        if raw is None and await request.body():
            raw = str((await request.json()).get("step", "")) or None
        try:
            step = int(raw) if raw else None
        except ValueError:
            return json_response({"error": "step must be an integer"}, 400)
        # On the event loop itself: no request handler can observe a half-applied change.
        kind = request.query_params.get("kind")
        if kind not in (None, "typical_hour"):
            return json_response({"error": "kind must be typical_hour, or absent"}, 400)
        if kind == "typical_hour":
            try:
                return json_response(typical_hour(org, step))
            except ValueError as exc:
                return json_response({"error": str(exc)}, 409)
        return json_response(org.mutate(step))

    async def health(request: Request) -> Response:
        return json_response(
            {
                "ok": True,
                "size": org.size,
                "seed": org.seed,
                "anchor": org.anchor.isoformat(),
                "faults": str(spec),
                "counts": org.counts(),
            }
        )

    routes = [
        Route("/_sandbox/stats", stats, methods=["GET", "DELETE"]),
        Route("/_sandbox/mutate", mutate, methods=["POST"]),
        Route("/_sandbox/health", health),
        *incidentio.routes(state),
        *slack.routes(state),
        *zoom.routes(state),
        *pagerduty.routes(state),
    ]
    return SandboxMiddleware(Starlette(routes=routes), state), state
