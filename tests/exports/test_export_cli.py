"""`incident-lake export`: flags reach the export through Dagster, errors are one line; the schedule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from exports_support import REPO_ROOT

from exports.files import read_manifest
from exports.privacy import HASH_KEY_ENV

KEY = "cli-test-key-0123456789abcdef"


def run_export(
    tmp_path: Path, warehouse: Path, *args: str, key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != HASH_KEY_ENV and k != "DAGSTER_HOME"}
    env.update(INCIDENT_LAKE_DB=str(warehouse), INCIDENT_LAKE_EXPORT_DIR=str(tmp_path / "default-export"))
    if key is not None:
        env[HASH_KEY_ENV] = key
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", *args],
        cwd=tmp_path,  # no stray .env
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_snapshot_and_hash_emails_flags_reach_the_export(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "export"
    result = run_export(
        tmp_path, warehouse, "--format", "csv", "--dest", str(dest), "--hash-emails", "--snapshot", key=KEY
    )
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(dest)
    assert manifest["format"] == "csv"
    assert manifest["hash_emails"]["algorithm"] == "HMAC-SHA256"
    assert manifest["snapshot"]["id"] in result.stderr  # the progress line names the snapshot
    assert (dest / manifest["snapshot"]["path"] / "manifest.json").is_file()
    assert KEY not in result.stdout + result.stderr
    for path in dest.rglob("*"):
        assert not path.is_file() or KEY.encode() not in path.read_bytes()


def test_hash_emails_without_a_key_fails_with_one_line(warehouse: Path, tmp_path: Path) -> None:
    result = run_export(tmp_path, warehouse, "--dest", str(tmp_path / "export"), "--hash-emails")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: --hash-emails needs a secret key: set {HASH_KEY_ENV} (at least 16 characters; keep the "
        "same key to keep hashes joinable across exports)."
    ]
    assert not (tmp_path / "export").exists()


def test_an_export_error_is_one_line_naming_the_destination(warehouse: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_export(tmp_path, warehouse, "--dest", str(blocker / "export"))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0] == (
        f"error: exports__marts_files failed: Cannot create the export folder {blocker / 'export'}: "
        f"{blocker} is a file, not a folder."
    )


def test_the_daily_schedule_keeps_a_dated_snapshot_downstream_of_every_mart() -> None:
    from pipelines.definitions import build_definitions

    defs = build_definitions()
    schedule = defs.resolve_schedule_def("daily_export")
    assert schedule.cron_schedule == "30 5 * * *"
    graph = defs.resolve_asset_graph()
    files = dg.AssetKey(["exports", "marts_files"])
    assert schedule.job_name == "daily_export"
    daily = defs.resolve_job_def("daily_export").asset_layer.selected_asset_keys
    # The daily job rebuilds every model with every data test before its snapshot.
    assert files in daily and {k for k in daily if k.path[0] == "marts"} == {
        k for k in graph.get_all_asset_keys() if k.path[0] == "marts"
    }
    marts = {key for key in graph.get_all_asset_keys() if key.path[0] == "marts"}
    assert marts and marts <= graph.get(files).parent_keys, "every mart is upstream of the file export"
    # Parquet with a dated snapshot and its restatements; no hashing, so the schedule needs no key.
    with dg.build_schedule_context() as context:
        (request,) = schedule.evaluate_tick(context).run_requests or []
    assert request.run_config["ops"]["incident_lake_dbt_models"]["config"] == {
        "only_what_changed": False,
        "full_refresh": False,
    }
    assert request.run_config["ops"]["exports__marts_files"]["config"] == {
        "format": "parquet",
        "include_message_text": False,
        "hash_emails": False,
        "snapshot": True,
    }
