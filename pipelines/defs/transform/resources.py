"""The dbt project, shared by the dbt assets and the CLI."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines.settings import DBT_PROJECT_DIR

os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt is installed next to this interpreter; the CLI may run without the virtualenv on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
if str(Path(sys.executable).parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=os.environ.get("INCIDENT_LAKE_DBT_TARGET", "duckdb"),
    )
    if _manifest_is_stale(project):
        project.preparer.prepare(project)
    return project


def _manifest_is_stale(project: DbtProject) -> bool:
    """Parse again when the manifest is missing or older than any model, macro, test or config."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for folder in ("models", "macros", "tests"):
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
