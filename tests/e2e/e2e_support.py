"""Helpers of the end-to-end tests: run the real CLI, read the warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

SECRET_VARS = ("INCIDENTIO_API_KEY", "SLACK_BOT_TOKEN", "ZOOM_CLIENT_SECRET", "PAGERDUTY_API_TOKEN")


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`incident-lake <args>` in a subprocess; raises `subprocess.TimeoutExpired` after `timeout` s."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(tmp: Path) -> dict[str, str]:
    """The test process's environment without any source credential, with its own warehouse."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INCIDENTIO_", "SLACK_", "ZOOM_", "PAGERDUTY_"))
    }
    env.update(
        INCIDENT_LAKE_DB=str(tmp / "warehouse.duckdb"),
        INCIDENT_LAKE_EXPORT_DIR=str(tmp / "exports"),
        DO_NOT_TRACK="1",
    )
    return env


def raw_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' ORDER BY 1"
            ).fetchall()
        ]
        return {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in tables}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# The marts of the second wave (teams, custom fields, post-mortems, on-call) land while these tests are
# written; until a mart or column is in the built warehouse its comparison skips, naming it. This is the
# one place such skips are made: remove it once every mart has landed, and missing marts fail instead.
def require_mart(con: duckdb.DuckDBPyConnection, name: str, *columns: str) -> None:
    """Fail the calling test unless `marts.<name>` exists with `columns`, naming what is missing."""
    found = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = ?",
            [name],
        ).fetchall()
    }
    assert found, f"marts.{name} was not built"
    missing = [c for c in columns if c not in found]
    assert not missing, f"marts.{name} has no column {', '.join(missing)}"


def build_time_of(con: Any) -> datetime | None:
    """The instant the on-call marts counted hours up to ("as of the build"), read back from the warehouse:
    a shift running at the build has `hours` = build time − `start_at`, so its `start_at` + `hours` is
    that instant. None when no shift was running (or `marts.fct_oncall_shifts` is not built). `con` is a
    DuckDB connection, or anything whose `execute(sql).fetchall()` answers the same way."""
    try:
        found = con.execute(
            "SELECT start_at, end_at, hours FROM marts.fct_oncall_shifts WHERE hours > 0 ORDER BY start_at"
        ).fetchall()
    except duckdb.Error:
        return None
    for start_at, end_at, hours in found:
        built = start_at + timedelta(hours=hours)
        if built < end_at - timedelta(seconds=1):  # cut short by the build: it was running then
            return built.astimezone(UTC)
    return None
