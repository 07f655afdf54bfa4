"""Queries of the Teams page: MTTR and incidents per team, team workload per week, follow-through."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.filters import NO_TEAM_LABEL, Filters, severity_params
from dashboards.snapshot import INCIDENT_TEAMS, NO_SEVERITY, TEAMS, Snapshot
from dashboards.sql import query_snapshot, query_snapshot_row

TEAM_COLUMNS = ("team_id", "team_name")
INCIDENT_TEAM_COLUMNS = ("incident_id", "team_id")
WORKLOAD = "metrics_team_workload"
WORKLOAD_COLUMNS = (
    "team_id",
    "week",
    "member_count",
    "incident_count",
    "workload_minutes",
    "page_count",
    "sleep_hour_page_count",
)
POSTMORTEMS = "fct_postmortems"
POSTMORTEM_COLUMNS = ("postmortem_id", "incident_id", "status", "completed_at")
FOLLOW_UP_COLUMNS = ("follow_up_id", "incident_id", "status")


def _teamed(filters: Filters) -> str:
    """CTEs `filtered` and `teamed`: one row per filtered incident and team (team_id null for an incident
    of no team), limited to the team picked."""
    return f"""
        WITH {filters.incidents_cte()},
        teamed AS (
            SELECT f.*, t.team_id, coalesce(d.team_name, t.team_id, $no_team_label) AS team_name
            FROM filtered AS f
            LEFT JOIN marts.{INCIDENT_TEAMS} AS t ON t.incident_id = f.incident_id
            LEFT JOIN marts.{TEAMS} AS d ON d.team_id = t.team_id
            WHERE {filters.team_row_clause("t.team_id")}
        )
    """


def attribution(snapshot: Snapshot, filters: Filters) -> dict[str, Any]:
    """Over the filtered incidents: incident_count, with_team_count (incidents with a team),
    team_count (distinct teams among them)."""
    return query_snapshot_row(
        snapshot,
        f"""
        {_teamed(filters)}
        SELECT count(DISTINCT incident_id) AS incident_count,
               count(DISTINCT incident_id) FILTER (WHERE team_id IS NOT NULL) AS with_team_count,
               count(DISTINCT team_id) AS team_count
        FROM teamed
        """,
        {**filters.params(), "no_team_label": NO_TEAM_LABEL},
    )


def mttr_per_team(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per team (team_id null: "(no team)"): incident_count, resolved_count and the time to resolve's
    mean, median and p90 (seconds, linear interpolation) over the filtered incidents; most incidents first."""
    return query_snapshot(
        snapshot,
        f"""
        {_teamed(filters)}
        SELECT
            team_id,
            team_name,
            count(*) AS incident_count,
            count(resolved_at) AS resolved_count,
            avg(time_to_resolve_seconds) AS mttr_mean_seconds,
            quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
            quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
        FROM teamed
        GROUP BY team_id, team_name
        ORDER BY incident_count DESC, team_id IS NULL, team_name
        """,
        {**filters.params(), "no_team_label": NO_TEAM_LABEL},
    )


MTTR_BY_TEAM = "metrics_mttr_by_team"


def metrics_mttr_by_team(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """`metrics_mttr_by_team` rows for the months overlapping the period, the severities picked and the
    team picked (every team when none), most recent first."""
    return query_snapshot(
        snapshot,
        f"""
        SELECT month, coalesce(team_name, $no_team_label) AS team_name, severity_name, incident_count,
               resolved_count, mttr_mean_seconds, mttr_median_seconds, mttr_p90_seconds
        FROM marts.{MTTR_BY_TEAM}
        WHERE month >= date_trunc('month', $start_day::DATE) AND month <= $end_day::DATE
          AND {filters.team_row_clause("team_id")}
          AND ($all_severities OR list_contains($severities::VARCHAR[], severity_name)
               OR ($no_severity AND severity_name IS NULL))
        ORDER BY month DESC, team_id IS NULL, team_name, severity_name NULLS LAST
        """,
        {
            "start_day": filters.start,
            "end_day": filters.end,
            "team_id": filters.params()["team_id"],
            "no_team_label": NO_TEAM_LABEL,
            **severity_params(filters.severities),
        },
    )


def team_workload(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """`metrics_team_workload` rows (with the team's name) for the ISO weeks overlapping the period and
    the team picked; workload_hours = workload_minutes / 60."""
    return query_snapshot(
        snapshot,
        f"""
        SELECT w.team_id, coalesce(d.team_name, w.team_id) AS team_name, w.week, w.member_count,
               w.incident_count, w.workload_minutes, w.workload_minutes / 60 AS workload_hours,
               w.page_count, w.sleep_hour_page_count
        FROM marts.{WORKLOAD} AS w
        LEFT JOIN marts.{TEAMS} AS d ON d.team_id = w.team_id
        WHERE w.week >= date_trunc('week', $start_day::DATE) AND w.week <= $end_day::DATE
          AND {filters.team_row_clause("w.team_id")}
        ORDER BY w.week, team_name
        """,
        {"start_day": filters.start, "end_day": filters.end, "team_id": filters.params()["team_id"]},
    )


def workload_per_team(weekly: pd.DataFrame) -> pd.DataFrame:
    """`team_workload` summed per team over the weeks shown: weeks, member_count (now), incident_count,
    workload_hours, page_count, sleep_hour_page_count; heaviest first."""
    columns = ["team_id", "team_name", "weeks", "member_count", "incident_count"]
    columns += ["workload_hours", "page_count", "sleep_hour_page_count"]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    totals = weekly.groupby(["team_id", "team_name"], as_index=False, dropna=False).agg(
        weeks=("week", "nunique"),
        member_count=("member_count", "max"),
        incident_count=("incident_count", "sum"),
        workload_hours=("workload_hours", "sum"),
        page_count=("page_count", "sum"),
        sleep_hour_page_count=("sleep_hour_page_count", "sum"),
    )
    return (
        totals[columns]
        .sort_values(["workload_hours", "team_name"], ascending=[False, True])
        .reset_index(drop=True)
    )


def follow_through(snapshot: Snapshot, filters: Filters, by: str) -> pd.DataFrame:
    """Post-mortem and follow-up completion over the filtered incidents that are resolved, grouped `by`
    "team" (team_id, team_name) or "month_severity" (month of resolved_at, UTC; severity): resolved_count,
    postmortem_count (incidents with a document), postmortem_completed_count (with a completed one),
    follow_up_count (every status), follow_up_completed_count (status `completed`) and the three rates.
    Raises ValueError for another `by`."""
    if by == "team":
        # One row per incident and team: an incident of two teams counts in each.
        source, keys = _teamed(filters), "team_id, team_name"
        order = "resolved_count DESC, team_id IS NULL, team_name"
    elif by == "month_severity":
        source = f"WITH {filters.incidents_cte()}"  # one row per incident
        keys = (
            "date_trunc('month', resolved_at)::DATE AS month, "
            "coalesce(severity_name, $no_severity_label) AS severity"
        )
        order = "month, max(severity_rank) DESC NULLS LAST, severity"
    else:
        raise ValueError(f"follow_through groups by 'team' or 'month_severity', not {by!r}")
    group = "team_id, team_name" if by == "team" else "ALL"
    return query_snapshot(
        snapshot,
        f"""
        {source},
        resolved AS (SELECT * FROM {"teamed" if by == "team" else "filtered"} WHERE resolved_at IS NOT NULL),
        documents AS (
            SELECT incident_id, count(*) AS document_count,
                   count(*) FILTER (WHERE completed_at IS NOT NULL) AS completed_document_count
            FROM marts.{POSTMORTEMS}
            GROUP BY incident_id
        ),
        follow_ups AS (
            SELECT incident_id, count(*) AS follow_up_count,
                   count(*) FILTER (WHERE status = 'completed') AS completed_count
            FROM marts.fct_follow_ups
            GROUP BY incident_id
        )
        SELECT
            {keys},
            count(*) AS resolved_count,
            count(*) FILTER (WHERE d.document_count > 0) AS postmortem_count,
            count(*) FILTER (WHERE d.completed_document_count > 0) AS postmortem_completed_count,
            coalesce(sum(u.follow_up_count), 0)::BIGINT AS follow_up_count,
            coalesce(sum(u.completed_count), 0)::BIGINT AS follow_up_completed_count,
            count(*) FILTER (WHERE d.document_count > 0) / count(*) AS postmortem_rate,
            count(*) FILTER (WHERE d.completed_document_count > 0) / count(*) AS postmortem_completed_rate,
            sum(u.completed_count) / nullif(sum(u.follow_up_count), 0) AS follow_up_completed_rate
        FROM resolved AS r
        LEFT JOIN documents AS d ON d.incident_id = r.incident_id
        LEFT JOIN follow_ups AS u ON u.incident_id = r.incident_id
        GROUP BY {group}
        ORDER BY {order}
        """,
        {**filters.params(), "no_team_label": NO_TEAM_LABEL, "no_severity_label": NO_SEVERITY},
    )
