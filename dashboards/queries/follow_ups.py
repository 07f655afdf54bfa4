"""Queries of the Follow-ups page: open follow-ups by age and owner, completion rate by severity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from dashboards.filters import Filters
from dashboards.snapshot import NO_SEVERITY, Snapshot
from dashboards.sql import query_snapshot, query_snapshot_row

FOLLOW_UP_COLUMNS = (
    "follow_up_id",
    "incident_id",
    "title",
    "status",
    "priority_name",
    "assignee_email",
    "created_at",
    "completed_at",
    "is_open",
    "is_completed",
)
NO_OWNER = "(no owner)"
NO_PRIORITY = "(no priority)"
AGE_BUCKETS = ("< 7 days", "7–30 days", "30–90 days", "> 90 days")


def _follow_ups(filters: Filters) -> str:
    """The CTE `follow_ups`: fct_follow_ups of the filtered incidents, with severity and age."""
    return f"""
    WITH {filters.incidents_cte()},
    follow_ups AS (
        SELECT
            u.*,
            f.reference,
            coalesce(f.severity_name, $no_severity_label) AS severity,
            f.severity_rank,
            greatest(0, epoch($as_of::TIMESTAMPTZ - u.created_at)) AS age_seconds
        FROM marts.fct_follow_ups AS u
        JOIN filtered AS f ON f.incident_id = u.incident_id
    )
"""


def _params(filters: Filters, as_of: datetime) -> dict[str, Any]:
    return {**filters.params(), "as_of": as_of, "no_severity_label": NO_SEVERITY}


def summary(snapshot: Snapshot, filters: Filters, as_of: datetime) -> dict[str, Any]:
    return query_snapshot_row(
        snapshot,
        f"""
        {_follow_ups(filters)}
        SELECT
            count(*) AS follow_up_count,
            count(*) FILTER (WHERE is_open) AS open_count,
            count(*) FILTER (WHERE is_completed) AS completed_count,
            count(*) FILTER (WHERE status <> 'deleted') AS counted_count,
            quantile_cont(age_seconds, 0.5) FILTER (WHERE is_open) AS open_median_age_seconds
        FROM follow_ups
        """,
        _params(filters, as_of),
    )


def open_follow_ups(snapshot: Snapshot, filters: Filters, as_of: datetime) -> pd.DataFrame:
    """Every open follow-up of the filtered incidents, oldest first, with its age bucket."""
    return query_snapshot(
        snapshot,
        f"""
        {_follow_ups(filters)}
        SELECT
            follow_up_id, reference, incident_id, title, status,
            coalesce(priority_name, $no_priority) AS priority_name,
            coalesce(assignee_email, $no_owner) AS owner,
            severity, created_at, age_seconds,
            CASE WHEN age_seconds < 7 * 86400 THEN $b0
                 WHEN age_seconds < 30 * 86400 THEN $b1
                 WHEN age_seconds < 90 * 86400 THEN $b2
                 ELSE $b3 END AS age_bucket
        FROM follow_ups
        WHERE is_open
        ORDER BY created_at, follow_up_id
        """,
        {
            **_params(filters, as_of),
            "no_priority": NO_PRIORITY,
            "no_owner": NO_OWNER,
            **{f"b{i}": bucket for i, bucket in enumerate(AGE_BUCKETS)},
        },
    )


def open_by_owner(open_rows: pd.DataFrame) -> pd.DataFrame:
    """Open follow-ups per owner: count, per age bucket, oldest age; most open first."""
    if open_rows.empty:
        return pd.DataFrame(columns=["owner", "open_count", *AGE_BUCKETS, "oldest_age_seconds"])
    buckets = pd.crosstab(open_rows["owner"], open_rows["age_bucket"]).reindex(
        columns=list(AGE_BUCKETS), fill_value=0
    )
    per_owner = open_rows.groupby("owner").agg(
        open_count=("follow_up_id", "count"), oldest_age_seconds=("age_seconds", "max")
    )
    result = per_owner.join(buckets).reset_index()
    result = result[["owner", "open_count", *AGE_BUCKETS, "oldest_age_seconds"]]
    return result.sort_values(["open_count", "owner"], ascending=[False, True]).reset_index(drop=True)


def completion_by_severity(snapshot: Snapshot, filters: Filters, as_of: datetime) -> pd.DataFrame:
    """Per severity of the incident: follow-ups by status and the completion rate."""
    return query_snapshot(
        snapshot,
        f"""
        {_follow_ups(filters)}
        SELECT
            severity,
            max(severity_rank) AS severity_rank,
            count(*) FILTER (WHERE status <> 'deleted') AS follow_up_count,
            count(*) FILTER (WHERE is_completed) AS completed_count,
            count(*) FILTER (WHERE is_open) AS open_count,
            count(*) FILTER (WHERE status = 'not_doing') AS not_doing_count,
            count(*) FILTER (WHERE is_completed)
                / nullif(count(*) FILTER (WHERE status <> 'deleted'), 0) AS completion_rate,
            quantile_cont(epoch(completed_at - created_at), 0.5) FILTER (WHERE is_completed)
                AS median_seconds_to_complete
        FROM follow_ups
        GROUP BY severity
        ORDER BY severity_rank DESC NULLS LAST, severity
        """,
        _params(filters, as_of),
    )
