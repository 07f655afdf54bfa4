"""The hourly build's plan from Dagster data versions (pipelines/defs/transform/changes.py), on a real
(ephemeral) Dagster instance with tiny assets standing in for a raw table, a model and the snapshot."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.transform.changes import data_tests_out_of_reach, plan_build

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


def test_tests_left_out_are_those_no_changed_source_reaches() -> None:
    manifest = {
        "sources": {
            "source.p.incidentio.incidents": {"meta": {"dagster": {"asset_key": ["raw", "incidents"]}}},
            "source.p.slack.messages": {"meta": {"dagster": {"asset_key": ["raw", "messages"]}}},
        },
        "child_map": {
            "source.p.incidentio.incidents": ["model.p.stg_incidents", "test.p.source_not_null_incidents"],
            "source.p.slack.messages": ["model.p.stg_messages"],
            "model.p.stg_incidents": ["model.p.fct_incidents", "test.p.unique_stg_incidents_id"],
            "model.p.stg_messages": ["model.p.fct_messages", "test.p.not_null_stg_messages_id"],
            "model.p.fct_incidents": ["test.p.unique_fct_incidents_id"],
            "model.p.fct_messages": ["test.p.messages_in_channels"],
        },
        "nodes": {
            "model.p.stg_incidents": {"resource_type": "model", "name": "stg_incidents"},
            "test.p.source_not_null_incidents": {
                "resource_type": "test",
                "name": "source_not_null_incidents",
            },
            "test.p.unique_stg_incidents_id": {"resource_type": "test", "name": "unique_stg_incidents_id"},
            "test.p.unique_fct_incidents_id": {"resource_type": "test", "name": "unique_fct_incidents_id"},
            "test.p.not_null_stg_messages_id": {"resource_type": "test", "name": "not_null_stg_messages_id"},
            "test.p.messages_in_channels": {"resource_type": "test", "name": "messages_in_channels"},
        },
    }
    assert data_tests_out_of_reach(manifest, [RAW]) == ["messages_in_channels", "not_null_stg_messages_id"]
    assert data_tests_out_of_reach(manifest, [RAW, OTHER_RAW]) == []
    assert len(data_tests_out_of_reach(manifest, [])) == 5


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
