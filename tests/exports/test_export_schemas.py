"""A JSON Schema per model, generated from the dbt contract (the mart YAML), that validates exported rows."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest
from exports_support import query

from exports import ExportError, export_marts
from exports.contracts import DEFAULT_CONTRACTS_DIR, load_contracts
from exports.privacy import HASH_KEY_ENV

CONTRACT_YAML = """
version: 2
models:
  - name: fct_incidents
    description: '{{ doc("fct_incidents_doc") }}'
    config:
      contract: {enforced: true}
    constraints:
      - type: primary_key
        columns: [incident_id]
    columns:
      - name: incident_id
        description: The incident.
        data_type: varchar
      - name: severity_rank
        data_type: integer
      - name: created_at
        data_type: timestamp with time zone
      - name: time_to_resolve_seconds
        data_type: double precision
      - name: is_in_metrics
        data_type: boolean
        data_tests: [not_null]
      - name: lead_email
        description: "'{{ doc(\\"lead_email_doc\\") }}'"
        config:
          meta:
            privacy: email
        data_type: varchar
        data_tests:
          - not_null:
              config: {severity: warn}
  - name: metrics_mttr
    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [month, severity_name]
    columns:
      - name: month
        data_type: date
      - name: incident_count
        data_type: bigint
"""

DOCS_MD = """
{% docs fct_incidents_doc %}
One row per incident.
{% enddocs %}

{% docs lead_email_doc %}
The lead's lower-cased email.
{% enddocs %}
"""


@pytest.fixture
def contracts_dir(tmp_path: Path) -> Path:
    """A small dbt project whose marts YAML describes the hand-made warehouse."""
    project = tmp_path / "dbt"
    marts = project / "models" / "marts"
    marts.mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: test\n")
    (marts / "_test__models.yml").write_text(textwrap.dedent(CONTRACT_YAML))
    (project / "models" / "docs.md").write_text(DOCS_MD)
    return marts


def rows_as_json(dest: Path, entry: dict[str, Any], fmt: str) -> list[dict[str, Any]]:
    """The rows of one exported model as JSON values (timestamps RFC 3339, dates ISO), typed by the files
    (Parquet) or by the manifest's column types (CSV)."""
    files = [str(dest / f["path"]) for f in entry["files"]]
    if fmt == "parquet":
        relation = "read_parquet($files, hive_partitioning = false)"
    else:
        types = ", ".join(f"'{c['name']}': '{c['type']}'" for c in entry["columns"])
        relation = f"read_csv($files, header = true, auto_detect = false, columns = {{{types}}})"
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(f"SELECT * FROM {relation}", {"files": files})
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()

    def as_json(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime | date) else value

    return [{n: as_json(v) for n, v in zip(names, row, strict=True)} for row in rows]


def validation_errors(dest: Path, manifest: dict[str, Any], model: str) -> list[str]:
    entry = manifest["models"][model]
    schema = json.loads((dest / entry["schema"]["path"]).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{row.get('incident_id')}: {error.message}"
        for row in rows_as_json(dest, entry, manifest["format"])
        for error in validator.iter_errors(row)
    ]


def test_the_contract_is_read_from_the_mart_yaml(contracts_dir: Path) -> None:
    contracts = load_contracts(contracts_dir)
    incidents = contracts["fct_incidents"]
    assert incidents.description == "One row per incident."
    assert incidents.primary_key == ("incident_id",)
    assert incidents.columns["incident_id"].not_null  # a primary_key constraint
    assert incidents.columns["is_in_metrics"].not_null  # an error-severity not_null test
    assert not incidents.columns["lead_email"].not_null  # a warn-severity test lets nulls through
    assert incidents.columns["lead_email"].description == "The lead's lower-cased email."
    assert incidents.columns["lead_email"].privacy == "email"
    assert contracts["metrics_mttr"].primary_key == ("month", "severity_name")
    assert not contracts["metrics_mttr"].columns["month"].not_null  # a unique combination allows nulls

    # The project's own contracts: every contracted mart of docs/contract.md#marts has a primary key.
    real = load_contracts(DEFAULT_CONTRACTS_DIR)
    assert real["fct_incidents"].primary_key == ("incident_id",)
    assert real["metrics_responder_workload"].primary_key == ("person_email", "week")
    assert real["fct_incidents"].columns["reported_at"].data_type == "timestamp with time zone"
    assert "{{" not in json.dumps([c.description for m in real.values() for c in m.columns.values()])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_each_schema_follows_the_contract_and_validates_the_exported_rows(
    warehouse: Path, tmp_path: Path, contracts_dir: Path, fmt: str
) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, fmt=fmt, contracts_dir=contracts_dir)

    schema = json.loads((dest / "schemas" / "fct_incidents.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["description"] == "One row per incident."
    assert schema["x-primary-key"] == ["incident_id"]
    assert schema["additionalProperties"] is False
    exported = [c["name"] for c in manifest["models"]["fct_incidents"]["columns"]]
    assert list(schema["properties"]) == schema["required"] == exported
    props = schema["properties"]
    assert props["incident_id"]["type"] == "string"  # not null: a primary key
    assert props["severity_rank"]["type"] == ["integer", "null"]
    assert props["time_to_resolve_seconds"]["type"] == ["number", "null"]
    assert props["is_in_metrics"]["type"] == "boolean"
    assert props["created_at"]["format"] == "date-time"
    assert props["lead_email"]["description"] == "The lead's lower-cased email."
    assert props["reference"]["x-duckdb-type"] == "VARCHAR"  # not in the contract: the warehouse type
    mttr = json.loads((dest / "schemas" / "metrics_mttr.schema.json").read_text())
    assert mttr["properties"]["month"]["format"] == "date"
    assert mttr["properties"]["incident_count"]["type"] == ["integer", "null"]
    assert mttr["x-primary-key"] == ["month", "severity_name"]

    for model in manifest["models"]:
        assert validation_errors(dest, manifest, model) == [], model
    assert manifest["models"]["fct_incidents"]["primary_key"] == ["incident_id"]


def test_a_row_that_breaks_the_contract_fails_its_schema(warehouse: Path, tmp_path: Path) -> None:
    # The real contract says reported_at is never null; the hand-made warehouse has one such incident.
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, fmt="csv")
    [(missing,)] = query(warehouse, "SELECT incident_id FROM marts.fct_incidents WHERE reported_at IS NULL")
    errors = validation_errors(dest, manifest, "fct_incidents")
    assert errors and all(e.startswith(f"{missing}: None is not of type 'string'") for e in errors), errors


def test_hashed_email_columns_are_described_as_hashes(
    warehouse: Path, tmp_path: Path, contracts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HASH_KEY_ENV, "another-test-key-0123456789")
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, hash_emails=True, contracts_dir=contracts_dir)
    schema = json.loads((dest / "schemas" / "fct_incidents.schema.json").read_text())
    assert schema["properties"]["lead_email"]["pattern"] == "^[0-9a-f]{64}$"
    for model in manifest["models"]:
        assert validation_errors(dest, manifest, model) == [], model


def test_without_a_contract_the_schema_comes_from_the_warehouse_types(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, contracts_dir=None)
    assert manifest["contracts"] is None
    schema = json.loads((dest / "schemas" / "fct_incidents.schema.json").read_text())
    assert schema["x-contract"] is None and schema["x-primary-key"] is None
    assert schema["properties"]["created_at"]["type"] == ["string", "null"]
    assert schema["properties"]["is_in_metrics"]["type"] == ["boolean", "null"]
    for model in manifest["models"]:
        assert validation_errors(dest, manifest, model) == [], model


def test_privacy_tags_come_from_the_contract(contracts_dir: Path) -> None:
    from exports.privacy import column_privacy

    incidents = load_contracts(contracts_dir)["fct_incidents"]
    assert column_privacy("lead_email", incidents) == "email"  # tagged in the YAML
    assert column_privacy("is_in_metrics", incidents) is None  # listed, untagged
    # Not listed in the contract: judged by the name, so an undocumented column never leaks.
    assert column_privacy("text", incidents) == "message_text"
    assert column_privacy("owner_email", incidents) == "email"
    assert column_privacy("owner", incidents) is None

    yaml_path = contracts_dir / "_test__models.yml"
    yaml_path.write_text(yaml_path.read_text().replace("privacy: email", "privacy: secret"))
    with pytest.raises(ExportError, match="Unknown privacy tag 'secret'"):
        load_contracts(contracts_dir)
