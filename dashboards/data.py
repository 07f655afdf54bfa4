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

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import get_settings

# Every cache key holds the snapshot's mtime, so a new publish is read at once; the TTL only bounds memory.
CACHE_TTL_SECONDS = 600
NO_SEVERITY = "(no severity)"

# The columns the dashboard reads (a subset of DESIGN §3); a snapshot lacking them is reported, not crashed.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_incidents": (
        "incident_id",
        "mode",
        "status_category",
        "severity_name",
        "severity_rank",
        "incident_type",
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
    AND ($all_types OR list_contains($incident_types::VARCHAR[], incident_type))
"""

# The filtered incidents as a CTE, for queries over the marts that hang off an incident.
FILTERED_INCIDENTS = f"""
    filtered AS (
        SELECT *
        FROM marts.fct_incidents
        WHERE {_INCIDENT_FILTER}
    )
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
    incident_types: tuple[str, ...] = ()
    # marts table -> its columns, for the optional marts and columns pages degrade without.
    tables: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def has(self, table: str, *columns: str) -> bool:
        """Whether the snapshot holds `marts.<table>` with all of `columns`."""
        present = dict(self.tables).get(table)
        return present is not None and all(c in present for c in columns)

    def missing(self, table: str, *columns: str) -> list[str]:
        """What of `marts.<table>(columns)` the snapshot lacks, as `table` or `table.column` strings."""
        present = dict(self.tables).get(table)
        if present is None:
            return [table]
        return [f"{table}.{c}" for c in columns if c not in present]


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


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The params the statement names (DuckDB rejects unused ones), so callers can pass a superset."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def run_query(path: str, version: int, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """One cached, parameterized, read-only query on the snapshot `path` at `version` (its mtime).

    Every value from the user arrives in `params` and is bound by DuckDB, never spliced into `sql`.
    """
    return _query(path, sql, _used_params(sql, params or {}))


def query_snapshot(snapshot: Snapshot, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    return run_query(snapshot.path, snapshot.version, sql, params)


def query_snapshot_row(snapshot: Snapshot, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The first row of a query as a dict (None for SQL NULL and NaN); an empty result gives {}."""
    df = query_snapshot(snapshot, sql, params)
    if df.empty:
        return {}
    # Column by column, so an integer count is not widened to a float by a row of mixed types.
    row = {column: df[column].iloc[0] for column in df.columns}
    return {k: (None if _is_null(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}


def _is_null(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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
    start: date,
    end: date,
    severities: tuple[str, ...],
    include_non_standard: bool,
    incident_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "start": datetime.combine(start, time(), UTC),
        "end_exclusive": datetime.combine(end + timedelta(days=1), time(), UTC),
        "include_non_standard": include_non_standard,
        **_severity_params(severities),
        "all_types": not incident_types,
        "incident_types": list(incident_types),
    }


def filter_params(
    start: date,
    end: date,
    severities: tuple[str, ...] = (),
    include_non_standard: bool = False,
    incident_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The bound parameters of FILTERED_INCIDENTS (and `_INCIDENT_FILTER`) for the sidebar filters."""
    return _filter_params(start, end, severities, include_non_standard, incident_types)


MEDIAN_CI_EXACT_UP_TO = 2000


@functools.lru_cache(maxsize=4096)
def median_ci_ranks(n: int) -> tuple[int, int] | None:
    """1-based ranks (lower, upper) of the distribution-free 95% confidence interval of a median of n
    values, as the dbt macro `median_confidence.sql` computes them: the largest rank l with
    P(B <= l - 1) <= 0.025 for B ~ binomial(n, 0.5) (exact up to 2000 values, then the normal
    approximation floor((n + 1 - 1.959964·√n) / 2)), and n + 1 - l. None below 6 values."""
    if n < 6:
        return None
    if n > MEDIAN_CI_EXACT_UP_TO:
        lower = math.floor((n + 1 - 1.959964 * math.sqrt(n)) / 2)
    else:
        total, cumulative, lower = 1 << n, 0, 0
        for k in range(n + 1):
            cumulative += math.comb(n, k)
            if 40 * cumulative > total:  # P(B <= k) > 0.025: the last good rank is k (P(B <= k - 1))
                lower = k
                break
    return lower, n + 1 - lower


def median_ci(sorted_values: Any) -> tuple[float | None, float | None]:
    """(low, high) of the median's 95% confidence interval from ascending, NULL-free values."""
    values = list(sorted_values) if sorted_values is not None else []
    ranks = median_ci_ranks(len(values))
    if ranks is None:
        return None, None
    return float(values[ranks[0] - 1]), float(values[ranks[1] - 1])


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
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts' "
        "ORDER BY table_name, ordinal_position"
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
    type_rows = con.execute(
        "SELECT DISTINCT incident_type FROM marts.fct_incidents WHERE incident_type IS NOT NULL ORDER BY 1"
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
        incident_types=tuple(str(name) for (name,) in type_rows),
        tables=tuple((table, tuple(sorted(columns))) for table, columns in sorted(present.items())),
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def headline(
    path: str,
    version: int,
    start: date,
    end: date,
    severities: tuple[str, ...],
    include_non_standard: bool,
    incident_types: tuple[str, ...] = (),
) -> dict[str, float | int | None]:
    """Incident count and MTTR mean / median / p90 over the filtered incidents (as `metrics_mttr` does),
    with the median's 95% confidence interval (None below 6 durations)."""
    row = _query_row(
        path,
        f"""
        SELECT
            count(*) AS incident_count,
            count(resolved_at) AS resolved_count,
            count(time_to_resolve_seconds) AS duration_count,
            avg(time_to_resolve_seconds) AS mttr_mean_seconds,
            quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
            quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds,
            list_sort(list(time_to_resolve_seconds) FILTER (WHERE time_to_resolve_seconds IS NOT NULL))
                AS sorted_durations
        FROM marts.fct_incidents
        WHERE {_INCIDENT_FILTER}
        """,
        _filter_params(start, end, severities, include_non_standard, incident_types),
    )
    row["median_ci_low_seconds"], row["median_ci_high_seconds"] = median_ci(row.pop("sorted_durations"))
    return row


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def monthly_by_severity(
    path: str,
    version: int,
    start: date,
    end: date,
    severities: tuple[str, ...],
    include_non_standard: bool,
    incident_types: tuple[str, ...] = (),
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
        {
            **_filter_params(start, end, severities, include_non_standard, incident_types),
            "no_severity_label": NO_SEVERITY,
        },
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def metrics_mttr(
    path: str,
    version: int,
    start: date,
    end: date,
    severities: tuple[str, ...],
    with_ci: bool = False,
) -> pd.DataFrame:
    """Rows of `marts.metrics_mttr` for the months overlapping [start, end], most recent first (with the
    median's confidence interval columns when the mart has them: `with_ci`)."""
    ci = ", m.median_ci_lower_seconds, m.median_ci_upper_seconds" if with_ci else ""
    return _query(
        path,
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
        WHERE m.month >= date_trunc('month', $start::DATE) AND m.month <= $end::DATE
          AND ($all_severities OR list_contains($severities::VARCHAR[], m.severity_name)
               OR ($no_severity AND m.severity_name IS NULL))
        ORDER BY m.month DESC, r.severity_rank DESC NULLS LAST, m.severity_name NULLS LAST
        """,
        {"start": start, "end": end, **_severity_params(severities)},
    )


MTTR_CI_COLUMNS = ("median_ci_lower_seconds", "median_ci_upper_seconds")  # in metrics_mttr
PAGERDUTY_COLUMNS = ("pagerduty_incident_id", "created_at", "seconds_to_first_ack", "incident_id")


def mtta(snapshot: Snapshot, start: date, end: date) -> dict[str, Any]:
    """PagerDuty incidents created in [start, end] (UTC days) and their time to first acknowledgement:
    count, acknowledged count, mean, median and p90 (PagerDuty's own definition, DESIGN §5)."""
    return query_snapshot_row(
        snapshot,
        """
        SELECT
            count(*) AS page_count,
            count(seconds_to_first_ack) AS acknowledged_count,
            avg(seconds_to_first_ack) AS mtta_mean_seconds,
            quantile_cont(seconds_to_first_ack, 0.5) AS mtta_median_seconds,
            quantile_cont(seconds_to_first_ack, 0.9) AS mtta_p90_seconds
        FROM marts.fct_pagerduty_incidents
        WHERE created_at >= $start AND created_at < $end_exclusive
        """,
        filter_params(start, end),
    )
