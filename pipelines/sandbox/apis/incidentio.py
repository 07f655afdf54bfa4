"""incident.io public API (v1/v2): cursor pagination (`page_size` + `after`, the end is an empty page),
bracket filters on incidents, the default mode filter that hides test and tutorial incidents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.sandbox.apis.common import SandboxState, incidentio_error, int_param, json_response
from pipelines.sandbox.apis.incidentio_extra import Kit, extra_routes
from pipelines.sandbox.ids import iso_ms, parse_time
from pipelines.sandbox.model import Record

PREFIX = "/incidentio"
DEFAULT_MODES = ("standard", "retrospective")
Handler = Callable[[Request], Awaitable[Response]]


class _BadFilter(Exception):
    def __init__(self, field: str, message: str, code: str = "invalid_value") -> None:
        self.field, self.message, self.code = field, message, code


def _values(request: Request, name: str) -> list[str]:
    """`mode[one_of]=a&mode[one_of]=b` and `mode[one_of]=a,b` both mean [a, b]."""
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]


def _time_bounds(request: Request, field: str) -> tuple[str | None, str | None]:
    """[lo, hi) bounds in the API's own string format (it sorts like time), from gte/gt/lte/lt/date_range."""
    lo = hi = None
    qp = request.query_params
    try:
        for op in ("gte", "gt", "lte", "lt"):
            raw = qp.get(f"{field}[{op}]")
            if not raw:
                continue
            dt = parse_time(raw)
            date_only = len(raw.strip()) == 10
            if op == "gte":
                lo = iso_ms(dt.timestamp())
            elif op == "gt":
                lo = iso_ms(
                    (dt + (timedelta(days=1) if date_only else timedelta(milliseconds=1))).timestamp()
                )
            elif op == "lte":
                hi = iso_ms(
                    (dt + (timedelta(days=1) if date_only else timedelta(milliseconds=1))).timestamp()
                )
            else:
                hi = iso_ms(dt.timestamp())
        raw = qp.get(f"{field}[date_range]")
        if raw:
            a, _, b = raw.partition("~")
            lo = iso_ms(parse_time(a).timestamp())
            hi = iso_ms((parse_time(b) + timedelta(days=1)).timestamp())
    except ValueError:
        raise _BadFilter(field, f"{field} must be a date (2021-01-02) or an ISO 8601 time") from None
    return lo, hi


def routes(state: SandboxState) -> list[Route]:
    org = state.org
    key = org.credentials.incidentio_api_key

    def authed(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            if not header:
                return incidentio_error(
                    401,
                    "authentication_error",
                    "missing_authorization_material",
                    "No authorization material was provided with the request.",
                )
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or token.strip() != key:
                return incidentio_error(
                    401,
                    "authentication_error",
                    "invalid_authorization_material",
                    "The API key provided is not valid.",
                )
            try:
                return await handler(request)
            except _BadFilter as e:
                return incidentio_error(422, "validation_error", e.code, e.message, e.field)

        return wrapped

    def page_size(request: Request, maximum: int, required: bool = False) -> int:
        if required and not request.query_params.get("page_size"):
            raise _BadFilter("page_size", "page_size is required", "is_required")
        size = int_param(request, "page_size", 25, lo=1)
        if size is None or size > maximum:
            raise _BadFilter("page_size", f"page_size must be between 1 and {maximum}")
        return size

    def paginate(
        request: Request, records: list[Record], size: int, cache_key: tuple[Any, ...]
    ) -> tuple[list[Record], dict[str, Any]]:
        """`after` = id of the last record of the previous page; the page after the last one is empty."""
        after = request.query_params.get("after")
        start = 0
        if after:
            index = org.cached(("index", *cache_key), lambda: {r["id"]: i for i, r in enumerate(records)})
            if after not in index:
                raise _BadFilter("after", "after must be the id of a record from the previous page")
            start = index[after] + 1
        page = records[start : start + size]
        meta: dict[str, Any] = {"page_size": size}
        if page:
            meta["after"] = page[-1]["id"]
        return page, meta

    @authed
    async def list_incidents(request: Request) -> Response:
        size = page_size(request, 250)
        qp = request.query_params
        modes = tuple(_values(request, "mode[one_of]")) or DEFAULT_MODES
        filters = (
            ("mode", modes, tuple(_values(request, "mode[not_in]"))),
            (
                "status_category",
                tuple(_values(request, "status_category[one_of]")),
                tuple(_values(request, "status_category[not_in]")),
            ),
            ("status", tuple(_values(request, "status[one_of]")), tuple(_values(request, "status[not_in]"))),
            (
                "severity",
                tuple(_values(request, "severity[one_of]")),
                tuple(_values(request, "severity[not_in]")),
            ),
            (
                "incident_type",
                tuple(_values(request, "incident_type[one_of]")),
                tuple(_values(request, "incident_type[not_in]")),
            ),
        )
        created, updated = _time_bounds(request, "created_at"), _time_bounds(request, "updated_at")
        sort = qp.get("sort_by", "created_at_newest_first")
        if sort not in ("created_at_newest_first", "created_at_oldest_first"):
            raise _BadFilter("sort_by", "sort_by must be created_at_newest_first or created_at_oldest_first")
        cache_key = ("io_incidents", filters, created, updated, sort)

        def attr(r: Record, name: str) -> str | None:
            if name == "mode":
                return r["mode"]
            if name == "status_category":
                return r["incident_status"]["category"]
            if name == "status":
                return r["incident_status"]["id"]
            obj = r.get(name)
            return obj["id"] if obj else None

        def build() -> list[Record]:
            out = []
            for r in org.incidents_newest_first():
                if any(
                    (one and attr(r, n) not in one) or (attr(r, n) in not_in) for n, one, not_in in filters
                ):
                    continue
                if (created[0] and r["created_at"] < created[0]) or (
                    created[1] and r["created_at"] >= created[1]
                ):
                    continue
                if (updated[0] and r["updated_at"] < updated[0]) or (
                    updated[1] and r["updated_at"] >= updated[1]
                ):
                    continue
                out.append(r)
            return out[::-1] if sort == "created_at_oldest_first" else out

        records = org.cached(cache_key, build)
        page, meta = paginate(request, records, size, cache_key)
        meta["total_record_count"] = len(records)
        return json_response({"incidents": page, "pagination_meta": meta})

    @authed
    async def show_incident(request: Request) -> Response:
        ident = request.path_params["id"]
        record = org.io_incidents.get(ident)
        if record is None and ident.isdigit():
            refs = org.cached(("io_by_ref",), lambda: {r["reference"]: r for r in org.io_incidents.values()})
            record = refs.get(f"INC-{ident}")
        if record is None:
            return _not_found()
        return json_response({"incident": record})

    @authed
    async def list_updates(request: Request) -> Response:
        size = page_size(request, 250)
        incident_id = request.query_params.get("incident_id")
        if incident_id:
            cache_key: tuple[Any, ...] = ("io_updates", incident_id)
            records = org.cached(
                cache_key,
                lambda: sorted(
                    org.io_updates.get(incident_id, []),
                    key=lambda u: (u["created_at"], u["id"]),
                    reverse=True,
                ),
            )
        else:
            cache_key = ("io_updates_all",)
            records = org.cached(
                cache_key,
                lambda: sorted(
                    (u for ups in org.io_updates.values() for u in ups),
                    key=lambda u: (u["created_at"], u["id"]),
                    reverse=True,
                ),
            )
        page, meta = paginate(request, records, size, cache_key)
        return json_response({"incident_updates": page, "pagination_meta": meta})

    @authed
    async def list_attachments(request: Request) -> Response:
        qp = request.query_params
        incident_id = qp.get("incident_id")
        if incident_id:
            return json_response({"incident_attachments": org.io_attachments.get(incident_id, [])})
        kind, external = qp.get("resource_type"), qp.get("external_id")
        if kind and external:
            found = [
                a
                for atts in org.io_attachments.values()
                for a in atts
                if a["resource"]["resource_type"] == kind and a["resource"]["external_id"] == external
            ]
            return json_response({"incident_attachments": found})
        raise _BadFilter("incident_id", "either incident_id, or resource_type and external_id, must be given")

    def by_incident(collection: str, records_of: Callable[[], list[Record]]) -> Handler:
        @authed
        async def handler(request: Request) -> Response:
            qp = request.query_params
            records = records_of()
            incident_id = qp.get("incident_id")
            if incident_id:
                records = [r for r in records if r["incident_id"] == incident_id]
            mode = qp.get("incident_mode")
            if mode:
                records = [
                    r for r in records if (org.io_incidents.get(r["incident_id"]) or {}).get("mode") == mode
                ]
            return json_response({collection: records})

        return handler

    def static(collection: str, records_of: Callable[[], list[Record]]) -> Handler:
        @authed
        async def handler(request: Request) -> Response:
            return json_response({collection: records_of()})

        return handler

    @authed
    async def list_users(request: Request) -> Response:
        size = page_size(request, 10000)
        qp = request.query_params
        email, slack = qp.get("email"), qp.get("slack_user_id")
        inactive = (qp.get("include_inactive") or "").lower() == "true"
        cache_key = ("io_users", email, slack, inactive)
        records = org.cached(
            cache_key,
            lambda: [
                u
                for u in org.io_users
                if (inactive or u["is_active"])
                and (not email or u["email"] == email.lower())
                and (not slack or u["slack_user_id"] == slack)
            ],
        )
        page, meta = paginate(request, records, size, cache_key)
        return json_response({"users": page, "pagination_meta": meta})

    @authed
    async def show_user(request: Request) -> Response:
        user = org.io_user(request.path_params["id"])
        return json_response({"user": user}) if user else _not_found()

    @authed
    async def not_found(request: Request) -> Response:
        return _not_found()

    p = PREFIX
    return [
        Route(f"{p}/v2/incidents", list_incidents),
        Route(f"{p}/v2/incidents/{{id}}", show_incident),
        Route(f"{p}/v2/incident_updates", list_updates),
        Route(f"{p}/v1/incident_attachments", list_attachments),
        Route(f"{p}/v2/actions", by_incident("actions", lambda: org.io_actions)),
        Route(f"{p}/v2/follow_ups", by_incident("follow_ups", lambda: org.io_follow_ups)),
        Route(f"{p}/v1/severities", static("severities", lambda: org.io_severities)),
        Route(f"{p}/v1/incident_statuses", static("incident_statuses", lambda: org.io_statuses)),
        Route(f"{p}/v2/incident_timestamps", static("incident_timestamps", lambda: org.io_timestamps)),
        Route(f"{p}/v1/incident_types", static("incident_types", lambda: org.io_types)),
        Route(f"{p}/v2/incident_roles", static("incident_roles", lambda: org.io_roles)),
        Route(f"{p}/v1/incident_roles", static("incident_roles", lambda: org.io_roles)),
        Route(f"{p}/v2/custom_fields", static("custom_fields", lambda: org.io_custom_fields)),
        Route(f"{p}/v2/users", list_users),
        Route(f"{p}/v2/users/{{id}}", show_user),
        *extra_routes(org, Kit(authed, page_size, paginate, _BadFilter, _values, _time_bounds)),
        Route(f"{p}/{{rest:path}}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]


def _not_found() -> Response:
    return incidentio_error(404, "not_found", "not_found", "The requested resource could not be found.")
