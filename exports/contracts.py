"""The dbt contract of each mart, read from `dbt_project/models/marts/**/_*.yml`, and a JSON Schema per model.

Why the YAML and not `dbt_project/target/manifest.json`: the YAML is the source of truth under version
control and is always there, while `target/` exists only after a dbt command, may be stale (or written by
another target, e.g. Postgres) and is git-ignored. The YAML is plain (no Jinja besides `{{ doc("…") }}` in
descriptions, which is resolved from the project's `{% docs %}` blocks), so PyYAML reads it exactly.

What is taken from the contract, per model: its description, its primary key (the `primary_key` constraint,
else the first `unique_combination_of_columns` test, else a column with a `unique` test), and per column the
`data_type`, the description, whether it is non-null (a `not_null` constraint, an error-severity
`not_null` test, or a primary-key column) and its privacy tag (`config: {meta: {privacy: ...}}`, see
`exports.privacy.PRIVACY_TAGS`). Columns the contract does not list (a hand-made table, a column
added without a contract) fall back to the warehouse type, so every exported column is described.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exports.privacy import check_privacy_tag
from exports.warehouse import ExportError

# The repository's dbt project; the CLI and the Dagster asset pass it explicitly.
DEFAULT_CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "models" / "marts"

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Both forms a timestamp takes in an export: RFC 3339 (JSON, `isoformat()`) and DuckDB's CSV text
# (`2024-11-18 23:30:00+00`). A pattern, because `format` is only an annotation for most validators.
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"

_DOC_CALL = re.compile(r"""\{\{\s*doc\(\s*["']([^"']+)["']\s*\)\s*\}\}""")
_DOCS_BLOCK = re.compile(r"\{%-?\s*docs\s+(\w+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.DOTALL)


@dataclass(frozen=True)
class ColumnContract:
    name: str
    data_type: str | None
    description: str | None
    not_null: bool
    privacy: str | None = None  # a tag of exports.privacy.PRIVACY_TAGS, or None


@dataclass(frozen=True)
class ModelContract:
    name: str
    description: str | None
    primary_key: tuple[str, ...] | None
    source: str  # the YAML file, relative to the contracts folder
    columns: dict[str, ColumnContract] = field(default_factory=dict)


def load_contracts(contracts_dir: Path | None) -> dict[str, ModelContract]:
    """Every model described in `contracts_dir/**/_*.yml`; empty when the folder does not exist."""
    if contracts_dir is None or not Path(contracts_dir).is_dir():
        return {}
    contracts_dir = Path(contracts_dir)
    docs = _load_docs(contracts_dir)
    contracts: dict[str, ModelContract] = {}
    for path in sorted(contracts_dir.rglob("_*.yml")) + sorted(contracts_dir.rglob("_*.yaml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ExportError(f"Cannot read the dbt contract {path}: {str(exc).splitlines()[0]}") from exc
        for model in document.get("models") or []:
            if isinstance(model, dict) and model.get("name"):
                contract = _model_contract(model, docs, path.relative_to(contracts_dir).as_posix())
                contracts[contract.name] = contract
    return contracts


def _load_docs(contracts_dir: Path) -> dict[str, str]:
    """`{% docs name %}` blocks of the whole dbt project (a description may use any of them)."""
    project = next(
        (p for p in (contracts_dir, *contracts_dir.parents) if (p / "dbt_project.yml").is_file()), None
    )
    docs: dict[str, str] = {}
    for md in sorted((project or contracts_dir).rglob("*.md")):
        if "target" in md.parts or "dbt_packages" in md.parts:
            continue
        for name, body in _DOCS_BLOCK.findall(md.read_text(encoding="utf-8")):
            docs[name] = body.strip()
    return docs


def _render(text: Any, docs: dict[str, str]) -> str | None:
    if text is None:
        return None
    rendered = _DOC_CALL.sub(lambda m: docs.get(m.group(1), m.group(0)), str(text)).strip()
    # Some descriptions wrap a doc() call in quotes to keep YAML happy: drop that one pair.
    if len(rendered) >= 2 and rendered[0] == rendered[-1] == "'":
        rendered = rendered[1:-1].strip()
    return rendered or None


def _model_contract(model: dict[str, Any], docs: dict[str, str], source: str) -> ModelContract:
    primary_key = _primary_key(model)
    columns: dict[str, ColumnContract] = {}
    for column in model.get("columns") or []:
        if not isinstance(column, dict) or not column.get("name"):
            continue
        name = str(column["name"])
        not_null = (
            any(c.get("type") == "not_null" for c in column.get("constraints") or [] if isinstance(c, dict))
            or any(_is_error_test(t, "not_null") for t in _tests(column))
            # A primary_key constraint implies non-null; a unique combination of columns may hold nulls.
            or name in _constraint_primary_key(model)
        )
        data_type = column.get("data_type")
        columns[name] = ColumnContract(
            name=name,
            data_type=str(data_type) if data_type else None,
            description=_render(column.get("description"), docs),
            not_null=not_null,
            privacy=_privacy_tag(column, f"{model['name']}.{name} ({source})"),
        )
    return ModelContract(
        name=str(model["name"]),
        description=_render(model.get("description"), docs),
        primary_key=primary_key,
        source=source,
        columns=columns,
    )


def _privacy_tag(column: dict[str, Any], where: str) -> str | None:
    """The column's `meta.privacy`: under `config:` (where dbt 1.10+ wants it) or under the column."""
    config = column.get("config")
    meta = (config.get("meta") if isinstance(config, dict) else None) or column.get("meta")
    tag = meta.get("privacy") if isinstance(meta, dict) else None
    check_privacy_tag(tag, where)
    return None if tag is None else str(tag)


def _tests(node: dict[str, Any]) -> list[Any]:
    return list(node.get("data_tests") or []) + list(node.get("tests") or [])


def _is_error_test(test: Any, name: str) -> bool:
    """A test of this name that fails the build (a warn-severity test lets bad rows through)."""
    if test == name:
        return True
    if isinstance(test, dict) and name in test:
        body = test[name] if isinstance(test[name], dict) else {}
        return bool((body.get("config") or {}).get("severity", "error") != "warn")
    return False


def _constraint_primary_key(model: dict[str, Any]) -> tuple[str, ...]:
    for constraint in model.get("constraints") or []:
        if (
            isinstance(constraint, dict)
            and constraint.get("type") == "primary_key"
            and constraint.get("columns")
        ):
            return tuple(str(c) for c in constraint["columns"])
    return ()


def _primary_key(model: dict[str, Any]) -> tuple[str, ...] | None:
    if _constraint_primary_key(model):
        return _constraint_primary_key(model)
    for test in _tests(model):
        if isinstance(test, dict):
            for key, body in test.items():
                if key.split(".")[-1] == "unique_combination_of_columns" and isinstance(body, dict):
                    arguments = body.get("arguments") or body
                    columns = arguments.get("combination_of_columns")
                    if columns:
                        return tuple(str(c) for c in columns)
    for column in model.get("columns") or []:
        if isinstance(column, dict) and any(_is_error_test(t, "unique") for t in _tests(column)):
            return (str(column["name"]),)
    return None


# --- JSON Schema ------------------------------------------------------------------------------------


def json_type(type_name: str) -> dict[str, Any]:
    """The JSON Schema of one value of a dbt `data_type` or a DuckDB type (one row as JSON)."""
    t = type_name.strip().lower()
    if t.startswith(("timestamp", "datetime")):
        return {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN}
    if t == "date":
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if t in ("boolean", "bool"):
        return {"type": "boolean"}
    if re.match(r"^(u?(tiny|small|big|huge)?int(eger)?|int[1248]|serial|bigserial)\b", t):
        return {"type": "integer"}
    if t.startswith(("double", "float", "real", "numeric", "decimal")):
        return {"type": "number"}
    if t.endswith("[]") or t.startswith(("struct", "map", "json")):
        return {}  # any JSON value: no mart has such a column today
    return {"type": "string"}  # varchar, text, uuid, time, interval: text in every export format


def model_json_schema(
    model: str,
    columns: tuple[tuple[str, str], ...],
    contract: ModelContract | None,
    hashed_columns: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A JSON Schema (2020-12) of one exported row of `model`: exactly the exported columns, in order."""
    properties: dict[str, Any] = {}
    for name, duckdb_type in columns:
        column = contract.columns.get(name) if contract else None
        schema = json_type(column.data_type if column and column.data_type else duckdb_type)
        description = column.description if column else None
        if name in hashed_columns:
            schema = {"type": "string", "pattern": HASH_PATTERN}
            description = f"{description or name} (HMAC-SHA256 of the lower-cased email, hex; --hash-emails)"
        if schema.get("type") and not (column and column.not_null):
            schema["type"] = [schema["type"], "null"]
        if description:
            schema["description"] = description
        schema["x-duckdb-type"] = duckdb_type
        if column and column.data_type:
            schema["x-dbt-data-type"] = column.data_type
        properties[name] = schema
    document: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"incident-lake/marts/{model}.schema.json",
        "title": model,
        "type": "object",
        "properties": properties,
        "required": [name for name, _ in columns],
        "additionalProperties": False,
    }
    if contract and contract.description:
        document["description"] = contract.description
    document["x-primary-key"] = list(contract.primary_key) if contract and contract.primary_key else None
    # The YAML file the contract came from, relative to the marts folder of the dbt project.
    document["x-contract"] = contract.source if contract else None
    return document


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
