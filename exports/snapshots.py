"""Dated snapshots of an export (`--snapshot`) and the restatements between two of them.

Layout inside an export folder `DIR`:

    DIR/snapshots/<id>/manifest.json          the export as it was (`id` = UTC time, `2026-11-28T151641Z`)
    DIR/snapshots/<id>/<model>/…, schemas/…   its files
    DIR/snapshots/<id>/restatements.<fmt>     rows of the previous snapshot that this one restates

A snapshot is the whole export of that run. Its files are hard links to the export's own files (no copy;
a plain copy where the filesystem has no hard links), so a kept snapshot costs one export's size once later
exports have replaced those files. Files are always written new and never edited in place, so sharing them
is safe. Every run (with or without `--snapshot`) carries the existing
snapshots over into the new export the same way, so they survive the atomic swap, and a crash leaves both
the previous export and its snapshots whole. Delete a snapshot folder by hand to drop it.

Restatements. When an old incident is edited after it was exported (a name, a severity, a timestamp), its
rows change in place: the new snapshot states it explicitly. For each model with a primary key (from the
dbt contract, see `exports.contracts`), the previous snapshot's rows are matched with this one's by key
and `restatements.<fmt>` lists, one row per changed value:

    snapshot, previous_snapshot, model, primary_key (JSON object of the key columns),
    change ('changed' | 'removed'), column_name, previous_value, current_value (values as text, UTC)

A row that disappeared is one `removed` row whose `previous_value` is the whole previous row as JSON. New
rows are growth, not restatements: they are only counted (`added`) in the manifest's summary, per model,
next to `changed_rows`, `changed_values`, `removed` and the columns added or removed. Values are compared
as the export shows them (after `--hash-emails`, without message text), so restatements leak nothing the
export does not. Snapshots made with different hash keys are not compared (every email would differ).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from exports.warehouse import quote_ident, quote_literal

SNAPSHOTS_DIR = "snapshots"
RESTATEMENTS_NAME = "restatements"
_ID_FORMAT = "%Y-%m-%dT%H%M%SZ"
_ID_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d{2,})?$")
# Hard links are refused on some filesystems (FAT, some network and FUSE mounts): copy there instead.
_NO_LINK_ERRNOS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES}

RESTATEMENT_COLUMNS = (
    ("snapshot", "VARCHAR"),
    ("previous_snapshot", "VARCHAR"),
    ("model", "VARCHAR"),
    ("primary_key", "VARCHAR"),
    ("change", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("previous_value", "VARCHAR"),
    ("current_value", "VARCHAR"),
)


def list_snapshots(root: Path) -> list[str]:
    """Complete snapshots of the export at `root` (those with a manifest), oldest first."""
    folder = root / SNAPSHOTS_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if _ID_RE.match(p.name) and (p / "manifest.json").is_file()
    )


def new_snapshot_id(at: datetime, existing: list[str]) -> str:
    """The UTC time of the run; a suffix keeps ids unique and ordered when two runs share a second."""
    base = at.strftime(_ID_FORMAT)
    latest = existing[-1] if existing else ""
    candidate, n = base, 0
    while candidate in existing or candidate <= latest:
        n += 1
        # A clock set back must not make the new snapshot sort before the latest one.
        candidate = f"{max(base, latest[: len(base)])}-{n:02d}"
    return candidate


def link_tree(src: Path, dst: Path) -> None:
    """Recreate `src` under `dst` with hard links (copies where links are refused)."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
            shutil.copy2(path, target)


def carry_over(previous_root: Path, new_root: Path) -> list[str]:
    """Bring the complete snapshots of the live export into the one being written; returns their ids."""
    ids = list_snapshots(previous_root)
    for snapshot_id in ids:
        link_tree(previous_root / SNAPSHOTS_DIR / snapshot_id, new_root / SNAPSHOTS_DIR / snapshot_id)
    return ids


# --- restatements -----------------------------------------------------------------------------------


def _relation(root: Path, entry: dict[str, Any], fmt: str) -> str:
    files = "[" + ", ".join(quote_literal(str(root / f["path"])) for f in entry["files"]) + "]"
    if fmt == "parquet":
        # The month of a partition is derived, not data: compare the columns in the files only.
        return f"read_parquet({files}, hive_partitioning = false, union_by_name = true)"
    columns = (
        "{"
        + ", ".join(f"{quote_literal(c['name'])}: {quote_literal(c['type'])}" for c in entry["columns"])
        + "}"
    )
    # Types from the manifest, not sniffed; a quoted "" stays an empty string, distinct from NULL.
    return (
        f"read_csv({files}, header = true, auto_detect = false, columns = {columns}, "
        "allow_quoted_nulls = false)"
    )


def compute_restatements(
    previous_root: Path,
    previous_manifest: dict[str, Any],
    current_root: Path,
    current_manifest: dict[str, Any],
    out_path: Path,
    snapshot_id: str,
    previous_id: str | None,
) -> dict[str, Any]:
    """Write `out_path` (format of the current export) and return the per-model summary."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(f"{quote_ident(n)} {t}" for n, t in RESTATEMENT_COLUMNS)
        con.execute(f"CREATE TEMP TABLE restatements ({columns})")
        models: dict[str, Any] = {}
        reason = _not_comparable(previous_manifest, current_manifest) if previous_id else None
        if previous_id and reason is None:
            previous_models = previous_manifest.get("models", {})
            for model, entry in current_manifest["models"].items():
                if model not in previous_models:
                    models[model] = {"status": "new_model", "current_rows": entry["row_count"]}
                    continue
                models[model] = _compare_model(
                    con,
                    model,
                    (previous_root, previous_models[model], previous_manifest["format"]),
                    (current_root, entry, current_manifest["format"]),
                    (snapshot_id, previous_id),
                )
            for model in sorted(set(previous_models) - set(current_manifest["models"])):
                models[model] = {
                    "status": "dropped_model",
                    "previous_rows": previous_models[model]["row_count"],
                }
        fmt = current_manifest["format"]
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        con.execute(
            "COPY (SELECT * FROM restatements ORDER BY model, primary_key, change, column_name) "
            f"TO {quote_literal(str(out_path))} ({options})"
        ).fetchall()
        (total,) = con.execute("SELECT count(*) FROM restatements").fetchall()[0]
    finally:
        con.close()
    return {
        "previous_snapshot": previous_id,
        "comparable": reason is None,
        "reason": reason if previous_id else "first snapshot: nothing to compare with",
        "row_count": int(total),
        "models": models,
    }


def _not_comparable(previous: dict[str, Any], current: dict[str, Any]) -> str | None:
    key_of = [(m.get("hash_emails") or {}).get("key_id") for m in (previous, current)]
    if key_of[0] != key_of[1]:
        return "--hash-emails or its key changed between the snapshots: every email would differ"
    return None


def _compare_model(
    con: duckdb.DuckDBPyConnection,
    model: str,
    previous: tuple[Path, dict[str, Any], str],
    current: tuple[Path, dict[str, Any], str],
    ids: tuple[str, str],
) -> dict[str, Any]:
    previous_entry, current_entry = previous[1], current[1]
    key = current_entry.get("primary_key")
    previous_columns = [c["name"] for c in previous_entry["columns"]]
    current_columns = [c["name"] for c in current_entry["columns"]]
    summary: dict[str, Any] = {
        "primary_key": key,
        "previous_rows": previous_entry["row_count"],
        "current_rows": current_entry["row_count"],
        "columns_added": [c for c in current_columns if c not in previous_columns],
        "columns_removed": [c for c in previous_columns if c not in current_columns],
    }
    if not key:
        return {**summary, "status": "no_primary_key"}
    if not set(key) <= set(previous_columns) & set(current_columns):
        return {**summary, "status": "primary_key_not_in_both_snapshots"}

    con.execute(f"CREATE OR REPLACE TEMP VIEW p AS SELECT * FROM {_relation(*previous)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW c AS SELECT * FROM {_relation(*current)}")

    def key_struct(t: str) -> str:
        return "{" + ", ".join(f"{quote_literal(k)}: {t}.{quote_ident(k)}" for k in key) + "}"

    for side in ("p", "c"):
        rows, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT {key_struct(side)}) FROM {side}"
        ).fetchall()[0]
        if rows != distinct:  # matching would pair rows arbitrarily
            return {**summary, "status": "primary_key_not_unique"}

    on = " AND ".join(f"p.{quote_ident(k)} IS NOT DISTINCT FROM c.{quote_ident(k)}" for k in key)
    params = {"snapshot": ids[0], "previous": ids[1], "model": model}
    head = "$snapshot, $previous, $model"
    values = [c for c in current_columns if c in previous_columns and c not in key]
    if values:
        diffs = ", ".join(
            f"{{'column_name': {quote_literal(v)}, 'previous_value': p.{quote_ident(v)}::VARCHAR, "
            f"'current_value': c.{quote_ident(v)}::VARCHAR}}"
            for v in values
        )
        con.execute(
            f"""
            INSERT INTO restatements
            SELECT {head}, key_json, 'changed', d.column_name, d.previous_value, d.current_value
            FROM (
                SELECT to_json({key_struct("p")})::VARCHAR AS key_json,
                       unnest(list_filter(
                           [{diffs}], lambda x: x.previous_value IS DISTINCT FROM x.current_value
                       )) AS d
                FROM p JOIN c ON {on}
            )
            """,
            params,
        )
    con.execute(
        f"""
        INSERT INTO restatements
        SELECT {head}, to_json({key_struct("p")})::VARCHAR, 'removed',
               NULL, to_json(p)::VARCHAR, NULL
        FROM p ANTI JOIN c ON {on}
        """,
        params,
    )
    (added,) = con.execute(f"SELECT count(*) FROM c ANTI JOIN p ON {on}").fetchall()[0]
    changed_rows, changed_values, removed = con.execute(
        """
        SELECT count(DISTINCT primary_key) FILTER (WHERE change = 'changed'),
               count(*) FILTER (WHERE change = 'changed'),
               count(*) FILTER (WHERE change = 'removed')
        FROM restatements WHERE model = $model
        """,
        {"model": model},
    ).fetchall()[0]
    return {
        **summary,
        "status": "compared",
        "added": int(added),
        "changed_rows": int(changed_rows),
        "changed_values": int(changed_values),
        "removed": int(removed),
    }
