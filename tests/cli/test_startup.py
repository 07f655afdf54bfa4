"""What a command costs before it does any work: which libraries its path imports, and when the dbt
project is parsed again (pipelines/defs/transform/resources.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pipelines.defs.transform.resources import (
    PARTIAL_PARSE_FILE,
    adopt_newest_partial_parse,
    dbt_vars,
    manifest_is_stale,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Seconds of import each, measured with `python -X importtime` on a 2-core machine (docs/contract.md).
HEAVY = ("dagster", "dagster_dbt", "dbt")


def _imported_after(statement: str) -> set[str]:
    """Which of `HEAVY` a fresh interpreter has imported after running `statement`."""
    report = f"print(__import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    code = f"import sys\n{statement}\n{report}"
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


def test_help_imports_neither_dagster_nor_dbt() -> None:
    # `incident-lake --help` and every argument error run in the CLI module alone.
    assert _imported_after("import pipelines.cli") == set()


def test_the_dbt_project_helpers_do_not_import_dagster_dbt() -> None:
    # The raw freshness checks run in every sync and need only the manifest's path.
    assert _imported_after("import pipelines.defs.transform.resources, exports.warehouse") == set()


def test_sync_path_does_not_import_dagster_dbt() -> None:
    # What `incident-lake sync` imports and defines before its job runs: no dbt in a sync.
    statement = (
        "from pipelines.defs.ingest.assets import SyncConfig\n"
        "from pipelines.defs.runs.config import run_config\n"
        "from pipelines.defs.runs.selections import raw_of\n"
        "from pipelines.defs.ingest.checks import RAW_CHECKS\n"
        "from pipelines.defs.runs.sync import sync_definitions\n"
        "sync_definitions().resolve_job_def('sync')\n"
    )
    assert "dagster_dbt" not in _imported_after(statement)


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "project"
    (project / "models" / "staging").mkdir(parents=True)
    (project / "macros").mkdir()
    (project / "models" / "staging" / "stg_a.sql").write_text("select 1 as a\n")
    (project / "dbt_project.yml").write_text("name: p\n")
    manifest = project / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    return project, manifest


def _age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def _age_project(project: Path, manifest: Path) -> None:
    """Project files a minute old, the manifest parsed after them: a change made now is newer than
    both, whatever the file system's clock resolution."""
    for path in [project, *project.rglob("*")]:
        _age(path, 30 if path == manifest else 60)


def test_manifest_is_fresh_until_a_project_file_changes(tmp_path: Path) -> None:
    project, manifest = _project(tmp_path)
    _age_project(project, manifest)
    assert not manifest_is_stale(manifest, project)

    (project / "models" / "staging" / "stg_a.sql").write_text("select 2 as a\n")
    assert manifest_is_stale(manifest, project)


def test_a_deleted_model_makes_the_manifest_stale(tmp_path: Path) -> None:
    project, manifest = _project(tmp_path)
    _age_project(project, manifest)
    (project / "models" / "staging" / "stg_a.sql").unlink()  # only the folder's time moves
    assert manifest_is_stale(manifest, project)


def test_a_missing_manifest_is_stale(tmp_path: Path) -> None:
    project, manifest = _project(tmp_path)
    manifest.unlink()
    assert manifest_is_stale(manifest, project)


def test_the_newest_run_state_is_carried_back_to_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    shared = target / PARTIAL_PARSE_FILE
    older, newer = target / "op-run1-aaa" / PARTIAL_PARSE_FILE, target / "op-run2-bbb" / PARTIAL_PARSE_FILE
    for path, content, age in ((shared, b"shared", 30), (older, b"older", 20), (newer, b"newer", 10)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        _age(path, age)

    assert adopt_newest_partial_parse(target) == newer.parent
    assert shared.read_bytes() == b"newer"
    # Nothing newer than what target/ holds now: left alone.
    assert adopt_newest_partial_parse(target) is None
    assert shared.read_bytes() == b"newer"
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [PARTIAL_PARSE_FILE, older.parent.name, newer.parent.name]
    )


def test_no_run_state_leaves_target_alone(tmp_path: Path) -> None:
    assert adopt_newest_partial_parse(tmp_path) is None
    assert not (tmp_path / PARTIAL_PARSE_FILE).exists()


def test_parse_vars_name_the_warehouse_profiles_yml_reads() -> None:
    profiles = (REPO_ROOT / "dbt_project" / "profiles.yml").read_text()
    (name,) = json.loads(dbt_vars("/data/w.duckdb"))
    assert f"var('{name}'" in profiles
    assert json.loads(dbt_vars(Path("/data/w.duckdb"))) == {name: "/data/w.duckdb"}
