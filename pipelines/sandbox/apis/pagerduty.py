"""PagerDuty REST API v2: `Authorization: Token token=…`, classic offset pagination (`limit` ≤ 100,
`more`, `total` only with `total=true`, `offset+limit` ≤ 10000), and `/incidents` filtered on creation
time by `since`/`until` (default the last month, at most 6 months; `date_range=all` lifts it)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.sandbox.apis.common import SandboxState, bool_param, int_param, json_response, pagerduty_error
from pipelines.sandbox.ids import iso_s, parse_time
from pipelines.sandbox.model import Organisation, Record

PREFIX = "/pagerduty"
MAX_LIMIT = 100
ITERATION_LIMIT = 10_000
OFFSET_ERROR = (
    "Offset+limit exceeds maximum allowed value of 10000. Please try to refine your search to reduce "
    "the returned set of records below this number, like adding a date range."
)
Handler = Callable[[Request], Awaitable[Response]]


class _Bad(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _invalid(message: str) -> _Bad:
    return _Bad(pagerduty_error(400, 2001, "Invalid Input Provided", [message]))


def _add_months(dt: datetime, months: int) -> datetime:
    month = dt.month - 1 + months
    year, month = dt.year + month // 12, month % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return dt.replace(year=year, month=month, day=min(dt.day, days))


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise _invalid(f"{name.capitalize()} is invalid.") from None


def routes(state: SandboxState) -> list[Route]:
    org = state.org
    key = org.credentials.pagerduty_api_token

    def authed(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            scheme, _, rest = auth.partition(" ")
            if scheme.lower() != "token" or rest.strip() != f"token={key}":
                return pagerduty_error(401, 2006, "Authentication failed")
            accept = request.headers.get("accept", "")
            if "vnd.pagerduty+json" in accept and "version=2" not in accept.replace(" ", ""):
                return pagerduty_error(406, 2001, "Invalid Input Provided", ["Unsupported API version."])
            try:
                return await handler(request)
            except _Bad as e:
                return e.response

        return wrapped

    def paginate(request: Request, collection: str, records: list[Record]) -> Response:
        limit = int_param(request, "limit", 25, lo=1)
        offset = int_param(request, "offset", 0)
        if limit is None or offset is None:
            raise _invalid("Limit and offset must be non-negative integers.")
        limit = min(limit, MAX_LIMIT)
        if offset + limit > ITERATION_LIMIT:
            raise _Bad(pagerduty_error(400, 2002, "Arguments Caused Error", [OFFSET_ERROR]))
        page = records[offset : offset + limit]
        body: dict[str, Any] = {
            collection: page,
            "limit": limit,
            "offset": offset,
            "more": offset + len(page) < len(records),
            "total": len(records) if bool_param(request, "total") else None,
        }
        return json_response(body)

    def created_window(request: Request) -> tuple[str, str] | None:
        """The [since, until) window on created_at, or None for date_range=all."""
        if request.query_params.get("date_range") == "all":
            return None
        since, until = _time(request, "since"), _time(request, "until")
        now = org.now()
        if until is None:
            until = now if since is None or since < now else _add_months(since, 1)
        if since is None:
            since = _add_months(until, -1)
        if until < since:
            raise _invalid("Until must be after since.")
        if until > _add_months(since, 6):
            raise _invalid(" is invalid.")  # verbatim: what the API says to a range over 6 months
        return iso_s(since.timestamp()), iso_s(until.timestamp())

    def time_bounds(request: Request) -> tuple[str, str] | None:
        since, until = _time(request, "since"), _time(request, "until")
        if since is None and until is None:
            return None
        return (iso_s(since.timestamp()) if since else "", iso_s(until.timestamp()) if until else "9999")

    def time_filtered(request: Request, records: list[Record]) -> list[Record]:
        bounds = time_bounds(request)
        if bounds is None:
            return records
        lo, hi = bounds
        return [r for r in records if lo <= r["created_at"] < hi]

    @authed
    async def list_incidents(request: Request) -> Response:
        qp = request.query_params
        window = created_window(request)
        statuses = tuple(qp.getlist("statuses[]"))
        urgencies = tuple(qp.getlist("urgencies[]"))
        services = tuple(qp.getlist("service_ids[]"))
        teams = tuple(qp.getlist("team_ids[]"))
        incident_key = qp.get("incident_key")
        sort = tuple(qp.get("sort_by", "created_at:asc").split(","))
        cache_key = ("pd_incidents", window, statuses, urgencies, services, teams, incident_key, sort)

        def build() -> list[Record]:
            out = [
                r
                for r in org.pd_incidents_sorted()
                if (window is None or window[0] <= r["created_at"] < window[1])
                and (not statuses or r["status"] in statuses)
                and (not urgencies or r["urgency"] in urgencies)
                and (not services or r["service"]["id"] in services)
                and (not teams or any(t["id"] in teams for t in r["teams"]))
                and (not incident_key or r["incident_key"] == incident_key)
            ]
            for field_dir in reversed(sort[:2]):
                field, _, direction = field_dir.partition(":")
                if field not in ("incident_number", "created_at", "resolved_at", "urgency"):
                    raise _invalid("Sort by is invalid.")
                out.sort(key=partial(_sort_key, field), reverse=direction == "desc")
            return out

        return paginate(request, "incidents", org.cached(cache_key, build))

    @authed
    async def show_incident(request: Request) -> Response:
        record = org.pd_incidents.get(request.path_params["id"])
        return json_response({"incident": record}) if record else _not_found()

    @authed
    async def incident_log_entries(request: Request) -> Response:
        entries = org.pd_log_entries.get(request.path_params["id"])
        if entries is None:
            return _not_found()
        if bool_param(request, "is_overview"):
            entries = [e for e in entries if e["type"] not in ("notify_log_entry", "assign_log_entry")]
        return paginate(request, "log_entries", time_filtered(request, entries))

    @authed
    async def all_log_entries(request: Request) -> Response:
        records = org.cached(
            ("pd_log_entries_all",),
            lambda: sorted(
                (e for es in org.pd_log_entries.values() for e in es),
                key=lambda e: (e["created_at"], e["id"]),
            ),
        )
        bounds = time_bounds(request)
        if bounds is not None:
            # Sorted by created_at: a window is a slice found by bisection, not a scan of every entry
            # on every page (which made paging through a large account quadratic).
            times = org.cached(("pd_log_entries_times",), lambda: [e["created_at"] for e in records])
            records = records[bisect_left(times, bounds[0]) : bisect_left(times, bounds[1])]
        return paginate(request, "log_entries", records)

    @authed
    async def show_log_entry(request: Request) -> Response:
        index = org.cached(
            ("pd_log_entry_index",), lambda: {e["id"]: e for es in org.pd_log_entries.values() for e in es}
        )
        entry = index.get(request.path_params["id"])
        return json_response({"log_entry": entry}) if entry else _not_found()

    def listing(collection: str, records_of: Callable[[], list[Record]]) -> Handler:
        @authed
        async def handler(request: Request) -> Response:
            records = records_of()
            query = (request.query_params.get("query") or "").lower()
            if query:
                records = [
                    r
                    for r in records
                    if query in r.get("name", "").lower() or query in str(r.get("email", "")).lower()
                ]
            return paginate(request, collection, records)

        return handler

    def show(singular: str, records_of: Callable[[], list[Record]]) -> Handler:
        @authed
        async def handler(request: Request) -> Response:
            record = next((r for r in records_of() if r["id"] == request.path_params["id"]), None)
            return json_response({singular: record}) if record else _not_found()

        return handler

    @authed
    async def list_oncalls(request: Request) -> Response:
        """Who was on call at levels 1 and 2 of each service's escalation policy: the weekly rotation
        that also decides who gets paged. Shifts overlapping [since, until) (default: now)."""
        qp = request.query_params
        now = org.now()
        since, until = _time(request, "since") or now, _time(request, "until") or now
        if until < since:
            raise _invalid("Until must be after since.")
        wanted_policies = set(qp.getlist("escalation_policy_ids[]"))
        wanted_users = set(qp.getlist("user_ids[]"))
        key = (
            "pd_oncalls",
            since.timestamp(),
            until.timestamp(),
            tuple(sorted(wanted_policies)),
            tuple(sorted(wanted_users)),
        )
        records = org.cached(
            key,
            lambda: [
                shift
                for shift in _oncall_shifts(org, since.timestamp(), until.timestamp())
                if (not wanted_policies or shift["escalation_policy"]["id"] in wanted_policies)
                and (not wanted_users or shift["user"]["id"] in wanted_users)
            ],
        )
        return paginate(request, "oncalls", records)

    @authed
    async def not_found(request: Request) -> Response:
        return _not_found()

    p = PREFIX
    return [
        Route(f"{p}/incidents", list_incidents),
        Route(f"{p}/incidents/{{id}}", show_incident),
        Route(f"{p}/incidents/{{id}}/log_entries", incident_log_entries),
        Route(f"{p}/log_entries", all_log_entries),
        Route(f"{p}/log_entries/{{id}}", show_log_entry),
        Route(f"{p}/services", listing("services", lambda: org.pd_services)),
        Route(f"{p}/services/{{id}}", show("service", lambda: org.pd_services)),
        Route(f"{p}/users", listing("users", lambda: org.pd_users)),
        Route(f"{p}/oncalls", list_oncalls),
        Route(f"{p}/users/{{id}}", show("user", lambda: org.pd_users)),
        Route(f"{p}/teams", listing("teams", lambda: org.pd_teams)),
        Route(f"{p}/priorities", listing("priorities", lambda: org.pd_priorities)),
        Route(f"{p}/{{rest:path}}", not_found, methods=["GET", "POST", "PUT", "DELETE"]),
    ]


ONCALL_LEVELS = (1, 2)
WEEK = 7 * 86400.0


def _oncall_shifts(org: Organisation, since: float, until: float) -> list[Record]:
    """Weekly shifts of the generator's rotations (`Organisation.on_call`), ordered by start, then policy."""
    rotation = org.context.rotation
    user_refs = org.context.pd_user_refs
    start = org.rotation_start()
    first, last = int((since - start) // WEEK), int((until - start) // WEEK)
    shifts = []
    for week in range(max(0, first), last + 1):
        begin, end = start + week * WEEK, start + (week + 1) * WEEK
        if end <= since or begin >= until:
            continue
        for service in org.pd_services:
            rota = rotation.get(service["id"])
            if not rota:
                continue
            policy = service["escalation_policy"]
            for level in ONCALL_LEVELS:
                person = org.on_call(service["id"], begin + WEEK / 2, level)  # mid-shift: no rounding
                user = user_refs.get(person.pagerduty_id or "")
                if user is None:
                    continue
                schedule_id = f"PS{policy['id'][2:]}{level}"
                shifts.append(
                    {
                        "escalation_policy": policy,
                        "escalation_level": level,
                        "schedule": {
                            "id": schedule_id,
                            "type": "schedule_reference",
                            "summary": f"{service['name']} level {level}",
                            "self": f"{_base(policy['self'])}/schedules/{schedule_id}",
                            "html_url": f"{_base(policy['html_url'])}/schedules/{schedule_id}",
                        },
                        "user": user,
                        "start": iso_s(begin),
                        "end": iso_s(end),
                    }
                )
    return shifts


def _sort_key(field: str, record: Record) -> tuple[bool, Any]:
    """Nulls (and older records without the field) last, as the API sorts them."""
    value = record.get(field)
    return (value is None, value or 0)


def _base(url: str) -> str:
    return url.rsplit("/escalation_policies/", 1)[0]


def _not_found() -> Response:
    return pagerduty_error(404, 2100, "Not Found")
