"""Queries of the Severity page: distribution, MTTR per severity, time at each severity, changes."""

from __future__ import annotations

import pandas as pd

from dashboards.filters import Filters
from dashboards.snapshot import NO_SEVERITY, Snapshot, SnapshotInfo
from dashboards.sql import query_snapshot, ranks_cte

# The severity history mart: one row per period an incident held a severity.
SEVERITY_PERIODS = "fct_incident_severity_periods"
SEVERITY_PERIOD_COLUMNS = (
    "incident_id",
    "severity_name",
    "severity_rank",
    "started_at",
    "seconds_at_severity",
)


def by_severity(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> pd.DataFrame:
    """Per current severity: incidents, their share, and time to resolve (mean, median, p90, seconds),
    with the median's 95% confidence interval from dbt's ranks (median_ci_low/high_seconds; null below
    6 durations or beyond the rank table)."""
    return query_snapshot(
        snapshot,
        f"""
        WITH {filters.incidents_cte()},
        {ranks_cte(info)},
        grouped AS (
            SELECT
                coalesce(severity_name, $no_severity_label) AS severity,
                max(severity_rank) AS severity_rank,
                count(*) AS incident_count,
                count(resolved_at) AS resolved_count,
                avg(time_to_resolve_seconds) AS mttr_mean_seconds,
                quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
                quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds,
                coalesce(list_sort(list(time_to_resolve_seconds)
                    FILTER (WHERE time_to_resolve_seconds IS NOT NULL)), []) AS durations
            FROM filtered
            GROUP BY ALL
        )
        SELECT
            g.severity,
            g.severity_rank,
            g.incident_count,
            g.incident_count / sum(g.incident_count) OVER () AS incident_share,
            g.resolved_count,
            g.mttr_mean_seconds,
            g.mttr_median_seconds,
            g.mttr_p90_seconds,
            g.durations[r.lower_rank] AS median_ci_low_seconds,
            g.durations[r.upper_rank] AS median_ci_high_seconds
        FROM grouped AS g
        LEFT JOIN ranks AS r ON r.sample_size = len(g.durations)
        ORDER BY g.severity_rank DESC NULLS LAST, g.severity
        """,
        {**filters.params(), "no_severity_label": NO_SEVERITY},
    )


def _periods_cte(filters: Filters) -> str:
    return f"""
        WITH {filters.incidents_cte()},
        periods AS (
            SELECT p.incident_id, coalesce(p.severity_name, $no_severity_label) AS severity,
                   p.severity_rank, p.started_at, p.seconds_at_severity AS duration_seconds
            FROM marts.{SEVERITY_PERIODS} AS p
            JOIN filtered AS f ON f.incident_id = p.incident_id
        )
    """


def time_at_severity(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per severity: incidents that held it, total time at it, and the median time per such incident."""
    return query_snapshot(
        snapshot,
        f"""
        {_periods_cte(filters)},
        per_incident AS (
            SELECT incident_id, severity, max(severity_rank) AS severity_rank,
                   sum(duration_seconds) AS seconds
            FROM periods
            GROUP BY ALL
        )
        SELECT
            severity,
            max(severity_rank) AS severity_rank,
            count(*) AS incident_count,
            sum(seconds) AS total_seconds,
            quantile_cont(seconds, 0.5) AS median_seconds_per_incident
        FROM per_incident
        GROUP BY severity
        ORDER BY severity_rank DESC NULLS LAST, severity
        """,
        {**filters.params(), "no_severity_label": NO_SEVERITY},
    )


def severity_changes(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Each kind of severity change (from → to) with its direction, count and incidents."""
    return query_snapshot(
        snapshot,
        f"""
        {_periods_cte(filters)},
        ordered AS (
            SELECT incident_id, severity, severity_rank,
                   lag(severity) OVER w AS previous_severity,
                   lag(severity_rank) OVER w AS previous_rank
            FROM periods
            WINDOW w AS (PARTITION BY incident_id ORDER BY started_at)
        )
        SELECT
            previous_severity AS from_severity,
            severity AS to_severity,
            CASE WHEN severity_rank > previous_rank THEN 'upgrade'
                 WHEN severity_rank < previous_rank THEN 'downgrade'
                 ELSE 'unranked' END AS direction,
            count(*) AS change_count,
            count(DISTINCT incident_id) AS incident_count
        FROM ordered
        WHERE previous_severity IS NOT NULL AND previous_severity <> severity
        GROUP BY ALL
        ORDER BY change_count DESC, from_severity, to_severity
        """,
        {**filters.params(), "no_severity_label": NO_SEVERITY},
    )


def changed_incident_count(snapshot: Snapshot, filters: Filters) -> int:
    """Filtered incidents that changed severity at least once."""
    df = query_snapshot(
        snapshot,
        f"""
        {_periods_cte(filters)}
        SELECT count(*) AS n FROM (
            SELECT incident_id FROM periods GROUP BY incident_id HAVING count(DISTINCT severity) > 1
        )
        """,
        {**filters.params(), "no_severity_label": NO_SEVERITY},
    )
    return int(df["n"].iloc[0])
