"""Publish a read-only snapshot of the marts for the dashboard.

DuckDB allows one writer process and, while it writes, no reader process. If the dashboard opened the
warehouse itself it would fail (or block a sync) whenever a sync or dbt build runs. Instead, the pipeline
copies schema `marts` into a fresh DuckDB file next to the published path and `os.replace`s it in: readers
opening the path see either the old or the new snapshot, never a half-built one, and connections already
open keep reading the old file until they close (POSIX rename semantics; on Windows the replace fails
while a reader holds the file open).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from exports.warehouse import (
    MARTS_SCHEMA,
    ExportError,
    check_warehouse_exists,
    describe_open_error,
    fsync_path,
    quote_ident,
    quote_literal,
    require_marts,
)

PUBLISHED_TABLE = "_published"
_SOURCE = "src"


def publish_marts(warehouse_path: Path, published_path: Path) -> Path:
    """Copy every table of `marts` into a new DuckDB file and atomically replace `published_path` with it.

    Also writes `marts._published` (one row per copied table: table_name, row_count, published_at,
    source_path). Returns the published path. Needs the warehouse to be free of other writer processes for
    the few seconds of the copy (the pipeline calls it right after the dbt build, from its own process,
    with its own connections closed).
    """
    warehouse_path = Path(warehouse_path).expanduser().resolve()
    published_path = Path(published_path).expanduser().resolve()
    check_warehouse_exists(warehouse_path)
    if published_path == warehouse_path:
        raise ExportError(
            f"The published snapshot path {published_path} must differ from the warehouse path."
        )
    try:
        published_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"Cannot create the folder {published_path.parent}: {exc.strerror or exc}."
        ) from exc

    # A per-process temp name: two concurrent publishes never write the same file; the last replace wins.
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    _remove_db_files(tmp)
    try:
        _build_snapshot(warehouse_path, tmp)
        fsync_path(tmp)
        # A stale WAL beside the target would be replayed onto the new file; nobody should write the
        # published file, but a user poking at it with the duckdb CLI could have left one.
        Path(f"{published_path}.wal").unlink(missing_ok=True)
        os.replace(tmp, published_path)
        fsync_path(published_path.parent)
    except OSError as exc:
        _remove_db_files(tmp)
        raise ExportError(
            f"Cannot write the published snapshot {published_path}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        _remove_db_files(tmp)
        raise
    return published_path


def _build_snapshot(warehouse_path: Path, target: Path) -> None:
    con = duckdb.connect(str(target))
    try:
        try:
            con.execute(f"ATTACH {quote_literal(str(warehouse_path))} AS {_SOURCE} (READ_ONLY)")
        except duckdb.Error as exc:
            raise ExportError(describe_open_error(warehouse_path, exc)) from exc
        tables = require_marts(con, warehouse_path, catalog=_SOURCE)
        published_at = datetime.now(UTC)
        con.execute(f"CREATE SCHEMA {MARTS_SCHEMA}")
        counts: list[tuple[str, int]] = []
        for table in tables:
            name = quote_ident(table)
            con.execute(
                f"CREATE TABLE {MARTS_SCHEMA}.{name} AS SELECT * FROM {_SOURCE}.{MARTS_SCHEMA}.{name}"
            )
            (count,) = con.execute(f"SELECT count(*) FROM {MARTS_SCHEMA}.{name}").fetchall()[0]
            counts.append((table, int(count)))
        con.execute(
            f"CREATE TABLE {MARTS_SCHEMA}.{PUBLISHED_TABLE} ("
            "table_name VARCHAR, row_count BIGINT, published_at TIMESTAMPTZ, source_path VARCHAR)"
        )
        con.executemany(
            f"INSERT INTO {MARTS_SCHEMA}.{PUBLISHED_TABLE} VALUES (?, ?, ?, ?)",
            [(table, count, published_at, str(warehouse_path)) for table, count in counts],
        )
        # The sync history, for the dashboard's Data health page (no secrets: counts and timings only).
        has_runs = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'meta' "
            "AND table_name = 'sync_runs'",
            [_SOURCE],
        ).fetchall()[0][0]
        if has_runs:
            con.execute(f"CREATE TABLE {MARTS_SCHEMA}._sync_runs AS SELECT * FROM {_SOURCE}.meta.sync_runs")
        con.execute(f"DETACH {_SOURCE}")
        # Fold the WAL into the file so the single file we rename is the whole snapshot.
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _remove_db_files(path: Path) -> None:
    for candidate in (path, Path(f"{path}.wal")):
        candidate.unlink(missing_ok=True)
