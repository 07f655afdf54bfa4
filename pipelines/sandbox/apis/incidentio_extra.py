"""incident.io endpoints of the second wave: teams, the catalog, post-mortem documents and On-call
(schedules, schedule entries, escalations, alerts, incident alerts).

They share the first-wave machinery of `incidentio.py` (the key check, `page_size`, the `after` cursor
whose page after the last one is empty, bracket filters), handed over as a `Kit`. Schedule entries page
differently, as the API does: the next page is asked for by passing `pagination_meta.after` back as
`entry_window_start`, and the last page has no `pagination_meta`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.sandbox.apis.common import incidentio_error, json_response
from pipelines.sandbox.ids import iso_ms, parse_time
from pipelines.sandbox.model import Organisation, Record, ScheduleEntries

Handler = Callable[[Request], Awaitable[Response]]
# Final entries per schedule_entries page (the API takes no page size here; ours is a guess).
ENTRIES_PAGE = 100
# Without `entry_window_end`, the window runs this long from its start (the API's default is undocumented).
DEFAULT_ENTRY_WINDOW = timedelta(days=14)
# The slim incident's `status_category` spells two categories differently from the incident's own.
SLIM_CATEGORY = {"live": "active", "learning": "post-incident"}


class Kit(NamedTuple):
    """What these routes borrow from `incidentio.routes`: the auth wrapper, `page_size(request, max,
    required)`, `paginate(request, records, size, cache_key)`, the 422 exception, `values(request,
    name)` for `[one_of]` lists and `time_bounds(request, field)`."""

    authed: Callable[[Handler], Handler]
    page_size: Callable[..., int]
    paginate: Callable[..., tuple[list[Record], dict[str, Any]]]
    bad: type[Exception]
    values: Callable[[Request, str], list[str]]
    time_bounds: Callable[[Request, str], tuple[str | None, str | None]]


def slim_incident(record: Record) -> Record:
    """An incident as escalations and incident alerts embed it (`IncidentSlim`), as it is now."""
    number = int(record["reference"].split("-")[1])
    category = record["incident_status"]["category"]
    return {
        "id": record["id"],
        "external_id": number,
        "reference": record["reference"],
        "name": record["name"],
        "summary": record["summary"],
        "status_category": SLIM_CATEGORY.get(category, category),
        "visibility": record["visibility"],
    }


def _not_found() -> Response:
    return incidentio_error(404, "not_found", "not_found", "The requested resource could not be found.")


def _encode_cursor(window_start: str, last: Record) -> str:
    raw = json.dumps([window_start, last["start_at"], last["entry_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[str, str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        start, at, entry_id = json.loads(raw)
        return str(start), str(at), str(entry_id)
    except (ValueError, TypeError):
        return None


def extra_routes(org: Organisation, kit: Kit) -> list[Route]:
    """The routes, under the `/incidentio` prefix."""
    authed, bad = kit.authed, kit.bad

    def one_of(request: Request, name: str, value: str | None) -> bool:
        """`name[one_of]` / `name[not_in]` hold for `value`."""
        wanted, unwanted = kit.values(request, f"{name}[one_of]"), kit.values(request, f"{name}[not_in]")
        return (not wanted or value in wanted) and value not in unwanted

    def filter_params(request: Request) -> tuple[tuple[str, str], ...]:
        """The query minus the cursor and page size: what a filtered listing is cached by."""
        return tuple(
            sorted(x for x in request.query_params.multi_items() if x[0] not in ("after", "page_size"))
        )

    def in_bounds(bounds: tuple[str | None, str | None], value: str) -> bool:
        lo, hi = bounds
        return (not lo or value >= lo) and (not hi or value < hi)

    # ------------------------------------------------------------------ teams and the catalog
    @authed
    async def list_teams(request: Request) -> Response:
        size = kit.page_size(request, 250)
        page, meta = kit.paginate(request, org.io_teams, size, ("io_teams",))
        return json_response({"teams": page, "pagination_meta": meta})

    @authed
    async def show_team(request: Request) -> Response:
        team = next((t for t in org.io_teams if t["id"] == request.path_params["id"]), None)
        return json_response({"team": team}) if team else _not_found()

    @authed
    async def list_catalog_types(request: Request) -> Response:
        return json_response({"catalog_types": org.io_catalog_types})

    @authed
    async def show_catalog_type(request: Request) -> Response:
        kind = next((t for t in org.io_catalog_types if t["id"] == request.path_params["id"]), None)
        return json_response({"catalog_type": kind}) if kind else _not_found()

    @authed
    async def list_catalog_entries(request: Request) -> Response:
        type_id = request.query_params.get("catalog_type_id")
        if not type_id:
            raise bad("catalog_type_id", "catalog_type_id is required", "is_required")
        size = kit.page_size(request, 250, required=True)
        kind = next((t for t in org.io_catalog_types if t["id"] == type_id), None)
        if kind is None:
            return _not_found()
        entries = org.io_catalog_entries[type_id]
        ident = request.query_params.get("identifier")
        if ident:
            entries = [
                e for e in entries if ident in (e["id"], e["external_id"], e["name"]) or ident in e["aliases"]
            ]
        page, meta = kit.paginate(request, entries, size, ("io_catalog_entries", type_id, ident))
        meta["total_record_count"] = len(entries)
        return json_response({"catalog_entries": page, "catalog_type": kind, "pagination_meta": meta})

    # ------------------------------------------------------------------ post-mortems
    @authed
    async def list_postmortems(request: Request) -> Response:
        size = kit.page_size(request, 250)
        qp = request.query_params
        incident_id = qp.get("incident_id")
        sort = qp.get("sort_by", "created_at_newest_first")
        if sort not in ("created_at_newest_first", "created_at_oldest_first"):
            raise bad("sort_by", "sort_by must be created_at_newest_first or created_at_oldest_first")
        key = ("io_postmortems", incident_id, sort)

        def build() -> list[Record]:
            docs = [d for d in org.io_postmortems if not incident_id or d["incident_id"] == incident_id]
            return docs[::-1] if sort == "created_at_oldest_first" else docs

        page, meta = kit.paginate(request, org.cached(key, build), size, key)
        return json_response({"postmortem_documents": page, "pagination_meta": meta})

    # ------------------------------------------------------------------ On-call
    def schedule_view(s: Record) -> Record:
        now = iso_ms(org.now().timestamp())
        current = [e for e in org.io_schedule_entries[s["id"]].final if e["start_at"] <= now < e["end_at"]]
        return {**s, "current_shifts": current, "next_shifts": []}

    @authed
    async def list_schedules(request: Request) -> Response:
        size = kit.page_size(request, 10000)
        page, meta = kit.paginate(request, org.io_schedules, size, ("io_schedules",))
        meta["total_record_count"] = len(org.io_schedules)
        return json_response({"schedules": [schedule_view(s) for s in page], "pagination_meta": meta})

    @authed
    async def show_schedule(request: Request) -> Response:
        s = next((x for x in org.io_schedules if x["id"] == request.path_params["id"]), None)
        return json_response({"schedule": schedule_view(s)}) if s else _not_found()

    @authed
    async def list_schedule_entries(request: Request) -> Response:
        qp = request.query_params
        schedule_id = qp.get("schedule_id")
        if not schedule_id:
            raise bad("schedule_id", "schedule_id is required", "is_required")
        entries = org.io_schedule_entries.get(schedule_id)
        if entries is None:
            return _not_found()
        start_raw, end_raw = qp.get("entry_window_start"), qp.get("entry_window_end")
        after: tuple[str, str] | None = None
        if start_raw:
            try:
                window_start = iso_ms(parse_time(start_raw).timestamp())
            except ValueError:
                cursor = _decode_cursor(start_raw)
                if cursor is None:
                    raise bad(
                        "entry_window_start", "entry_window_start must be a time or a cursor from after"
                    ) from None
                window_start, after = cursor[0], (cursor[1], cursor[2])
        else:  # no window: from now on only
            window_start = iso_ms(org.now().timestamp())
        try:
            window_end = (
                iso_ms(parse_time(end_raw).timestamp())
                if end_raw
                else iso_ms((parse_time(window_start) + DEFAULT_ENTRY_WINDOW).timestamp())
            )
        except ValueError:
            raise bad("entry_window_end", "entry_window_end must be an ISO 8601 time") from None
        if window_end <= window_start:
            raise bad("entry_window_end", "entry_window_end must be after entry_window_start")
        body, more = _entries_page(entries, window_start, window_end, after)
        out: dict[str, Any] = {"schedule_entries": body}
        if more is not None:
            token = _encode_cursor(window_start, more)
            params = {"schedule_id": schedule_id, "entry_window_start": token, "entry_window_end": window_end}
            url = str(request.url.replace(query=urlencode(params)))
            out["pagination_meta"] = {"after": token, "after_url": url}
        return json_response(out)

    def escalation_view(e: Record) -> Record:
        related = [
            slim_incident(org.io_incidents[i]) for i in e["related_incidents"] if i in org.io_incidents
        ]
        return {**e, "related_incidents": related}

    @authed
    async def list_escalations(request: Request) -> Response:
        size = kit.page_size(request, 50)
        created, updated = kit.time_bounds(request, "created_at"), kit.time_bounds(request, "updated_at")
        key = ("io_escalations", filter_params(request))

        def build() -> list[Record]:
            return [
                e
                for e in org.io_escalations
                if one_of(request, "status", e["status"])
                and one_of(request, "alert", e["creator"]["alert"]["id"])
                and one_of(request, "escalation_path", e["escalation_path_id"])
                and in_bounds(created, e["created_at"])
                and in_bounds(updated, e["updated_at"])
            ]

        records = org.cached(key, build)
        page, meta = kit.paginate(request, records, size, key)
        return json_response({"escalations": [escalation_view(e) for e in page], "pagination_meta": meta})

    @authed
    async def show_escalation(request: Request) -> Response:
        e = next((x for x in org.io_escalations if x["id"] == request.path_params["id"]), None)
        return json_response({"escalation": escalation_view(e)}) if e else _not_found()

    @authed
    async def list_alerts(request: Request) -> Response:
        size = kit.page_size(request, 50, required=True)
        created = kit.time_bounds(request, "created_at")
        dedup = request.query_params.get("deduplication_key[is]")

        def build() -> list[Record]:
            return [
                a
                for a in org.io_alerts
                if one_of(request, "status", a["status"])
                and one_of(request, "alert_source", a["alert_source_id"])
                and (not dedup or a["deduplication_key"] == dedup)
                and in_bounds(created, a["created_at"])
            ]

        key = ("io_alerts", filter_params(request))
        records = org.cached(key, build)
        page, meta = kit.paginate(request, records, size, key)
        return json_response({"alerts": page, "pagination_meta": meta})

    @authed
    async def show_alert(request: Request) -> Response:
        a = next((x for x in org.io_alerts if x["id"] == request.path_params["id"]), None)
        return json_response({"alert": a}) if a else _not_found()

    @authed
    async def list_incident_alerts(request: Request) -> Response:
        size = kit.page_size(request, 50, required=True)
        qp = request.query_params
        alert_id, incident_id = qp.get("alert_id"), qp.get("incident_id")
        alerts = org.cached(("io_alerts_by_id",), lambda: {a["id"]: a for a in org.io_alerts})
        key = ("io_incident_alerts", alert_id, incident_id)
        records = org.cached(
            key,
            lambda: [
                x
                for x in org.io_incident_alerts
                if (not alert_id or x["alert_id"] == alert_id)
                and (not incident_id or x["incident_id"] == incident_id)
            ],
        )
        page, meta = kit.paginate(request, records, size, key)
        body = [
            {
                "id": x["id"],
                "alert": {k: v for k, v in alerts[x["alert_id"]].items() if k != "attributes"},
                "alert_route_id": x["alert_route_id"],
                "incident": slim_incident(org.io_incidents[x["incident_id"]]),
            }
            for x in page
        ]
        return json_response({"incident_alerts": body, "pagination_meta": meta})

    p = "/incidentio"
    return [
        Route(f"{p}/v3/teams", list_teams),
        Route(f"{p}/v3/teams/{{id}}", show_team),
        Route(f"{p}/v3/catalog_types", list_catalog_types),
        Route(f"{p}/v3/catalog_types/{{id}}", show_catalog_type),
        Route(f"{p}/v3/catalog_entries", list_catalog_entries),
        Route(f"{p}/v1/postmortem_documents", list_postmortems),
        Route(f"{p}/v2/schedules", list_schedules),
        Route(f"{p}/v2/schedules/{{id}}", show_schedule),
        Route(f"{p}/v2/schedule_entries", list_schedule_entries),
        Route(f"{p}/v2/escalations", list_escalations),
        Route(f"{p}/v2/escalations/{{id}}", show_escalation),
        Route(f"{p}/v2/alerts", list_alerts),
        Route(f"{p}/v2/alerts/{{id}}", show_alert),
        Route(f"{p}/v2/incident_alerts", list_incident_alerts),
    ]


def _entries_page(
    entries: ScheduleEntries, start: str, end: str, after: tuple[str, str] | None
) -> tuple[Record, Record | None]:
    """One page of a schedule's entries overlapping [start, end): up to `ENTRIES_PAGE` final entries in
    (start_at, entry_id) order after the cursor position, with the scheduled entries and overrides that
    overlap the span those cover. Returns the body and the last final entry when more remain."""
    final = [
        e
        for e in entries.final
        if e["end_at"] > start
        and e["start_at"] < end
        and (after is None or (e["start_at"], e["entry_id"]) > after)
    ]
    page, more = final[:ENTRIES_PAGE], len(final) > ENTRIES_PAGE
    if page:
        lo, hi = max(start, page[0]["start_at"]), min(end, max(e["end_at"] for e in page))
    else:
        lo, hi = start, start

    def overlapping(lst: list[Record]) -> list[Record]:
        return [e for e in lst if e["end_at"] > lo and e["start_at"] < hi]

    body = {
        "final": page,
        "scheduled": overlapping(entries.scheduled),
        "overrides": overlapping(entries.overrides),
    }
    return body, (page[-1] if more else None)
