"""Queries of the Overview page: headline numbers, monthly trends, the metrics_mttr table, MTTA."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.filters import NO_TEAM, Filters, severity_params
from dashboards.snapshot import NO_SEVERITY, Snapshot, SnapshotInfo
from dashboards.sql import query_snapshot, query_snapshot_row, ranks_cte

# metrics_mttr's bounds of the median's 95% confidence interval (optional: older snapshots lack them).
MTTR_CI_COLUMNS = ("mttr_median_ci_lower_seconds", "mttr_median_ci_upper_seconds")
PAGERDUTY_COLUMNS = ("pagerduty_incident_id", "created_at", "seconds_to_first_ack", "incident_id")


def headline(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> dict[str, Any]:
    """Over the filtered incidents: incident_count, resolved_count, duration_count, MTTR mean / median /
    p90 (seconds, linear interpolation) and the median's 95% confidence interval (median_ci_low_seconds,
    median_ci_high_seconds: None below 6 durations or beyond dbt's rank table)."""
    return query_snapshot_row(
        snapshot,
        f"""
        WITH {filters.incidents_cte()},
        {ranks_cte(info)},
        stats AS (
            SELECT
                count(*) AS incident_count,
                count(resolved_at) AS resolved_count,
                count(time_to_resolve_seconds) AS duration_count,
                avg(time_to_resolve_seconds) AS mttr_mean_seconds,
                quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
                quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds,
                coalesce(list_sort(list(time_to_resolve_seconds)
                    FILTER (WHERE time_to_resolve_seconds IS NOT NULL)), []) AS durations
            FROM filtered
        )
        SELECT
            s.* EXCLUDE (durations),
            s.durations[r.lower_rank] AS median_ci_low_seconds,
            s.durations[r.upper_rank] AS median_ci_high_seconds,
            r.sample_size IS NOT NULL AS ranks_cover_sample
        FROM stats AS s
        LEFT JOIN ranks AS r ON r.sample_size = len(s.durations)
        """,
        filters.params(),
    )


def monthly_by_severity(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per month (of reported_at, UTC) and severity: incident count and median time to resolve."""
    return query_snapshot(
        snapshot,
        f"""
        WITH {filters.incidents_cte()}
        SELECT
            date_trunc('month', reported_at)::DATE AS month,
            coalesce(severity_name, $no_severity_label) AS severity,
            max(severity_rank) AS severity_rank,
            count(*) AS incident_count,
            quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds
        FROM filtered
        GROUP BY ALL
        ORDER BY month, severity_rank DESC NULLS LAST
        """,
        {**filters.params(), "no_severity_label": NO_SEVERITY},
    )


def metrics_mttr(snapshot: Snapshot, filters: Filters, with_ci: bool = False) -> pd.DataFrame:
    """Rows of `marts.metrics_mttr` for the months overlapping the period, most recent first (with the
    median's confidence interval columns when the mart has them: `with_ci`)."""
    ci = "".join(f", m.{c}" for c in MTTR_CI_COLUMNS) if with_ci else ""
    return query_snapshot(
        snapshot,
        f"""
        WITH ranks AS (
            SELECT severity_name, max(severity_rank) AS severity_rank
            FROM marts.fct_incidents
            GROUP BY severity_name
        )
        SELECT m.month, m.severity_name, m.incident_count, m.resolved_count,
               m.mttr_mean_seconds, m.mttr_median_seconds, m.mttr_p90_seconds{ci}
        FROM marts.metrics_mttr AS m
        LEFT JOIN ranks AS r ON r.severity_name IS NOT DISTINCT FROM m.severity_name
        WHERE m.month >= date_trunc('month', $start_day::DATE) AND m.month <= $end_day::DATE
          AND ($all_severities OR list_contains($severities::VARCHAR[], m.severity_name)
               OR ($no_severity AND m.severity_name IS NULL))
        ORDER BY m.month DESC, r.severity_rank DESC NULLS LAST, m.severity_name NULLS LAST
        """,
        {"start_day": filters.start, "end_day": filters.end, **severity_params(filters.severities)},
    )


def mtta(snapshot: Snapshot, filters: Filters) -> dict[str, Any]:
    """PagerDuty incidents created in the period (UTC days; with a team or field filter, those linked to
    the team's or field's incidents: `Filters.pagerduty_clause`) and their time to first acknowledgement:
    count, acknowledged count, mean, median and p90 (seconds; PagerDuty's own definition, see the
    description of `fct_pagerduty_incidents.seconds_to_first_ack`)."""
    return query_snapshot_row(
        snapshot,
        f"""
        SELECT
            count(*) AS page_count,
            count(seconds_to_first_ack) AS acknowledged_count,
            avg(seconds_to_first_ack) AS mtta_mean_seconds,
            quantile_cont(seconds_to_first_ack, 0.5) AS mtta_median_seconds,
            quantile_cont(seconds_to_first_ack, 0.9) AS mtta_p90_seconds
        FROM marts.fct_pagerduty_incidents
        WHERE created_at >= $start AND created_at < $end_exclusive
          AND {filters.pagerduty_clause("incident_id")}
        """,
        filters.params(),
    )


# metrics_mttr_by_team: the metrics_mttr rules per team (incidents of no team: team_id null).
MTTR_BY_TEAM = "metrics_mttr_by_team"
MTTR_BY_TEAM_COLUMNS = (
    "month",
    "team_id",
    "team_name",
    "severity_name",
    "incident_count",
    "resolved_count",
    "mttr_mean_seconds",
    "mttr_median_seconds",
    "mttr_p90_seconds",
)


def metrics_mttr_by_team(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Rows of `marts.metrics_mttr_by_team` of the picked team (the null-team group for "no team") for
    the months overlapping the period and the severities picked, most recent first."""
    team = "m.team_id IS NULL" if filters.team == NO_TEAM else "m.team_id = $team_id"
    return query_snapshot(
        snapshot,
        f"""
        WITH ranks AS (
            SELECT severity_name, max(severity_rank) AS severity_rank
            FROM marts.fct_incidents
            GROUP BY severity_name
        )
        SELECT m.month, m.team_name, m.severity_name, m.incident_count, m.resolved_count,
               m.mttr_mean_seconds, m.mttr_median_seconds, m.mttr_p90_seconds
        FROM marts.{MTTR_BY_TEAM} AS m
        LEFT JOIN ranks AS r ON r.severity_name IS NOT DISTINCT FROM m.severity_name
        WHERE {team}
          AND m.month >= date_trunc('month', $start_day::DATE) AND m.month <= $end_day::DATE
          AND ($all_severities OR list_contains($severities::VARCHAR[], m.severity_name)
               OR ($no_severity AND m.severity_name IS NULL))
        ORDER BY m.month DESC, r.severity_rank DESC NULLS LAST, m.severity_name NULLS LAST
        """,
        {
            "start_day": filters.start,
            "end_day": filters.end,
            "team_id": filters.params()["team_id"],
            **severity_params(filters.severities),
        },
    )
