"""`exports.files.export_marts`: layout, manifest, formats, atomic replacement and clear errors."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from exports_support import (
    REPO_ROOT,
    WarehouseWriter,
    build_warehouse_without_marts,
    query,
    run_python,
    siblings,
    tree_digest,
)

import exports.files as export_files
from exports import ExportError, export_marts
from exports.files import read_manifest, staging_paths

EXPECTED_MODELS = {
    "dim_people",
    "fct_incidents",
    "fct_incident_roles",
    "fct_incident_timeline",
    "metrics_mttr",
}


def read_rows(files: list[Path], fmt: str) -> int:
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT count(*) FROM {reader}(?)", [[str(f) for f in files]]).fetchall()[0][0]
    finally:
        con.close()


def test_manifest_counts_checksums_and_columns_match_the_files_and_the_marts(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest)

    assert manifest == read_manifest(dest)
    assert manifest["format"] == "parquet"
    assert manifest["incident_lake_version"]
    assert manifest["generated_at"].endswith("+00:00")
    assert set(manifest["models"]) == EXPECTED_MODELS  # `_internal` is bookkeeping, not a mart

    listed = set()
    for model, entry in manifest["models"].items():
        files = [dest / f["path"] for f in entry["files"]]
        assert files, model
        for f, meta in zip(files, entry["files"], strict=True):
            assert hashlib.sha256(f.read_bytes()).hexdigest() == meta["sha256"]
            assert f.stat().st_size == meta["bytes"]
            assert meta["path"].startswith(f"{model}/")
        listed |= {f["path"] for f in entry["files"]} | {entry["schema"]["path"]}

        (marts_count,) = query(warehouse, f"SELECT count(*) FROM marts.{model}")[0]
        assert entry["row_count"] == marts_count == read_rows(files, "parquet")

        described = query(warehouse, f"DESCRIBE marts.{model}")
        kept = [(name, dtype) for name, dtype, *_ in described if name != "text"]
        assert [(c["name"], c["type"]) for c in entry["columns"]] == kept
        con = duckdb.connect()
        try:
            in_file = con.execute(
                "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(files[0])]
            ).fetchall()
        finally:
            con.close()
        assert [(name, dtype) for name, dtype, *_ in in_file] == kept

    on_disk = set(tree_digest(dest)) - {"manifest.json"}
    assert on_disk == listed, "the manifest lists every file and nothing else"
    assert siblings(dest) == []


def test_fact_tables_are_hive_partitioned_by_utc_month(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest)

    incidents = manifest["models"]["fct_incidents"]
    assert incidents["partition_by"] == {
        "column": "month",
        "source_column": "reported_at",
        "value": "YYYY-MM (UTC)",
    }
    months = {p.name for p in (dest / "fct_incidents").iterdir()}
    expected = {
        f"month={m}"
        for (m,) in query(
            warehouse, "SELECT DISTINCT strftime(reported_at, '%Y-%m') FROM marts.fct_incidents"
        )
        if m is not None
    }
    # The incident without a reported_at goes to Hive's null partition rather than being lost.
    assert months == expected | {"month=__HIVE_DEFAULT_PARTITION__"}
    assert "month=2024-11" in months and "month=2025-01" in months

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # Every row sits in the folder of its own UTC month (23:30 UTC on the 30th is still that month).
        misplaced = con.execute(
            "SELECT count(*) FROM read_parquet(?, hive_partitioning = true) "
            "WHERE month IS DISTINCT FROM strftime(reported_at, '%Y-%m')",
            [str(dest / "fct_incidents" / "*" / "*.parquet")],
        ).fetchall()[0][0]
    finally:
        con.close()
    assert misplaced == 0

    timeline = manifest["models"]["fct_incident_timeline"]
    assert timeline["partition_by"]["source_column"] == "occurred_at"
    # No time column, or not a fact table: one file.
    assert [f["path"] for f in manifest["models"]["fct_incident_roles"]["files"]] == [
        "fct_incident_roles/fct_incident_roles.parquet"
    ]
    assert [f["path"] for f in manifest["models"]["metrics_mttr"]["files"]] == [
        "metrics_mttr/metrics_mttr.parquet"
    ]
    assert manifest["models"]["metrics_mttr"]["partition_by"] is None


def test_csv_export_writes_one_file_per_model(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "csv"
    manifest = export_marts(warehouse, dest, fmt="csv")

    assert manifest["format"] == "csv"
    for model, entry in manifest["models"].items():
        assert [f["path"] for f in entry["files"]] == [f"{model}/{model}.csv"]
        path = dest / model / f"{model}.csv"
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [c["name"] for c in entry["columns"]]
        assert read_rows([path], "csv") == entry["row_count"]
        assert entry["partition_by"] is None
    # Timestamps are written in UTC whatever the machine's time zone.
    assert "2024-11-18 23:30:00+00" in (dest / "fct_incidents" / "fct_incidents.csv").read_text()


def test_message_text_is_left_out_unless_asked_for(warehouse: Path, tmp_path: Path) -> None:
    default = export_marts(warehouse, tmp_path / "default")
    timeline = default["models"]["fct_incident_timeline"]
    assert "text" not in [c["name"] for c in timeline["columns"]]
    assert timeline["dropped_columns"] == ["text"]
    assert default["include_message_text"] is False

    with_text = export_marts(warehouse, tmp_path / "with-text", fmt="csv", include_message_text=True)
    timeline = with_text["models"]["fct_incident_timeline"]
    assert "text" in [c["name"] for c in timeline["columns"]]
    assert timeline["dropped_columns"] == []
    assert "secret chat about" in (tmp_path / "with-text" / timeline["files"][0]["path"]).read_text()


def test_a_new_export_replaces_the_previous_one_whole(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    con = duckdb.connect(str(warehouse))
    con.execute("DROP TABLE marts.fct_incident_roles")
    con.close()

    manifest = export_marts(warehouse, dest, fmt="csv")

    assert "fct_incident_roles" not in manifest["models"]
    assert not (dest / "fct_incident_roles").exists()
    assert not list(dest.rglob("*.parquet")), "no file of the previous export survives"
    assert siblings(dest) == []


def test_an_error_mid_export_leaves_the_previous_export_whole(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)

    real_write = export_files._write_model
    calls = []

    def write_then_fail(*args, **kwargs):
        calls.append(real_write(*args, **kwargs))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return calls[-1]

    monkeypatch.setattr(export_files, "_write_model", write_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        export_marts(warehouse, dest, fmt="csv")

    assert len(calls) == 2, "files were being written when it failed"
    assert tree_digest(dest) == before
    assert siblings(dest) == [], "the staging folder is cleaned up"


def test_a_killed_export_leaves_the_previous_export_whole_and_the_next_run_cleans_up(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)

    # A hard crash (no exception handler runs) after two models were written.
    result = run_python(
        f"""
        import os
        from pathlib import Path
        import exports.files as f
        real, n = f._write_model, []
        def crash(*a, **k):
            n.append(real(*a, **k))
            if len(n) == 2:
                os._exit(9)
            return n[-1]
        f._write_model = crash
        f.export_marts(Path({str(warehouse)!r}), Path({str(dest)!r}), fmt="csv")
        """
    )
    assert result.returncode == 9, result.stderr
    incoming, _ = staging_paths(dest)
    assert siblings(dest) == [incoming.name]
    assert tree_digest(dest) == before

    manifest = export_marts(warehouse, dest, fmt="csv")
    assert siblings(dest) == []
    assert set(tree_digest(dest)) - {"manifest.json"} == {
        f["path"] for m in manifest["models"].values() for f in [*m["files"], m["schema"]]
    }


def test_a_crash_between_the_two_renames_is_recovered_by_the_next_run(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)

    # Killed right after `DIR -> .DIR.previous`, before `.DIR.incoming -> DIR`.
    result = run_python(
        f"""
        import os
        from pathlib import Path
        import exports.files as f
        real_rename = os.rename
        def rename(src, dst):
            real_rename(src, dst)
            if str(dst).endswith(".previous"):
                os._exit(9)
        f.os.rename = rename
        f.export_marts(Path({str(warehouse)!r}), Path({str(dest)!r}))
        """
    )
    assert result.returncode == 9, result.stderr
    _, previous = staging_paths(dest)
    assert not dest.exists()
    assert tree_digest(previous) == before, "the previous export is whole, one rename away"

    export_files._recover(dest)
    assert tree_digest(dest) == before
    assert siblings(dest) == []


def test_a_failed_swap_restores_the_previous_export_at_once(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)
    real_rename = os.rename

    def rename(src, dst):
        if str(src).endswith(".incoming"):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(export_files.os, "rename", rename)
    with pytest.raises(ExportError, match="No space left on device"):
        export_marts(warehouse, dest)
    assert tree_digest(dest) == before
    assert siblings(dest) == []


def test_destination_below_a_file_is_a_clear_error(warehouse: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_marts(warehouse, blocker / "exports")


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot create anything in, even as root (CI containers often run as root)."""
    if os.name == "posix" and os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
    elif Path("/sys/kernel").is_dir():
        yield Path("/sys/kernel")  # sysfs refuses new folders, whoever asks
    else:
        pytest.skip("no folder is unwritable for this user here")


def test_unwritable_destination_is_a_clear_error(warehouse: Path, unwritable_dir: Path) -> None:
    dest = unwritable_dir / "incident-lake-exports"
    with pytest.raises(
        ExportError, match=r"^Cannot write (to|the export to) .*(permission denied|not permitted)"
    ):
        export_marts(warehouse, dest)
    assert not dest.exists()


def test_a_folder_that_is_not_an_export_is_never_replaced(warehouse: Path, tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(ExportError, match="not an incident-lake export"):
        export_marts(warehouse, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"No warehouse at .*incident-lake sync"):
        export_marts(tmp_path / "nope.duckdb", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_warehouse_without_marts_is_a_clear_error(tmp_path: Path) -> None:
    bare = build_warehouse_without_marts(tmp_path / "bare.duckdb")
    with pytest.raises(ExportError, match=r"no tables in schema `marts`: run `incident-lake build`"):
        export_marts(bare, tmp_path / "export")
    assert not (tmp_path / "export").exists()
    assert siblings(tmp_path / "export") == []


def test_unknown_format_is_a_clear_error(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="Unknown export format 'xlsx'"):
        export_marts(warehouse, tmp_path / "export", fmt="xlsx")


def test_warehouse_locked_by_a_writer_is_a_clear_error(warehouse: Path, tmp_path: Path) -> None:
    with WarehouseWriter(warehouse), pytest.raises(ExportError, match="locked by another process"):
        export_marts(warehouse, tmp_path / "export")
    assert siblings(tmp_path / "export") == []


def test_the_warehouse_is_opened_read_only(warehouse: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    export_marts(warehouse, tmp_path / "export")
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert not Path(f"{warehouse}.wal").exists()


def test_concurrent_exports_to_one_folder_are_serialized(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "export"
    code = (
        "from pathlib import Path\n"
        "from exports import export_marts\n"
        f"export_marts(Path({str(warehouse)!r}), Path({str(dest)!r}), fmt={{fmt!r}})\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code.format(fmt=fmt)], cwd=REPO_ROOT, stderr=subprocess.PIPE)
        for fmt in ("parquet", "csv", "parquet", "csv")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()

    manifest = read_manifest(dest)
    listed = {f["path"] for m in manifest["models"].values() for f in [*m["files"], m["schema"]]}
    assert set(tree_digest(dest)) - {"manifest.json"} == listed, "one whole export, not a mix"
    assert siblings(dest) == []


def test_a_full_disk_mid_export_is_one_clear_error_and_leaves_export_and_warehouse_untouched(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before, warehouse_before = tree_digest(dest), hashlib.sha256(warehouse.read_bytes()).hexdigest()

    real_write, calls = export_files._write_model, []

    def write_until_full(*args, **kwargs):
        calls.append(real_write(*args, **kwargs))
        if len(calls) == 3:  # the disk fills up while the third model is written
            raise OSError(errno.ENOSPC, "No space left on device")
        return calls[-1]

    monkeypatch.setattr(export_files, "_write_model", write_until_full)
    with pytest.raises(ExportError) as raised:
        export_marts(warehouse, dest, fmt="csv")

    assert str(raised.value) == f"Cannot write the export to {dest.resolve()}: No space left on device."
    assert tree_digest(dest) == before
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == warehouse_before
    assert siblings(dest) == []


def test_a_real_write_error_from_the_kernel_leaves_the_previous_export_whole(
    warehouse: Path, tmp_path: Path
) -> None:
    """No root needed to fill a disk: a file-size limit makes the kernel refuse DuckDB's writes (EFBIG)."""
    if os.name != "posix":
        pytest.skip("needs RLIMIT_FSIZE")
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)

    result = run_python(
        f"""
        import resource, signal, sys
        from pathlib import Path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG back instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))
        from exports import ExportError, export_marts
        try:
            export_marts(Path({str(warehouse)!r}), Path({str(dest)!r}), fmt="csv")
        except ExportError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    assert result.returncode == 3, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"Cannot write the export to {dest}: Could not write file ")
    assert line.endswith("File too large.")
    assert tree_digest(dest) == before
    assert siblings(dest) == []
