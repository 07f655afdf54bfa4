"""Zoom: Server-to-Server OAuth at `/zoom/oauth/token`, the REST API under `/zoom/v2`.

Meeting instance UUIDs that start with `/` or contain `//` must reach the server double URL-encoded;
a once-encoded one arrives (after the gateway decodes it) as a path with a `/` in it, and gets 404 3001,
as on the real API. That is why the `/zoom/v2` routes are matched on the raw (still encoded) path.
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.sandbox.apis.common import SandboxState, int_param, json_response, zoom_error
from pipelines.sandbox.ids import iso_s
from pipelines.sandbox.model import Record, ZoomInstance

PREFIX = "/zoom"
SCOPES = "meeting:read:admin report:read:admin user:read:admin"


def routes(state: SandboxState) -> list[Route]:
    org = state.org
    creds = org.credentials

    async def oauth_token(request: Request) -> Response:
        params = dict(request.query_params)
        if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
            params.update(parse_qsl((await request.body()).decode()))
        auth = request.headers.get("authorization", "")
        try:
            client_id, _, secret = (
                base64.b64decode(auth[6:]).decode().partition(":")
                if auth[:6].lower() == "basic "
                else ("", "", "")
            )
        except (ValueError, UnicodeDecodeError):
            client_id = secret = ""
        if (client_id, secret) != (creds.zoom_client_id, creds.zoom_client_secret):
            return json_response(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        if params.get("grant_type") != "account_credentials":
            return json_response({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, 400)
        if params.get("account_id") != creds.zoom_account_id:
            return json_response({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        token = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCJ9." + secrets.token_urlsafe(48)
        with state.lock:
            now = time.monotonic()
            for t in [t for t, exp in state.zoom_tokens.items() if exp < now]:
                del state.zoom_tokens[t]
            state.zoom_tokens[token] = now + state.zoom_token_ttl
        api_url = f"{request.url.scheme}://{request.url.netloc}{PREFIX}"
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": max(1, int(state.zoom_token_ttl)),
                "scope": SCOPES,
                "api_url": api_url,
            }
        )

    def paginate(
        request: Request, records: list[Record], scope: str, default: int, maximum: int
    ) -> Response | tuple[list[Record], dict[str, object]]:
        size = int_param(request, "page_size", default, lo=1)
        if size is None:
            return zoom_error(400, 300, "Invalid field.")
        size = min(size, maximum)
        start = 0
        token = request.query_params.get("next_page_token")
        if token:
            got = state.page_token(token, scope)
            if got is None:
                return zoom_error(400, 300, "The next page token is invalid or expired.")
            start = got
        page = records[start : start + size]
        nxt = state.issue_page_token(scope, start + size) if start + size < len(records) else ""
        return page, {
            "page_count": math.ceil(len(records) / size),
            "page_size": size,
            "total_records": len(records),
            "next_page_token": nxt,
        }

    def meeting_instance(segment: str) -> ZoomInstance | None:
        """Resolve a `{meetingId}` path segment: a numeric id (its latest instance) or an instance UUID."""
        once = unquote(segment)
        if "/" in once:
            if once.startswith("/") or "//" in once:
                return None  # arrived encoded only once: the real gateway routes this nowhere
            uuid = once
        else:
            uuid = unquote(once) if "%" in once else once
        if uuid.isdigit():
            instances = org.zoom_meetings.get(int(uuid))
            return instances[-1] if instances else None
        return org.zoom_instances.get(uuid)

    def not_found(segment: str) -> Response:
        return zoom_error(404, 3001, f"Meeting does not exist: {unquote(segment)}.")

    async def api(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        expiry = state.zoom_tokens.get(token)
        if expiry is None or expiry < time.monotonic():
            return zoom_error(401, 124, "Invalid access token.")
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        parts = path[len(PREFIX) + len("/v2/") :].split("/")
        if parts == ["users"]:
            status = request.query_params.get("status", "active")
            users = [u for u in org.zoom_users if u["status"] == status]
            got = paginate(request, users, f"users:{status}", 30, 2000)
            if isinstance(got, Response):
                return got
            return json_response({**got[1], "page_number": 1, "users": got[0]})
        if len(parts) >= 2 and parts[0] == "past_meetings":
            if len(parts) == 3 and parts[2] == "instances":
                meeting = parts[1]
                instances = org.zoom_meetings.get(int(meeting)) if meeting.isdigit() else None
                if instances is None:
                    return not_found(meeting)
                return json_response({"meetings": [i.listing() for i in instances]})
            instance = meeting_instance(parts[1]) if len(parts) in (2, 3) else None
            if instance is None:
                return not_found(parts[1])
            if len(parts) == 2:
                return json_response(_details(instance))
            if parts[2] == "participants":
                # Zoom returns nothing for a meeting that had a single participant.
                rows = instance.participants if len(instance.participants) > 1 else []
                got = paginate(request, rows, f"participants:{instance.uuid}", 30, 300)
                if isinstance(got, Response):
                    return got
                return json_response({**got[1], "participants": got[0]})
        return zoom_error(404, 404, "No such API endpoint.")

    return [
        Route(f"{PREFIX}/oauth/token", oauth_token, methods=["POST"]),
        Route(f"{PREFIX}/v2/{{rest:path}}", api, methods=["GET"]),
    ]


def _details(i: ZoomInstance) -> Record:
    total = sum(r["duration"] for r in i.participants) // 60
    return {
        "id": i.meeting_id,
        "uuid": i.uuid,
        "host_id": i.host_id,
        "type": 2,
        "topic": i.topic,
        "user_name": i.host_name,
        "user_email": i.host_email,
        "start_time": iso_s(i.start),
        "end_time": iso_s(i.end),
        "duration": round((i.end - i.start) / 60),
        "total_minutes": total,
        "participants_count": len(i.participants),
        "dept": "Engineering",
        "source": "Zoom",
        "has_meeting_summary": False,
    }
