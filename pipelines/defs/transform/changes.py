"""What an hourly build must redo, decided from Dagster data versions.

Every raw asset reports a data version that moves only when its rows change (pipelines/defs/ingest/
assets.py). Each dbt model's last materialization recorded, in its Dagster provenance, the data version
of every raw table it read and its own code version. Comparing the two says, without a flag of our own:

- nothing changed: skip the build (and with it the snapshot and the export, which depend on it);
- some raw tables changed: build the models downstream of them (the heavy ones are incremental, so
  that costs what changed; views are left alone on DuckDB) and run the data tests of the models it
  rebuilt (`changed_scope`); the models left alone are recorded at their current inputs;
- the code changed, a model was never built, or the history is unknown: a full build with every test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
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
    publishing), the plan is `changed` with no table named: only the models that change with every
    build are rebuilt (`changed_scope`) and the consumers run again, so a failed hour cannot leave the
    snapshot behind for good.
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


# A macro whose value differs from one build to the next: a model calling it (directly or through
# another macro) is rebuilt by every build that runs, whatever changed at the sources.
VOLATILE_MACROS = frozenset({"macro.incident_lake.build_time"})


@dataclass(frozen=True)
class ChangedScope:
    """What a `changed` build runs, from the manifest (`changed_scope`).

    `rebuilt`: unique ids of the models dbt builds. `carried`: unique ids of the asset nodes it leaves
    as they are (views on DuckDB, seeds, tables no change reaches), in dependency order: the build
    records them as materialized at their current inputs without running them. `excluded`: node names
    for dbt's `--exclude` (the carried nodes and the data tests no change reaches), meant for
    `--indirect-selection empty`, so that dbt runs exactly the nodes not named.
    `carried_upstream`: for each rebuilt model, the carried nodes above it, in dependency order (Dagster
    wants a step's materializations in that order: they are recorded before the model's).
    """

    rebuilt: frozenset[str]
    carried: tuple[str, ...]
    excluded: tuple[str, ...]
    carried_upstream: Mapping[str, tuple[str, ...]]


def changed_scope(manifest: Mapping[str, Any], changed: Iterable[dg.AssetKey]) -> ChangedScope:
    """The models and data tests a `changed` build runs: the models downstream of a changed raw table, of
    a source with no raw asset (the pipeline's `meta` tables, which carry no data version, so they count
    as changed), and of a model calling a `VOLATILE_MACROS` macro, and the data tests of those models
    (a test of several models runs when one of them is rebuilt). A raw asset key maps to a dbt source
    through the source's `meta.dagster.asset_key`; "downstream" follows dbt's `child_map`.

    Views are not rebuilt on DuckDB even when reached: DuckDB binds a view's query by name when it is
    read, so an unchanged view over a rebuilt table reads the new rows. Other adapters (Postgres drops
    dependent views with the table) rebuild the views a change reaches. Seeds change only with the
    code, which makes the build `full`; they are carried. Unit tests are not counted (the build never
    runs them).
    """
    nodes: Mapping[str, Any] = manifest.get("nodes", {})
    wanted = {tuple(key.path) for key in changed}
    start: set[str] = set()
    for unique_id, source in manifest.get("sources", {}).items():
        asset_key = tuple((source.get("meta", {}).get("dagster") or {}).get("asset_key") or ())
        if asset_key in wanted or not asset_key or asset_key[0] != "raw":
            start.add(unique_id)
    volatile = _volatile_macros(manifest)
    start |= {
        unique_id
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model"
        and volatile.intersection((node.get("depends_on") or {}).get("macros") or ())
    }
    reached = start | _descendants(manifest.get("child_map", {}), start)
    views_bind_by_name = manifest.get("metadata", {}).get("adapter_type") == "duckdb"

    order = _dependency_order(manifest)
    rebuilt: set[str] = set()
    carried: list[str] = []
    for unique_id in order:
        node = nodes[unique_id]
        if node.get("resource_type") not in ASSET_NODE_TYPES:
            continue
        materialized = (node.get("config") or {}).get("materialized")
        is_view = materialized == "view" and views_bind_by_name
        if unique_id in reached and node["resource_type"] != "seed" and not is_view:
            rebuilt.add(unique_id)
        else:
            carried.append(unique_id)
    # The tests of what the build rebuilt (issue 15's rule); the daily build runs every test.
    tests_left_out = sorted(
        node["name"]
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "test"
        and not rebuilt.intersection(manifest.get("parent_map", {}).get(unique_id, ()))
    )
    position = {unique_id: index for index, unique_id in enumerate(order)}
    carried_set = set(carried)
    parents = manifest.get("parent_map", {})
    upstream = {
        unique_id: tuple(
            sorted(_ancestors(parents, unique_id) & carried_set, key=lambda ancestor: position[ancestor])
        )
        for unique_id in rebuilt
    }
    return ChangedScope(
        rebuilt=frozenset(rebuilt),
        carried=tuple(carried),
        excluded=(*sorted(nodes[unique_id]["name"] for unique_id in carried), *tests_left_out),
        carried_upstream=upstream,
    )


def _volatile_macros(manifest: Mapping[str, Any]) -> set[str]:
    """`VOLATILE_MACROS` and every macro of the manifest that calls one of them, however indirectly."""
    macros: Mapping[str, Any] = manifest.get("macros", {})
    volatile = set(VOLATILE_MACROS)
    grew = True
    while grew:
        grew = False
        for unique_id, macro in macros.items():
            calls = (macro.get("depends_on") or {}).get("macros") or ()
            if unique_id not in volatile and volatile.intersection(calls):
                volatile.add(unique_id)
                grew = True
    return volatile


def _descendants(children: Mapping[str, Iterable[str]], start: Iterable[str]) -> set[str]:
    reached: set[str] = set()
    stack = list(start)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    return reached


def _ancestors(parents: Mapping[str, Iterable[str]], unique_id: str) -> set[str]:
    return _descendants(parents, [unique_id])


def _dependency_order(manifest: Mapping[str, Any]) -> list[str]:
    """The manifest's nodes, each after every node it depends on (dbt's graph is acyclic)."""
    nodes = manifest.get("nodes", {})
    graph = {
        unique_id: [p for p in manifest.get("parent_map", {}).get(unique_id, ()) if p in nodes]
        for unique_id in nodes
    }
    return list(TopologicalSorter(graph).static_order())


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
