"""incident.io connector: incidents of every mode, their updates and attachments, the settings lists,
and the second wave: teams, the catalog, post-mortem documents and On-call (schedules, schedule
entries, escalations, alerts, incident alerts).

Traps handled: the list endpoint hides test and tutorial incidents unless `mode[one_of]` asks for
them; paging ends on an *empty* page; a 429 carries `Retry-After` as an HTTP date; schedule entries
page by handing `pagination_meta.after` back as `entry_window_start` and answer "from now on" without
a window. Records are yielded per entity (`"incidents"`, `"actions"`…); the ingest layer maps entities
to raw tables. Listings read whole carry their covered set on one batch (docs/sync.md, "Deletions").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from pipelines.connectors.common import ApiTotal, Batch, CoveredSet, parse_time, shape_records
from pipelines.connectors.http import HttpClient, RequestStats, retry_after_http_date
from pipelines.connectors.pagination import AfterCursorPaginator, WindowStartPaginator, paginate
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal
from pipelines.connectors.workers import DaemonPool
from pipelines.connectors.zoom import zoom_meeting_id

SOURCE = "incidentio"
ALL_MODES = ["standard", "retrospective", "test", "tutorial"]
PAGE_SIZE = 250  # the documented maximum for incidents and incident updates
USERS_PAGE_SIZE = 10_000  # documented maximum of GET /v2/users
SCHEDULES_PAGE_SIZE = 10_000  # documented maximum of GET /v2/schedules
# The documented maximum of escalations, alerts and incident alerts (required by the last two).
ONCALL_PAGE_SIZE = 50

# Small lists the API returns whole (no pagination): path, key in the response, entity.
CATALOG = (
    ("/v1/severities", "severities", "severities"),
    ("/v1/incident_statuses", "incident_statuses", "incident_statuses"),
    ("/v2/incident_roles", "incident_roles", "incident_roles"),
    ("/v2/incident_timestamps", "incident_timestamps", "incident_timestamps"),
    ("/v1/incident_types", "incident_types", "incident_types"),
    ("/v2/custom_fields", "custom_fields", "custom_fields"),
)
# Lists of every incident's items, returned whole (not paginated): path, key, entity.
PER_INCIDENT_LISTS = (
    ("/v2/actions", "actions", "actions"),
    ("/v2/follow_ups", "follow_ups", "follow_ups"),
)


def make_client(
    api_key: str,
    base_url: str,
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    budget: ApiBudget | None = None,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> HttpClient:
    """The incident.io client: bearer key, `Retry-After` as an HTTP date, one pooled `httpx.Client`."""
    return HttpClient(
        SOURCE,
        base_url,
        headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        retry_after=lambda h: retry_after_http_date(h.get("retry-after")),
        max_connections=max_connections,
        timeout=timeout,
        budget=budget,
        stats=RequestStats(),
        stop=stop,
        transport=transport,
    )


def schedule_entry_id(schedule_id: str, entry: dict[str, Any]) -> str | None:
    """`<schedule_id>:<fingerprint>`: the fingerprint is unique within a schedule's `final` list and
    stays when the entry is read again (an `entry_id` is shared by the pieces an override cuts a shift
    into). Without a fingerprint: `<schedule_id>:<start_at>:<user id>` (one person holds one entry of
    a schedule at a given start); None when that is missing too (the entry is rejected)."""
    fingerprint = entry.get("fingerprint")
    if fingerprint:
        return f"{schedule_id}:{fingerprint}"
    user = (entry.get("user") or {}).get("id")
    start = entry.get("start_at")
    return f"{schedule_id}:{start}:{user}" if user and start else None


def incident_keys(record: dict[str, Any]) -> dict[str, Any]:
    """Typed columns of an incident row: its cursor time, and the Zoom meeting of its call (if any)."""
    return {
        "updated_at": parse_time(record.get("updated_at")),
        "zoom_meeting_id": zoom_meeting_id(record.get("call_url")),
    }


class IncidentioConnector:
    def __init__(self, client: HttpClient, *, concurrency: int = 8) -> None:
        self.client = client
        self.concurrency = concurrency
        # What the API said each listing holds (`pagination_meta.total_record_count`).
        self.totals: list[ApiTotal] = []

    def incidents(self, updated_since: str | None = None) -> Iterator[Batch]:
        params: dict[str, Any] = {"mode[one_of]": ALL_MODES}
        if updated_since:
            params["updated_at[gte]"] = updated_since
        total: int | None = None
        for records, page in paginate(
            self.client, "/v2/incidents", "incidents", AfterCursorPaginator(PAGE_SIZE), params
        ):
            count = (page.get("pagination_meta") or {}).get("total_record_count")
            total = count if isinstance(count, int) else total
            yield shape_records("incidents", records, "/v2/incidents", incident_keys)
        if total is not None:  # recorded once the listing is complete
            since = parse_time(updated_since) if updated_since else None
            self.totals.append(ApiTotal("incidents", "updated_at" if since else None, since, None, total))

    def catalog_lists(self) -> list[tuple[str, Callable[[], Iterator[Batch]]]]:
        """Severities, statuses, roles, timestamps, types and custom fields: `(entity, read)`, one
        request each, so that one the key may not read is skipped alone."""

        def read(path: str, key: str, entity: str) -> Callable[[], Iterator[Batch]]:
            return lambda: iter([self._whole_list(path, key, entity, lambda r: {})])

        return [(entity, read(path, key, entity)) for path, key, entity in CATALOG]

    def per_incident_lists(self) -> list[tuple[str, Callable[[], Iterator[Batch]]]]:
        """Every incident's actions and follow-ups: `(entity, read)`; each list is read whole."""

        def keys(r: dict[str, Any]) -> dict[str, Any]:
            return {"incident_id": r["incident_id"], "updated_at": parse_time(r.get("updated_at"))}

        def read(path: str, key: str, entity: str) -> Callable[[], Iterator[Batch]]:
            return lambda: iter([self._whole_list(path, key, entity, keys)])

        return [(entity, read(path, key, entity)) for path, key, entity in PER_INCIDENT_LISTS]

    def users(self) -> Iterator[Batch]:
        params = {"include_inactive": "true"}
        for records, _ in paginate(
            self.client, "/v2/users", "users", AfterCursorPaginator(USERS_PAGE_SIZE), params
        ):
            yield shape_records("users", records, "/v2/users", lambda r: {})

    def _whole_list(self, path: str, key: str, entity: str, keys: Any) -> Batch:
        page = self.client.get_json(path)
        records = page.get(key) if isinstance(page, dict) else None
        if not isinstance(records, list):
            batch = Batch(entity)
            batch.rejected.append((path, None, f"malformed page: no '{key}' list", page))
            return batch
        batch = shape_records(entity, records, path, keys)
        batch.covers.append(CoveredSet(entity))  # the whole list: what it lacks is gone
        return batch

    def _whole_listing(
        self,
        path: str,
        key: str,
        entity: str,
        page_size: int,
        keys: Callable[[dict[str, Any]], dict[str, Any]],
        covered: CoveredSet | None,
        params: dict[str, Any] | None = None,
    ) -> Batch:
        """Every page of an `after`-paged listing in one batch, so its covered set (if any) travels with
        all the rows it covers. Raises what `paginate` raises; nothing is yielded before the end."""
        batch = Batch(entity)
        for records, _ in paginate(self.client, path, key, AfterCursorPaginator(page_size), params):
            batch.merge(shape_records(entity, records, path, keys))
        if covered is not None:
            batch.covers.append(covered)
        return batch

    # ------------------------------------------------------------ teams, catalog, post-mortems
    def teams(self) -> Iterator[Batch]:
        """GET /v3/teams, whole: `{id, name, members[], catalog_entry}`."""
        yield self._whole_listing("/v3/teams", "teams", "teams", PAGE_SIZE, lambda r: {}, CoveredSet("teams"))

    def catalog_types(self) -> Iterator[Batch]:
        """GET /v3/catalog_types (unpaged), whole."""
        yield self._whole_list("/v3/catalog_types", "catalog_types", "catalog_types", lambda r: {})

    def catalog_entries(self, type_ids: list[str]) -> Iterator[Batch]:
        """GET /v3/catalog_entries of each catalog type (`catalog_type_id` and `page_size` are both
        required); each type's entries are one batch covering that type."""
        for type_id in type_ids:

            def keys(record: dict[str, Any], type_id: str = type_id) -> dict[str, Any]:
                return {"catalog_type_id": record.get("catalog_type_id") or type_id}

            yield self._whole_listing(
                "/v3/catalog_entries",
                "catalog_entries",
                "catalog_entries",
                PAGE_SIZE,
                keys,
                CoveredSet("catalog_type_entries", (type_id,)),
                {"catalog_type_id": type_id},
            )

    def postmortem_documents(self) -> Iterator[Batch]:
        """GET /v1/postmortem_documents, whole (the API has no `updated_at` filter; a document's status
        changes long after it is created)."""
        yield self._whole_listing(
            "/v1/postmortem_documents",
            "postmortem_documents",
            "postmortem_documents",
            PAGE_SIZE,
            lambda r: {"incident_id": r["incident_id"], "updated_at": parse_time(r.get("updated_at"))},
            CoveredSet("postmortem_documents"),
        )

    # ------------------------------------------------------------------------------ On-call
    def schedules(self) -> Iterator[Batch]:
        """GET /v2/schedules, whole."""
        yield self._whole_listing(
            "/v2/schedules",
            "schedules",
            "schedules",
            SCHEDULES_PAGE_SIZE,
            lambda r: {},
            CoveredSet("schedules"),
        )

    def schedule_entries(self, schedule_id: str, start: str, end: str) -> Batch:
        """The `final` entries of one schedule overlapping [start, end) (ISO-8601 UTC), all pages in one
        batch. It covers the entries *starting* in [start, end): an entry that began earlier and
        overlaps `start` is returned but says nothing about its neighbours."""
        path = "/v2/schedule_entries"
        params = {"schedule_id": schedule_id, "entry_window_start": start, "entry_window_end": end}
        batch = Batch("schedule_entries")
        for records, _ in paginate(
            self.client, path, ("schedule_entries", "final"), WindowStartPaginator(), params, endpoint=path
        ):
            batch.merge(
                shape_records(
                    "schedule_entries",
                    records,
                    path,
                    lambda r: {
                        "schedule_id": schedule_id,
                        "start_at": _required_time(r, "start_at"),
                        "end_at": _required_time(r, "end_at"),
                    },
                    id_of=lambda r: schedule_entry_id(schedule_id, r),
                )
            )
        batch.covers.append(CoveredSet("schedule_window", (schedule_id, start, end)))
        return batch

    def escalations(self, updated_since: str | None) -> Iterator[Batch]:
        """GET /v2/escalations updated since `updated_since` (all when None), newest first, a batch
        per page."""
        params = {"updated_at[gte]": updated_since} if updated_since else {}
        for records, _ in paginate(
            self.client, "/v2/escalations", "escalations", AfterCursorPaginator(ONCALL_PAGE_SIZE), params
        ):
            yield shape_records(
                "escalations",
                records,
                "/v2/escalations",
                lambda r: {
                    "created_at": parse_time(r.get("created_at")),
                    "updated_at": parse_time(r.get("updated_at")),
                },
            )

    def alerts(self, created_since: str | None) -> Iterator[Batch]:
        """GET /v2/alerts created since `created_since` (all when None), a batch per page."""
        params = {"created_at[gte]": created_since} if created_since else {}
        for records, _ in paginate(
            self.client, "/v2/alerts", "alerts", AfterCursorPaginator(ONCALL_PAGE_SIZE), params
        ):
            yield shape_records(
                "alerts", records, "/v2/alerts", lambda r: {"created_at": parse_time(r.get("created_at"))}
            )

    def incident_alerts(self) -> Iterator[Batch]:
        """GET /v2/incident_alerts, whole: `{id, alert, alert_route_id, incident}`."""
        yield self._whole_listing(
            "/v2/incident_alerts",
            "incident_alerts",
            "incident_alerts",
            ONCALL_PAGE_SIZE,
            lambda r: {"incident_id": r["incident"]["id"], "alert_id": r["alert"]["id"]},
            CoveredSet("incident_alerts"),
        )

    def incident_updates(self) -> Iterator[Batch]:
        for records, _ in paginate(
            self.client, "/v2/incident_updates", "incident_updates", AfterCursorPaginator(PAGE_SIZE)
        ):
            yield shape_records(
                "incident_updates",
                records,
                "/v2/incident_updates",
                lambda r: {"incident_id": r["incident_id"], "created_at": parse_time(r.get("created_at"))},
            )

    def incident_attachments(self, incident_ids: list[str]) -> Iterator[Batch]:
        """Attachments are listed per incident (the API requires `incident_id`); fetched concurrently.
        Each incident's list is read whole (`covers`)."""

        def fetch(incident_id: str) -> Batch:
            page = self.client.get_json(
                "/v1/incident_attachments",
                params={"incident_id": incident_id},
                endpoint="/v1/incident_attachments",
            )
            records = page.get("incident_attachments") if isinstance(page, dict) else None
            if not isinstance(records, list):
                batch = Batch("incident_attachments")
                batch.rejected.append(("/v1/incident_attachments", incident_id, "malformed page", page))
                return batch
            batch = shape_records(
                "incident_attachments",
                records,
                "/v1/incident_attachments",
                lambda r: {"incident_id": r.get("incident_id") or incident_id},
            )
            batch.covers.append(CoveredSet("incident_attachments", (incident_id,)))
            return batch

        with DaemonPool(self.concurrency, "incidentio") as pool:
            # Fetch in chunks so memory stays flat and progress shows as we go.
            for start in range(0, len(incident_ids), 200):
                chunk = incident_ids[start : start + 200]
                merged = Batch("incident_attachments")
                for batch in pool.map(fetch, chunk):
                    merged.merge(batch)
                yield merged


def _required_time(record: dict[str, Any], name: str) -> Any:
    """A time the row cannot do without; a missing or unreadable one rejects the record."""
    value = parse_time(record.get(name))
    if value is None:
        raise ValueError(f"{name} is missing or not an ISO-8601 time: {record.get(name)!r}")
    return value
