"""Reading the warehouse for exports: read-only connections, the list of marts, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.settings import get_settings

MARTS_SCHEMA = "marts"


class ExportError(RuntimeError):
    """An export or publish failed for a reason the user can act on; the message is one sentence."""


def quote_ident(name: str) -> str:
    """Quote a DuckDB identifier (table or column names come from the catalog, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for statements that take no parameters (COPY targets, ATTACH paths)."""
    return "'" + value.replace("'", "''") + "'"


def describe_open_error(path: Path, exc: duckdb.Error) -> str:
    """Turn DuckDB's open/attach errors into one sentence that says what to do."""
    message = str(exc)
    if "Could not set lock" in message or "Conflicting lock" in message:
        return (
            f"The warehouse {path} is locked by another process (a sync or dbt build is running); "
            "retry when it has finished."
        )
    if "different configuration" in message or "Unique file handle conflict" in message:
        return (
            f"The warehouse {path} is already open for writing in this process; close that connection first."
        )
    first_line = message.splitlines()[0] if message else type(exc).__name__
    return f"Cannot open the warehouse {path}: {first_line}"


def check_warehouse_exists(path: Path) -> None:
    if not path.is_file():
        raise ExportError(
            f"No warehouse at {path}: run `incident-lake sync` and `incident-lake build` first "
            "(or set INCIDENT_LAKE_DB)."
        )


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (an export never needs, nor takes, the write lock), within the
    memory budget of INCIDENT_LAKE_DUCKDB_MEMORY_LIMIT (`Settings.duckdb_config`)."""
    check_warehouse_exists(path)
    try:
        con = duckdb.connect(str(path), read_only=True, config=get_settings().duckdb_config())
    except duckdb.Error as exc:
        raise ExportError(describe_open_error(path, exc)) from exc
    # Month partitions and CSV timestamps must not depend on the machine's time zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def list_marts(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """Tables and views of schema `marts`, sorted; names starting with `_` are bookkeeping, not marts."""
    rows = con.execute(
        """
        SELECT table_name
        FROM information_schema.tables
        WHERE table_schema = $schema
          AND table_catalog = coalesce($catalog, current_database())
        ORDER BY table_name
        """,
        {"schema": MARTS_SCHEMA, "catalog": catalog},
    ).fetchall()
    return [name for (name,) in rows if not name.startswith("_")]


def require_marts(con: duckdb.DuckDBPyConnection, path: Path, catalog: str | None = None) -> list[str]:
    tables = list_marts(con, catalog)
    if not tables:
        raise ExportError(
            f"The warehouse {path} has no tables in schema `{MARTS_SCHEMA}`: run `incident-lake build` first."
        )
    return tables


def fsync_path(path: Path) -> None:
    """Flush a file or directory entry to disk, so a rename never publishes data still in the page cache."""
    flags = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # e.g. directories cannot be opened on Windows; durability is best effort there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
