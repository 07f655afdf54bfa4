"""The dbt project's own conventions, as dbt-score rules (`make lint` runs them with dbt-score's
description rules; the configuration is `[tool.dbt-score]` in pyproject.toml).

- staging models are `stg_<source>__<entities>`, read exactly one source table and no model (rename and
  cast only, no joins);
- intermediate models are `int_…`;
- a primary key is tested unique;
- a macro has a description (an adapter's implementation of a dispatched macro shares its macro's);
- marts are `fct_…` (facts), `dim_…` (dimensions) or `metrics_…` (aggregates), and every mart's
  contract is enforced, since exports and the Postgres load publish them.

No `from __future__ import annotations` here: dbt-score reads the real annotation of each rule's
argument to know what the rule applies to.
"""

import re
from pathlib import PurePosixPath

from dbt_score import Macro, Model, RuleViolation, rule

MART_PREFIXES = ("fct_", "dim_", "metrics_")
ADAPTER_PREFIXES = ("duckdb__", "postgres__", "default__")


def _layer(model: Model) -> str | None:
    parts = PurePosixPath(model.original_file_path).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else None


@rule
def model_name_matches_its_layer(model: Model) -> RuleViolation | None:
    """A model's name says its layer: stg_<source>__<entities>, int_…, or fct_/dim_/metrics_ in marts."""
    layer = _layer(model)
    if layer == "staging":
        source = PurePosixPath(model.original_file_path).parts[2]
        if not re.fullmatch(rf"stg_{re.escape(source)}__[a-z0-9_]+", model.name):
            return RuleViolation(message=f"staging models of {source} are named stg_{source}__<entities>.")
    elif layer == "intermediate" and not model.name.startswith("int_"):
        return RuleViolation(message="intermediate models are named int_<what they compute>.")
    elif layer == "marts" and not model.name.startswith(MART_PREFIXES):
        return RuleViolation(message=f"marts are named with one of {', '.join(MART_PREFIXES)}.")
    return None


@rule
def staging_reads_one_source_only(model: Model) -> RuleViolation | None:
    """A staging model renames and casts one source table: no joins, no other model."""
    if _layer(model) != "staging":
        return None
    nodes = model.depends_on.get("nodes", [])
    sources = [n for n in nodes if n.startswith("source.")]
    others = [n for n in nodes if not n.startswith("source.")]
    if len(sources) != 1 or others:
        return RuleViolation(message=f"reads {len(sources)} sources and {len(others)} other nodes.")
    return None


@rule
def mart_contract_is_enforced(model: Model) -> RuleViolation | None:
    """Marts are published (files, Postgres): their column names and types are a contract."""
    if _layer(model) != "marts":
        return None
    if not (model.config.get("contract") or {}).get("enforced"):
        return RuleViolation(message="a mart needs `contract: {enforced: true}` in its YAML.")
    return None


@rule
def primary_key_is_tested_unique(model: Model) -> RuleViolation | None:
    """A model's `primary_key` constraint (model level) is backed by a uniqueness test: `unique` on its
    one column, or `unique_combination_of_columns` on its columns (dbt's `arguments:` form too)."""
    keys = next((c.columns or [] for c in model.constraints if c.type == "primary_key"), [])
    if not keys:
        return None
    if len(keys) == 1:
        column = next((c for c in model.columns if c.name == keys[0]), None)
        if column is not None and any(t.type == "unique" for t in column.tests):
            return None
    for test in model.tests:
        arguments = test.kwargs.get("arguments") or test.kwargs
        if test.type == "unique_combination_of_columns" and set(
            arguments.get("combination_of_columns") or []
        ) == set(keys):
            return None
    return RuleViolation(message=f"no uniqueness test on the primary key {', '.join(keys)}.")


@rule
def dispatched_macro_has_description(macro: Macro) -> RuleViolation | None:
    """A macro has a description in macros/_macros.yml; the adapter implementations of a dispatched
    macro (`duckdb__…`, `postgres__…`) share the description of the macro they implement."""
    if macro.name.startswith(ADAPTER_PREFIXES) or macro.description:
        return None
    return RuleViolation(message="the macro lacks a description in macros/_macros.yml.")
