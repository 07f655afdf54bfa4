"""The file export on real marts: the small sandbox synced, built and exported by the real CLI (a copy of
the session's shared warehouse, tests/conftest.py), then exported with `--snapshot --hash-emails`, an old
incident edited at the source (`org.mutate()`), synced, built and exported again. Marked e2e (one xdist
worker runs it once)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import jsonschema
import pytest
from test_export_schemas import rows_as_json

from exports import export_marts
from exports.files import read_manifest
from exports.privacy import EMAIL_PATTERN, HASH_KEY_ENV
from pipelines.sandbox.server import SandboxServer

if TYPE_CHECKING:  # the fixture's class (tests/conftest.py), for the hint only
    from tests.conftest import SharedWarehouse

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("exports-e2e")]

KEY = "pipeline-test-key-0123456789"
EMAIL_RE = re.compile(EMAIL_PATTERN)


def cli(*args: str, env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{args}: {result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, shared_warehouse: SharedWarehouse) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("export-e2e")
    # `incident-lake run` (sync, build and the default export) is the shared warehouse's: copy it.
    shared_warehouse.copy_to(tmp)
    org = shared_warehouse.organisation()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INCIDENTIO_", "SLACK_", "ZOOM_", "PAGERDUTY_"))
    }
    env.pop("DAGSTER_HOME", None)
    env.update(
        INCIDENT_LAKE_DB=str(tmp / "warehouse.duckdb"),
        INCIDENT_LAKE_EXPORT_DIR=str(tmp / "exports"),
        DO_NOT_TRACK="1",
        **{HASH_KEY_ENV: KEY},
    )
    snapshots = tmp / "snapshots-export"
    with SandboxServer(org) as server:
        env.update(server.env())
        cli("export", "--snapshot", "--hash-emails", "--dest", str(snapshots), env=env, cwd=tmp)
        first = read_manifest(snapshots)
        change = server.mutate()
        cli("sync", env=env, cwd=tmp)
        cli("build", env=env, cwd=tmp)
        cli("export", "--snapshot", "--hash-emails", "--dest", str(snapshots), env=env, cwd=tmp)
    warehouse = tmp / "warehouse.duckdb"
    csv = tmp / "csv-export"
    export_marts(warehouse, csv, fmt="csv")
    return {
        "org": org,
        "tmp": tmp,
        "warehouse": warehouse,
        "change": change,
        "first": first,
        "second": read_manifest(snapshots),
        "snapshots": snapshots,
        "csv": csv,
    }


def warehouse_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def test_an_incident_edited_at_the_source_is_restated_in_the_next_snapshot(exported: dict[str, Any]) -> None:
    first, second, change = exported["first"], exported["second"], exported["change"]
    summary = second["snapshot"]["restatements"]
    assert summary["previous_snapshot"] == first["snapshot"]["id"]
    folder = exported["snapshots"] / second["snapshot"]["path"]
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT primary_key, change, column_name, previous_value, current_value FROM read_parquet(?) "
            "WHERE model = 'fct_incidents'",
            [str(folder / summary["file"]["path"])],
        ).fetchall()
    edited = change["edited_incident"]
    restated = {(json.loads(key)["incident_id"], column): (old, new) for key, kind, column, old, new in rows}
    name, severity = warehouse_rows(
        exported["warehouse"],
        f"SELECT name, severity_name FROM marts.fct_incidents WHERE incident_id = '{edited}'",
    )[0]
    if (edited, "name") in restated:  # the sandbox edits either the name or the severity
        old, new = restated[(edited, "name")]
        assert new == name and new == old + " (edited)"
    else:
        assert restated[(edited, "severity_name")][1] == severity
    # Only the edited and the resolved incident change; the new ones are growth, counted apart.
    assert {incident for incident, _ in restated} <= {edited, change["resolved_incident"]}
    assert all(kind == "changed" for _, kind, *_ in rows)
    incidents = summary["models"]["fct_incidents"]
    assert incidents["added"] == len(change["new_incidents"])
    assert incidents["current_rows"] == incidents["previous_rows"] + len(change["new_incidents"])
    # The earlier snapshot is still there, whole.
    earlier = exported["snapshots"] / first["snapshot"]["path"]
    assert read_manifest(earlier)["snapshot"]["id"] == first["snapshot"]["id"]
    for entry in first["models"].values():
        for f in entry["files"]:
            assert hashlib.sha256((earlier / f["path"]).read_bytes()).hexdigest() == f["sha256"]


@pytest.mark.parametrize("export", ["snapshots", "csv", "default"])
def test_json_schemas_from_the_dbt_contract_validate_every_exported_row(
    exported: dict[str, Any], export: str
) -> None:
    dest = exported["tmp"] / "exports" if export == "default" else exported[export]
    manifest = read_manifest(dest)
    marts = {
        name
        for (name,) in warehouse_rows(
            exported["warehouse"],
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'",
        )
    }
    assert set(manifest["models"]) == marts
    for model, entry in manifest["models"].items():
        schema = json.loads((dest / entry["schema"]["path"]).read_text())
        assert schema["x-contract"], f"{model} has a dbt contract"
        assert entry["primary_key"], f"{model} has a primary key in its contract"
        validator = jsonschema.Draft202012Validator(schema)
        rows = rows_as_json(dest, entry, manifest["format"])
        assert len(rows) == entry["row_count"], model
        if export != "default":  # the default export was written before the source changed
            (count,) = warehouse_rows(exported["warehouse"], f"SELECT count(*) FROM marts.{model}")[0]
            assert entry["row_count"] == count, model
        errors = [e.message for row in rows for e in validator.iter_errors(row)]
        assert errors == [], (model, errors[:5])


def test_hashed_export_has_no_plain_email_and_hashes_join_across_models(exported: dict[str, Any]) -> None:
    dest, manifest = exported["snapshots"], exported["second"]
    values: dict[tuple[str, str], set[str]] = {}
    for model, entry in manifest["models"].items():
        for row in rows_as_json(dest, entry, "parquet"):
            for column, value in row.items():
                if isinstance(value, str):
                    assert not EMAIL_RE.search(value), (model, column)
                    values.setdefault((model, column), set()).add(value)
    people = values[("dim_people", "person_email")]
    assert len(people) > 10
    for model, column in [
        ("fct_incidents", "lead_email"),
        ("fct_incident_roles", "person_email"),
        ("fct_incident_timeline", "person_email"),
        ("metrics_responder_workload", "person_email"),
        ("dim_team_members", "person_email"),
        ("fct_oncall_shifts", "person_email"),
        ("fct_pages", "person_email"),
        ("metrics_oncall_burden", "person_email"),
    ]:
        assert values[(model, column)] and values[(model, column)] <= people, (model, column)
    # The hash is the documented one: HMAC-SHA256 of the lower-cased email with the key.
    plain = dict(
        warehouse_rows(exported["warehouse"], "SELECT incident_id, lead_email FROM marts.fct_incidents")
    )
    rows = rows_as_json(dest, manifest["models"]["fct_incidents"], "parquet")
    for row in rows:
        email = plain[row["incident_id"]]
        expected = email and hmac.new(KEY.encode(), email.lower().encode(), hashlib.sha256).hexdigest()
        assert row["lead_email"] == expected


def test_slack_message_text_never_leaves_by_default(exported: dict[str, Any]) -> None:
    texts = {
        text
        for (text,) in warehouse_rows(
            exported["warehouse"], "SELECT DISTINCT _record ->> 'text' FROM raw.slack_messages"
        )
        if text and len(text) >= 25
    }
    assert len(texts) > 20
    dumped = "\n".join(p.read_text(encoding="utf-8") for p in exported["csv"].rglob("*") if p.is_file())
    leaked = [t for t in texts if t in dumped]
    assert leaked == []
    assert read_manifest(exported["csv"])["include_message_text"] is False
