"""Helpers of the end-to-end tests: run the real CLI, read the warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

SECRET_VARS = ("INCIDENTIO_API_KEY", "SLACK_BOT_TOKEN", "ZOOM_CLIENT_SECRET", "PAGERDUTY_API_TOKEN")


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
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
