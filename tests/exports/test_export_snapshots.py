"""`--snapshot`: dated snapshots kept across exports, and restatements when old rows change between two."""

from __future__ import annotations

import errno
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from exports_support import siblings, tree_digest

import exports.snapshots as snapshots_module
from exports import ExportError, export_marts
from exports.files import read_manifest
from exports.privacy import HASH_KEY_ENV
from exports.snapshots import new_snapshot_id


def restatements(dest: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    folder = dest / manifest["snapshot"]["path"]
    path = folder / manifest["snapshot"]["restatements"]["file"]["path"]
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    con = duckdb.connect()
    try:
        cursor = con.execute(f"SELECT * FROM {reader}(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def edit_warehouse(warehouse: Path) -> None:
    """What a re-sync does to old incidents: a rename, a severity change, a deletion, and one new incident."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("UPDATE marts.fct_incidents SET name = 'Database outage' WHERE incident_id = 'INC0005'")
        con.execute(
            "UPDATE marts.fct_incidents SET severity_name = 'Critical', severity_rank = 2 "
            "WHERE incident_id = 'INC0010'"
        )
        con.execute("DELETE FROM marts.fct_incidents WHERE incident_id = 'INC0007'")
        con.execute(
            "INSERT INTO marts.fct_incidents SELECT * REPLACE ('INC9999' AS incident_id) "
            "FROM marts.fct_incidents WHERE incident_id = 'INC0001'"
        )
        # The metrics are rebuilt from the facts, as dbt would.
        con.execute("""
            CREATE OR REPLACE TABLE marts.metrics_mttr AS
            SELECT date_trunc('month', reported_at)::DATE AS month, severity_name, count(*) AS incident_count,
                   count(resolved_at) AS resolved_count, avg(time_to_resolve_seconds) AS mttr_mean_seconds,
                   quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
                   quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
            FROM marts.fct_incidents WHERE is_in_metrics GROUP BY ALL
        """)
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_snapshot_is_the_whole_export_linked_not_copied(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, snapshot=True)

    block = manifest["snapshot"]
    assert manifest["snapshots"] == [block["id"]]
    assert block["path"] == f"snapshots/{block['id']}"
    assert block["restatements"]["previous_snapshot"] is None
    assert block["restatements"]["row_count"] == 0 and restatements(dest, manifest) == []

    folder = dest / block["path"]
    inner = read_manifest(folder)
    assert inner["models"] == manifest["models"] and inner["snapshot"]["id"] == block["id"]
    for entry in manifest["models"].values():
        for f in [*entry["files"], entry["schema"]]:
            assert sha256(folder / f["path"]) == f["sha256"]
            # Hard links: the snapshot costs no space (files are never edited in place).
            assert (folder / f["path"]).stat().st_ino == (dest / f["path"]).stat().st_ino
    restated = block["restatements"]["file"]
    assert sha256(folder / restated["path"]) == restated["sha256"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_old_rows_edited_between_two_snapshots_are_listed_as_restatements(
    warehouse: Path, tmp_path: Path, fmt: str
) -> None:
    dest = tmp_path / "export"
    first = export_marts(warehouse, dest, fmt=fmt, snapshot=True)
    edit_warehouse(warehouse)
    second = export_marts(warehouse, dest, fmt=fmt, snapshot=True)

    summary = second["snapshot"]["restatements"]
    assert summary["previous_snapshot"] == first["snapshot"]["id"]
    assert second["snapshots"] == [first["snapshot"]["id"], second["snapshot"]["id"]]
    rows = restatements(dest, second)
    assert len(rows) == summary["row_count"]
    assert {(r["snapshot"], r["previous_snapshot"]) for r in rows} == {
        (second["snapshot"]["id"], first["snapshot"]["id"])
    }

    incidents = {
        (json.loads(r["primary_key"])["incident_id"], r["change"], r["column_name"]): (
            r["previous_value"],
            r["current_value"],
        )
        for r in rows
        if r["model"] == "fct_incidents"
    }
    removed = incidents.pop(("INC0007", "removed", None))
    assert json.loads(removed[0])["name"] == "Incident 7" and removed[1] is None
    assert incidents == {
        ("INC0005", "changed", "name"): ("Incident 5", "Database outage"),
        ("INC0010", "changed", "severity_name"): ("Minor", "Critical"),
        ("INC0010", "changed", "severity_rank"): ("0", "2"),
    }
    assert summary["models"]["fct_incidents"] | {"columns_added": [], "columns_removed": []} == {
        "status": "compared",
        "primary_key": ["incident_id"],
        "previous_rows": 120,
        "current_rows": 120,
        "added": 1,  # INC9999 is new, not a restatement
        "changed_rows": 2,
        "changed_values": 3,
        "removed": 1,
        "columns_added": [],
        "columns_removed": [],
    }

    # The metrics of the months touched are restated too: INC0007 left December's null-severity group
    # (keys holding a null still match) and INC9999 joined November's Major group. INC0010 is a
    # retrospective incident, outside the metrics.
    mttr = {
        (
            json.loads(r["primary_key"])["month"][:7],
            json.loads(r["primary_key"])["severity_name"],
            r["change"],
        )
        for r in rows
        if r["model"] == "metrics_mttr"
    }
    assert mttr == {("2024-12", None, "changed"), ("2024-11", "Major", "changed")}
    assert summary["models"]["metrics_mttr"]["status"] == "compared"
    # Models without a change, or without the contract's key columns, say so.
    assert summary["models"]["dim_people"]["changed_rows"] == 0
    assert summary["models"]["fct_incident_roles"]["status"] == "compared"


def test_an_export_without_snapshot_keeps_the_snapshots_and_formats_compare(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    first = export_marts(warehouse, dest, fmt="parquet", snapshot=True)
    kept = tree_digest(dest / "snapshots")

    plain = export_marts(warehouse, dest, fmt="csv")
    assert "snapshot" not in plain and plain["snapshots"] == [first["snapshot"]["id"]]
    assert tree_digest(dest / "snapshots") == kept

    # A CSV snapshot compared with a Parquet one: the same data restates nothing.
    third = export_marts(warehouse, dest, fmt="csv", snapshot=True)
    summary = third["snapshot"]["restatements"]
    assert summary["previous_snapshot"] == first["snapshot"]["id"]
    assert summary["row_count"] == 0, restatements(dest, third)
    assert all(m["status"] == "compared" for m in summary["models"].values()), summary["models"]
    assert tree_digest(dest / "snapshots" / first["snapshot"]["id"]) == {
        p.removeprefix(f"{first['snapshot']['id']}/"): h
        for p, h in kept.items()
        if p.startswith(first["snapshot"]["id"])
    }


def test_a_failure_while_snapshotting_leaves_the_export_and_its_snapshots_whole(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest, snapshot=True)
    before = tree_digest(dest)

    def disk_full(*args: object, **kwargs: object) -> dict[str, Any]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshots_module, "compute_restatements", disk_full)
    edit_warehouse(warehouse)
    with pytest.raises(ExportError, match=r"^Cannot write the export to .*: No space left on device\.$"):
        export_marts(warehouse, dest, snapshot=True)
    assert tree_digest(dest) == before
    assert siblings(dest) == []


def test_snapshots_hashed_with_different_keys_are_not_compared(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    monkeypatch.setenv(HASH_KEY_ENV, "first-key-0123456789")
    export_marts(warehouse, dest, hash_emails=True, snapshot=True)
    monkeypatch.setenv(HASH_KEY_ENV, "second-key-0123456789")
    second = export_marts(warehouse, dest, hash_emails=True, snapshot=True)
    summary = second["snapshot"]["restatements"]
    assert summary["comparable"] is False and "--hash-emails" in summary["reason"]
    assert summary["row_count"] == 0 and summary["models"] == {}


def test_snapshot_ids_are_utc_times_unique_and_ordered() -> None:
    at = datetime(2026, 11, 28, 15, 16, 41, tzinfo=UTC)
    assert new_snapshot_id(at, []) == "2026-11-28T151641Z"
    assert new_snapshot_id(at, ["2026-11-28T151641Z"]) == "2026-11-28T151641Z-01"
    assert new_snapshot_id(at, ["2026-11-28T151641Z", "2026-11-28T151641Z-01"]) == "2026-11-28T151641Z-02"
    # A clock set back still sorts after the latest snapshot.
    later = "2027-01-01T000000Z"
    assert new_snapshot_id(at, [later]) > later
