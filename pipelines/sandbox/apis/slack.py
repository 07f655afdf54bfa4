"""Slack Web API methods under `/slack/api/<method>` (slack_sdk joins `base_url + method`).

Errors are HTTP 200 with `{"ok": false, "error": ...}`; pagination is `cursor` +
`response_metadata.next_cursor` ("" at the end). conversations.history is newest first and holds
top-level messages plus thread broadcasts; conversations.replies returns the parent first (on every
page, as Slack does) then the replies in time order.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.sandbox.apis.common import SandboxState, json_response, slack_error
from pipelines.sandbox.ids import slack_ts_us
from pipelines.sandbox.model import Record

PREFIX = "/slack/api"
Params = dict[str, str]


def _cursor(kind: str, value: int) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _uncursor(cursor: str, kind: str) -> int | None:
    try:
        k, _, v = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        return int(v) if k == kind else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _limit(params: Params, default: int, maximum: int) -> int:
    try:
        value = int(params.get("limit") or default)
    except ValueError:
        value = default
    if value <= 0:
        value = default
    return min(value, maximum)


def _ts_param(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return slack_ts_us(raw)
    except ValueError:
        return None


def routes(state: SandboxState) -> list[Route]:
    org = state.org
    token = org.credentials.slack_bot_token

    def clamp(method: str, default: int, maximum: int) -> tuple[int, int]:
        if state.faults.slack_profile == "nonmarketplace" and method in (
            "conversations.history",
            "conversations.replies",
        ):
            return 15, 15
        return default, maximum

    def offset_page(
        records: list[Record], params: Params, default: int, maximum: int
    ) -> tuple[list[Record], str] | None:
        start = 0
        if params.get("cursor"):
            got = _uncursor(params["cursor"], "offset")
            if got is None:
                return None
            start = got
        size = _limit(params, default, maximum) if default else _limit(params, len(records) or 1, maximum)
        page = records[start : start + size]
        nxt = _cursor("offset", start + size) if start + size < len(records) else ""
        return page, nxt

    def history(params: Params) -> Response:
        log = org.slack_logs.get(params.get("channel", ""))
        if log is None:
            return slack_error("channel_not_found")
        default, maximum = clamp("conversations.history", 100, 999)
        limit = _limit(params, default, maximum)
        inclusive = params.get("inclusive", "").lower() in ("true", "1")
        keys = log.top_keys
        oldest, latest = _ts_param(params, "oldest"), _ts_param(params, "latest")
        lo = 0 if oldest is None else (bisect_left(keys, oldest) if inclusive else bisect_right(keys, oldest))
        hi = (
            len(keys)
            if latest is None
            else (bisect_right(keys, latest) if inclusive else bisect_left(keys, latest))
        )
        if params.get("cursor"):
            before = _uncursor(params["cursor"], "next_ts")
            if before is None:
                return slack_error("invalid_cursor")
            hi = min(hi, bisect_left(keys, before))
        start = max(lo, hi - limit)
        page = log.top[start:hi][::-1]
        has_more = start > lo
        body: dict[str, Any] = {
            "ok": True,
            "messages": page,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": _cursor("next_ts", keys[start]) if has_more else ""},
        }
        for name in ("oldest", "latest"):
            if params.get(name):
                body[name] = params[name]
        return json_response(body)

    def replies(params: Params) -> Response:
        log = org.slack_logs.get(params.get("channel", ""))
        if log is None:
            return slack_error("channel_not_found")
        if not params.get("ts"):
            return slack_error("invalid_arguments")
        parent = log.find_top(params["ts"])
        if parent is None:
            return slack_error("thread_not_found")
        thread = log.threads.get(parent["ts"], [])
        oldest, latest = _ts_param(params, "oldest"), _ts_param(params, "latest")
        if oldest is not None or latest is not None:
            thread = [
                m
                for m in thread
                if (oldest is None or slack_ts_us(m["ts"]) >= oldest)
                and (latest is None or slack_ts_us(m["ts"]) <= latest)
            ]
        default, maximum = clamp("conversations.replies", 1000, 1000)
        per_page = max(1, _limit(params, default, maximum) - 1)  # the parent takes one slot
        start = 0
        if params.get("cursor"):
            got = _uncursor(params["cursor"], "offset")
            if got is None:
                return slack_error("invalid_cursor")
            start = got
        page = [parent, *thread[start : start + per_page]]
        has_more = start + per_page < len(thread)
        return json_response(
            {
                "ok": True,
                "messages": page,
                "has_more": has_more,
                "response_metadata": {"next_cursor": _cursor("offset", start + per_page) if has_more else ""},
            }
        )

    def info(params: Params) -> Response:
        channel = org.slack_channels.get(params.get("channel", ""))
        if channel is None:
            return slack_error("channel_not_found")
        if params.get("include_num_members", "").lower() in ("true", "1"):
            channel = {**channel, "num_members": len(org.slack_members.get(channel["id"], []))}
        return json_response({"ok": True, "channel": channel})

    def conversations_list(params: Params) -> Response:
        types = set((params.get("types") or "public_channel").split(","))
        exclude_archived = params.get("exclude_archived", "").lower() in ("true", "1")
        channels = [
            {**c, "num_members": len(org.slack_members.get(c["id"], []))}
            for c in org.slack_channels.values()
            if ("private_channel" if c["is_private"] else "public_channel") in types
            and not (exclude_archived and c["is_archived"])
        ]
        got = offset_page(channels, params, 100, 999)
        if got is None:
            return slack_error("invalid_cursor")
        return json_response({"ok": True, "channels": got[0], "response_metadata": {"next_cursor": got[1]}})

    def members(params: Params) -> Response:
        if params.get("channel", "") not in org.slack_channels:
            return slack_error("channel_not_found")
        ids = [{"id": u} for u in org.slack_members.get(params["channel"], [])]
        got = offset_page(ids, params, 100, 1000)
        if got is None:
            return slack_error("invalid_cursor")
        return json_response(
            {"ok": True, "members": [m["id"] for m in got[0]], "response_metadata": {"next_cursor": got[1]}}
        )

    def users_list(params: Params) -> Response:
        got = offset_page(org.slack_users, params, 0, 1000)
        if got is None:
            return slack_error("invalid_cursor")
        return json_response(
            {
                "ok": True,
                "members": got[0],
                "cache_ts": int(org.now().timestamp()),
                "response_metadata": {"next_cursor": got[1]},
            }
        )

    def auth_test(params: Params) -> Response:
        bot = state.org.context.bots["incident"]
        return json_response(
            {
                "ok": True,
                "url": f"https://{org.company}.slack.com/",
                "team": org.company.title(),
                "user": "incident-lake",
                "team_id": org.slack_team_id,
                "user_id": bot.user,
                "bot_id": bot.bot_id,
                "is_enterprise_install": False,
            }
        )

    methods: dict[str, Callable[[Params], Response]] = {
        "conversations.history": history,
        "conversations.replies": replies,
        "conversations.info": info,
        "conversations.list": conversations_list,
        "conversations.members": members,
        "users.list": users_list,
        "auth.test": auth_test,
    }

    async def endpoint(request: Request) -> Response:
        params: Params = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if "application/json" in ctype:
                try:
                    body = orjson.loads(await request.body() or b"{}")
                except orjson.JSONDecodeError:
                    return slack_error("invalid_json")
                params.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in body.items()})
            else:
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token", "")
        if not given:
            return slack_error("not_authed")
        if given != token:
            return slack_error("invalid_auth")
        handler = methods.get(request.path_params["method"])
        if handler is None:
            return slack_error("unknown_method")
        return handler(params)

    return [Route(f"{PREFIX}/{{method}}", endpoint, methods=["GET", "POST"])]
