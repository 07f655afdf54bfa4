"""Publish a read-only snapshot of the marts for the dashboard.

DuckDB allows one writer process and, while it writes, no reader process. If the dashboard opened the
warehouse itself it would fail (or block a sync) whenever a sync or dbt build runs. Instead, the pipeline
copies schema `marts` into a fresh DuckDB file next to the published path and `os.replace`s it in: readers
opening the path see either the old or the new snapshot, never a half-built one, and connections already
open keep reading the old file until they close (POSIX rename semantics; on Windows the replace fails
while a reader holds the file open).

Besides the marts, the snapshot carries what the dashboard needs to explain and qualify them, so that it
never reads dbt or the warehouse at run time:

- `meta.definitions`: the dbt description of every mart and column (doc blocks rendered by dbt) and the
  column's privacy tag, copied from the dbt manifest (`target/manifest.json`). The dbt docs stay the one
  home of every definition; the dashboard shows them next to its numbers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from exports.privacy import check_privacy_tag
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
from pipelines.settings import get_settings

PUBLISHED_TABLE = "_published"
# The snapshot's own schema for what explains the marts (not a mart: exports never read the snapshot).
META_SCHEMA = "meta"
DEFINITIONS_TABLE = "definitions"
_SOURCE = "src"


@dataclass(frozen=True)
class Definition:
    """One row of `meta.definitions`: a mart (`column_name` None) or one of its columns."""

    model_name: str
    column_name: str | None
    description: str | None
    privacy: str | None  # a tag of exports.privacy.PRIVACY_TAGS, from the column's dbt `meta`
    data_type: str | None


def read_definitions(manifest_path: Path) -> list[Definition]:
    """The definitions of every model dbt builds in schema `marts`, from a dbt manifest (JSON).

    Descriptions are taken as dbt rendered them (`{{ doc(...) }}` blocks resolved). Sorted by model, the
    model's own row first, then its columns in contract order. Raises ExportError when the manifest is
    missing or unreadable, or a column carries an unknown privacy tag.
    """
    try:
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ExportError(
            f"No dbt manifest at {manifest_path}: run `incident-lake build` (or `dbt parse`) first."
        ) from exc
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read the dbt manifest {manifest_path}: {exc}.") from exc
    rows: list[Definition] = []
    nodes = manifest.get("nodes") if isinstance(manifest, dict) else None
    if not isinstance(nodes, dict):
        raise ExportError(f"The dbt manifest {manifest_path} has no `nodes`: is it a dbt manifest?")
    models = [
        node
        for node in nodes.values()
        if isinstance(node, dict)
        and node.get("resource_type") == "model"
        and node.get("schema") == MARTS_SCHEMA
    ]
    for node in sorted(models, key=lambda n: str(n["name"])):
        model = str(node["name"])
        rows.append(Definition(model, None, node.get("description") or None, None, None))
        for name, column in (node.get("columns") or {}).items():
            # dbt 1.10+ keeps a column's meta under `config` (and mirrors it at the top level).
            meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
            tag = meta.get("privacy")
            check_privacy_tag(tag, f"{model}.{name}")
            rows.append(
                Definition(model, str(name), column.get("description") or None, tag, column.get("data_type"))
            )
    return rows


def publish_marts(warehouse_path: Path, published_path: Path, manifest_path: Path | None = None) -> Path:
    """Copy every table of `marts` into a new DuckDB file and atomically replace `published_path` with it.

    Also writes `marts._published` (one row per copied table: table_name, row_count, published_at,
    source_path), `meta.definitions` from the dbt manifest at `manifest_path` (see `read_definitions`;
    the table is left out when `manifest_path` is None). Returns the published path. Needs the warehouse
    to be free of other writer processes for the few seconds of the copy (the pipeline calls it right
    after the dbt build, from its own process, with its own connections closed).
    """
    # Read the manifest first: a bad one fails the publish before anything is written.
    definitions = read_definitions(manifest_path) if manifest_path is not None else None
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
        _build_snapshot(warehouse_path, tmp, definitions)
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


def _build_snapshot(warehouse_path: Path, target: Path, definitions: list[Definition] | None) -> None:
    con = duckdb.connect(str(target), config=get_settings().duckdb_config())
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
        if definitions is not None:
            write_definitions(con, definitions)
        con.execute(f"DETACH {_SOURCE}")
        # Fold the WAL into the file so the single file we rename is the whole snapshot.
        con.execute("CHECKPOINT")
    finally:
        con.close()


def write_definitions(con: duckdb.DuckDBPyConnection, definitions: list[Definition]) -> None:
    """Create `meta.definitions` on `con` and fill it (the dashboard's test snapshots use it too)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(
        f"CREATE TABLE {META_SCHEMA}.{DEFINITIONS_TABLE} (model_name VARCHAR NOT NULL, column_name VARCHAR, "
        "description VARCHAR, privacy VARCHAR, data_type VARCHAR)"
    )
    rows: list[tuple[Any, ...]] = [
        (d.model_name, d.column_name, d.description, d.privacy, d.data_type) for d in definitions
    ]
    if rows:
        con.executemany(f"INSERT INTO {META_SCHEMA}.{DEFINITIONS_TABLE} VALUES (?, ?, ?, ?, ?)", rows)


def _remove_db_files(path: Path) -> None:
    for candidate in (path, Path(f"{path}.wal")):
        candidate.unlink(missing_ok=True)
