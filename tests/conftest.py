"""Make the repository root importable, so every test layer can use the oracle as `tests.oracle.truth`
(the tests are not an installed package); mark the slow folders; keep xdist's test groups whole; build
the small demo warehouse once per session for every folder that reads one (`shared_warehouse`)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pipelines.sandbox.model import Organisation

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


# Folders whose tests build a warehouse, run dbt or a whole sync: left out of `make test-fast`.
SLOW_FOLDERS = frozenset({"cases", "dbt", "e2e", "postgres", "dashboards", "exports", "ingest"})


def _keep_xdist_group_suffix(items: list[pytest.Item]) -> None:
    """pytest 9.2 reads a node's id from `_id`, while pytest-xdist 3.8 writes the `@group` suffix of
    `--dist loadgroup` to `_nodeid`: the suffix is lost and one group's tests are spread over workers,
    each building the group's heavy fixtures again. Carry the suffix over to `_id` (no-op before 9.2)."""
    try:
        from _pytest.nodeid import coerce_node_id  # type: ignore[import-not-found]
    except ImportError:  # pytest < 9.2 reads `_nodeid` itself
        return
    for item in items:
        written = item.__dict__.get("_nodeid")
        if isinstance(written, str) and written != item.nodeid:
            item._id = coerce_node_id(written)  # type: ignore[attr-defined]


# The costliest work units of `--dist loadgroup` (an xdist group's name, or the id of a test in no group),
# in the order they are handed out; every other unit follows, in collection order. xdist gives a worker
# its next unit from the front of the queue, so the long units start early and the two workers end
# together on short ones, instead of one worker running a long unit alone at the end. The shared
# warehouse's builder ("e2e") comes first and the units that only read it (exports, postgres, the
# hourly run) come after units that need nothing from it, so no worker waits on its lock. The seconds
# (incremental ~120 s, browser ~60 s) are a unit's time in `make test` (--durations, two workers, 2 cores);
# a stale entry costs wall time, never a test.
HEAVY_UNITS_FIRST: tuple[str, ...] = (
    "e2e",  # ~200 s: builds the shared warehouse, then the hourly run on a copy
    "tests/e2e/test_incremental_equals_full.py::test_incremental_builds_after_changes_equal_a_full_rebuild",
    "demo-defaults_e2e",  # ~110 s
    "exports-e2e",  # ~150 s, reads the shared warehouse
    "postgres",  # ~150 s, reads the shared warehouse
    "only_what_changed",  # ~120 s, reads the shared warehouse
    "build_failures",  # ~120 s, reads the shared warehouse
    "dbt_teams_build",  # ~90 s
    "dbt_build",  # ~70 s
    "tests/dashboards/test_dashboard_browser.py::test_every_page_renders_in_chromium",  # ~60 s
    "field_cases",  # ~60 s
    "dbt_oncall_build",  # ~50 s
    "e2e_restricted-key",  # ~45 s
)


def _work_unit(nodeid: str) -> str:
    """The unit `--dist loadgroup` schedules a test in: its group (the `@name` suffix), else its id
    (xdist's LoadGroupScheduling._split_scope, which ignores an `@` inside parameters)."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.split("@")[-1]
    return nodeid


def _heavy_units_first(items: list[pytest.Item]) -> None:
    """Sort `items` in place: the units of HEAVY_UNITS_FIRST in its order, then the rest as collected
    (a stable sort: a unit's own tests keep their order)."""
    rank = {unit: position for position, unit in enumerate(HEAVY_UNITS_FIRST)}
    items.sort(key=lambda item: rank.get(_work_unit(item.nodeid), len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    # xdist's default orders the units by their number of tests, which says nothing of their cost:
    # keep the order `_heavy_units_first` gives (the same as `--no-loadscope-reorder`).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):  # type: ignore[no-untyped-def]
    for item in items:
        folder = Path(str(item.fspath)).relative_to(Path(ROOT) / "tests").parts[0]
        if folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
    # The wrapper runs around xdist's own hook, which adds the group suffix: fix it up afterwards.
    result = yield
    _keep_xdist_group_suffix(items)
    if hasattr(config, "workerinput"):  # an xdist worker: the order its controller schedules in
        _heavy_units_first(items)
    return result


# ------------------------------------------------------------------------------ the shared warehouse
# The small sandbox synced, built and exported by `incident-lake run` once per test session, whatever the
# number of xdist workers: the first worker to need it builds it under a file lock, the others wait and
# reuse it. Every module that writes copies it first (`SharedWarehouse.copy_to`); the built folder itself
# is never written after the build.
SHARED_SIZE = "small"
SHARED_SEED = 7
# A hang guard, not a goal: the build takes 1-3 min on two idle cores, far longer on a loaded machine
# (it replaces up to three builds, so it gets their time). Waiting for it may take a little longer.
SHARED_BUILD_TIMEOUT_SECONDS = 1200
SHARED_WAIT_TIMEOUT_SECONDS = SHARED_BUILD_TIMEOUT_SECONDS + 300


@dataclass(frozen=True)
class SharedWarehouse:
    """The session's small warehouse: raw.*, marts.*, the published snapshot and the default export.

    `folder` holds what `incident-lake run` wrote (warehouse.duckdb, warehouse.published.duckdb,
    exports/, anything else the run put in its working folder): read-only, copy it before writing.
    `anchor` is the sandbox organisation's anchor (UTC midnight), so `organisation()` gives the same data
    even after midnight. `secrets` are the sandbox credentials the run was given, `output` its stdout +
    stderr, `started_at` an instant before the run began (the on-call marts count hours up to the build)."""

    folder: Path
    anchor: datetime
    secrets: tuple[str, ...]
    output: str
    started_at: datetime

    def organisation(self) -> Organisation:
        """The organisation the warehouse was synced from (same size, seed and anchor: the same records;
        new random credentials)."""
        from pipelines.sandbox.generator import generate_organisation

        return generate_organisation(SHARED_SIZE, seed=SHARED_SEED, anchor=self.anchor)

    def copy_to(self, dest: Path) -> Path:
        """Copy the whole folder into `dest` (created if missing); returns the copy's warehouse path."""
        shutil.copytree(self.folder, dest, dirs_exist_ok=True)
        return dest / "warehouse.duckdb"


def _session_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every process of this test session and by no other session: under xdist the
    controller's base temp folder (each worker's is a child of it), keyed by the run's uid."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:  # no xdist worker: this process is the whole session
        return tmp_path_factory.getbasetemp()
    return tmp_path_factory.getbasetemp().parent / f"shared-{workerinput['testrunuid']}"


def _build_shared_warehouse(folder: Path) -> dict[str, Any]:
    """Sync, build and export the small sandbox into `folder` through the real CLI, over HTTP; returns
    what `SharedWarehouse` records. Raises `RuntimeError` with the run's stderr if it fails."""
    from pipelines.sandbox.generator import generate_organisation
    from pipelines.sandbox.server import SandboxServer
    from tests.e2e.e2e_support import SECRET_VARS, clean_env, run_cli

    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    org = generate_organisation(SHARED_SIZE, seed=SHARED_SEED, anchor=anchor)
    folder.mkdir(parents=True)
    started_at = datetime.now(UTC)
    with SandboxServer(org) as server:
        env = {**clean_env(folder), **server.env()}
        env.pop("DAGSTER_HOME", None)  # never the developer's Dagster instance
        completed = run_cli("run", env=env, cwd=folder, timeout=SHARED_BUILD_TIMEOUT_SECONDS)
        secrets = [server.env()[name] for name in SECRET_VARS]
    if completed.returncode != 0:
        raise RuntimeError(f"`incident-lake run` failed:\n{completed.stderr[-3000:]}")
    return {
        "anchor": anchor.isoformat(),
        "secrets": secrets,
        "output": completed.stdout + completed.stderr,
        "started_at": started_at.isoformat(),
    }


@pytest.fixture(scope="session")
def shared_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> SharedWarehouse:
    """The session's `SharedWarehouse`, built by the first process that asks (see above). A failed build
    fails every test that asks, in every worker, with the run's error, and is not retried."""
    from filelock import FileLock

    root = _session_folder(request.config, tmp_path_factory)
    root.mkdir(parents=True, exist_ok=True)
    folder, info, failure = root / "warehouse", root / "warehouse.json", root / "warehouse.failed"
    # The lock file stays next to the folder; info is written last, so its presence means "built".
    with FileLock(root / "warehouse.lock", timeout=SHARED_WAIT_TIMEOUT_SECONDS):
        if failure.exists():
            pytest.fail(failure.read_text(), pytrace=False)
        if not info.exists():
            try:
                built = _build_shared_warehouse(folder)
            except Exception as error:
                failure.write_text(f"the shared warehouse did not build: {error}")
                raise
            info.write_text(json.dumps(built))
    recorded = json.loads(info.read_text())
    return SharedWarehouse(
        folder=folder,
        anchor=datetime.fromisoformat(recorded["anchor"]),
        secrets=tuple(recorded["secrets"]),
        output=recorded["output"],
        started_at=datetime.fromisoformat(recorded["started_at"]),
    )


@pytest.fixture(scope="session", autouse=True)
def dbt_parse_cache(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The session's folder of dbt parse states (tests/dbt_runner.py), shared by every xdist worker,
    named to the test builds' dbt runs by PARSE_CACHE_VARIABLE."""
    from tests.dbt_runner import PARSE_CACHE_VARIABLE

    folder = _session_folder(request.config, tmp_path_factory) / "dbt-parse"
    folder.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PARSE_CACHE_VARIABLE, str(folder))
        yield folder
