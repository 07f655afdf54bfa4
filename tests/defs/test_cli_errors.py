"""The CLI's one-line errors for a configuration that can never work, before any job starts."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli.commands import main


def test_a_warehouse_path_under_a_file_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("INCIDENT_LAKE_DB", str(blocker / "warehouse.duckdb"))
    monkeypatch.setenv("INCIDENTIO_API_KEY", "test-key")
    for name in ("SLACK_BOT_TOKEN", "ZOOM_ACCOUNT_ID", "PAGERDUTY_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the repository

    result = CliRunner().invoke(main, ["sync"])

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: cannot create the warehouse at {blocker / 'warehouse.duckdb'}: {blocker} is a file, "
        "not a folder (set INCIDENT_LAKE_DB to a path in a folder)"
    ]
    assert "Traceback" not in result.output
