"""A data test that fails fails `incident-lake build` with one line naming it (dbt's tests are not
Dagster asset checks: pipelines/defs/transform/assets.py turns dbt's failure into the step's)."""

from __future__ import annotations

import duckdb
import pytest
from e2e_support import clean_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("build_failures")]


def test_a_failing_data_test_fails_the_build_with_its_name(shared_warehouse, tmp_path) -> None:
    warehouse = shared_warehouse.copy_to(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        # A PagerDuty incident without its trigger time: `not_null` on the staged column must fail.
        changed = con.execute(
            "UPDATE raw.pagerduty_incidents SET created_at = NULL, _synced_at = now() "
            "WHERE id = (SELECT min(id) FROM raw.pagerduty_incidents) RETURNING id"
        ).fetchall()
    assert len(changed) == 1
    result = run_cli("build", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr[-3000:]
    assert "dbt build failed" in error_lines[0]
    assert "not_null_stg_pagerduty__incidents_created_at" in error_lines[0]
    assert "tests passed" not in result.stderr
