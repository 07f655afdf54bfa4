"""Queries of the People and roles page: lead load, role coverage, time to lead, workload, pages."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.data import FILTERED_INCIDENTS, Snapshot, query_snapshot, query_snapshot_row
from dashboards.filters import Filters

WORKLOAD_COLUMNS = (
    "person_email",
    "week",
    "incident_count",
    "slack_message_count",
    "zoom_minutes",
    "page_count",
    "sleep_hour_page_count",
    "workload_minutes",
)
TIMELINE_COLUMNS = ("incident_id", "occurred_at", "source", "event_type", "person_email")
PAGE_EVENT_TYPE = "notify_log_entry"


def _people_join(has_people: bool, email: str) -> tuple[str, str]:
    """(select expression, join clause) for a person's display name, when dim_people is there."""
    if not has_people:
        return f"{email} AS name", ""
    return (
        f"coalesce(p.name, {email}) AS name",
        f"LEFT JOIN marts.dim_people AS p ON p.person_email = {email}",
    )


def lead_summary(snapshot: Snapshot, filters: Filters) -> dict[str, Any]:
    return query_snapshot_row(
        snapshot,
        f"""
        WITH {FILTERED_INCIDENTS}
        SELECT count(*) AS incident_count,
               count(lead_email) AS with_lead_count,
               count(DISTINCT lead_email) AS lead_count
        FROM filtered
        """,
        filters.params(),
    )


def lead_load(snapshot: Snapshot, filters: Filters, has_people: bool) -> pd.DataFrame:
    """Per incident lead: incidents led, their share of the period, median time to resolve."""
    name, join = _people_join(has_people, "f.lead_email")
    return query_snapshot(
        snapshot,
        f"""
        WITH {FILTERED_INCIDENTS}
        SELECT
            f.lead_email,
            {name},
            count(*) AS incident_count,
            count(*) / (SELECT count(*) FROM filtered) AS incident_share,
            quantile_cont(f.time_to_resolve_seconds, 0.5) AS mttr_median_seconds
        FROM filtered AS f
        {join}
        WHERE f.lead_email IS NOT NULL
        GROUP BY ALL
        ORDER BY incident_count DESC, f.lead_email
        """,
        filters.params(),
    )


def role_coverage(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per role: filtered incidents with the role assigned, and their share."""
    return query_snapshot(
        snapshot,
        f"""
        WITH {FILTERED_INCIDENTS}
        SELECT
            r.role_name,
            count(DISTINCT r.incident_id) AS incident_count,
            count(DISTINCT r.incident_id) / (SELECT count(*) FROM filtered) AS coverage,
            count(DISTINCT r.person_email) AS people_count
        FROM marts.fct_incident_roles AS r
        JOIN filtered AS f ON f.incident_id = r.incident_id
        GROUP BY r.role_name
        ORDER BY coverage DESC, r.role_name
        """,
        filters.params(),
    )


def time_to_lead(snapshot: Snapshot, filters: Filters, assigned_at: bool) -> pd.DataFrame:
    """Per filtered incident with a lead: seconds from reported_at to the lead's assignment (when the
    roles mart has `assigned_at`) or else to the lead's first event in the timeline; 0 when earlier."""
    if assigned_at:
        start_of_lead = """
            SELECT r.incident_id, min(r.assigned_at) AS lead_at
            FROM marts.fct_incident_roles AS r
            JOIN filtered AS f ON f.incident_id = r.incident_id AND r.role_type = 'lead'
            GROUP BY r.incident_id
        """
    else:
        start_of_lead = """
            SELECT t.incident_id, min(t.occurred_at) AS lead_at
            FROM marts.fct_incident_timeline AS t
            JOIN filtered AS f ON f.incident_id = t.incident_id AND t.person_email = f.lead_email
            GROUP BY t.incident_id
        """
    return query_snapshot(
        snapshot,
        f"""
        WITH {FILTERED_INCIDENTS},
        lead_start AS ({start_of_lead})
        SELECT
            f.incident_id,
            f.severity_name,
            f.severity_rank,
            greatest(0, epoch(l.lead_at - f.reported_at)) AS seconds_to_lead
        FROM filtered AS f
        JOIN lead_start AS l ON l.incident_id = f.incident_id
        WHERE l.lead_at IS NOT NULL
        """,
        filters.params(),
    )


def workload(snapshot: Snapshot, filters: Filters, has_people: bool) -> pd.DataFrame:
    """Rows of `metrics_responder_workload` for the ISO weeks overlapping the period."""
    name, join = _people_join(has_people, "w.person_email")
    return query_snapshot(
        snapshot,
        f"""
        SELECT w.person_email, {name}, w.week, w.incident_count, w.slack_message_count, w.zoom_minutes,
               w.page_count, w.sleep_hour_page_count, w.workload_minutes
        FROM marts.metrics_responder_workload AS w
        {join}
        WHERE w.week >= date_trunc('week', $start_day::DATE) AND w.week <= $end_day::DATE
        ORDER BY w.week, w.workload_minutes DESC
        """,
        {"start_day": filters.start, "end_day": filters.end},
    )


def workload_per_person(weekly: pd.DataFrame) -> pd.DataFrame:
    """Totals per person over the weeks shown, heaviest workload first."""
    if weekly.empty:
        return weekly.drop(columns=["week"])
    totals = (
        weekly.groupby(["person_email", "name"], as_index=False, dropna=False)
        .agg(
            weeks=("week", "nunique"),
            incident_count=("incident_count", "sum"),
            slack_message_count=("slack_message_count", "sum"),
            zoom_minutes=("zoom_minutes", "sum"),
            page_count=("page_count", "sum"),
            sleep_hour_page_count=("sleep_hour_page_count", "sum"),
            workload_minutes=("workload_minutes", "sum"),
        )
        .sort_values(["workload_minutes", "person_email"], ascending=[False, True])
    )
    return totals.reset_index(drop=True)


def page_heatmap(snapshot: Snapshot, filters: Filters, has_timezones: bool) -> pd.DataFrame:
    """PagerDuty notifications of the filtered incidents by local ISO weekday (1 = Monday) and hour."""
    if has_timezones:
        zone = "CASE WHEN z.name IS NOT NULL THEN p.timezone ELSE 'UTC' END"
        join = """
            LEFT JOIN marts.dim_people AS p ON p.person_email = t.person_email
            LEFT JOIN (SELECT name FROM pg_timezone_names()) AS z ON z.name = p.timezone
        """
    else:
        zone, join = "'UTC'", ""
    return query_snapshot(
        snapshot,
        f"""
        WITH {FILTERED_INCIDENTS},
        pages AS (
            SELECT timezone({zone}, t.occurred_at) AS local_time
            FROM marts.fct_incident_timeline AS t
            JOIN filtered AS f ON f.incident_id = t.incident_id
            {join}
            WHERE t.source = 'pagerduty' AND t.event_type = $page_event_type
        )
        SELECT
            isodow(local_time) AS weekday,
            hour(local_time) AS hour,
            count(*) AS page_count
        FROM pages
        GROUP BY ALL
        ORDER BY weekday, hour
        """,
        {**filters.params(), "page_event_type": PAGE_EVENT_TYPE},
    )


def is_sleep_hour(hour: int) -> bool:
    return hour >= 22 or hour < 8


def is_out_of_hours(weekday: int, hour: int) -> bool:
    """Sleep hours, weekends (ISO 6 and 7), or a weekday evening (18:00–22:00), local time."""
    return is_sleep_hour(hour) or weekday >= 6 or hour >= 18
