"""The dbt project, shared by the dbt assets and the CLI, and what keeps its start-up cheap.

Two costs sit in front of every dbt command: parsing the project (≈10 s in full) and, in this process,
loading the manifest. Both are paid only when something changed:

- the manifest (`target/manifest.json`) is parsed again only when a project file is newer than it;
- dbt's partial parse (`partial_parse.msgpack`) is reused by every `dbt build`: dagster-dbt copies
  `target/partial_parse.msgpack` into each run's own target folder, and dbt re-parses only the files
  that changed since. dbt throws that state away when the command's vars, target or connection
  settings differ from those it was saved with, so the parse here uses the build's vars (`dbt_vars`),
  and the state each build saves in its run folder is carried back to `target/` before the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.settings import DBT_PROJECT_DIR, get_settings

if TYPE_CHECKING:  # dagster-dbt imports dbt-core: seconds a sync or a freshness check need not pay
    from dagster_dbt import DbtCliResource, DbtProject

os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt is installed next to this interpreter; the CLI may run without the virtualenv on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# dbt's artifacts, relative to the project (dagster-dbt's default, which DbtProject uses too).
TARGET_PATH = Path("target")
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# What dbt reads when it parses: a change to any of these makes the manifest stale.
PROJECT_FOLDERS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")


def dbt_vars(warehouse_path: str | Path) -> str:
    """The `--vars` JSON of every dbt command on the warehouse at `warehouse_path` (absolute: dbt runs
    in its project folder). profiles.yml reads `warehouse_path`. The parse and the build must pass the
    same vars, or dbt discards its partial-parse state and parses the whole project again."""
    return json.dumps({"warehouse_path": str(warehouse_path)})


def dbt_target() -> str:
    """The profile target the pipeline builds (INCIDENT_LAKE_DBT_TARGET, default `duckdb`)."""
    return os.environ.get("INCIDENT_LAKE_DBT_TARGET", "duckdb")


@cache
def manifest_path() -> Path:
    """`target/manifest.json`, parsed first if any project file changed since the last parse; without
    importing dagster-dbt or dbt (a freshness check reads only the manifest). Once per process.
    Raises `RuntimeError` (dbt's last lines) when the project does not parse."""
    manifest = DBT_PROJECT_DIR / TARGET_PATH / "manifest.json"
    if manifest_is_stale(manifest):
        # Processes that start together (test workers, a CLI beside a Dagster deployment) would all
        # parse and write the same file: one parses, the others wait and then find it fresh.
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with open(manifest.parent / ".parse.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if manifest_is_stale(manifest):
                _parse(DBT_PROJECT_DIR, dbt_target())
    return manifest


@cache
def dbt_project() -> DbtProject:
    """The project for dagster-dbt, its manifest up to date (`manifest_path`)."""
    from dagster_dbt import DbtProject

    manifest_path()
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=dbt_target(),
        target_path=TARGET_PATH,
    )


def _parse(project_dir: Path, target: str) -> None:
    """`dbt parse` with this interpreter's dbt (the stock preparer runs whatever `dbt` is first on
    PATH, and logs through Dagster: a CLI error must stay one line), with the build's vars and target,
    so the partial-parse state it saves serves the next build too. Raises `RuntimeError` with dbt's
    last output lines when the project does not parse."""
    target_dir = project_dir / TARGET_PATH
    adopt_newest_partial_parse(target_dir)
    # dbt writes its artifacts in place: parse into a folder of our own, then move the manifest and the
    # parse state into `target/` atomically, so a process reading the manifest never sees half of it.
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target_dir))
    try:
        shared_state = target_dir / PARTIAL_PARSE_FILE
        if shared_state.exists():
            shutil.copy2(shared_state, scratch / PARTIAL_PARSE_FILE)
        command = [
            DBT_EXECUTABLE, "parse", "--quiet",
            "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target", target, "--target-path", str(scratch),
            "--vars", dbt_vars(get_settings().warehouse_path),
        ]  # fmt: skip
        completed = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            detail = " ".join((completed.stdout + completed.stderr).strip().splitlines()[-3:])
            raise RuntimeError(f"the dbt project does not parse: {detail}")
        for name in (PARTIAL_PARSE_FILE, "manifest.json"):  # the manifest last: it marks the parse done
            if (scratch / name).exists():
                os.replace(scratch / name, target_dir / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def manifest_is_stale(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when `manifest` is missing or older than a file or folder dbt parses (models, macros,
    tests, seeds, snapshots, analyses, the project and profile files). Folders count too: deleting a
    model changes only its folder's time."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for folder in PROJECT_FOLDERS:
        root = project_dir / folder
        if not root.exists():
            continue
        if root.stat().st_mtime > built:
            return True
        for path in root.rglob("*"):
            if path.stat().st_mtime > built:
                return True
    return any(
        (project_dir / name).stat().st_mtime > built
        for name in PROJECT_FILES
        if (project_dir / name).exists()
    )


def adopt_newest_partial_parse(target: Path) -> Path | None:
    """Make `target/partial_parse.msgpack` the newest partial-parse state dbt saved: each dagster-dbt
    run parses in its own folder `target/<op>-<run>-<id>/` and saves its state there, where the next
    run would never look. Copies it atomically (a concurrent reader sees the old file or the new one);
    returns the folder it came from, or None when `target/` already holds the newest."""
    shared = target / PARTIAL_PARSE_FILE
    current = shared.stat().st_mtime if shared.exists() else 0.0
    newest: tuple[float, Path] | None = None
    for candidate in target.glob(f"*/{PARTIAL_PARSE_FILE}"):
        try:
            modified = candidate.stat().st_mtime
        except FileNotFoundError:  # a run folder pruned meanwhile
            continue
        if modified > current and (newest is None or modified > newest[0]):
            newest = (modified, candidate)
    if newest is None:
        return None
    incoming = target / f".{PARTIAL_PARSE_FILE}.{os.getpid()}"
    try:
        shutil.copy2(newest[1], incoming)
        os.replace(incoming, shared)
    except OSError:  # a cache: a failed copy costs one full parse, never the run
        incoming.unlink(missing_ok=True)
        return None
    return newest[1].parent


def dbt_resource() -> DbtCliResource:
    """dagster-dbt's resource on the project. Every process that runs dbt builds it first (the CLI,
    each run of a Dagster deployment), so the state the last build saved is carried back here, to
    where dagster-dbt copies it from into the next run's folder (its DBT_TARGET_PATH rule)."""
    from dagster_dbt import DbtCliResource

    adopt_newest_partial_parse(DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", str(TARGET_PATH)))
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)
