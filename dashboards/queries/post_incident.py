"""Queries of the Post-incident page: post-mortem and follow-up completion by month and severity."""

from __future__ import annotations

import pandas as pd

from dashboards.filters import Filters, severity_params
from dashboards.queries.teams import follow_through
from dashboards.snapshot import NO_SEVERITY, Snapshot
from dashboards.sql import query_snapshot

POST_INCIDENT = "metrics_post_incident"
POST_INCIDENT_COLUMNS = (
    "month",
    "severity_name",
    "resolved_count",
    "postmortem_count",
    "postmortem_completed_count",
    "median_hours_to_postmortem_completed",
    "follow_up_count",
    "follow_up_completed_count",
    "median_days_to_follow_up_completed",
)


def by_month_and_severity(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """`teams.follow_through` of the filtered incidents per month of resolved_at (UTC) and severity."""
    return follow_through(snapshot, filters, "month_severity")


def metrics_post_incident(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """`metrics_post_incident` rows for the months overlapping the period and the severities picked, most
    recent first, with the two completion rates (postmortem_completed_rate, follow_up_completed_rate)."""
    return query_snapshot(
        snapshot,
        f"""
        WITH ranks AS (
            SELECT severity_name, max(severity_rank) AS severity_rank
            FROM marts.fct_incidents
            GROUP BY severity_name
        )
        SELECT m.month, coalesce(m.severity_name, $no_severity_label) AS severity, m.resolved_count,
               m.postmortem_count, m.postmortem_completed_count,
               m.postmortem_completed_count / nullif(m.resolved_count, 0) AS postmortem_completed_rate,
               m.median_hours_to_postmortem_completed,
               m.follow_up_count, m.follow_up_completed_count,
               m.follow_up_completed_count / nullif(m.follow_up_count, 0) AS follow_up_completed_rate,
               m.median_days_to_follow_up_completed
        FROM marts.{POST_INCIDENT} AS m
        LEFT JOIN ranks AS r ON r.severity_name IS NOT DISTINCT FROM m.severity_name
        WHERE m.month >= date_trunc('month', $start_day::DATE) AND m.month <= $end_day::DATE
          AND ($all_severities OR list_contains($severities::VARCHAR[], m.severity_name)
               OR ($no_severity AND m.severity_name IS NULL))
        ORDER BY m.month DESC, r.severity_rank DESC NULLS LAST, m.severity_name NULLS LAST
        """,
        {
            "start_day": filters.start,
            "end_day": filters.end,
            "no_severity_label": NO_SEVERITY,
            **severity_params(filters.severities),
        },
    )
