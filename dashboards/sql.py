"""Cached, parameterized, read-only queries on the snapshot, and the SQL the pages share.

Every value from the user arrives as a bound parameter (`$name`), never spliced into SQL text.
Metric rules are read from the marts' columns, never restated here; the sidebar filters' SQL lives in
`dashboards/filters.py` (its one home), and the median's confidence interval uses dbt's rank table.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.snapshot import CACHE_TTL_SECONDS, RANKS, Snapshot, SnapshotInfo, connect

_EMPTY_RANKS = "SELECT NULL::INTEGER AS sample_size, NULL::INTEGER AS lower_rank, NULL::INTEGER AS upper_rank"


def ranks_cte(info: SnapshotInfo) -> str:
    """A CTE `ranks(sample_size, lower_rank, upper_rank)`: dbt's ranks of the median's 95% confidence
    interval (`marts.dim_median_confidence_ranks`; 1-based ranks, null below 6 values), or no rows when
    the snapshot lacks them. Join on `len(sorted values)`; a sample size the table does not list gets no
    interval."""
    if info.has(RANKS, "sample_size", "lower_rank", "upper_rank"):
        return f"ranks AS (SELECT sample_size, lower_rank, upper_rank FROM marts.{RANKS})"
    return f"ranks AS ({_EMPTY_RANKS} WHERE false)"


def _connect_and_run(path: str, version: int, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run one statement on a cursor of the process's connection to this snapshot version (a cache miss
    of `run_query`; tests record the statements a page runs through here)."""
    with connect(path, version) as con:
        return con.execute(sql, params).df()


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The params the statement names (DuckDB rejects unused ones), so callers can pass a superset."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def run_query(path: str, version: int, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """One cached, parameterized, read-only query on the snapshot `path` at `version` (its mtime)."""
    return _connect_and_run(path, version, sql, _used_params(sql, params or {}))


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
