"""The dbt project, shared by the dbt assets and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines.settings import DBT_PROJECT_DIR

os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt is installed next to this interpreter; the CLI may run without the virtualenv on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=os.environ.get("INCIDENT_LAKE_DBT_TARGET", "duckdb"),
    )
    if _manifest_is_stale(project):
        _parse(project)
    return project


def _parse(project: DbtProject) -> None:
    """`dbt parse` with this interpreter's dbt (the stock preparer runs whatever `dbt` is first on
    PATH, and logs through Dagster: a CLI error must stay one line). Raises `RuntimeError` with dbt's
    last output lines when the project does not parse."""
    command = [
        DBT_EXECUTABLE, "parse", "--quiet",
        "--project-dir", str(project.project_dir), "--profiles-dir", str(project.profiles_dir),
        "--target", str(project.target), "--target-path", str(project.target_path),
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=project.project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = " ".join((completed.stdout + completed.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"the dbt project does not parse: {detail}")


def _manifest_is_stale(project: DbtProject) -> bool:
    """Parse again when the manifest is missing or older than any model, macro, test or config."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for folder in ("models", "macros", "tests", "seeds"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file() and path.stat().st_mtime > built:
                return True
    return any(
        (DBT_PROJECT_DIR / name).stat().st_mtime > built
        for name in ("dbt_project.yml", "profiles.yml")
        if (DBT_PROJECT_DIR / name).exists()
    )


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)
