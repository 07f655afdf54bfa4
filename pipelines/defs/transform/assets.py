"""dbt models as Dagster assets: staging, intermediate and marts, downstream of the raw assets."""

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.resources import dbt_project
from pipelines.lib.progress import report


class IncidentLakeTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed `<schema>/<name>` and grouped by layer (their schema); sources keep
    their `meta.dagster` keys."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props.get("config", {}).get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = IncidentLakeTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), dagster_dbt_translator=TRANSLATOR)
def incident_lake_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
):
    report("dbt_start")
    invocation = dbt.cli(build_args(warehouse.database), context=context, raise_on_error=False)
    for event in invocation.stream():
        if isinstance(event, dg.Output | dg.MaterializeResult):
            report("dbt_model", key=str(getattr(event, "asset_key", None) or event.output_name))
        yield event
    _prune_run_targets(invocation.target_path)
    if not invocation.is_successful():
        failures = _failed_nodes(invocation) or _dbt_errors(invocation)
        log_path = invocation.target_path / "dbt.log"
        raise dg.Failure(description=f"dbt build failed: {failures or f'see {log_path}'}")


def build_args(warehouse_path: str) -> list[str]:
    """`dbt build` on the warehouse the other assets use: profiles.yml reads the `warehouse_path` var
    (dbt runs in its project folder, so the path must be absolute). Data tests run on every build;
    dbt unit tests check the SQL against hand-computed rows, not the data, so they run where the code
    changes (the test suite, CI: tests/dbt), not on every scheduled build (they were a third of it)."""
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps({"warehouse_path": warehouse_path}),
    ]


# dagster-dbt gives every run its own target folder (`<op>-<run>-<uuid>`); keep the newest few for
# debugging, else the folder grows by one for every hourly run, forever.
RUN_TARGETS_KEPT = 5


def _prune_run_targets(current: Path) -> None:
    """Delete all but the newest `RUN_TARGETS_KEPT` run folders next to `current` (same op prefix)."""
    prefix = current.name.split("-", 1)[0] + "-"
    runs = sorted(
        (p for p in current.parent.glob(f"{prefix}*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in runs[RUN_TARGETS_KEPT:]:
        if stale != current:
            shutil.rmtree(stale, ignore_errors=True)


def _failed_nodes(invocation: Any) -> str:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # the artifact may be missing when dbt crashed early
        return ""
    return "; ".join(
        f"{r['unique_id']}: {(r.get('message') or r['status'])}"
        for r in results
        if r.get("status") in ("error", "fail")
    )[:2000]


def _dbt_errors(invocation: Any) -> str:
    """dbt's own error lines (for failures before any node ran, e.g. a connection error)."""
    error = invocation.get_error()
    lines = [line.strip() for line in str(error or "").splitlines() if line.strip()]
    return lines[-1][:2000] if lines else ""


def mart_asset_keys() -> list[dg.AssetKey]:
    """Every model in the `marts` schema: what exports and the dashboard snapshot depend on."""
    return [key for key in incident_lake_dbt_models.keys if key.path[0] == "marts"]
