"""`exports.publish.publish_marts`: an atomically replaced, read-only snapshot for the dashboard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from exports_support import WarehouseWriter, build_warehouse_without_marts, query

import exports.publish as publish_module
from exports import ExportError, publish_marts

MARTS = ["dim_people", "fct_incident_roles", "fct_incident_timeline", "fct_incidents", "metrics_mttr"]


def leftovers(published: Path) -> list[str]:
    return sorted(p.name for p in published.parent.iterdir() if p.name.startswith(f".{published.name}"))


def test_publish_copies_every_mart_with_its_rows_and_types(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "site" / "published.duckdb"
    assert publish_marts(warehouse, published) == published.resolve()

    for table in MARTS:
        assert query(published, f"DESCRIBE marts.{table}") == query(warehouse, f"DESCRIBE marts.{table}")
        assert query(published, f"SELECT * FROM marts.{table} ORDER BY ALL") == query(
            warehouse, f"SELECT * FROM marts.{table} ORDER BY ALL"
        )
    assert (
        query(published, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'") == []
    )

    bookkeeping = query(
        published, "SELECT table_name, row_count, source_path FROM marts._published ORDER BY table_name"
    )
    expected = [(t, query(warehouse, f"SELECT count(*) FROM marts.{t}")[0][0], str(warehouse)) for t in MARTS]
    assert bookkeeping == expected
    assert leftovers(published) == []
    assert not Path(f"{published}.wal").exists(), "the snapshot is one self-contained file"


def test_the_dashboard_reads_the_snapshot_while_a_writer_locks_the_warehouse(
    warehouse: Path, tmp_path: Path
) -> None:
    published = publish_marts(warehouse, tmp_path / "published.duckdb")

    with WarehouseWriter(warehouse):
        # The live warehouse is unreadable now (DuckDB: one writer process, no readers beside it) ...
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse), read_only=True)
        # ... but the published snapshot reads fine, the way dashboards/snapshot.py opens it.
        assert query(published, "SELECT count(*) FROM marts.fct_incidents") == [(120,)]
        # Publishing meanwhile fails clearly and leaves the last snapshot in place.
        with pytest.raises(ExportError, match="locked by another process"):
            publish_marts(warehouse, published)
        assert query(published, "SELECT count(*) FROM marts.fct_incidents") == [(120,)]
    assert leftovers(published) == []


def test_a_failed_publish_leaves_the_previous_snapshot_and_no_temp_file(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = publish_marts(warehouse, tmp_path / "published.duckdb")
    before = published.read_bytes()

    real_require = publish_module.require_marts

    def with_a_vanished_table(*args, **kwargs):  # fails after the first tables were copied
        return [*real_require(*args, **kwargs), "zz_dropped_meanwhile"]

    monkeypatch.setattr(publish_module, "require_marts", with_a_vanished_table)
    with pytest.raises(duckdb.CatalogException):
        publish_marts(warehouse, published)

    assert published.read_bytes() == before
    assert leftovers(published) == []


def test_readers_see_the_old_or_the_new_snapshot_never_a_mix(warehouse: Path, tmp_path: Path) -> None:
    published = publish_marts(warehouse, tmp_path / "published.duckdb")
    # A reader in another process (the dashboard) holding a connection across the publish.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(published)!r}, read_only=True)\n"
            "for _ in sys.stdin:\n"
            "    (n,) = con.execute('SELECT count(*) FROM marts.fct_incidents').fetchall()[0]\n"
            "    print(n, flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None

    def ask() -> str:
        reader.stdin.write("count\n")
        reader.stdin.flush()
        return reader.stdout.readline().strip()

    try:
        assert ask() == "120"
        con = duckdb.connect(str(warehouse))
        con.execute("DELETE FROM marts.fct_incidents WHERE incident_id > 'INC0099'")
        con.close()

        publish_marts(warehouse, published)  # not blocked by the open reader

        assert ask() == "120", "an open connection keeps its consistent (old) snapshot"
        assert query(published, "SELECT count(*) FROM marts.fct_incidents") == [(100,)]
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)


def test_publish_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="No warehouse at"):
        publish_marts(tmp_path / "missing.duckdb", tmp_path / "published.duckdb")
    bare = build_warehouse_without_marts(tmp_path / "bare.duckdb")
    with pytest.raises(ExportError, match="no tables in schema `marts`"):
        publish_marts(bare, tmp_path / "published.duckdb")
    with pytest.raises(ExportError, match="must differ"):
        publish_marts(bare, bare)
    assert leftovers(tmp_path / "published.duckdb") == []
    assert not (tmp_path / "published.duckdb").exists()


def write_manifest(path: Path, column_meta: dict[str, object] | None = None) -> Path:
    """A minimal dbt manifest: one mart with two columns, one intermediate model (not published)."""
    import json

    nodes = {
        "model.incident_lake.fct_incidents": {
            "resource_type": "model",
            "name": "fct_incidents",
            "schema": "marts",
            "description": "One row per incident.",
            "columns": {
                "incident_id": {"name": "incident_id", "description": "The id.", "data_type": "varchar"},
                "lead_email": {
                    "name": "lead_email",
                    "description": "The lead's email.",
                    "data_type": "varchar",
                    "meta": column_meta if column_meta is not None else {"privacy": "email"},
                },
            },
        },
        "model.incident_lake.int_x": {
            "resource_type": "model",
            "name": "int_x",
            "schema": "intermediate",
            "description": "Not a mart.",
            "columns": {},
        },
    }
    path.write_text(json.dumps({"metadata": {}, "nodes": nodes}))
    return path


def test_publish_copies_the_dbt_definitions_of_every_mart(warehouse: Path, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "manifest.json")
    published = publish_marts(warehouse, tmp_path / "published.duckdb", manifest)
    assert query(
        published, "SELECT * FROM meta.definitions ORDER BY model_name, column_name NULLS FIRST"
    ) == [
        ("fct_incidents", None, "One row per incident.", None, None),
        ("fct_incidents", "incident_id", "The id.", None, "varchar"),
        ("fct_incidents", "lead_email", "The lead's email.", "email", "varchar"),
    ]
    # The sync history is a mart now (fct_sync_runs), not a copy made by the publisher.
    assert query(published, "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_sync_runs'") == [(0,)]


def test_a_bad_manifest_fails_the_publish_before_anything_is_written(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published.duckdb"
    with pytest.raises(ExportError, match="No dbt manifest at"):
        publish_marts(warehouse, published, tmp_path / "missing.json")
    with pytest.raises(ExportError, match=r"Unknown privacy tag 'secret' on fct_incidents\.lead_email"):
        publish_marts(warehouse, published, write_manifest(tmp_path / "bad.json", {"privacy": "secret"}))
    (tmp_path / "garbage.json").write_text("{not json")
    with pytest.raises(ExportError, match="Cannot read the dbt manifest"):
        publish_marts(warehouse, published, tmp_path / "garbage.json")
    assert not published.exists() and leftovers(published) == []
