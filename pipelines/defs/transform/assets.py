"""dbt models as Dagster assets: staging, intermediate and marts, downstream of the raw assets."""

import json
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.changes import (
    ASSET_NODE_TYPES,
    BUILD_CONSUMERS,
    BuildPlan,
    ChangedScope,
    changed_scope,
    dbt_node_asset_key,
    dbt_node_code_version,
    plan_build,
    project_digest,
)
from pipelines.defs.transform.resources import dbt_project, dbt_vars
from pipelines.lib.progress import report


class IncidentLakeTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed `<schema>/<name>` and grouped by layer (their schema); sources keep
    their `meta.dagster` keys. A model's code version is dbt's checksum of its file plus the project's
    macros, seeds and adapter (`changes.project_digest`): a changed macro must rebuild every model."""

    def __init__(self, project_digest: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._project_digest = project_digest

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_node_code_version(dbt_resource_props, self._project_digest)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ASSET_NODE_TYPES:
            return dbt_node_asset_key(dbt_resource_props)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props.get("config", {}).get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = IncidentLakeTranslator(
    project_digest=project_digest(dbt_project().manifest_path),
    # dbt's tests stay dbt's: a failing one is recorded as an observation on the models it tests and
    # fails the build (`dg.Failure` below); passing ones are only counted (`PASSED_TEST_STATUSES`).
    # As Dagster asset checks, every build recorded a planned and an evaluated event per test in the
    # instance's SQLite storage (~450 tests): a default `incident-lake build` took 112-116 s with them
    # and 61-83 s without (docs/architecture.md).
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=False),
)


class TransformConfig(dg.Config):
    """How much the dbt build redoes (pipelines/defs/transform/changes.py)."""

    # The hourly run: skip when no raw table changed since the last build; otherwise build the models
    # and run the data tests downstream of what changed (changes.changed_scope).
    only_what_changed: bool = False
    # `--full-refresh`: rebuild incremental models from scratch. Always runs every data test.
    full_refresh: bool = False


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), dagster_dbt_translator=TRANSLATOR)
def incident_lake_dbt_models(
    context: dg.AssetExecutionContext,
    config: TransformConfig,
    dbt: DbtCliResource,
    warehouse: DuckDBResource,
):
    plan, full_refresh = _plan(context, config)
    context.log.info(f"dbt build plan: {plan.mode} ({plan.reason}), full refresh: {full_refresh}")
    if plan.mode == "skip":
        # No output: Dagster skips the snapshot and the export too, which depend on these models.
        report("dbt_skipped", reason=plan.reason)
        return
    # A subset asked for by hand builds what it names, with its tests.
    scope = None
    if plan.mode == "changed" and not context.is_subset:
        scope = changed_scope(dbt_project_manifest(), plan.changed)
    report(
        "dbt_start",
        mode=plan.mode,
        reason=plan.reason,
        models_left_alone=len(scope.carried) if scope else 0,
        tests_left_out=len(scope.excluded) - len(scope.carried) if scope else 0,
    )
    args = build_args(
        warehouse.database, full_refresh=full_refresh, exclude=list(scope.excluded) if scope else []
    )
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    carried = CarriedModels(context.assets_def, scope, dbt_project_manifest()) if scope else None
    passed_tests = 0
    for event in invocation.stream():
        if isinstance(event, dg.AssetObservation) and _test_passed(event):
            passed_tests += 1
            continue
        if isinstance(event, dg.Output):
            key = context.assets_def.keys_by_output_name[event.output_name]
            if carried:
                yield from carried.before(key)
            report("dbt_model", key=key.to_user_string())
        yield event
    _prune_run_targets(invocation.target_path)
    context.log.info(
        f"dbt data tests passed: {passed_tests} (each in {invocation.target_path}/run_results.json)"
    )
    if not invocation.is_successful():
        failures = _failed_nodes(invocation) or _dbt_errors(invocation)
        log_path = invocation.target_path / "dbt.log"
        raise dg.Failure(description=f"dbt build failed: {failures or f'see {log_path}'}")
    if carried:
        yield from carried.rest()


# dagster-dbt records every data test's result as an observation on each model it reads. Only the
# tests that did not pass are kept: one event per passing test was a few hundred SQLite writes per
# build, and dbt's run_results.json in the run's folder holds every result.
PASSED_TEST_STATUSES = frozenset({"pass", "success"})


def _test_passed(event: dg.AssetObservation) -> bool:
    status = event.metadata.get("status")
    return getattr(status, "value", status) in PASSED_TEST_STATUSES


class CarriedModels:
    """The models a `changed` build leaves alone (`ChangedScope.carried`), recorded as materialized at
    their current inputs: a view reads its tables afresh, and a table no change reaches holds what a
    rebuild would write. Without an output, Dagster would skip the snapshot and the export (they depend
    on every mart) and the next hour would find these models' inputs newer than what they last took.
    Each is yielded before the first rebuilt model below it (`before`), the rest at the end (`rest`),
    so every materialization names the versions of inputs recorded before it (Dagster's rule)."""

    def __init__(self, assets_def: dg.AssetsDefinition, scope: ChangedScope, manifest: Mapping[str, Any]):
        self._assets_def = assets_def
        self._scope = scope
        nodes = manifest["nodes"]
        self._unique_id = {dbt_node_asset_key(nodes[u]): u for u in (*scope.rebuilt, *scope.carried)}
        self._key = {unique_id: key for key, unique_id in self._unique_id.items()}
        self._done: set[str] = set()

    def before(self, key: dg.AssetKey) -> Iterator[dg.Output]:
        """The carried models above the rebuilt model `key` not yielded yet (none for other keys)."""
        unique_id = self._unique_id.get(key)
        yield from self._outputs(self._scope.carried_upstream.get(unique_id, ()) if unique_id else ())

    def rest(self) -> Iterator[dg.Output]:
        """Every carried model not yielded yet, in dependency order."""
        yield from self._outputs(self._scope.carried)

    def _outputs(self, unique_ids: Iterable[str]) -> Iterator[dg.Output]:
        for unique_id in unique_ids:
            if unique_id in self._done:
                continue
            self._done.add(unique_id)
            yield dg.Output(
                None,
                output_name=self._assets_def.get_output_name_for_asset_key(self._key[unique_id]),
                metadata={"incident-lake/rebuilt": False},
            )


def _plan(context: dg.AssetExecutionContext, config: TransformConfig) -> tuple[BuildPlan, bool]:
    """The build plan and whether incremental models start over (`--full-refresh`). They do when asked,
    and whenever the history cannot vouch for them: a model never built with this history, or a model
    whose code changed (an incremental table keeps rows computed by the old SQL)."""
    if config.full_refresh:
        return BuildPlan("full", "--full-refresh"), True
    assets_def = context.assets_def
    history = plan_build(
        context.instance,
        {key: assets_def.asset_deps.get(key, set()) for key in assets_def.keys},
        assets_def.code_versions_by_key,
        consumers=BUILD_CONSUMERS,
    )
    if history.mode == "full":
        return history, True
    if not config.only_what_changed:
        return BuildPlan("full", "a build of everything was asked for"), False
    return history, False


def dbt_project_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(dbt_project().manifest_path.read_text())
    return manifest


def build_args(
    warehouse_path: str, *, full_refresh: bool = False, exclude: list[str] | None = None
) -> list[str]:
    """`dbt build` on the warehouse the other assets use: profiles.yml reads the `warehouse_path` var
    (dbt runs in its project folder, so the path must be absolute). Every model and data test is
    built except the nodes named in `exclude` (the hourly build leaves out what no change reaches,
    `changes.changed_scope`); with an exclusion, indirect selection is off, so leaving a view out does
    not leave out the tests on it. dbt unit tests check the SQL against hand-computed rows, not the
    data, so they run where the code changes (the test suite, CI: tests/dbt), not on every scheduled
    build (they were a third of it)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if exclude:
        args += ["--exclude", " ".join(exclude), "--indirect-selection", "empty"]
    return [*args, "--vars", dbt_vars(warehouse_path)]


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
