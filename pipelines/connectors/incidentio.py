"""incident.io connector: incidents of every mode, their updates and attachments.

Traps handled: the list endpoint hides test and tutorial incidents unless `mode[one_of]` asks for
them; paging ends on an *empty* page; a 429 carries `Retry-After` as an HTTP date.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipelines.connectors.common import ApiTotal, Batch, parse_time, shape_records
from pipelines.connectors.http import HttpClient, RequestStats, retry_after_http_date
from pipelines.connectors.pagination import AfterCursorPaginator, paginate
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

SOURCE = "incidentio"
ALL_MODES = ["standard", "retrospective", "test", "tutorial"]
PAGE_SIZE = 250  # the documented maximum for incidents and incident updates

INCIDENTS = RAW_TABLES_BY_NAME["incidentio_incidents"]
UPDATES = RAW_TABLES_BY_NAME["incidentio_incident_updates"]
ATTACHMENTS = RAW_TABLES_BY_NAME["incidentio_incident_attachments"]
USERS = RAW_TABLES_BY_NAME["incidentio_users"]
USERS_PAGE_SIZE = 10_000  # documented maximum of GET /v2/users

# Small lists the API returns whole (no pagination): path, key in the response, raw table.
CATALOG = (
    ("/v1/severities", "severities", "incidentio_severities"),
    ("/v1/incident_statuses", "incident_statuses", "incidentio_incident_statuses"),
    ("/v2/incident_roles", "incident_roles", "incidentio_incident_roles"),
    ("/v2/incident_timestamps", "incident_timestamps", "incidentio_incident_timestamps"),
    ("/v1/incident_types", "incident_types", "incidentio_incident_types"),
    ("/v2/custom_fields", "custom_fields", "incidentio_custom_fields"),
)
PER_INCIDENT_LISTS = (
    ("/v2/actions", "actions", "incidentio_actions"),
    ("/v2/follow_ups", "follow_ups", "incidentio_follow_ups"),
)


def make_client(
    api_key: str,
    base_url: str,
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    budget: ApiBudget | None = None,
) -> HttpClient:
    return HttpClient(
        SOURCE,
        base_url,
        headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        retry_after=lambda h: retry_after_http_date(h.get("retry-after")),
        max_connections=max_connections,
        timeout=timeout,
        budget=budget,
        stats=RequestStats(),
    )


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
            if total is None:
                count = (page.get("pagination_meta") or {}).get("total_record_count")
                total = count if isinstance(count, int) else None
            yield shape_records(
                INCIDENTS, records, "/v2/incidents", lambda r: {"updated_at": parse_time(r.get("updated_at"))}
            )
        if total is not None:  # recorded once the listing is complete
            since = parse_time(updated_since) if updated_since else None
            self.totals.append(ApiTotal("incidents", "updated_at" if since else None, since, None, total))

    def catalog(self) -> Iterator[Batch]:
        """Severities, statuses, roles, timestamps, types and custom fields: one request each."""
        for path, key, table in CATALOG:
            yield self._whole_list(path, key, table, lambda r: {})

    def actions_and_follow_ups(self) -> Iterator[Batch]:
        """Every incident's actions and follow-ups (unpaginated lists; every incident mode)."""
        for path, key, table in PER_INCIDENT_LISTS:
            yield self._whole_list(
                path,
                key,
                table,
                lambda r: {"incident_id": r["incident_id"], "updated_at": parse_time(r.get("updated_at"))},
            )

    def users(self) -> Iterator[Batch]:
        params = {"include_inactive": "true"}
        for records, _ in paginate(
            self.client, "/v2/users", "users", AfterCursorPaginator(USERS_PAGE_SIZE), params
        ):
            yield shape_records(USERS, records, "/v2/users", lambda r: {})

    def _whole_list(self, path: str, key: str, table: str, keys: Any) -> Batch:
        page = self.client.get_json(path)
        records = page.get(key) if isinstance(page, dict) else None
        if not isinstance(records, list):
            batch = Batch(RAW_TABLES_BY_NAME[table])
            batch.rejected.append((path, None, f"malformed page: no '{key}' list", page))
            return batch
        return shape_records(RAW_TABLES_BY_NAME[table], records, path, keys)

    def incident_updates(self) -> Iterator[Batch]:
        for records, _ in paginate(
            self.client, "/v2/incident_updates", "incident_updates", AfterCursorPaginator(PAGE_SIZE)
        ):
            yield shape_records(
                UPDATES,
                records,
                "/v2/incident_updates",
                lambda r: {"incident_id": r["incident_id"], "created_at": parse_time(r.get("created_at"))},
            )

    def incident_attachments(self, incident_ids: list[str]) -> Iterator[Batch]:
        """Attachments are listed per incident (the API requires `incident_id`); fetched concurrently."""

        def fetch(incident_id: str) -> Batch:
            page = self.client.get_json(
                "/v1/incident_attachments",
                params={"incident_id": incident_id},
                endpoint="/v1/incident_attachments",
            )
            records = page.get("incident_attachments") if isinstance(page, dict) else None
            if not isinstance(records, list):
                batch = Batch(ATTACHMENTS)
                batch.rejected.append(("/v1/incident_attachments", incident_id, "malformed page", page))
                return batch
            return shape_records(
                ATTACHMENTS,
                records,
                "/v1/incident_attachments",
                lambda r: {"incident_id": r.get("incident_id") or incident_id},
            )

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="incidentio") as pool:
            # Fetch in chunks so memory stays flat and progress shows as we go.
            for start in range(0, len(incident_ids), 200):
                chunk = incident_ids[start : start + 200]
                merged = Batch(ATTACHMENTS)
                for batch in pool.map(fetch, chunk):
                    merged.rows.extend(batch.rows)
                    merged.rejected.extend(batch.rejected)
                yield merged
