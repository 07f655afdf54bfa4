"""The published snapshot the dashboard reads: which file, its version, read-only connections, what it holds.

The dashboard never opens the live warehouse: it reads the snapshot that `exports.publish.publish_marts`
swaps in atomically (`Settings.published_path`), so a running sync or dbt build never blocks it, and it
never takes a write lock (every connection is `read_only=True`).

Connections: one short-lived read-only connection per (cache-missing) query. A long-lived cached
connection was measured at ~0.4 ms per query against ~15 ms for a fresh open, but DuckDB's Python client
shares one database instance per path while any connection to it is alive, so a cached connection would
keep serving the old file after a publish replaced it. Results are cached with `st.cache_data` and every
cache key includes the snapshot's mtime, so the open cost is paid once per query per publish (or per TTL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import streamlit as st

from pipelines.settings import get_settings

# Every cache key holds the snapshot's mtime, so a new publish is read at once; the TTL only bounds memory.
CACHE_TTL_SECONDS = 600
NO_SEVERITY = "(no severity)"

# What `exports.publish` writes beside the marts (schema `meta` of the snapshot).
DEFINITIONS = "meta.definitions"
# dbt's ranks of the median's 95% confidence interval per sample size (a mart).
RANKS = "dim_median_confidence_ranks"
# The team and custom-field marts the sidebar filters read (docs/contract.md); optional, since a
# snapshot published before they existed lacks them.
TEAMS = "dim_teams"
TEAM_MEMBERS = "dim_team_members"
INCIDENT_TEAMS = "fct_incident_teams"
FIELD_VALUES = "fct_incident_field_values"
# At most this many values of one custom field are offered in the sidebar (the most frequent first):
# a free-text field can hold one value per incident.
MAX_FIELD_VALUES = 500

# The columns the dashboard cannot do without (see docs/contract.md for the marts); a snapshot lacking
# them is reported on the first-run page, not crashed on. Optional marts and columns are checked where used.
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
    teams: tuple[tuple[str, str], ...] = ()  # (team_id, team_name) of dim_teams, by name
    # (custom_field_id, custom_field_name, its values, most frequent first) of fct_incident_field_values
    custom_fields: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # "<schema>.<table>" -> its columns, for the optional tables and columns pages degrade without.
    tables: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def has(self, table: str, *columns: str) -> bool:
        """Whether the snapshot holds `table` (marts.<table>, or meta.<table> spelled out) with `columns`."""
        present = dict(self.tables).get(_qualified(table))
        return present is not None and all(c in present for c in columns)

    def missing(self, table: str, *columns: str) -> list[str]:
        """What of `table(columns)` the snapshot lacks, as `table` or `table.column` strings."""
        present = dict(self.tables).get(_qualified(table))
        if present is None:
            return [table]
        return [f"{table}.{c}" for c in columns if c not in present]


def _qualified(table: str) -> str:
    return table if "." in table else f"marts.{table}"


def current_snapshot() -> Snapshot | None:
    """The configured published file and its mtime; None when there is no file yet."""
    path = get_settings().published_path
    try:
        stat = path.stat()
    except OSError:
        return None
    return Snapshot(str(path), stat.st_mtime_ns)


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the snapshot (never a write lock), in UTC."""
    con = duckdb.connect(path, read_only=True)
    # Months and days are UTC days (docs/metrics.md), whatever the server's time zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=8, show_spinner=False)
def snapshot_info(path: str, version: int) -> SnapshotInfo:
    """Whether the snapshot can feed the dashboard, plus what the sidebar needs (date bounds, severities)."""
    try:
        con = connect(path)
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
        "SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('marts', 'meta') ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    if "marts.fct_incidents" not in present:
        return SnapshotInfo(ready=False, problem="It has no `marts.fct_incidents` table yet.")
    missing = [
        f"`{table}.{column}`"
        for table, columns in REQUIRED_COLUMNS.items()
        for column in columns
        if column not in present.get(f"marts.{table}", set())
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
    teams, custom_fields = _teams_and_fields(con, present)
    published_at = None
    if "marts._published" in present:
        (published_at,) = con.execute("SELECT max(published_at) FROM marts._published").fetchall()[0]
    return SnapshotInfo(
        ready=True,
        published_at=published_at,
        first_day=first_day,
        last_day=last_day,
        incident_count=int(count),
        severities=tuple(NO_SEVERITY if name is None else str(name) for (name,) in severity_rows),
        incident_types=tuple(str(name) for (name,) in type_rows),
        teams=teams,
        custom_fields=custom_fields,
        tables=tuple((table, tuple(sorted(columns))) for table, columns in sorted(present.items())),
    )


def _teams_and_fields(
    con: duckdb.DuckDBPyConnection, present: dict[str, set[str]]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """The sidebar's team and custom-field choices; empty when the snapshot predates those marts."""
    teams: tuple[tuple[str, str], ...] = ()
    if {"team_id", "team_name"} <= present.get(f"marts.{TEAMS}", set()):
        teams = tuple(
            (str(team_id), str(name if name is not None else team_id))
            for team_id, name in con.execute(
                f"SELECT team_id, team_name FROM marts.{TEAMS} WHERE team_id IS NOT NULL "
                "ORDER BY lower(team_name) NULLS LAST, team_id"
            ).fetchall()
        )
    fields: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    if {"custom_field_id", "custom_field_name", "value"} <= present.get(f"marts.{FIELD_VALUES}", set()):
        rows = con.execute(
            f"""
            WITH counted AS (
                SELECT custom_field_id, any_value(custom_field_name) AS name, value, count(*) AS n
                FROM marts.{FIELD_VALUES}
                WHERE custom_field_id IS NOT NULL AND value IS NOT NULL
                GROUP BY custom_field_id, value
            )
            SELECT custom_field_id, any_value(name),
                   list(value ORDER BY n DESC, value)[1:{MAX_FIELD_VALUES}]
            FROM counted
            GROUP BY custom_field_id
            ORDER BY lower(any_value(name)), custom_field_id
            """
        ).fetchall()
        fields = tuple(
            (str(field_id), str(name or field_id), tuple(str(v) for v in values))
            for field_id, name, values in rows
        )
    return teams, fields


@dataclass(frozen=True)
class ColumnDoc:
    """The dbt description and privacy tag of a mart (`column` None) or one of its columns."""

    description: str | None
    privacy: str | None


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=8, show_spinner=False)
def snapshot_docs(path: str, version: int) -> dict[str, ColumnDoc]:
    """`meta.definitions` of the snapshot, keyed "model" or "model.column"; empty when it has none
    (a snapshot published before definitions were, or without a dbt manifest)."""
    con = connect(path)
    try:
        has_table = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' "
            "AND table_name = 'definitions'"
        ).fetchall()[0][0]
        if not has_table:
            return {}
        rows = con.execute(
            f"SELECT model_name, column_name, description, privacy FROM {DEFINITIONS}"
        ).fetchall()
    finally:
        con.close()
    return {
        (model if column is None else f"{model}.{column}"): ColumnDoc(description, privacy)
        for model, column, description, privacy in rows
    }
