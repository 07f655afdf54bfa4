"""Writes API records into `raw.*`: upsert by primary key, one transaction per batch.

A batch is written whole or not at all, and cursors move only after the data they cover is
written, so a sync killed at any moment (even `kill -9`) and run again ends with exactly the
source's records. Records that cannot be keyed are kept in `meta.rejected_records` with their
source, endpoint and payload, never silently dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from pipelines.warehouse.raw_tables import RAW_TABLES, RawTable

META_DDL = (
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS meta",
    """CREATE TABLE IF NOT EXISTS meta.sync_cursors (
        source VARCHAR NOT NULL, entity VARCHAR NOT NULL, cursor_value VARCHAR,
        updated_at TIMESTAMPTZ, PRIMARY KEY (source, entity))""",
    """CREATE TABLE IF NOT EXISTS meta.sync_runs (
        source VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ,
        status VARCHAR, full_refresh BOOLEAN, summary JSON, PRIMARY KEY (source, started_at))""",
    """CREATE TABLE IF NOT EXISTS meta.rejected_records (
        source VARCHAR, table_name VARCHAR, endpoint VARCHAR, record_id VARCHAR, reason VARCHAR,
        payload JSON, seen_at TIMESTAMPTZ)""",
)


@dataclass
class UpsertCounts:
    """New records, and existing records whose content changed (a re-read unchanged record is neither)."""

    new: int = 0
    updated: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated


def connect_warehouse(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class RawWriter:
    """Thread-safe writer: connectors run in threads, DuckDB takes one writer at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.ensure_schema()

    def ensure_schema(self) -> None:
        with self._lock:
            self._con.execute("SET TimeZone = 'UTC'")
            for ddl in META_DDL:
                self._con.execute(ddl)
            for table in RAW_TABLES:
                self._con.execute(table.create_sql())

    def upsert(self, table: RawTable, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
        """Insert or replace rows (`id`, key columns, `_record`) by id, in one transaction."""
        by_id: dict[str, Mapping[str, Any]] = {}
        for row in rows:
            by_id[str(row["id"])] = row  # the last copy of a record wins, as the API would say
        if not by_id:
            return UpsertCounts()
        key_columns = list(table.key_columns)
        data: dict[str, list[Any]] = {"id": list(by_id)}
        for column in key_columns:
            data[column] = [
                None if r.get(column) is None else str(_iso(r.get(column))) for r in by_id.values()
            ]
        data["_record"] = [orjson.dumps(r["_record"]).decode() for r in by_id.values()]
        batch = pa.table({k: pa.array(v, type=pa.string()) for k, v in data.items()})
        casts = ", ".join(f"CAST({c} AS {table.key_columns[c]}) AS {c}" for c in key_columns)
        select = f"id, {casts + ', ' if casts else ''}now() AS _synced_at, CAST(_record AS JSON) AS _record"
        with self._lock:
            con = self._con
            con.register("_incoming_batch", batch)
            try:
                con.execute("BEGIN TRANSACTION")
                existing, changed = con.execute(
                    f"SELECT count(*), count(*) FILTER (WHERE t._record::VARCHAR <> b._record) "
                    f"FROM {table.qualified_name} AS t JOIN _incoming_batch AS b USING (id)"
                ).fetchall()[0]
                con.execute(
                    f"INSERT OR REPLACE INTO {table.qualified_name} BY NAME "
                    f"SELECT {select} FROM _incoming_batch"
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("_incoming_batch")
        return UpsertCounts(new=len(by_id) - existing, updated=changed)

    def reject(
        self, table: RawTable, endpoint: str, record_id: str | None, reason: str, payload: Any
    ) -> None:
        with self._lock:
            self._con.execute(
                "INSERT INTO meta.rejected_records VALUES (?, ?, ?, ?, ?, ?::JSON, now())",
                [
                    table.source,
                    table.name,
                    endpoint,
                    record_id,
                    reason,
                    orjson.dumps(payload, default=str).decode(),
                ],
            )

    def get_cursor(self, source: str, entity: str) -> str | None:
        with self._lock:
            rows = self._con.execute(
                "SELECT cursor_value FROM meta.sync_cursors WHERE source = ? AND entity = ?", [source, entity]
            ).fetchall()
        return rows[0][0] if rows else None

    def set_cursor(self, source: str, entity: str, value: str) -> None:
        with self._lock:
            self._con.execute(
                "INSERT OR REPLACE INTO meta.sync_cursors VALUES (?, ?, ?, now())", [source, entity, value]
            )

    def clear_cursors(self, source: str) -> None:
        with self._lock:
            self._con.execute("DELETE FROM meta.sync_cursors WHERE source = ?", [source])

    def record_run(
        self, source: str, started_at: datetime, status: str, full_refresh: bool, summary: dict[str, Any]
    ) -> None:
        with self._lock:
            self._con.execute(
                "INSERT OR REPLACE INTO meta.sync_runs VALUES (?, ?, ?, ?, ?, ?::JSON)",
                [source, started_at, datetime.now(UTC), status, full_refresh, orjson.dumps(summary).decode()],
            )

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """A read used by connectors that depend on another source (Slack and Zoom on incidents)."""
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    def row_count(self, table: RawTable) -> int:
        return int(self.query(f"SELECT count(*) FROM {table.qualified_name}")[0][0])
