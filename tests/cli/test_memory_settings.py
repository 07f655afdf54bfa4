"""DuckDB's memory budget and spill folder (INCIDENT_LAKE_DUCKDB_MEMORY_LIMIT, _TEMP_DIR) reach every
connection that opens the warehouse: the export's, and dbt's (dbt_project/profiles.yml)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from exports.warehouse import open_read_only
from pipelines.settings import DBT_PROJECT_DIR, Settings, reload_settings

MEMORY_VAR = "INCIDENT_LAKE_DUCKDB_MEMORY_LIMIT"
TEMP_VAR = "INCIDENT_LAKE_DUCKDB_TEMP_DIR"


def duckdb_shows(memory_limit: str) -> str:
    """How DuckDB itself prints `memory_limit` once set to `memory_limit` ("1GB" → "953.6 MiB")."""
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
    try:
        (shown,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    finally:
        con.close()
    return str(shown)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set variables, then read the settings again (they are cached per process); restored after."""
    yield monkeypatch
    monkeypatch.undo()
    reload_settings()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    return path


def _export_connection_settings(warehouse: Path) -> tuple[str, str]:
    """`memory_limit` and `temp_directory` as DuckDB reports them on the export's connection."""
    con = open_read_only(warehouse)
    try:
        limit, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()[0]
    finally:
        con.close()
    return str(limit), str(temp)


def test_the_export_connection_takes_the_memory_limit_and_temp_dir(
    settings_env: pytest.MonkeyPatch, warehouse: Path, tmp_path: Path
) -> None:
    settings_env.setenv(MEMORY_VAR, "123MB")
    settings_env.setenv(TEMP_VAR, str(tmp_path / "spill"))
    reload_settings()
    limit, temp = _export_connection_settings(warehouse)
    assert (limit, temp) == (duckdb_shows("123MB"), str(tmp_path / "spill"))


def test_without_variables_the_default_budget_applies(
    settings_env: pytest.MonkeyPatch, warehouse: Path
) -> None:
    settings_env.delenv(MEMORY_VAR, raising=False)
    settings_env.delenv(TEMP_VAR, raising=False)
    default = Settings.model_fields["incident_lake_duckdb_memory_limit"].default
    reload_settings()
    limit, temp = _export_connection_settings(warehouse)
    assert limit == duckdb_shows(default)
    assert temp == f"{warehouse}.tmp"  # DuckDB's own spill folder, beside the warehouse


@pytest.mark.parametrize("value", ["lots", "1000000", "-1", ""])
def test_a_memory_limit_duckdb_would_refuse_is_refused_up_front(
    settings_env: pytest.MonkeyPatch, value: str
) -> None:
    settings_env.setenv(MEMORY_VAR, value)
    with pytest.raises(ValidationError, match=MEMORY_VAR):
        Settings()


@pytest.mark.parametrize("value", ["2GB", "512MiB", "1.5GB", "25%"])
def test_every_accepted_memory_limit_is_one_duckdb_takes(
    settings_env: pytest.MonkeyPatch, value: str
) -> None:
    settings_env.setenv(MEMORY_VAR, value)
    limit = Settings().duckdb_config()["memory_limit"]
    assert isinstance(limit, str)
    duckdb_shows(limit)  # raises if DuckDB refuses it


def test_dbt_and_python_share_the_default_budget() -> None:
    profiles = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    (dbt_default,) = re.findall(rf"env_var\('{MEMORY_VAR}', '([^']*)'\)", profiles)
    assert dbt_default == Settings.model_fields["incident_lake_duckdb_memory_limit"].default


def test_dbt_opens_the_warehouse_with_the_memory_limit_and_temp_dir(warehouse: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        MEMORY_VAR: "321MB",
        TEMP_VAR: str(tmp_path / "spill"),
    }
    query = "select current_setting('memory_limit') as m, current_setting('temp_directory') as t"
    command = [
        sys.executable, "-c", "from dbt.cli.main import cli; cli()", "show", "--inline", query,
        "--output", "json", "--quiet", "--no-partial-parse",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "duckdb",
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        "--vars", json.dumps({"warehouse_path": str(warehouse)}),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    shown = json.loads(completed.stdout[completed.stdout.index("{") :])["show"][0]
    assert shown == {"m": duckdb_shows("321MB"), "t": str(tmp_path / "spill")}
