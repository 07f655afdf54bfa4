"""dbt models as Dagster assets: staging, intermediate and marts, downstream of the raw assets."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.defs.transform.resources import dbt_project
from pipelines.lib.progress import report


class IncidentLakeTranslator(DagsterDbtTranslator):
    """Models are keyed `<schema>/<model>` and grouped by layer; sources keep their `meta.dagster` keys."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props.get("config", {}).get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = IncidentLakeTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), dagster_dbt_translator=TRANSLATOR)
def incident_lake_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    report("dbt_start")
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    for event in invocation.stream():
        if isinstance(event, dg.Output | dg.MaterializeResult):
            report("dbt_model", key=event.asset_key.to_user_string() if event.asset_key else "")
        yield event
    if not invocation.is_successful():
        failures = _failed_nodes(invocation)
        raise dg.Failure(description=f"dbt build failed: {failures or 'see the dbt log above'}")


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


def mart_asset_keys() -> list[dg.AssetKey]:
    """Every model in the `marts` schema: what exports and the dashboard snapshot depend on."""
    return [key for key in incident_lake_dbt_models.keys if key.path[0] == "marts"]
