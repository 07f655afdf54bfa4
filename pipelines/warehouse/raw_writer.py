"""Writes API records into `raw.*`: upsert by primary key, one transaction per batch.

Only rows that change are written: new records, records whose content changed (`_record` or a typed
key column), and rows that come back after being marked deleted. A record a sync reads again unchanged
is left alone, so `_synced_at` is when a row's content last changed and `data_version` moves only when
a table's rows do.

A batch is written whole or not at all, and cursors move only after the data they cover is
written, so a sync killed at any moment (even `kill -9`) and run again ends with exactly the
source's records. Records that cannot be keyed are kept in `meta.rejected_records` with their
source, endpoint and payload, never silently dropped.

A batch may say which sets it read whole (`covers`): in the same transaction as its rows, rows of
those sets it did not return get `_deleted_at` (kept as evidence), and a row that comes back is
un-deleted by its upsert. Optional entities the API refused (403/404) are listed in
`meta.skipped_entities` until they are read again.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.settings import get_settings
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
    # What each API said a listing holds, as of the last sync that read it: raw rows are checked against it.
    """CREATE TABLE IF NOT EXISTS meta.api_totals (
        source VARCHAR NOT NULL, table_name VARCHAR NOT NULL, column_name VARCHAR, since TIMESTAMPTZ,
        until TIMESTAMPTZ, api_total BIGINT, seen_at TIMESTAMPTZ, PRIMARY KEY (source, table_name))""",
    """CREATE TABLE IF NOT EXISTS meta.rejected_records (
        source VARCHAR, table_name VARCHAR, endpoint VARCHAR, record_id VARCHAR, reason VARCHAR,
        payload JSON, seen_at TIMESTAMPTZ)""",
    # Optional entities the API refused (403: the key lacks a permission; 404: the account lacks the
    # feature), as of the last sync that tried them: shown on Data health.
    """CREATE TABLE IF NOT EXISTS meta.skipped_entities (
        source VARCHAR NOT NULL, entity VARCHAR NOT NULL, status_code INTEGER, message VARCHAR,
        seen_at TIMESTAMPTZ, PRIMARY KEY (source, entity))""",
)


@dataclass
class UpsertCounts:
    """New records, existing records rewritten because their content changed or they came back after
    being marked deleted (a re-read unchanged record is neither), and rows marked deleted because a read
    of their whole set no longer returned them."""

    new: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.deleted += other.deleted


def connect_warehouse(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=get_settings().duckdb_config())
    con.execute("SET TimeZone = 'UTC'")
    return con


def data_version(con: duckdb.DuckDBPyConnection, table: RawTable) -> str:
    """A short string (16 hex digits) that changes whenever `table`'s rows change: a row inserted, a
    row's content changed, a row marked deleted or brought back, a row removed. A sync that re-read
    identical records leaves it as it was, because the writer leaves those rows alone (module docstring).

    Built from aggregates DuckDB computes in one scan of two timestamp columns (no `_record`): the row
    count, the deleted count and the sums of `_synced_at` and `_deleted_at` in microseconds. Every write
    stamps `_synced_at` with its transaction's time, so a rewrite moves the sum even if the clock stepped
    back. Raises `duckdb.CatalogException` if the table does not exist.
    """
    state = con.execute(
        f"SELECT count(*), count(_deleted_at), sum(epoch_us(_synced_at)), sum(epoch_us(_deleted_at)) "
        f"FROM {table.qualified_name}"
    ).fetchall()  # fetched whole: DuckDB 2 keeps a connection busy until its result is read out
    return hashlib.blake2b(repr(state).encode(), digest_size=8).hexdigest()


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass
class _Upsert:
    """Rows for one table, already shaped into Arrow by the thread that read them."""

    table: RawTable
    data: pa.Table
    counts: UpsertCounts | None
    # (set name, key values) of the sets these rows are the whole of.
    covers: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class _Statement:
    """A small ordered write (a cursor, a rejected record), committed with the data before it."""

    sql: str
    params: list[Any]


@dataclass
class _Cursor:
    """A cursor move; runs of them are written as one statement (one INSERT per channel was slow)."""

    source: str
    entity: str
    value: str


@dataclass
class _Barrier:
    """Set once everything queued before it is committed (or has failed)."""

    done: threading.Event


_STOP = object()
# A background transaction gathers what arrives within this long, up to this many rows: few large
# commits instead of one per page (each commit syncs the WAL, and was most of the sync's write time).
COALESCE_SECONDS = 0.25
COALESCE_ROWS = 50_000


def _key_column(values: list[Any], sql_type: str) -> pa.Array:
    """One key column, typed as the table's column so batches concatenate: timestamps as an Arrow
    timestamp array (converted in C, no string round trip), anything else as text."""
    if sql_type == "TIMESTAMPTZ":
        try:
            return pa.array(values, type=pa.timestamp("us", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            try:  # ISO strings (e.g. written by hand): parsed here, so every batch has one type
                parsed = [
                    v if not isinstance(v, str) else datetime.fromisoformat(v.replace("Z", "+00:00"))
                    for v in values
                ]
                return pa.array(parsed, type=pa.timestamp("us", tz="UTC"))
            except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                pass  # left as text: DuckDB's cast reports the bad value
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(_iso(v)) for v in values], type=pa.string())


def _arrow_batch(table: RawTable, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table of strings (`id`, key columns, `_record` JSON); the last copy of an id wins."""
    by_id: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        by_id[str(row["id"])] = row  # the last copy of a record wins, as the API would say
    values = by_id.values()
    data: dict[str, pa.Array] = {"id": pa.array(list(by_id), type=pa.string())}
    for column in table.key_columns:
        data[column] = _key_column([r.get(column) for r in values], table.key_columns[column])
    # orjson writes bytes; Arrow checks them as UTF-8 in one pass instead of a decode per record.
    data["_record"] = pa.array([orjson.dumps(r["_record"]) for r in values], type=pa.binary()).cast(
        pa.string()
    )
    return pa.table(data)


def _content_hash(table: RawTable, record: str, *, typed: bool) -> str:
    """SQL for the hash of a row's content: its `_record` text (`record`) and typed key columns. The
    stored rows (`typed`) and an incoming batch (key columns still to be cast) hash alike when equal."""
    columns = [c if typed else f"CAST({c} AS {t})" for c, t in table.key_columns.items()]
    return f"hash({', '.join([record, *columns])})"


@dataclass
class _KnownUpdate:
    """What a committed transaction did to one table, for the writer's cache of its state."""

    table: str
    hashes: dict[str, int]  # id -> content hash of every incoming row
    written: list[str]  # ids written (new, changed or undeleted)
    marked: list[str]  # ids marked deleted


class RawWriter:
    """Thread-safe writer: connectors run in threads, DuckDB takes one writer at a time.

    Used directly, every call writes at once. Inside `in_background()`, upserts, cursors and rejected
    records go through a queue to one writer thread that commits them in order, many per transaction:
    readers never wait for the disk, and a cursor is never committed before the rows it covers.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        # id -> hash of the stored row's content, and the ids marked deleted, per table, loaded on first
        # write: tell new, changed, returning and unchanged rows apart without joining every batch
        # against the whole table. Valid while this writer is the table's only writer (a sync).
        self._known: dict[str, dict[str, int]] = {}
        self._deleted: dict[str, set[str]] = {}
        self.ensure_schema()

    def ensure_schema(self) -> None:
        """Create what is missing: schemas, meta tables, raw tables, and columns added to raw tables
        since a warehouse was made (`_deleted_at`, `zoom_meeting_id`; NULL in existing rows)."""
        with self._lock:
            self._con.execute("SET TimeZone = 'UTC'")
            for ddl in META_DDL:
                self._con.execute(ddl)
            for table in RAW_TABLES:
                self._con.execute(table.create_sql())
                for column, sql_type in table.columns.items():
                    self._con.execute(
                        f"ALTER TABLE {table.qualified_name} ADD COLUMN IF NOT EXISTS {column} {sql_type}"
                    )

    # ------------------------------------------------------------------------------ background mode
    @contextmanager
    def in_background(self) -> Iterator[RawWriter]:
        """Write through one background thread until the block ends; then flush and stop it."""
        if self._thread is not None:  # nested: the outer block owns the thread
            yield self
            return
        self._error = None
        self._queue = queue.Queue(maxsize=256)  # bounded: readers wait rather than pile up memory
        self._thread = threading.Thread(target=self._run, name="raw-writer", daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._queue.put(_STOP)
            self._thread.join()
            self._queue, self._thread = None, None
        error, self._error = self._error, None  # reported once; the writer is usable again after
        if error is not None:
            raise RuntimeError(f"writing to the warehouse failed: {error}") from error

    def flush(self) -> None:
        """Wait until everything submitted so far is committed; raise the writer's error, if any."""
        if self._queue is not None:
            done = threading.Event()
            self._queue.put(_Barrier(done))
            done.wait()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing to the warehouse failed: {self._error}") from self._error

    def _enqueue(self, item: _Upsert | _Statement | _Cursor) -> None:
        self._raise_error()
        if self._queue is None:
            with self._lock:
                self._apply([item])
        else:
            self._queue.put(item)

    def _run(self) -> None:
        assert self._queue is not None
        q = self._queue
        while True:
            items = [q.get()]
            rows = 0
            deadline = time.monotonic() + COALESCE_SECONDS
            while not isinstance(items[-1], _Barrier) and items[-1] is not _STOP and rows < COALESCE_ROWS:
                if isinstance(items[-1], _Upsert):
                    rows += items[-1].data.num_rows
                try:
                    items.append(q.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            work = [i for i in items if isinstance(i, _Upsert | _Statement | _Cursor)]
            if work and self._error is None:
                try:
                    with self._lock:
                        self._apply(work)
                except BaseException as error:  # reported to the next flush or submit
                    self._error = error
            for item in items:
                if isinstance(item, _Barrier):
                    item.done.set()
            if items[-1] is _STOP:
                return

    # ------------------------------------------------------------------------------------ writing
    def _apply(self, items: list[_Upsert | _Statement | _Cursor]) -> None:
        """Write items in one transaction (the caller holds the lock)."""
        con = self._con
        known_updates: list[_KnownUpdate] = []
        by_table: dict[str, list[_Upsert]] = {}
        for item in items:
            if isinstance(item, _Upsert):
                by_table.setdefault(item.table.name, []).append(item)
        con.execute("BEGIN TRANSACTION")
        try:
            for upserts in by_table.values():
                known_updates.append(self._upsert_in_transaction(upserts))
            cursors: list[_Cursor] = []
            for item in items:  # in order: a cleared cursor stays cleared unless set after
                if isinstance(item, _Cursor):
                    cursors.append(item)
                elif isinstance(item, _Statement):
                    self._write_cursors(cursors)
                    cursors = []
                    con.execute(item.sql, item.params)
            self._write_cursors(cursors)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            # Only once the transaction is over: in an aborted one, unregistering fails too.
            for name in by_table:
                con.unregister(f"_incoming_{name}")
        for update in known_updates:  # the transaction committed: the cache follows the table
            self._known[update.table].update(update.hashes)
            deleted = self._deleted[update.table]
            deleted.difference_update(update.written)
            deleted.update(update.marked)

    def _write_cursors(self, cursors: list[_Cursor]) -> None:
        if not cursors:
            return
        latest = {(c.source, c.entity): c.value for c in cursors}  # the last move of each wins
        moves = pa.table(
            {
                "source": [k[0] for k in latest],
                "entity": [k[1] for k in latest],
                "cursor_value": list(latest.values()),
            }
        )
        # Not unregistered on failure: in an aborted transaction that fails too (and the next
        # register replaces it).
        self._con.register("_cursor_moves", moves)
        self._con.execute(
            "INSERT OR REPLACE INTO meta.sync_cursors "
            "SELECT source, entity, cursor_value, now() FROM _cursor_moves"
        )
        self._con.unregister("_cursor_moves")

    def _known_state(self, table: RawTable) -> tuple[dict[str, int], set[str]]:
        """The stored content hash of every id and the ids marked deleted (loaded once per table)."""
        known = self._known.get(table.name)
        if known is None:
            result = self._con.sql(
                f"SELECT id, {_content_hash(table, '_record::VARCHAR', typed=True)} AS h, "
                f"_deleted_at IS NOT NULL AS d FROM {table.qualified_name}"
            ).to_arrow_table()
            ids = result.column("id").to_pylist()
            known = self._known[table.name] = dict(zip(ids, result.column("h").to_pylist(), strict=True))
            self._deleted[table.name] = {
                i for i, d in zip(ids, result.column("d").to_pylist(), strict=True) if d
            }
        return known, self._deleted[table.name]

    def _upsert_in_transaction(self, upserts: list[_Upsert]) -> _KnownUpdate:
        table = upserts[0].table
        batch = pa.concat_tables([u.data for u in upserts])
        ids = batch.column("id").to_pylist()
        if len(set(ids)) != len(ids):  # the same record in two batches: keep the last copy
            last = {record_id: i for i, record_id in enumerate(ids)}
            batch = batch.take(sorted(last.values()))
        key_columns = list(table.key_columns)
        casts = ", ".join(f"CAST({c} AS {table.key_columns[c]}) AS {c}" for c in key_columns)
        select = (
            f"id, {casts + ', ' if casts else ''}now() AS _synced_at, NULL::TIMESTAMPTZ AS _deleted_at, "
            "CAST(_record AS JSON) AS _record"
        )
        con = self._con
        known, deleted = self._known_state(table)
        incoming = f"_incoming_{table.name}"
        con.register(incoming, batch)
        hashes = con.sql(
            f"SELECT id, {_content_hash(table, '_record', typed=False)} AS h FROM {incoming}"
        ).to_arrow_table()
        changes = dict(zip(hashes.column("id").to_pylist(), hashes.column("h").to_pylist(), strict=True))
        # Only new rows, changed rows and rows coming back from deletion are written: a re-read
        # unchanged row keeps its `_synced_at`, so what changed is visible downstream.
        written = [i for i, h in changes.items() if known.get(i) != h or i in deleted]
        if written:
            if len(written) < len(changes):
                changed = pc.is_in(batch["id"], value_set=pa.array(written, pa.string()))
                con.register(incoming, batch.filter(changed))
            con.execute(
                f"INSERT OR REPLACE INTO {table.qualified_name} BY NAME SELECT {select} FROM {incoming}"
            )
        # Counted per submitted batch, so each source's summary gets its own numbers.
        counted: set[str] = set()
        for upsert in upserts:
            if upsert.counts is None:
                continue
            for record_id in upsert.data.column("id").to_pylist():
                if record_id in counted:  # sent twice in one transaction: counted once
                    continue
                counted.add(record_id)
                before = known.get(record_id)
                if before is None:
                    upsert.counts.new += 1
                elif before != changes[record_id] or record_id in deleted:
                    upsert.counts.updated += 1
        by_set: dict[str, list[_Upsert]] = {}
        for upsert in upserts:
            for name in dict.fromkeys(name for name, _ in upsert.covers):
                by_set.setdefault(name, []).append(upsert)
        marked: list[str] = []
        for name, covering in by_set.items():
            marked += self._mark_deleted(table, name, covering)
        return _KnownUpdate(table.name, changes, written, marked)

    def _mark_deleted(self, table: RawTable, name: str, upserts: list[_Upsert]) -> list[str]:
        """Rows of the sets `name` these reads covered that none of them returned get `_deleted_at`
        (once); returns their ids. One statement for every set of the transaction: a table scan per
        set was most of the sync's write time. Sets of one name are disjoint (one channel, one
        incident…), so the rows the reads returned can be pooled."""
        rule = table.covered_sets.get(name)
        if rule is None:
            raise ValueError(f"{table.name} has no covered set {name!r}")
        con = self._con
        keys = [key for upsert in upserts for set_name, key in upsert.covers if set_name == name]
        # A windowed set's key ends with the window's start and end (`CoveredSet.range_column`).
        bounds = ("_range_start", "_range_end") if rule.range_column else ()
        key_names = (*rule.key_columns, *bounds)
        if any(len(key) != len(key_names) for key in keys):
            raise ValueError(f"{table.name} set {name!r} is keyed by {key_names}")
        conditions = ["t._deleted_at IS NULL", "t.id NOT IN (SELECT id FROM _present)"]
        if key_names:
            covered = pa.table(
                {c: pa.array([key[i] for key in keys], type=pa.string()) for i, c in enumerate(key_names)}
            )
            con.register("_covered", covered)
            matches = [f"c.{c} = t.{c}" for c in rule.key_columns]
            if rule.range_column:
                column = rule.range_column
                matches += [
                    f"t.{column} >= CAST(c._range_start AS TIMESTAMPTZ)",
                    f"t.{column} < CAST(c._range_end AS TIMESTAMPTZ)",
                ]
            conditions.append(f"EXISTS (SELECT 1 FROM _covered AS c WHERE {' AND '.join(matches)})")
        if rule.condition:
            conditions.append(f"({rule.condition})")
        con.register("_present", pa.concat_tables([u.data for u in upserts]))
        try:
            marked = [
                row[0]
                for row in con.execute(
                    f"UPDATE {table.qualified_name} AS t SET _deleted_at = now() "
                    f"WHERE {' AND '.join(conditions)} RETURNING t.id"
                ).fetchall()
            ]
        finally:
            con.unregister("_present")
            if key_names:
                con.unregister("_covered")
        # A table is one source's: its batches share one counts object, which gets the total.
        counts = next((u.counts for u in upserts if u.counts is not None), None)
        if counts is not None:
            counts.deleted += len(marked)
        return marked

    def upsert(self, table: RawTable, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
        """Insert or replace rows (`id`, key columns, `_record`) by id, and wait until written (rows
        that did not change are left alone)."""
        counts = UpsertCounts()
        self.submit(table, rows, counts)
        self.flush()
        return counts

    def submit(
        self,
        table: RawTable,
        rows: Iterable[Mapping[str, Any]],
        counts: UpsertCounts | None = None,
        covers: Iterable[tuple[str, tuple[str, ...]]] = (),
    ) -> None:
        """Queue rows for upsert (written at once outside `in_background`); `counts` is added to when
        they are committed. `covers` names the sets (`table.covered_sets`) these rows are the whole of:
        in the same transaction, the set's other rows are marked deleted (even when `rows` is empty)."""
        data = _arrow_batch(table, rows)
        covered = tuple((name, tuple(key)) for name, key in covers)
        if data.num_rows or covered:
            self._enqueue(_Upsert(table, data, counts, covered))

    def reject(
        self, table: RawTable, endpoint: str, record_id: str | None, reason: str, payload: Any
    ) -> None:
        self._enqueue(
            _Statement(
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
        )

    def get_cursor(self, source: str, entity: str) -> str | None:
        rows = self.query(
            "SELECT cursor_value FROM meta.sync_cursors WHERE source = ? AND entity = ?", [source, entity]
        )
        return rows[0][0] if rows else None

    def set_cursor(self, source: str, entity: str, value: str) -> None:
        """Move a cursor; in the background, committed with (or after) the rows queued before it."""
        self._enqueue(_Cursor(source, entity, value))

    def record_total(
        self,
        source: str,
        table: RawTable,
        column: str | None,
        since: datetime | None,
        until: datetime | None,
        total: int,
    ) -> None:
        """The API's own count of a listing (rows of `table` with `column` in [since, until))."""
        self._enqueue(
            _Statement(
                "INSERT OR REPLACE INTO meta.api_totals VALUES (?, ?, ?, ?, ?, ?, now())",
                [source, table.name, column, since, until, total],
            )
        )

    def record_skip(self, source: str, entity: str, status_code: int | None, message: str) -> None:
        """An optional entity the API refused this sync (kept until it is read again)."""
        self._enqueue(
            _Statement(
                "INSERT OR REPLACE INTO meta.skipped_entities VALUES (?, ?, ?, ?, now())",
                [source, entity, status_code, message],
            )
        )

    def clear_skip(self, source: str, entity: str) -> None:
        """The entity was read: it is no longer skipped."""
        self._enqueue(
            _Statement("DELETE FROM meta.skipped_entities WHERE source = ? AND entity = ?", [source, entity])
        )

    def clear_cursors(self, source: str) -> None:
        self._enqueue(_Statement("DELETE FROM meta.sync_cursors WHERE source = ?", [source]))

    def record_run(
        self,
        source: str,
        started_at: datetime,
        finished_at: datetime,
        status: str,
        full_refresh: bool,
        summary: dict[str, Any],
    ) -> None:
        """One row of `meta.sync_runs`: a source's sync, from its start to its own end."""
        self._enqueue(
            _Statement(
                "INSERT OR REPLACE INTO meta.sync_runs VALUES (?, ?, ?, ?, ?, ?::JSON)",
                [source, started_at, finished_at, status, full_refresh, orjson.dumps(summary).decode()],
            )
        )

    def update_column(self, table: RawTable, column: str, values: Mapping[str, Any]) -> None:
        """Set one typed column of existing rows (`values`: id -> value), e.g. a column added to an
        existing warehouse filled from `_record`; waits for everything queued before it."""
        if column not in table.key_columns:
            raise ValueError(f"{column!r} is not a typed column of {table.name}")
        self.flush()
        data = pa.table(
            {
                "id": pa.array(list(values), type=pa.string()),
                "value": _key_column(list(values.values()), table.key_columns[column]),
            }
        )
        with self._lock:
            self._con.register("_column_values", data)
            try:
                value = f"CAST(v.value AS {table.key_columns[column]})"
                # A changed column is changed content: `_synced_at` moves, as for any write.
                self._con.execute(
                    f"UPDATE {table.qualified_name} AS t SET {column} = {value}, _synced_at = now() "
                    f"FROM _column_values AS v WHERE t.id = v.id AND t.{column} IS DISTINCT FROM {value}"
                )
            finally:
                self._con.unregister("_column_values")
            self._known.pop(table.name, None)  # the content hashes include the column: reloaded

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """A read (after everything queued so far is written), e.g. Slack and Zoom reading incidents."""
        self.flush()
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    def data_version(self, table: RawTable) -> str:
        """`data_version` of `table` once everything queued so far is written."""
        self.flush()
        with self._lock:
            return data_version(self._con, table)

    def row_count(self, table: RawTable) -> int:
        return int(self.query(f"SELECT count(*) FROM {table.qualified_name}")[0][0])
