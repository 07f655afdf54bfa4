"""Data access for the dashboard: cached, parameterized, read-only queries on the published marts.

The dashboard never opens the live warehouse: it reads the snapshot that `exports.publish.publish_marts`
swaps in atomically (`Settings.published_path`), so a running sync or dbt build never blocks it.

Connections: one short-lived read-only connection per (cache-missing) query. A long-lived cached
connection was measured at ~0.4 ms per query against ~15 ms for a fresh open, but DuckDB's Python client
shares one database instance per path while any connection to it is alive, so a cached connection would
keep serving the old file after a publish replaced it. Results are cached with `st.cache_data` and every
cache key includes the snapshot's mtime, so the open cost is paid once per query per publish (or per TTL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import get_settings

CACHE_TTL_SECONDS = 60
NO_SEVERITY = "(no severity)"

# The columns the dashboard reads (a subset of DESIGN §3); a snapshot lacking them is reported, not crashed.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_incidents": (
        "incident_id",
        "mode",
        "status_category",
        "severity_name",
        "severity_rank",
        "reported_at",
        "resolved_at",
        "time_to_resolve_seconds",
        "is_in_metrics",
    ),
    "metrics_mttr": (
        "month",
        "severity_name",
        "incident_count",
        "resolved_count",
        "mttr_mean_seconds",
        "mttr_median_seconds",
        "mttr_p90_seconds",
    ),
}

# Shared WHERE clause over marts.fct_incidents; every value is a bound parameter.
_INCIDENT_FILTER = """
    reported_at >= $start AND reported_at < $end_exclusive
    AND (
        is_in_metrics
        OR ($include_non_standard AND mode <> 'standard'
            AND status_category NOT IN ('declined', 'merged', 'canceled', 'triage'))
    )
    AND ($all_severities
         OR list_contains($severities::VARCHAR[], severity_name)
         OR ($no_severity AND severity_name IS NULL))
"""


@dataclass(frozen=True)
class Snapshot:
    """The published file and its version (mtime in ns); both go into every cache key."""

    path: str
    version: int


@dataclass(frozen=True)
class SnapshotInfo:
    ready: bool
    problem: str | None = None  # why the dashboard cannot show data (first-run page), when not ready
    published_at: datetime | None = None
    first_day: date | None = None  # first and last UTC day with a reported incident
    last_day: date | None = None
    incident_count: int = 0
    severities: tuple[str, ...] = ()  # most severe first; NO_SEVERITY last when present


def current_snapshot() -> Snapshot | None:
    path = get_settings().published_path
    try:
        stat = path.stat()
    except OSError:
        return None
    return Snapshot(str(path), stat.st_mtime_ns)


def _connect(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path, read_only=True)
    # Months and days are UTC days (DESIGN §5), whatever the server's time zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _query(path: str, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    con = _connect(path)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


def _query_row(path: str, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    con = _connect(path)
    try:
        cursor = con.execute(sql, params)
        row = cursor.fetchall()[0]
        return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}
    finally:
        con.close()


def _severity_params(severities: tuple[str, ...]) -> dict[str, Any]:
    names = [s for s in severities if s != NO_SEVERITY]
    return {
        "all_severities": not severities,
        "severities": names,
        "no_severity": NO_SEVERITY in severities,
    }


def _filter_params(
    start: date, end: date, severities: tuple[str, ...], include_non_standard: bool
) -> dict[str, Any]:
    return {
        "start": datetime.combine(start, time(), UTC),
        "end_exclusive": datetime.combine(end + timedelta(days=1), time(), UTC),
        "include_non_standard": include_non_standard,
        **_severity_params(severities),
    }


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=8, show_spinner=False)
def snapshot_info(path: str, version: int) -> SnapshotInfo:
    """Whether the snapshot can feed the dashboard, plus what the sidebar needs (date bounds, severities)."""
    try:
        con = _connect(path)
    except duckdb.Error as exc:
        return SnapshotInfo(ready=False, problem=f"The file cannot be opened: {str(exc).splitlines()[0]}")
    try:
        return _inspect(con)
    except duckdb.Error as exc:  # e.g. a column of an unexpected type: say so rather than a traceback
        return SnapshotInfo(ready=False, problem=f"It cannot be read: {str(exc).splitlines()[0]}")
    finally:
        con.close()


def _inspect(con: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts'"
    ).fetchall()
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    if "fct_incidents" not in present:
        return SnapshotInfo(ready=False, problem="It has no `marts.fct_incidents` table yet.")
    missing = [
        f"`{table}.{column}`"
        for table, columns in REQUIRED_COLUMNS.items()
        for column in columns
        if column not in present.get(table, set())
    ]
    if missing:
        return SnapshotInfo(
            ready=False,
            problem="It lacks columns the dashboard needs (" + ", ".join(missing) + "): rebuild the marts.",
        )
    count, first_day, last_day = con.execute(
        "SELECT count(*), min(reported_at)::DATE, max(reported_at)::DATE FROM marts.fct_incidents"
    ).fetchall()[0]
    if count == 0 or first_day is None:
        return SnapshotInfo(ready=False, problem="It holds no incidents yet.")
    severity_rows = con.execute(
        """
        SELECT severity_name
        FROM marts.fct_incidents
        GROUP BY severity_name
        ORDER BY max(severity_rank) DESC NULLS LAST, severity_name NULLS LAST
        """
    ).fetchall()
    published_at = None
    if "_published" in present:
        (published_at,) = con.execute("SELECT max(published_at) FROM marts._published").fetchall()[0]
    return SnapshotInfo(
        ready=True,
        published_at=published_at,
        first_day=first_day,
        last_day=last_day,
        incident_count=int(count),
        severities=tuple(NO_SEVERITY if name is None else str(name) for (name,) in severity_rows),
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def headline(
    path: str,
    version: int,
    start: date,
    end: date,
    severities: tuple[str, ...],
    include_non_standard: bool,
) -> dict[str, float | int | None]:
    """Incident count and MTTR mean / median / p90 over the filtered incidents (as `metrics_mttr` does)."""
    return _query_row(
        path,
        f"""
        SELECT
            count(*) AS incident_count,
            count(resolved_at) AS resolved_count,
            avg(time_to_resolve_seconds) AS mttr_mean_seconds,
            quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
            quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
        FROM marts.fct_incidents
        WHERE {_INCIDENT_FILTER}
        """,
        _filter_params(start, end, severities, include_non_standard),
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def monthly_by_severity(
    path: str,
    version: int,
    start: date,
    end: date,
    severities: tuple[str, ...],
    include_non_standard: bool,
) -> pd.DataFrame:
    """Per month (of reported_at, UTC) and severity: incident count and median time to resolve."""
    return _query(
        path,
        f"""
        SELECT
            date_trunc('month', reported_at)::DATE AS month,
            coalesce(severity_name, $no_severity_label) AS severity,
            max(severity_rank) AS severity_rank,
            count(*) AS incident_count,
            quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds
        FROM marts.fct_incidents
        WHERE {_INCIDENT_FILTER}
        GROUP BY ALL
        ORDER BY month, severity_rank DESC NULLS LAST
        """,
        {**_filter_params(start, end, severities, include_non_standard), "no_severity_label": NO_SEVERITY},
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def metrics_mttr(
    path: str, version: int, start: date, end: date, severities: tuple[str, ...]
) -> pd.DataFrame:
    """Rows of `marts.metrics_mttr` for the months overlapping [start, end], most recent first."""
    return _query(
        path,
        """
        WITH ranks AS (
            SELECT severity_name, max(severity_rank) AS severity_rank
            FROM marts.fct_incidents
            GROUP BY severity_name
        )
        SELECT m.month, m.severity_name, m.incident_count, m.resolved_count,
               m.mttr_mean_seconds, m.mttr_median_seconds, m.mttr_p90_seconds
        FROM marts.metrics_mttr AS m
        LEFT JOIN ranks AS r ON r.severity_name IS NOT DISTINCT FROM m.severity_name
        WHERE m.month >= date_trunc('month', $start::DATE) AND m.month <= $end::DATE
          AND ($all_severities OR list_contains($severities::VARCHAR[], m.severity_name)
               OR ($no_severity AND m.severity_name IS NULL))
        ORDER BY m.month DESC, r.severity_rank DESC NULLS LAST, m.severity_name NULLS LAST
        """,
        {"start": start, "end": end, **_severity_params(severities)},
    )
