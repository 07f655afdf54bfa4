"""Queries of the Incident explorer: the searchable list, one incident, its timeline, and links back."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd

from dashboards.filters import Filters
from dashboards.snapshot import Snapshot
from dashboards.sql import query_snapshot, query_snapshot_row

LIST_LIMIT = 1000
LIST_COLUMNS = (
    "incident_id",
    "reference",
    "name",
    "status_category",
    "severity_name",
    "incident_type",
    "mode",
    "reported_at",
    "resolved_at",
    "time_to_resolve_seconds",
    "lead_email",
    "slack_channel_id",
    "zoom_meeting_id",
    "pagerduty_incident_id",
)


def _search_clause() -> str:
    return """
        ($search = '' OR contains(lower(coalesce(reference, '')), $search)
            OR contains(lower(coalesce(name, '')), $search) OR contains(lower(incident_id), $search))
        AND ($all_statuses OR list_contains($statuses::VARCHAR[], status_category))
    """


def _search_params(filters: Filters, search: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    return {
        **filters.params(),
        "search": search.strip().lower(),
        "all_statuses": not statuses,
        "statuses": list(statuses),
    }


def status_categories(snapshot: Snapshot, filters: Filters) -> list[str]:
    df = query_snapshot(
        snapshot,
        f"WITH {filters.incidents_cte()} SELECT DISTINCT status_category FROM filtered "
        "WHERE status_category IS NOT NULL ORDER BY 1",
        filters.params(),
    )
    return [str(s) for s in df["status_category"]]


def search_incidents(
    snapshot: Snapshot,
    filters: Filters,
    search: str,
    statuses: tuple[str, ...],
    columns: tuple[str, ...],
) -> tuple[pd.DataFrame, int]:
    """The most recent filtered incidents matching `search` (reference, name or id, case-insensitive)
    and `statuses`, at most LIST_LIMIT of them; and how many match in all. `columns` are the optional
    extra columns of fct_incidents to return (e.g. `permalink`)."""
    selected = ", ".join([*LIST_COLUMNS, *columns])
    params = _search_params(filters, search, statuses)
    rows = query_snapshot(
        snapshot,
        f"""
        WITH {filters.incidents_cte()}
        SELECT {selected}
        FROM filtered
        WHERE {_search_clause()}
        ORDER BY reported_at DESC, incident_id
        LIMIT {LIST_LIMIT}
        """,
        params,
    )
    total = query_snapshot_row(
        snapshot,
        f"WITH {filters.incidents_cte()} SELECT count(*) AS n FROM filtered WHERE {_search_clause()}",
        params,
    )
    return rows, int(total.get("n") or 0)


def incident(snapshot: Snapshot, incident_id: str) -> dict[str, Any]:
    return query_snapshot_row(
        snapshot,
        "SELECT * FROM marts.fct_incidents WHERE incident_id = $incident_id",
        {"incident_id": incident_id},
    )


def timeline(snapshot: Snapshot, incident_id: str, has_people: bool) -> pd.DataFrame:
    """Every event of one incident across the four tools, oldest first."""
    name = "coalesce(p.name, t.person_email)" if has_people else "t.person_email"
    join = "LEFT JOIN marts.dim_people AS p ON p.person_email = t.person_email" if has_people else ""
    return query_snapshot(
        snapshot,
        f"""
        SELECT t.occurred_at, t.source, t.event_type, {name} AS person, t.person_email, t.detail
        FROM marts.fct_incident_timeline AS t
        {join}
        WHERE t.incident_id = $incident_id
        ORDER BY t.occurred_at, t.source, t.event_type
        """,
        {"incident_id": incident_id},
    )


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not bool(pd.isna(value)) and str(value) != ""
    except (TypeError, ValueError):
        return True


def incident_links(row: dict[str, Any]) -> dict[str, str | None]:
    """Links back to the four tools for an incident row (None where the incident has no such link)."""
    permalink = row.get("permalink")
    incident_id = str(row["incident_id"])
    channel, meeting, page = (
        row.get("slack_channel_id"),
        row.get("zoom_meeting_id"),
        row.get("pagerduty_incident_id"),
    )
    return {
        "incidentio_url": str(permalink)
        if _present(permalink)
        else f"https://app.incident.io/incidents/{quote(incident_id, safe='')}",
        "slack_url": f"https://slack.com/app_redirect?channel={quote(str(channel), safe='')}"
        if _present(channel)
        else None,
        "zoom_url": f"https://zoom.us/j/{quote(str(meeting), safe='')}" if _present(meeting) else None,
        "pagerduty_url": f"https://app.pagerduty.com/incidents/{quote(str(page), safe='')}"
        if _present(page)
        else None,
    }


def with_links(incidents: pd.DataFrame) -> pd.DataFrame:
    """`incidents` plus the four link columns of `incident_links`."""
    if incidents.empty:
        return incidents.assign(incidentio_url=[], slack_url=[], zoom_url=[], pagerduty_url=[])
    links = pd.DataFrame([incident_links(r) for r in incidents.to_dict("records")], index=incidents.index)
    return pd.concat([incidents, links], axis=1)
