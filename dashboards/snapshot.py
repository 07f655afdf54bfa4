"""The published snapshot the dashboard reads: which file, its version, read-only connections, what it holds.

The dashboard never opens the live warehouse: it reads the snapshot that `exports.publish.publish_marts`
swaps in atomically (`Settings.published_path`), so a running sync or dbt build never blocks it, and it
never takes a write lock (every connection is `read_only=True`).

Connections: one DuckDB connection per snapshot version, kept for the life of the process
(`connect`); each query runs on a cursor of it. A fresh open of the file per query cost 30 ms to 0.9 s
on a loaded 2-core machine (measured with DuckDB 2.0.1), a cursor of a held connection a few ms. The
snapshot is ATTACHed to a private in-memory database rather than opened by path: DuckDB's Python client
shares one database instance per path while any connection to it lives, so a connection opened by path
after a publish could be served the replaced file. When the version (mtime) changes, the next query
opens the new file and the old connection is closed once its last cursor is done. Results are cached with
`st.cache_data`, every cache key including the version, so a new publish is read at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import streamlit as st

from exports.warehouse import quote_literal
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


# The catalog name of the snapshot inside each reader's private database.
_ATTACHED = "snapshot"


@dataclass
class _Reader:
    """The process's connection to one version of one snapshot file, and how many cursors use it."""

    version: int
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False  # a newer version is open: close once `users` drops to 0


_readers_lock = threading.Lock()
_readers: dict[str, _Reader] = {}


def _open_reader(path: str, version: int) -> _Reader:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {quote_literal(path)} AS {_ATTACHED} (READ_ONLY)")
    except BaseException:
        con.close()
        raise
    return _Reader(version, con)


def _retire(reader: _Reader) -> None:
    # Closing a DuckDB connection closes its cursors too: wait for the last query on it to finish.
    reader.retired = True
    if reader.users == 0:
        reader.con.close()


@contextmanager
def connect(path: str, version: int) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the snapshot `path` at `version` (its mtime in ns), in UTC, with the
    snapshot's catalog as the default (so `marts.x` and `meta.x` resolve). Never takes a write lock.

    The process keeps one connection per path and opens the file again only when `version` differs
    from the one it holds. Safe from several threads (Streamlit runs each session in its own): every
    caller gets its own cursor. Raises duckdb.Error when the file cannot be opened or read.
    """
    with _readers_lock:
        reader = _readers.get(path)
        if reader is None or reader.version != version:
            fresh = _open_reader(path, version)
            if reader is not None:
                _retire(reader)
            _readers[path] = reader = fresh
        reader.users += 1
        try:
            cursor = reader.con.cursor()
        except BaseException:
            reader.users -= 1
            raise
    try:
        cursor.execute(f"USE {_ATTACHED}")
        # Months and days are UTC days (docs/metrics.md), whatever the server's time zone.
        cursor.execute("SET TimeZone = 'UTC'")
        yield cursor
    finally:
        cursor.close()
        with _readers_lock:
            reader.users -= 1
            if reader.retired and reader.users == 0:
                reader.con.close()


def close_readers() -> None:
    """Close every held snapshot connection once its queries are done (tests; a process about to exit)."""
    with _readers_lock:
        for reader in _readers.values():
            _retire(reader)
        _readers.clear()


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=8, show_spinner=False)
def snapshot_info(path: str, version: int) -> SnapshotInfo:
    """Whether the snapshot can feed the dashboard, plus what the sidebar needs (date bounds, severities)."""
    try:
        with connect(path, version) as con:
            try:
                return _inspect(con)
            except duckdb.Error as exc:  # e.g. a column of an unexpected type: say so, no traceback
                return SnapshotInfo(ready=False, problem=f"It cannot be read: {str(exc).splitlines()[0]}")
    except duckdb.Error as exc:
        return SnapshotInfo(ready=False, problem=f"The file cannot be opened: {str(exc).splitlines()[0]}")


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
    with connect(path, version) as con:
        has_table = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' "
            "AND table_name = 'definitions'"
        ).fetchall()[0][0]
        if not has_table:
            return {}
        rows = con.execute(
            f"SELECT model_name, column_name, description, privacy FROM {DEFINITIONS}"
        ).fetchall()
    return {
        (model if column is None else f"{model}.{column}"): ColumnDoc(description, privacy)
        for model, column, description, privacy in rows
    }
