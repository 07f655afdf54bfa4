"""Queries of the Data health page: sync runs, row counts, freshness, data coverage."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboards.snapshot import ColumnDoc, Snapshot, SnapshotInfo
from dashboards.sql import query_snapshot

# The sync history mart (dbt_project/models/marts/operations/fct_sync_runs.sql): one row per run and source.
SYNC_RUNS = "fct_sync_runs"
SYNC_RUN_COLUMNS = ("source", "started_at", "finished_at", "status", "is_success")
COVERAGE = "metrics_data_coverage"
# What the last sync could not read for lack of a permission or feature (fct_skipped_entities.sql).
SKIPPED = "fct_skipped_entities"
SKIPPED_COLUMNS = ("source", "entity", "status_code", "message", "seen_at")


def sync_status(snapshot: Snapshot) -> pd.DataFrame:
    """Per source: the last successful sync (`is_success`, dbt's rule), the last run whatever its
    outcome, and the counts of runs and of runs not successful."""
    return query_snapshot(
        snapshot,
        f"""
        WITH last_run AS (
            SELECT source, arg_max(status, started_at) AS last_status,
                   arg_max(is_success, started_at) AS last_is_success, max(started_at) AS last_started_at
            FROM marts.{SYNC_RUNS} GROUP BY source
        )
        SELECT
            l.source,
            max(r.finished_at) FILTER (WHERE r.is_success) AS last_success_at,
            l.last_started_at,
            l.last_status,
            l.last_is_success,
            count(*) AS run_count,
            count(*) FILTER (WHERE NOT r.is_success) AS failed_count
        FROM last_run AS l
        JOIN marts.{SYNC_RUNS} AS r ON r.source = l.source
        GROUP BY l.source, l.last_started_at, l.last_status, l.last_is_success
        ORDER BY l.source
        """,
    )


def skipped_entities(snapshot: Snapshot) -> pd.DataFrame:
    """One row per optional entity the APIs refused at the last sync: source, entity, status, message."""
    return query_snapshot(
        snapshot,
        f"SELECT {', '.join(SKIPPED_COLUMNS)} FROM marts.{SKIPPED} ORDER BY source, entity",
    )


def row_counts(snapshot: Snapshot, info: SnapshotInfo) -> pd.DataFrame:
    """Rows per marts table: from `marts._published` when present, else counted now."""
    if info.has("_published", "table_name", "row_count"):
        return query_snapshot(
            snapshot,
            "SELECT table_name, row_count FROM marts._published ORDER BY table_name",
        )
    return query_snapshot(
        snapshot,
        "SELECT table_name, estimated_size AS row_count FROM duckdb_tables() "
        "WHERE schema_name = 'marts' ORDER BY table_name",
    )


def freshness(snapshot: Snapshot, info: SnapshotInfo) -> pd.DataFrame:
    """The newest record per source in the snapshot."""
    parts = [
        "SELECT 'incidentio' AS source, 'latest incident reported' AS what, max(reported_at) AS latest_at "
        "FROM marts.fct_incidents"
    ]
    if info.has("fct_incident_timeline", "source", "occurred_at"):
        parts.append(
            "SELECT source, 'latest ' || source || ' event in an incident timeline', max(occurred_at) "
            "FROM marts.fct_incident_timeline WHERE source <> 'incidentio' GROUP BY source"
        )
    if info.has("fct_pagerduty_incidents", "created_at"):
        parts.append(
            "SELECT 'pagerduty', 'latest PagerDuty incident created', max(created_at) "
            "FROM marts.fct_pagerduty_incidents"
        )
    return query_snapshot(snapshot, " UNION ALL ".join(parts) + " ORDER BY source, what")


COVERAGE_COLUMNS = ("metric_name", "month", "is_computable", "incident_count")


def coverage(snapshot: Snapshot) -> pd.DataFrame:
    """Every row of `metrics_data_coverage`, most recent month first (when it has the usual columns)."""
    df = query_snapshot(snapshot, f"SELECT * FROM marts.{COVERAGE}")
    order = [c for c in ("month", "metric_name", "coverage_status") if c in df.columns]
    if not order:
        return df
    ascending = [c != "month" for c in order]
    return df.sort_values(order, ascending=ascending, kind="stable").reset_index(drop=True)


def computable_share(coverage_rows: pd.DataFrame) -> pd.DataFrame:
    """Per metric and month, the share of incidents whose metric is computable (month, metric,
    coverage); empty when the mart lacks the columns it needs."""
    if coverage_rows.empty or not set(COVERAGE_COLUMNS) <= set(coverage_rows.columns):
        return pd.DataFrame(columns=["month", "metric", "coverage"])
    computable = coverage_rows["is_computable"].fillna(False).astype(bool)
    rows = coverage_rows.assign(computable_count=coverage_rows["incident_count"].where(computable, 0))
    grouped = rows.groupby(["month", "metric_name"], as_index=False)[
        ["computable_count", "incident_count"]
    ].sum()
    totals = grouped["incident_count"].where(grouped["incident_count"] > 0)
    return pd.DataFrame(
        {
            "month": grouped["month"],
            "metric": grouped["metric_name"],
            "coverage": grouped["computable_count"] / totals,
        }
    )


def mart_docs(docs: Mapping[str, ColumnDoc]) -> pd.DataFrame:
    """The snapshot's dbt docs as rows (model_name, column_name, privacy, description); a mart's own row
    has an empty column_name and comes before its columns."""
    rows = [
        {
            "model_name": key.split(".", 1)[0],
            "column_name": key.split(".", 1)[1] if "." in key else "",
            "privacy": doc.privacy or "",
            "description": doc.description or "",
        }
        for key, doc in docs.items()
    ]
    return pd.DataFrame(rows, columns=["model_name", "column_name", "privacy", "description"])
