"""Parquet / CSV export of every mart, with a manifest, swapped into place atomically.

Layout of an export folder `DIR` (docs/contract.md#exports):

    DIR/manifest.json
    DIR/<model>/month=YYYY-MM/<model>_0.parquet   fact tables (`fct_*` with a time column), Hive-partitioned
    DIR/<model>/<model>.parquet                   every other mart (and empty fact tables), one file
    DIR/<model>/<model>.csv                       with fmt="csv": one file per model
    DIR/schemas/<model>.schema.json               JSON Schema of one row, from the dbt contract (`contracts`)
    DIR/snapshots/<id>/…                          dated snapshots and their restatements (`snapshots`)

The manifest lists, per model: its files (path, bytes, SHA-256), row count, columns and types, partitioning,
primary key, the columns left out (message text) or hashed (`--hash-emails`, see `privacy`), and its schema
file (path, bytes, SHA-256). Snapshots have their own manifest inside their folder.

Atomicity. Everything is written to the sibling `.DIR.incoming`, then swapped in with two renames:
`DIR -> .DIR.previous`, `.DIR.incoming -> DIR`, then `.DIR.previous` is deleted. Where a crash (even
`kill -9` or a power cut) can land, and what the next run does about it (`_recover`, under the same lock):

1. while writing `.DIR.incoming`: `DIR` is untouched; the next run deletes `.DIR.incoming`.
2. between the two renames (a window of two syscalls): `DIR` is absent but the previous export is whole in
   `.DIR.previous`; the next run renames it back to `DIR` before doing anything else.
3. after the swap, while deleting `.DIR.previous`: `DIR` is the new, complete export; the next run deletes
   the leftover `.DIR.previous`.

So `DIR`, whenever it exists, is one complete export, and a `manifest.json` inside it is written last.
Exports to folders with the same parent are serialized by an advisory lock on that parent folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb

from exports import snapshots
from exports.contracts import (
    DEFAULT_CONTRACTS_DIR,
    ModelContract,
    load_contracts,
    model_json_schema,
    write_json,
)
from exports.privacy import (
    ALGORITHM,
    HASH_KEY_ENV,
    EmailHasher,
    column_privacy,
    hashed_select_expr,
    load_hash_key,
)
from exports.warehouse import (
    MARTS_SCHEMA,
    ExportError,
    check_warehouse_exists,
    fsync_path,
    open_read_only,
    quote_ident,
    quote_literal,
    require_marts,
)

FORMATS = ("parquet", "csv")
MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 2
SCHEMAS_DIR = "schemas"
# Folder names of the export itself: a mart of that name would collide with them.
RESERVED_NAMES = frozenset({SCHEMAS_DIR, snapshots.SNAPSHOTS_DIR})


# Fact tables are partitioned by the month of their first time column found in this order.
PARTITION_TIME_COLUMNS = ("reported_at", "occurred_at", "created_at", "notified_at", "start_at")
PARTITION_COLUMN = "month"
_TIME_TYPES = ("TIMESTAMP", "DATE")


@dataclass(frozen=True)
class ModelPlan:
    """What to write for one mart."""

    name: str
    columns: tuple[tuple[str, str], ...]  # exported (name, DuckDB type)
    dropped_columns: tuple[str, ...]
    partition_source: str | None  # time column behind the `month=` partitions, if partitioned
    expressions: tuple[str, ...] = ()  # SQL per exported column (emails hashed); plain names when empty
    hashed_columns: frozenset[str] = frozenset()  # columns whose whole value is an email hash

    def select_sql(self, extra: str | None = None) -> str:
        exprs = list(self.expressions) or [quote_ident(name) for name, _ in self.columns]
        cols = ", ".join(exprs + ([extra] if extra else []))
        return f"SELECT {cols} FROM {MARTS_SCHEMA}.{quote_ident(self.name)}"


def export_marts(
    warehouse_path: Path,
    dest: Path,
    fmt: str = "parquet",
    include_message_text: bool = False,
    *,
    hash_emails: bool = False,
    snapshot: bool = False,
    contracts_dir: Path | None = DEFAULT_CONTRACTS_DIR,
) -> dict[str, Any]:
    """Export every table of schema `marts` to `dest` and return the manifest (also in `dest/manifest.json`).

    The warehouse is opened read-only. `dest` is replaced atomically (see the module docstring); an existing
    `dest` must be an earlier export (it has a `manifest.json`) or empty, so a typo never deletes a folder.
    `hash_emails` reads its key from `INCIDENT_LAKE_HASH_KEY` (see `exports.privacy`); `snapshot` also keeps
    this export as `dest/snapshots/<id>/` with its restatements (see `exports.snapshots`); `contracts_dir`
    holds the dbt YAML the JSON Schemas come from (see `exports.contracts`).
    Raises `ExportError` with one clear sentence for every failure the user can fix.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    # Before touching anything: a missing key must not cost a half-written export.
    hasher = EmailHasher(load_hash_key()) if hash_emails else None
    contracts = load_contracts(contracts_dir)
    options = _Options(fmt, include_message_text, hasher, snapshot, contracts)
    warehouse_path = Path(warehouse_path).expanduser().resolve()
    dest = Path(dest).expanduser().resolve()
    check_warehouse_exists(warehouse_path)
    _prepare_parent(dest)

    incoming, previous = staging_paths(dest)
    with _folder_lock(dest.parent):
        _recover(dest)
        _check_replaceable(dest)
        try:
            con = open_read_only(warehouse_path)
            try:
                manifest = _write_export(con, warehouse_path, incoming, dest, options)
            finally:
                con.close()
            _swap_in(incoming, dest, previous)
        except OSError as exc:
            shutil.rmtree(incoming, ignore_errors=True)
            raise ExportError(f"Cannot write the export to {dest}: {exc.strerror or exc}.") from exc
        except BaseException:
            # Also on KeyboardInterrupt: leave no half-written staging folder behind.
            shutil.rmtree(incoming, ignore_errors=True)
            raise
    return manifest


def staging_paths(dest: Path) -> tuple[Path, Path]:
    """The hidden siblings used during a swap: (`.DIR.incoming`, `.DIR.previous`)."""
    return dest.with_name(f".{dest.name}.incoming"), dest.with_name(f".{dest.name}.previous")


def read_manifest(dest: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((Path(dest) / MANIFEST_NAME).read_text(encoding="utf-8"))
    return manifest


# --- destination handling ---------------------------------------------------------------------------


def _prepare_parent(dest: Path) -> None:
    blocking_file = next((p for p in dest.parents if p.exists() and not p.is_dir()), None)
    if blocking_file is not None:
        raise ExportError(f"Cannot create the export folder {dest}: {blocking_file} is a file, not a folder.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the export folder {dest}: {exc.strerror or exc}.") from exc
    if not os.access(dest.parent, os.W_OK | os.X_OK):
        raise ExportError(
            f"Cannot write to {dest.parent} (permission denied): choose another --dest or fix its "
            "permissions."
        )


def _check_replaceable(dest: Path) -> None:
    if not dest.exists():
        return
    if not dest.is_dir():
        raise ExportError(f"The export destination {dest} is a file, not a folder: choose another --dest.")
    if not (dest / MANIFEST_NAME).is_file() and any(dest.iterdir()):
        raise ExportError(
            f"The folder {dest} is not an incident-lake export (it has no {MANIFEST_NAME}) and an export "
            "replaces its folder whole: choose a new or empty folder."
        )


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serialize exports sharing a parent folder (e.g. a schedule and a manual run) with flock."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent exports to one folder are unsupported
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _recover(dest: Path) -> None:
    """Finish or undo what a crashed run left behind (the crash points are listed in the module docstring)."""
    incoming, previous = staging_paths(dest)
    if incoming.exists():  # crash point 1: never swapped in, so incomplete by definition
        shutil.rmtree(incoming)
    if previous.exists():
        if dest.exists():  # crash point 3: the swap finished
            shutil.rmtree(previous)
        else:  # crash point 2: put the previous export back
            os.rename(previous, dest)
            fsync_path(dest.parent)


def _swap_in(incoming: Path, dest: Path, previous: Path) -> None:
    had_previous = dest.exists()
    if had_previous:
        os.rename(dest, previous)
    try:
        os.rename(incoming, dest)
    except BaseException:
        if had_previous:  # a failed (not crashed) rename: restore at once rather than on the next run
            os.rename(previous, dest)
        raise
    fsync_path(dest.parent)
    if had_previous:
        shutil.rmtree(previous, ignore_errors=True)


# --- writing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    fmt: str
    include_message_text: bool
    hasher: EmailHasher | None
    snapshot: bool
    contracts: dict[str, ModelContract]


def _write_export(
    con: duckdb.DuckDBPyConnection, warehouse_path: Path, root: Path, dest: Path, options: _Options
) -> dict[str, Any]:
    tables = require_marts(con, warehouse_path)
    clashing = sorted(RESERVED_NAMES & set(tables))
    if clashing:
        raise ExportError(
            f"A mart may not be named {clashing[0]!r}: the export folder uses that name itself."
        )
    if options.hasher is not None:
        options.hasher.register(con)
    generated_at = datetime.now(UTC)
    root.mkdir()
    (root / SCHEMAS_DIR).mkdir()
    models: dict[str, Any] = {}
    for table in tables:
        plan = plan_model(
            con,
            table,
            options.fmt,
            options.include_message_text,
            hash_emails=options.hasher is not None,
            contract=options.contracts.get(table),
        )
        models[table] = _write_model(con, plan, root, options.fmt)
        models[table].update(_write_schema(plan, options.contracts.get(table), root))
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "format": options.fmt,
        "incident_lake_version": _package_version(),
        "include_message_text": options.include_message_text,
        "hash_emails": None
        if options.hasher is None
        else {
            "algorithm": ALGORITHM,
            "key_env": HASH_KEY_ENV,
            "key_id": options.hasher.key_id,
            "normalization": "trimmed and lower-cased before hashing",
            "scope": "columns named *email hashed whole; emails inside other text columns replaced in place",
        },
        "contracts": "dbt_project/models/marts/**/_*.yml (dbt model contracts)"
        if options.contracts
        else None,
        "models": models,
    }
    # Earlier snapshots move into the new export with it (hard links), so the swap keeps them.
    carried = snapshots.carry_over(dest, root) if dest.is_dir() else []
    if options.snapshot:
        manifest["snapshot"] = _take_snapshot(root, dest, manifest, carried, generated_at)
        carried = [*carried, manifest["snapshot"]["id"]]
    manifest["snapshots"] = carried
    # The manifest is written last: a folder with a manifest has every file the manifest lists.
    _write_manifest(root, manifest)
    for folder in sorted({p.parent for p in root.rglob("*")} | {root}, reverse=True):
        fsync_path(folder)
    return manifest


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    manifest_path = folder / MANIFEST_NAME
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    fsync_path(manifest_path)


def _take_snapshot(
    root: Path, dest: Path, manifest: dict[str, Any], existing: list[str], at: datetime
) -> dict[str, Any]:
    """`root/snapshots/<id>/`: this export's files (hard links), restatements since the previous snapshot."""
    snapshot_id = snapshots.new_snapshot_id(at, existing)
    folder = root / snapshots.SNAPSHOTS_DIR / snapshot_id
    for name in [*manifest["models"], SCHEMAS_DIR]:
        snapshots.link_tree(root / name, folder / name)
    previous_id = existing[-1] if existing else None
    previous_root = root / snapshots.SNAPSHOTS_DIR / previous_id if previous_id else folder
    previous_manifest = read_manifest(previous_root) if previous_id else {}
    restatements_path = folder / f"{snapshots.RESTATEMENTS_NAME}.{manifest['format']}"
    try:
        summary = snapshots.compute_restatements(
            previous_root, previous_manifest, folder, manifest, restatements_path, snapshot_id, previous_id
        )
    except duckdb.IOException as exc:
        raise OSError(io_error_message(exc)) from exc
    except duckdb.Error as exc:
        raise ExportError(
            f"Comparing with snapshot {previous_id} failed: {str(exc).splitlines()[0]} "
            f"(move {dest / snapshots.SNAPSHOTS_DIR / str(previous_id)} away to start a new series)."
        ) from exc
    block = {
        "id": snapshot_id,
        "path": f"{snapshots.SNAPSHOTS_DIR}/{snapshot_id}",
        "restatements": {"file": _file_entry(restatements_path, folder), **summary},
    }
    _write_manifest(folder, {**manifest, "snapshot": block})
    return block


def _write_schema(plan: ModelPlan, contract: ModelContract | None, root: Path) -> dict[str, Any]:
    path = root / SCHEMAS_DIR / f"{plan.name}.schema.json"
    write_json(path, model_json_schema(plan.name, plan.columns, contract, plan.hashed_columns))
    return {
        "primary_key": list(contract.primary_key) if contract and contract.primary_key else None,
        "schema": _file_entry(path, root),
    }


def plan_model(
    con: duckdb.DuckDBPyConnection,
    table: str,
    fmt: str,
    include_message_text: bool,
    *,
    hash_emails: bool = False,
    contract: ModelContract | None = None,
) -> ModelPlan:
    """What to export of one mart: message text (`--include-message-text`, docs/contract.md#privacy) is
    left out and emails hashed by the columns' privacy tags in `contract` (`exports.privacy`)."""
    described = con.execute(f"DESCRIBE {MARTS_SCHEMA}.{quote_ident(table)}").fetchall()
    all_columns = [(str(row[0]), str(row[1])) for row in described]
    privacy = {name: column_privacy(name, contract) for name, _ in all_columns}
    kept = tuple(
        (name, dtype)
        for name, dtype in all_columns
        if include_message_text or privacy[name] != "message_text"
    )
    kept_names = {name for name, _ in kept}
    dropped = tuple(name for name, _ in all_columns if name not in kept_names)
    expressions: tuple[str, ...] = ()
    hashed: frozenset[str] = frozenset()
    if hash_emails:
        rewritten = [(name, *hashed_select_expr(name, dtype, privacy[name])) for name, dtype in kept]
        expressions = tuple(expr for _, expr, _ in rewritten)
        hashed = frozenset(name for name, _, whole in rewritten if whole)
    partition = _partition_source(table, kept) if fmt == "parquet" else None
    return ModelPlan(table, kept, dropped, partition, expressions, hashed)


def _partition_source(table: str, columns: tuple[tuple[str, str], ...]) -> str | None:
    if not table.startswith("fct_"):
        return None
    types = dict(columns)
    if PARTITION_COLUMN in types:  # the Hive key would shadow a real column
        return None
    for name in PARTITION_TIME_COLUMNS:
        if name in types and types[name].upper().startswith(_TIME_TYPES):
            return name
    return None


def _write_model(con: duckdb.DuckDBPyConnection, plan: ModelPlan, root: Path, fmt: str) -> dict[str, Any]:
    model_dir = root / plan.name
    model_dir.mkdir()
    partition_source = plan.partition_source
    if partition_source is not None:
        (count,) = _fetch_one(con, f"SELECT count(*) FROM ({plan.select_sql()})")
        if count == 0:  # no partitions to write; one empty file keeps the schema readable
            partition_source = None

    if partition_source is not None:
        month = f"strftime({quote_ident(partition_source)}, '%Y-%m') AS {PARTITION_COLUMN}"
        sql = (
            f"COPY ({plan.select_sql(month)}) "
            f"TO {quote_literal(str(model_dir))} (FORMAT parquet, COMPRESSION zstd, "
            f"PARTITION_BY ({PARTITION_COLUMN}), FILENAME_PATTERN {quote_literal(plan.name + '_{i}')})"
        )
    elif fmt == "parquet":
        target = model_dir / f"{plan.name}.parquet"
        sql = f"COPY ({plan.select_sql()}) TO {quote_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"
    else:
        target = model_dir / f"{plan.name}.csv"
        sql = f"COPY ({plan.select_sql()}) TO {quote_literal(str(target))} (FORMAT csv, HEADER true)"

    try:
        (row_count,) = _fetch_one(con, sql)
    except duckdb.IOException as exc:
        raise OSError(io_error_message(exc)) from exc
    except duckdb.Error as exc:
        raise ExportError(f"Exporting {MARTS_SCHEMA}.{plan.name} failed: {str(exc).splitlines()[0]}") from exc

    files = [_file_entry(path, root) for path in sorted(model_dir.rglob("*")) if path.is_file()]
    return {
        "files": files,
        "row_count": int(row_count),
        "columns": [{"name": name, "type": dtype} for name, dtype in plan.columns],
        "partition_by": (
            None
            if partition_source is None
            else {"column": PARTITION_COLUMN, "source_column": partition_source, "value": "YYYY-MM (UTC)"}
        ),
        "dropped_columns": list(plan.dropped_columns),
        "hashed_columns": sorted(plan.hashed_columns),
    }


def io_error_message(exc: duckdb.Error) -> str:
    """DuckDB's IO error as one readable clause (`Could not write file "…": No space left on device`).

    DuckDB 2 wraps the OS error in a JSON object after a prefix; the `exception_message` is what matters.
    """
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    start = first.find('{"exception_type"')
    if start >= 0:
        try:
            return str(json.loads(first[start:])["exception_message"])
        except (ValueError, KeyError, TypeError):
            pass
    return first


def _fetch_one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    # Fetch fully: DuckDB 2.0 refuses new statements on a connection with an unfinished result.
    rows = con.execute(sql).fetchall()
    return tuple(rows[0])


def _file_entry(path: Path, root: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(fh.fileno())
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": digest.hexdigest(),
        "bytes": path.stat().st_size,
    }


def _package_version() -> str:
    try:
        return version("incident-lake")
    except PackageNotFoundError:
        return "unknown"
