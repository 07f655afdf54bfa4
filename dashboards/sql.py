"""Cached, parameterized, read-only queries on the snapshot, and the SQL the pages share.

Every value from the user arrives as a bound parameter (`$name`), never spliced into SQL text.
Metric rules are read from the marts' columns, never restated here: the incidents in metrics are
`fct_incidents.is_in_metrics`, the incidents the sidebar toggle adds are `is_status_in_metrics`
(dbt's rule minus the mode), and the median's confidence interval uses dbt's rank table.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.snapshot import CACHE_TTL_SECONDS, NO_SEVERITY, RANKS, Snapshot, SnapshotInfo, connect

# The incidents the toggle adds back: in metrics but for their mode (retrospective, test, tutorial).
# A column of fct_incidents; on a snapshot built before it existed the toggle is disabled.
STATUS_IN_METRICS = "is_status_in_metrics"

# fct_incidents with `is_status_in_metrics` always present (NULL when the mart lacks it): UNION BY NAME
# fills a column one side lacks with NULL, so one SQL text serves old and new snapshots.
_INCIDENTS = f"""
    (SELECT NULL::BOOLEAN AS {STATUS_IN_METRICS} WHERE false)
    UNION ALL BY NAME
    (SELECT * FROM marts.fct_incidents)
"""

# The sidebar filters over those incidents; every value is a bound parameter.
_INCIDENT_FILTER = f"""
    reported_at >= $start AND reported_at < $end_exclusive
    AND (is_in_metrics OR ($include_non_standard AND coalesce({STATUS_IN_METRICS}, false)))
    AND ($all_severities
         OR list_contains($severities::VARCHAR[], severity_name)
         OR ($no_severity AND severity_name IS NULL))
    AND ($all_types OR list_contains($incident_types::VARCHAR[], incident_type))
"""

# The filtered incidents as a CTE named `filtered` (parameters: `filter_params`).
FILTERED_INCIDENTS = f"""
    filtered AS (
        SELECT *
        FROM ({_INCIDENTS})
        WHERE {_INCIDENT_FILTER}
    )
"""

_EMPTY_RANKS = "SELECT NULL::INTEGER AS sample_size, NULL::INTEGER AS lower_rank, NULL::INTEGER AS upper_rank"


def ranks_cte(info: SnapshotInfo) -> str:
    """A CTE `ranks(sample_size, lower_rank, upper_rank)`: dbt's ranks of the median's 95% confidence
    interval (`marts.dim_median_confidence_ranks`; 1-based ranks, null below 6 values), or no rows when
    the snapshot lacks them. Join on `len(sorted values)`; a sample size the table does not list gets no
    interval."""
    if info.has(RANKS, "sample_size", "lower_rank", "upper_rank"):
        return f"ranks AS (SELECT sample_size, lower_rank, upper_rank FROM marts.{RANKS})"
    return f"ranks AS ({_EMPTY_RANKS} WHERE false)"


def can_include_non_standard(info: SnapshotInfo) -> bool:
    """Whether the snapshot says which non-standard incidents the toggle may add back."""
    return info.has("fct_incidents", STATUS_IN_METRICS)


def _connect_and_run(path: str, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    con = connect(path)
    try:
        return con.execute(sql, params).df()
    finally:
        con.close()


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The params the statement names (DuckDB rejects unused ones), so callers can pass a superset."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def run_query(path: str, version: int, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """One cached, parameterized, read-only query on the snapshot `path` at `version` (its mtime)."""
    return _connect_and_run(path, sql, _used_params(sql, params or {}))


def query_snapshot(snapshot: Snapshot, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """`run_query` on a Snapshot: a DataFrame, cached per (snapshot version, SQL, parameters)."""
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


def severity_params(severities: tuple[str, ...]) -> dict[str, Any]:
    """Bound parameters of a severity filter: empty means all; NO_SEVERITY selects null severities."""
    names = [s for s in severities if s != NO_SEVERITY]
    return {
        "all_severities": not severities,
        "severities": names,
        "no_severity": NO_SEVERITY in severities,
    }


def filter_params(
    start: date,
    end: date,
    severities: tuple[str, ...] = (),
    include_non_standard: bool = False,
    incident_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The bound parameters of FILTERED_INCIDENTS: [start, end] are UTC days of `reported_at`, inclusive."""
    return {
        "start": datetime.combine(start, time(), UTC),
        "end_exclusive": datetime.combine(end + timedelta(days=1), time(), UTC),
        "include_non_standard": include_non_standard,
        **severity_params(severities),
        "all_types": not incident_types,
        "incident_types": list(incident_types),
    }
