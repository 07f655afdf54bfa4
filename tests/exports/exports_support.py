"""Support for the export tests: a small hand-made warehouse shaped like docs/contract.md#marts (dbt
will build the real one), folder digests, and helper processes (a crashing export, a concurrent
warehouse writer)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

MARTS_SQL = """
SET TimeZone = 'UTC';
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE raw.incidentio_incidents AS SELECT 'x' AS id;
CREATE SCHEMA marts;

CREATE TABLE marts.fct_incidents AS
SELECT
    'INC' || lpad(i::VARCHAR, 4, '0') AS incident_id,
    'INC-' || i AS reference,
    'Incident ' || i AS name,
    CASE WHEN i % 10 = 0 THEN 'retrospective' ELSE 'standard' END AS mode,
    CASE WHEN i % 7 = 0 THEN 'live' ELSE 'closed' END AS status_category,
    ['Critical', 'Major', 'Minor', NULL][1 + i % 4] AS severity_name,
    [2, 1, 0, NULL][1 + i % 4]::INTEGER AS severity_rank,
    'Default' AS incident_type,
    -- one incident every ~3 days from mid-November (crosses a year boundary), plus one without a time
    CASE WHEN i > 0 THEN TIMESTAMPTZ '2024-11-15 23:30:00+00' + i * INTERVAL 3 DAY END AS created_at,
    CASE WHEN i > 0 THEN TIMESTAMPTZ '2024-11-15 23:30:00+00' + i * INTERVAL 3 DAY END AS reported_at,
    NULL::TIMESTAMPTZ AS impact_started_at,
    NULL::TIMESTAMPTZ AS fixed_at,
    TIMESTAMPTZ '2024-11-15 23:30:00+00' + i * INTERVAL 3 DAY + INTERVAL 2 HOUR AS resolved_at,
    NULL::TIMESTAMPTZ AS closed_at,
    'lead' || (i % 5) || '@example.com' AS lead_email,
    'C' || i AS slack_channel_id,
    NULL::VARCHAR AS zoom_meeting_id,
    NULL::VARCHAR AS pagerduty_incident_id,
    7200.0 + i AS time_to_resolve_seconds,
    NULL::DOUBLE AS time_to_mitigate_seconds,
    i % 10 != 0 AS is_in_metrics
FROM range(120) AS t(i);

CREATE TABLE marts.metrics_mttr AS
SELECT date_trunc('month', reported_at)::DATE AS month, severity_name, count(*) AS incident_count,
       count(resolved_at) AS resolved_count, avg(time_to_resolve_seconds) AS mttr_mean_seconds,
       quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
       quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
FROM marts.fct_incidents WHERE is_in_metrics GROUP BY ALL;

-- a fact table without a time column: exported as one file
CREATE TABLE marts.fct_incident_roles AS
SELECT incident_id, 'R1' AS role_id, 'Incident Lead' AS role_name, 'lead' AS role_type,
       lead_email AS person_email
FROM marts.fct_incidents;

CREATE TABLE marts.dim_people AS
SELECT DISTINCT lead_email AS person_email, 'Lead ' || right(split_part(lead_email, '@', 1), 1) AS name
FROM marts.fct_incidents;

-- a future mart carrying Slack message text, which must stay home unless asked for
CREATE TABLE marts.fct_incident_timeline AS
-- emails in another case, and inside free text, as tools send them
SELECT incident_id, 'E' || incident_id AS event_id, reported_at + INTERVAL 5 MINUTE AS occurred_at,
       'slack' AS source, 'message' AS event_type,
       CASE WHEN right(incident_id, 1) IN ('1', '3') THEN upper(lead_email) ELSE lead_email END
           AS person_email,
       CASE WHEN right(incident_id, 1) = '2' THEN 'Notified ' || upper(lead_email) || ' by phone'
           ELSE 'posted' END AS detail,
       'secret chat about ' || name AS text
FROM marts.fct_incidents WHERE reported_at IS NOT NULL;

-- bookkeeping tables start with an underscore and are not marts
CREATE TABLE marts._internal AS SELECT 1 AS x;
"""


def build_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(MARTS_SQL)
    finally:
        con.close()
    return path


def build_warehouse_without_marts(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT 1 AS x")
    finally:
        con.close()
    return path


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


REPO_ROOT = Path(__file__).resolve().parents[2]


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path -> sha256): equal digests mean an untouched folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def siblings(dest: Path) -> list[str]:
    """Leftovers of an export next to `dest` (staging folders are hidden siblings)."""
    return sorted(p.name for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}."))


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (a real crash, e.g. `os._exit`, must not take pytest with it)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class WarehouseWriter:
    """Another process holding the warehouse open for writing (as a sync or dbt build does)."""

    def __init__(self, warehouse: Path) -> None:
        code = (
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(warehouse)!r})\n"
            "con.execute('CREATE TABLE IF NOT EXISTS raw.lock_probe AS SELECT 1 AS x')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def __enter__(self) -> WarehouseWriter:
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
