"""What an hourly build must redo, decided from Dagster data versions.

Every raw asset reports a data version that moves only when its rows change (pipelines/defs/ingest/
assets.py). Each dbt model's last materialization recorded, in its Dagster provenance, the data version
of every raw table it read and its own code version. Comparing the two says, without a flag of our own:

- nothing changed: skip the build (and with it the snapshot and the export, which depend on it);
- some raw tables changed: build every model (the heavy ones are incremental, so that costs what
  changed), and run the data tests downstream of the changed tables only;
- the code changed, a model was never built, or the history is unknown: a full build with every test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from pipelines.defs.keys import FILE_EXPORT_KEY, SNAPSHOT_KEY

BuildMode = Literal["skip", "changed", "full"]


@dataclass(frozen=True)
class BuildPlan:
    """What the build does: `mode`, the raw assets that changed (for `changed`) and why, in words."""

    mode: BuildMode
    reason: str
    changed: tuple[dg.AssetKey, ...] = field(default=())


# What Dagster records for an input that never reported a version (a raw table of a source that is not
# configured here): comparing with it keeps such tables "unchanged".
UNVERSIONED = "INITIAL"
DATA_VERSION_TAG = "dagster/data_version"
# The assets downstream of the models in a build run, which must have taken the models' last build.
BUILD_CONSUMERS = (SNAPSHOT_KEY, FILE_EXPORT_KEY)


def plan_build(
    instance: dg.DagsterInstance,
    asset_deps: Mapping[dg.AssetKey, Iterable[dg.AssetKey]],
    code_versions: Mapping[dg.AssetKey, str | None],
    consumers: Iterable[dg.AssetKey] = (),
) -> BuildPlan:
    """Compare the raw data versions now with those the models' last materializations consumed.

    `asset_deps`: each dbt asset key → the keys it depends on (raw tables are `raw/…`);
    `code_versions`: each dbt asset key → its code version now; `consumers`: assets downstream of the
    models in the same run (the snapshot, the export). Never raises for missing history: a model never
    materialized, or one materialized without provenance, means a full build. When no raw table changed
    but a consumer did not take the models' latest versions (the run that built them failed before
    publishing), the plan is `changed` with no table named: the models are rebuilt without tests and
    the consumers run again, so a failed hour cannot leave the snapshot behind for good.
    """
    latest = instance.get_latest_materialization_events(list(asset_deps))
    raw_keys = {dep for deps in asset_deps.values() for dep in deps if dep.path[0] == "raw"}
    raw_events = instance.get_latest_materialization_events(list(raw_keys))
    raw_now = {
        key: ((event.tags or {}).get(DATA_VERSION_TAG) if event else None) or UNVERSIONED
        for key, event in raw_events.items()
    }
    changed: set[dg.AssetKey] = set()
    for key, deps in asset_deps.items():
        event = latest.get(key)
        if event is None:
            return BuildPlan("full", f"{key.to_user_string()} was never built here")
        provenance = dg.DataProvenance.from_tags(event.tags or {})
        if provenance is None:
            return BuildPlan("full", f"{key.to_user_string()} has no recorded inputs")
        if code_versions.get(key) and provenance.code_version != code_versions[key]:
            return BuildPlan("full", f"the code of {key.to_user_string()} changed")
        for dep in deps:
            if dep.path[0] != "raw":
                continue
            consumed = provenance.input_data_versions.get(dep)
            if consumed is None or raw_now.get(dep, UNVERSIONED) != consumed.value:
                changed.add(dep)
    if not changed:
        behind = _consumers_behind(instance, consumers, latest)
        if behind:
            return BuildPlan("changed", f"{behind} did not take the last build")
        return BuildPlan("skip", "no raw table changed since the last build")
    names = ", ".join(sorted(key.path[-1] for key in changed))
    return BuildPlan("changed", f"changed: {names}", tuple(sorted(changed, key=lambda k: tuple(k.path))))


def _consumers_behind(
    instance: dg.DagsterInstance,
    consumers: Iterable[dg.AssetKey],
    models: Mapping[dg.AssetKey, Any],
) -> str | None:
    """The first consumer whose last materialization read an older version of some model, if any."""
    now = {key: (event.tags or {}).get(DATA_VERSION_TAG) for key, event in models.items() if event}
    for consumer, event in instance.get_latest_materialization_events(list(consumers)).items():
        provenance = dg.DataProvenance.from_tags(event.tags or {}) if event else None
        if provenance is None:
            return consumer.to_user_string()
        for key, version in now.items():
            consumed = provenance.input_data_versions.get(key)
            if consumed is not None and consumed.value != version:
                return consumer.to_user_string()
    return None


# The dbt nodes that are Dagster assets (dagster-dbt's choice; sources are the raw assets).
ASSET_NODE_TYPES = ("model", "seed", "snapshot")


def dbt_node_asset_key(node: Mapping[str, Any]) -> dg.AssetKey:
    """The asset key of a dbt model, seed or snapshot: `<schema>/<name>` (schema `main` when unset)."""
    schema = (node.get("config") or {}).get("schema") or "main"
    return dg.AssetKey([schema, node["name"]])


def dbt_node_code_version(node: Mapping[str, Any], digest: str) -> str | None:
    """A dbt node's code version: a hash of its own SQL (dagster-dbt's rule: sha1 of the raw code, else
    dbt's file checksum) and `digest`, the project's (`project_digest`), so a changed macro counts."""
    code = node.get("raw_sql") or node.get("raw_code")
    own = hashlib.sha1(code.encode()).hexdigest() if code else (node.get("checksum") or {}).get("checksum")
    return f"{own}:{digest}" if own else None


def models_from_manifest(
    manifest: Mapping[str, Any], digest: str
) -> tuple[dict[dg.AssetKey, set[dg.AssetKey]], dict[dg.AssetKey, str | None]]:
    """The dbt assets' raw inputs and code versions, as `plan_build` takes them, from the manifest alone.

    The same answer as the dbt assets definition (tests/defs/test_build_plan.py compares them), for a
    decision that must not import dagster-dbt and dbt-core (seconds): whether an hour needs a build.
    Only raw inputs are listed (`raw/…`, a source's `meta.dagster.asset_key`): the plan reads no other.
    """
    raw_by_source = {
        unique_id: dg.AssetKey(list(asset_key))
        for unique_id, source in manifest.get("sources", {}).items()
        if (asset_key := (source.get("meta", {}).get("dagster") or {}).get("asset_key"))
        and asset_key[0] == "raw"
    }
    deps: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    versions: dict[dg.AssetKey, str | None] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in ASSET_NODE_TYPES:
            continue
        key = dbt_node_asset_key(node)
        upstream = (node.get("depends_on") or {}).get("nodes") or []
        deps[key] = {raw_by_source[u] for u in upstream if u in raw_by_source}
        versions[key] = dbt_node_code_version(node, digest)
    return deps, versions


def plan_from_manifest(instance: dg.DagsterInstance, manifest_path: Path) -> BuildPlan:
    """`plan_build` for every dbt asset of the manifest at `manifest_path`, with `BUILD_CONSUMERS`,
    without loading the dbt assets definition (`models_from_manifest`)."""
    manifest = json.loads(manifest_path.read_text())
    deps, versions = models_from_manifest(manifest, project_digest(manifest))
    return plan_build(instance, deps, versions, consumers=BUILD_CONSUMERS)


def data_tests_out_of_reach(manifest: Mapping[str, Any], changed: Iterable[dg.AssetKey]) -> list[str]:
    """Names of the dbt data tests that no changed raw table reaches: the hourly build leaves them out.

    A raw asset key maps to a dbt source through the source's `meta.dagster.asset_key`. Tests are found
    by walking dbt's `child_map` from those sources. Unit tests are not counted (the build never runs
    them). Returns the tests' node names, sorted, as dbt's `--exclude` takes them.
    """
    wanted = {tuple(key.path) for key in changed}
    start = [
        unique_id
        for unique_id, source in manifest.get("sources", {}).items()
        if tuple((source.get("meta", {}).get("dagster") or {}).get("asset_key") or ()) in wanted
    ]
    children = manifest.get("child_map", {})
    reached: set[str] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        for child in children.get(node, ()):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    return sorted(
        node["name"]
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "test" and unique_id not in reached
    )


def project_digest(manifest: Path | Mapping[str, Any]) -> str:
    """A short hash of what every model's SQL depends on besides its own file: the project's macros,
    seeds and configuration (`manifest`: the manifest or its path). It goes into each model's code
    version, so a changed macro rebuilds everything (dbt's own checksum covers only the model's file)."""
    manifest = json.loads(manifest.read_text()) if isinstance(manifest, Path) else manifest
    project = manifest.get("metadata", {}).get("project_name")
    parts: list[str] = []
    for unique_id, macro in sorted(manifest.get("macros", {}).items()):
        if macro.get("package_name") == project:
            parts.append(f"{unique_id}:{macro.get('macro_sql', '')}")
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        if node.get("resource_type") == "seed":
            parts.append(f"{unique_id}:{(node.get('checksum') or {}).get('checksum', '')}")
    parts.append(json.dumps(manifest.get("metadata", {}).get("adapter_type")))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
