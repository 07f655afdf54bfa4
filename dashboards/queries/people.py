"""Queries of the People and roles page: lead load, role coverage, time to lead, workload, pages."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.filters import Filters
from dashboards.snapshot import NO_SEVERITY, Snapshot
from dashboards.sql import query_snapshot, query_snapshot_row

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
# Where dbt measures how fast the lead engaged.
RESPONSE = "fct_incident_response"
RESPONSE_COLUMNS = ("incident_id", "seconds_to_lead_engaged")
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
        WITH {filters.incidents_cte()}
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
        WITH {filters.incidents_cte()}
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
        WITH {filters.incidents_cte()}
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


def time_to_lead(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per filtered incident whose lead engaged: incident_id, severity_name, severity_rank and
    seconds_to_lead (dbt's `fct_incident_response.seconds_to_lead_engaged`, its one definition)."""
    return query_snapshot(
        snapshot,
        f"""
        WITH {filters.incidents_cte()}
        SELECT
            f.incident_id,
            f.severity_name,
            f.severity_rank,
            r.seconds_to_lead_engaged AS seconds_to_lead
        FROM filtered AS f
        JOIN marts.{RESPONSE} AS r ON r.incident_id = f.incident_id
        WHERE r.seconds_to_lead_engaged IS NOT NULL
        """,
        filters.params(),
    )


def workload(snapshot: Snapshot, filters: Filters, has_people: bool) -> pd.DataFrame:
    """Rows of `metrics_responder_workload` for the ISO weeks overlapping the period, of the people the
    team filter keeps."""
    name, join = _people_join(has_people, "w.person_email")
    return query_snapshot(
        snapshot,
        f"""
        SELECT w.person_email, {name}, w.week, w.incident_count, w.slack_message_count, w.zoom_minutes,
               w.page_count, w.sleep_hour_page_count, w.workload_minutes
        FROM marts.metrics_responder_workload AS w
        {join}
        WHERE w.week >= date_trunc('week', $start_day::DATE) AND w.week <= $end_day::DATE
          AND {filters.people_clause("w.person_email")}
        ORDER BY w.week, w.workload_minutes DESC
        """,
        {"start_day": filters.start, "end_day": filters.end, "team_id": filters.params()["team_id"]},
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
        WITH {filters.incidents_cte()},
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


def time_to_lead_by_severity(lead_times: pd.DataFrame) -> pd.DataFrame:
    """`time_to_lead` rows per severity (most severe first, no severity last): incident_count,
    median_seconds and p90_seconds (linear interpolation) of seconds_to_lead."""
    return (
        lead_times.fillna({"severity_name": NO_SEVERITY})
        .groupby("severity_name", as_index=False, dropna=False)
        .agg(
            severity_rank=("severity_rank", "max"),
            incident_count=("incident_id", "count"),
            median_seconds=("seconds_to_lead", "median"),
            p90_seconds=("seconds_to_lead", lambda s: s.quantile(0.9)),
        )
        .sort_values("severity_rank", ascending=False, na_position="last")
        .drop(columns=["severity_rank"])
        .reset_index(drop=True)
    )


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def pages_by_weekday(heat: pd.DataFrame) -> pd.DataFrame:
    """The `page_heatmap` counts as a weekday × hour grid: a `weekday` column (Mon…Sun), then one
    column per local hour (`00h`…`23h`), zeros where nobody was paged."""
    grid = (
        heat.pivot_table(index="weekday", columns="hour", values="page_count", fill_value=0, aggfunc="sum")
        .reindex(index=range(1, 8), columns=range(24), fill_value=0)
        .astype(int)
    )
    grid.columns = [f"{h:02d}h" for h in grid.columns]
    grid.insert(0, "weekday", list(WEEKDAYS))
    return grid.reset_index(drop=True)
