"""The incremental dbt build equals a full rebuild (issue 15): the small sandbox over HTTP is synced and
built once, changed by several rounds of `mutate()` (new incidents and messages, edits, deletions at the
source) with a sync and an incremental `dbt build` after them, then a copy of that warehouse is rebuilt
with `--full-refresh`. Every mart and every incremental model must hold the same rows in both.

The builds after changes are the hourly build's: they run only what the changed raw tables reach
(`changed_scope`, the same exclusions the Dagster asset passes), so the models they leave alone must
equal a rebuild too.

The build time is pinned (`--vars build_time`): the on-call marts count hours up to it, and two builds a
minute apart would otherwise differ there for a reason that has nothing to do with incremental builds.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.transform.assets import build_args
from pipelines.defs.transform.changes import changed_scope
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.settings import Settings
from pipelines.warehouse.raw_tables import RAW_TABLES
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse, data_version
from tests.dbt_runner import DbtRun, dbt_build

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Models and seeds only: the data tests check the data, not whether the two builds agree, and they
# would triple the test's time (tests/dbt and the e2e pipeline run them).
MODELS_ONLY = ("--resource-type", "model", "--resource-type", "seed")
# Doubles are compared to this many decimals: a sum over rows in another order may differ in its last bits.
DECIMALS = 6


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)


def _sync(env: dict[str, str], warehouse: Path, *, full_refresh: bool = False) -> None:
    """Sync every source of the sandbox whose `env` (server.env()) is given into `warehouse`."""
    values: dict[str, object] = {k.lower(): v for k, v in env.items()}
    settings = Settings.model_validate({**values, "incident_lake_db": warehouse})
    con = connect_warehouse(warehouse)
    try:
        summaries = run_sync(list(SOURCES), settings, RawWriter(con), full_refresh=full_refresh)
    finally:
        con.close()
    failed = {s: summary for s, summary in summaries.items() if summary.status != "ok"}
    assert not failed, failed


def _build(workdir: Path, warehouse: Path, build_time: str, *args: str) -> DbtRun:
    """`dbt build` (models and seeds) of `warehouse` with the build time pinned; fails the test on error."""
    variables = json.dumps({"build_time": build_time})
    run = dbt_build(workdir, {"INCIDENT_LAKE_DB": str(warehouse)}, "--vars", variables, *MODELS_ONLY, *args)
    assert run.returncode == 0, run.output[-4000:]
    return run


def _raw_versions(warehouse: Path) -> dict[dg.AssetKey, str]:
    """The data version of every raw table, as the raw assets report it to Dagster."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {dg.AssetKey(["raw", table.name]): data_version(con, table) for table in RAW_TABLES}


def _hourly_exclusions(workdir: Path, changed: list[dg.AssetKey]) -> list[str]:
    """The `--exclude` arguments of the hourly build after `changed` (`build_args`' own), from the
    manifest of the build in `workdir`."""
    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    args = build_args("unused", exclude=list(changed_scope(manifest, changed).excluded))
    return args[args.index("--exclude") : args.index("--vars")]


def _incremental_models(workdir: Path) -> list[str]:
    """`<schema>.<name>` of every incremental model in the manifest of a build in `workdir` (dbt_runner's
    target folder)."""
    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    return sorted(
        f"{node['schema']}.{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


def _relation_rows(con: duckdb.DuckDBPyConnection, catalog: str, relation: str) -> list[tuple]:
    """Every row of `catalog.relation`, doubles rounded to DECIMALS, sorted (nulls first)."""
    schema, name = relation.split(".")
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [catalog, schema, name],
    ).fetchall()
    assert columns, f"{catalog}.{relation} does not exist"
    select = ", ".join(
        f'round("{c}", {DECIMALS})' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in columns
    )
    order = ", ".join(f"{i} NULLS FIRST" for i in range(1, len(columns) + 1))
    return con.execute(f'SELECT {select} FROM {catalog}."{schema}"."{name}" ORDER BY {order}').fetchall()


def _differences(incremental: Path, full: Path, relations: list[str]) -> dict[str, str]:
    """For each relation whose rows differ between the two warehouses: a short account of how."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{incremental}' AS incremental (READ_ONLY)")
    con.execute(f"ATTACH '{full}' AS full_build (READ_ONLY)")
    found: dict[str, str] = {}
    for relation in relations:
        ours = _relation_rows(con, "incremental", relation)
        theirs = _relation_rows(con, "full_build", relation)
        if ours != theirs:
            extra = [r for r in ours if r not in set(theirs)][:2]
            missing = [r for r in theirs if r not in set(ours)][:2]
            found[relation] = (
                f"{len(ours)} rows vs {len(theirs)}; only incremental {extra}; only full {missing}"
            )
    con.close()
    return found


def test_incremental_builds_after_changes_equal_a_full_rebuild(tmp_path: Path) -> None:
    # One file name in both folders: dbt's parse state counts the warehouse's name (tests/dbt_runner.py).
    warehouse, rebuilt = tmp_path / "incremental" / "warehouse.duckdb", tmp_path / "full" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    rebuilt.parent.mkdir()
    build_time = datetime.now(UTC).isoformat()
    org = generate_organisation("small", seed=23)
    with SandboxServer(org) as server:
        env = server.env()
        _sync(env, warehouse, full_refresh=True)
        _build(tmp_path / "build0", warehouse, build_time)
        # Two builds after changes: one after a single change set, one after two (a build that missed
        # an hour still catches up), each with deletions at the source.
        changes, left_alone = [], []
        for build, steps in enumerate((1, 2), start=1):
            for _ in range(steps):
                changes.append(org.mutate())
            before = _raw_versions(warehouse)
            _sync(env, warehouse)
            changed = [key for key, version in _raw_versions(warehouse).items() if before[key] != version]
            assert changed
            exclusions = _hourly_exclusions(tmp_path / f"build{build - 1}", changed)
            left_alone.append(exclusions)
            _build(tmp_path / f"build{build}", warehouse, build_time, *exclusions)

    # The change sets reached raw: deletions and new rows, so the comparison below covers both.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        deleted = con.execute("SELECT count(*) FROM raw.slack_messages WHERE _deleted_at IS NOT NULL")
        assert deleted.fetchone()[0] > 0  # type: ignore[index]
    assert all(c["new_incidents"] for c in changes)
    # And the builds after them took the incremental path: they read only raw rows past the watermark.
    compiled = tmp_path / "build2" / "target" / "compiled"
    executed = next(compiled.rglob("stg_slack__messages.sql")).read_text()
    assert "coalesce(max(greatest(" in executed, "the build after the changes was not incremental"
    # ...and left the views alone (at least), which must read the same as rebuilt ones.
    assert all("stg_incidentio__incidents" in exclusions[1].split() for exclusions in left_alone)

    shutil.copyfile(warehouse, rebuilt)
    _build(tmp_path / "full", rebuilt, build_time, "--full-refresh")

    incremental_models = _incremental_models(tmp_path / "build0")
    assert incremental_models, "no incremental model in the project"
    with duckdb.connect(str(rebuilt), read_only=True) as con:
        marts = [
            f"marts.{name}"
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
    assert marts
    assert _differences(warehouse, rebuilt, marts + incremental_models) == {}
