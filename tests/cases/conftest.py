"""The five field cases as one end-to-end run: a hand-made organisation (case_org.py) served over HTTP by
the real sandbox server, synced twice by the real connectors (the DELETED case changes the organisation
between the syncs), then built with dbt into a temporary warehouse. Module-scoped: one run serves every
test of test_field_cases.py.

The sandbox runs with its `stuck` fault on the Zoom participants listing: only a listing with more than
one page has a cursor to repeat, which is the STUCK case's call (301 participants); every other
participants listing fits one page.

This folder has no __init__.py (like tests/dbt): its modules are imported by name from the rootdir-less
`tests/` with pytest's default import mode.
"""

from __future__ import annotations

import pytest
from case_org import build_case_organisation, case_times, delete_between_syncs
from case_run import CaseRun, dbt_build, sync_all

from pipelines.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def case_run(tmp_path_factory: pytest.TempPathFactory) -> CaseRun:
    """Serve the case organisation, sync it, delete between syncs, sync again, build the marts."""
    workdir = tmp_path_factory.mktemp("field_cases")
    warehouse = workdir / "warehouse.duckdb"
    times = case_times()
    org, deletion = build_case_organisation(times)
    with SandboxServer(org, faults="stuck=zoom_participants") as server:
        env = server.env()
        first, first_seconds = sync_all(env, warehouse)
        delete_between_syncs(org, deletion)
        second, second_seconds = sync_all(env, warehouse)
    returncode, output, results = dbt_build(workdir, warehouse)
    return CaseRun(
        times, warehouse, first, second, (first_seconds, second_seconds), returncode, output, results
    )
