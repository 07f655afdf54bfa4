"""The hourly build's plan from Dagster data versions (pipelines/defs/transform/changes.py), on a real
(ephemeral) Dagster instance with tiny assets standing in for a raw table, a model and the snapshot."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.transform.changes import changed_scope, plan_build

RAW = dg.AssetKey(["raw", "incidents"])
OTHER_RAW = dg.AssetKey(["raw", "messages"])
MODEL = dg.AssetKey(["staging", "stg_incidents"])
SNAPSHOT = dg.AssetKey(["published", "snapshot"])

raw_versions = {RAW: "v1", OTHER_RAW: "m1"}


@dg.multi_asset(specs=[dg.AssetSpec(RAW, skippable=True), dg.AssetSpec(OTHER_RAW, skippable=True)])
def raw_tables():
    for key, version in raw_versions.items():
        yield dg.MaterializeResult(asset_key=key, data_version=dg.DataVersion(version))


def model_asset(code_version: str) -> dg.AssetsDefinition:
    @dg.asset(key=MODEL, deps=[RAW], code_version=code_version)
    def model() -> None:
        return None

    return model


@dg.asset(key=SNAPSHOT, deps=[MODEL])
def snapshot() -> None:
    return None


def plan(instance: dg.DagsterInstance, code_version: str = "c1"):
    return plan_build(instance, {MODEL: {RAW}}, {MODEL: code_version}, consumers=[SNAPSHOT])


def test_the_plan_follows_the_data_versions() -> None:
    instance = dg.DagsterInstance.ephemeral()
    raw_versions.update({RAW: "v1", OTHER_RAW: "m1"})
    assert plan(instance).mode == "full"  # never built here

    assert dg.materialize([raw_tables, model_asset("c1"), snapshot], instance=instance).success
    # A sync that re-read identical rows reports the same version: nothing to build.
    assert dg.materialize([raw_tables], instance=instance).success
    skip = plan(instance)
    assert (skip.mode, skip.changed) == ("skip", ())

    # A table the model does not read changed: still nothing to build for it.
    raw_versions[OTHER_RAW] = "m2"
    assert dg.materialize([raw_tables], instance=instance).success
    assert plan(instance).mode == "skip"

    raw_versions[RAW] = "v2"
    assert dg.materialize([raw_tables], instance=instance).success
    changed = plan(instance)
    assert (changed.mode, changed.changed) == ("changed", (RAW,))

    # The model's code changed: everything is rebuilt, with every test.
    assert plan(instance, code_version="c2").mode == "full"


def test_a_build_that_was_not_published_is_redone_even_without_change() -> None:
    instance = dg.DagsterInstance.ephemeral()
    raw_versions.update({RAW: "v1", OTHER_RAW: "m1"})
    assert dg.materialize([raw_tables, model_asset("c1"), snapshot], instance=instance).success
    raw_versions[RAW] = "v2"
    # The model took v2, but the run ended before the snapshot (say a data test failed).
    assert dg.materialize([raw_tables, model_asset("c1")], instance=instance).success
    behind = plan(instance)
    assert behind.mode == "changed" and behind.changed == ()
    assert "published/snapshot" in behind.reason
    assert dg.materialize([snapshot], instance=instance).success
    assert plan(instance).mode == "skip"


def _node(name: str, resource_type: str = "model", materialized: str = "table", **extra: object) -> dict:
    return {"name": name, "resource_type": resource_type, "config": {"materialized": materialized}, **extra}


# A small project: two raw tables with a staging view and a mart each, a mart on the pipeline's own
# meta table, a mart that reads the build time, a seed, and a test on every model.
MANIFEST = {
    "metadata": {"adapter_type": "duckdb"},
    "sources": {
        "source.p.incidentio.incidents": {"meta": {"dagster": {"asset_key": ["raw", "incidents"]}}},
        "source.p.slack.messages": {"meta": {"dagster": {"asset_key": ["raw", "messages"]}}},
        "source.p.pipeline_meta.sync_runs": {"meta": {}},
    },
    "macros": {
        "macro.incident_lake.build_time": {"depends_on": {"macros": []}},
        "macro.incident_lake.hours_until_build": {
            "depends_on": {"macros": ["macro.incident_lake.build_time"]}
        },
    },
    "nodes": {
        "model.p.stg_incidents": _node("stg_incidents", materialized="view"),
        "model.p.fct_incidents": _node("fct_incidents"),
        "model.p.stg_messages": _node("stg_messages", materialized="view"),
        "model.p.fct_messages": _node("fct_messages", materialized="incremental"),
        "model.p.fct_sync_runs": _node("fct_sync_runs"),
        "model.p.metrics_open_hours": _node(
            "metrics_open_hours", depends_on={"macros": ["macro.incident_lake.hours_until_build"]}
        ),
        "seed.p.subtypes": _node("subtypes", resource_type="seed", materialized="seed"),
        "test.p.unique_stg_incidents_id": _node("unique_stg_incidents_id", "test", "test"),
        "test.p.unique_fct_incidents_id": _node("unique_fct_incidents_id", "test", "test"),
        "test.p.not_null_stg_messages_id": _node("not_null_stg_messages_id", "test", "test"),
        "test.p.messages_in_channels": _node("messages_in_channels", "test", "test"),
        "test.p.not_null_fct_sync_runs_id": _node("not_null_fct_sync_runs_id", "test", "test"),
        "test.p.not_null_metrics_open_hours": _node("not_null_metrics_open_hours", "test", "test"),
    },
    "parent_map": {
        "model.p.stg_incidents": ["source.p.incidentio.incidents"],
        "model.p.fct_incidents": ["model.p.stg_incidents", "seed.p.subtypes"],
        "model.p.stg_messages": ["source.p.slack.messages"],
        "model.p.fct_messages": ["model.p.stg_messages", "model.p.fct_incidents"],
        "model.p.fct_sync_runs": ["source.p.pipeline_meta.sync_runs"],
        "model.p.metrics_open_hours": ["model.p.stg_incidents"],
        "seed.p.subtypes": [],
        "test.p.unique_stg_incidents_id": ["model.p.stg_incidents"],
        "test.p.unique_fct_incidents_id": ["model.p.fct_incidents"],
        "test.p.not_null_stg_messages_id": ["model.p.stg_messages"],
        "test.p.messages_in_channels": ["model.p.fct_messages"],
        "test.p.not_null_fct_sync_runs_id": ["model.p.fct_sync_runs"],
        "test.p.not_null_metrics_open_hours": ["model.p.metrics_open_hours"],
    },
}
MANIFEST["child_map"] = {}
for _child, _parents in MANIFEST["parent_map"].items():
    for _parent in _parents:
        MANIFEST["child_map"].setdefault(_parent, []).append(_child)


def _names(unique_ids) -> list[str]:
    return sorted(MANIFEST["nodes"][u]["name"] for u in unique_ids)


def test_a_changed_build_runs_what_the_change_reaches_and_the_models_that_change_every_build() -> None:
    scope = changed_scope(MANIFEST, [RAW])
    # Downstream of raw incidents: fct_incidents, fct_messages (through fct_incidents) and the
    # build-time mart; the meta table's mart always. The views and the seed are left as they are.
    assert _names(scope.rebuilt) == ["fct_incidents", "fct_messages", "fct_sync_runs", "metrics_open_hours"]
    assert _names(scope.carried) == ["stg_incidents", "stg_messages", "subtypes"]
    # The tests of what was rebuilt run; those of the views left alone wait for the daily build.
    assert scope.excluded == (
        "stg_incidents",
        "stg_messages",
        "subtypes",
        "not_null_stg_messages_id",
        "unique_stg_incidents_id",
    )
    # Carried nodes are recorded before the first rebuilt model below them, in dependency order.
    assert _names(scope.carried_upstream["model.p.fct_messages"]) == [
        "stg_incidents",
        "stg_messages",
        "subtypes",
    ]
    assert scope.carried_upstream["model.p.fct_sync_runs"] == ()
    order = list(scope.carried)
    assert order.index("model.p.stg_incidents") >= 0 and len(order) == len(set(order))


def test_without_a_changed_raw_table_only_the_every_build_models_run() -> None:
    scope = changed_scope(MANIFEST, [])
    assert _names(scope.rebuilt) == ["fct_sync_runs", "metrics_open_hours"]
    assert "unique_stg_incidents_id" in scope.excluded and "not_null_fct_sync_runs_id" not in scope.excluded


def test_views_a_change_reaches_are_rebuilt_where_views_bind_to_tables() -> None:
    postgres = {**MANIFEST, "metadata": {"adapter_type": "postgres"}}
    scope = changed_scope(postgres, [OTHER_RAW])
    assert _names(scope.rebuilt) == ["fct_messages", "fct_sync_runs", "metrics_open_hours", "stg_messages"]
    assert "stg_incidents" in _names(scope.carried)
    assert "not_null_stg_messages_id" not in scope.excluded and "unique_stg_incidents_id" in scope.excluded


def test_the_manifest_alone_gives_the_dbt_assets_raw_inputs_and_code_versions() -> None:
    """The hourly decision reads the manifest instead of loading dagster-dbt: it must see the same
    models, raw inputs and code versions as the dbt assets definition the build runs."""
    import json

    from pipelines.defs.transform.assets import incident_lake_dbt_models
    from pipelines.defs.transform.changes import models_from_manifest, project_digest
    from pipelines.defs.transform.resources import manifest_path

    manifest = json.loads(manifest_path().read_text())
    deps, versions = models_from_manifest(manifest, project_digest(manifest))
    models = incident_lake_dbt_models
    assert set(deps) == set(models.keys)
    assert versions == dict(models.code_versions_by_key)
    assert all(versions.values())
    for key in models.keys:
        raw = {dep for dep in models.asset_deps.get(key, set()) if dep.path[0] == "raw"}
        assert deps[key] == raw, key
    assert sum(bool(d) for d in deps.values()) > 20  # the staging models read raw tables
