"""`incident-lake export --postgres DSN` and `dbt build --target postgres` against a real PostgreSQL.

The warehouse is the small sandbox built by the real CLI (conftest.py); every raw table and every mart is
compared value by value with DuckDB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from e2e_support import build_time_of  # on the path through conftest.py
from postgres_support import (
    PostgresServer,
    duckdb_columns,
    duckdb_rows,
    duckdb_tables,
    file_digest,
    postgres_columns,
    postgres_digest,
    postgres_rows,
    postgres_tables,
    table_differences,
)

from exports.postgres import (
    EXPORT_COMMENT,
    SLACK_TEXT_KEYS,
    PostgresExportError,
    dbt_env,
    export_to_postgres,
    postgres_type,
    redact_dsn,
)
from tests.dbt_runner import dbt_build

REPO_ROOT = Path(__file__).resolve().parents[2]
# Ages measured when dbt builds (`current_timestamp - created_at` of outstanding follow-ups).
CLOCK_COLUMNS = frozenset({"open_age_seconds", "median_open_age_seconds", "max_open_age_seconds"})


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _strip_text(record: Any) -> Any:
    return {k: v for k, v in record.items() if k not in SLACK_TEXT_KEYS}


def _assert_same_tables(
    duck: duckdb.DuckDBPyConnection,
    dsn: str,
    schema: str,
    *,
    exact: bool,
    strip_text: bool = True,
    clock_shifts: list[float] | None = None,
) -> None:
    expected_tables = duckdb_tables(duck, schema)
    assert expected_tables, f"the warehouse has no {schema} tables"
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TimeZone = 'UTC'")
        assert postgres_tables(pg, schema) == expected_tables
        problems = {}
        for table in expected_tables:
            columns = list(duckdb_columns(duck, schema, table))
            assert list(postgres_columns(pg, schema, table)) == columns, table
            expected = duckdb_rows(duck, schema, table, columns)
            if strip_text and schema == "raw" and table == "slack_messages":
                i = columns.index("_record")
                expected = [(*row[:i], _strip_text(row[i]), *row[i + 1 :]) for row in expected]
            diff = table_differences(
                expected,
                postgres_rows(pg, schema, table, columns),
                columns,
                exact=exact,
                clock_columns=CLOCK_COLUMNS if clock_shifts is not None else frozenset(),
                clock_shifts=clock_shifts,
            )
            if diff:
                problems[table] = diff
        assert not problems, json.dumps(problems, indent=1, default=str)[:4000]


# --- without a server ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        (
            "postgresql://loader:s3cr%40t@db.example.com:6432/lake",
            "postgresql://loader:***@db.example.com:6432/lake",
        ),
        (
            "host=db port=5432 user=loader password='s3cr@t x' dbname=lake",
            "postgresql://loader:***@db:5432/lake",
        ),
        ("postgresql://loader@db/lake", "postgresql://loader@db/lake"),
    ],
)
def test_redacted_dsn_names_the_server_without_the_password(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown


def test_malformed_dsn_is_one_clear_error_that_does_not_echo_it(tmp_path: Path) -> None:
    with pytest.raises(PostgresExportError, match="DSN is not valid") as raised:
        export_to_postgres(tmp_path / "missing.duckdb", "user=u password=hunter22 nonsense")
    assert "hunter22" not in str(raised.value)


def test_duckdb_types_map_to_postgres_types() -> None:
    assert postgres_type("JSON") == "jsonb"
    assert postgres_type("TIMESTAMP WITH TIME ZONE") == "timestamptz"
    assert postgres_type("DOUBLE") == "double precision"
    assert postgres_type("DECIMAL(18,3)") == "numeric(18, 3)"
    assert postgres_type("VARCHAR[]") == "jsonb"
    assert postgres_type("STRUCT(a INTEGER)") == "jsonb"


def test_dbt_env_points_the_postgres_profile_at_the_dsn() -> None:
    env = dbt_env("postgresql://loader:pw@db:6432/lake?sslmode=require")
    assert env == {
        "INCIDENT_LAKE_PG_HOST": "db",
        "INCIDENT_LAKE_PG_PORT": "6432",
        "INCIDENT_LAKE_PG_USER": "loader",
        "INCIDENT_LAKE_PG_PASSWORD": "pw",
        "INCIDENT_LAKE_PG_DBNAME": "lake",
        "INCIDENT_LAKE_PG_SSLMODE": "require",
    }


# --- against the server -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_cli_export_loads_every_raw_table_and_mart_with_duckdb_values(
    pg_server: PostgresServer, warehouse_con: duckdb.DuckDBPyConnection, cli_env: dict[str, str]
) -> None:
    dsn = pg_server.create_database("il_round_trip")
    completed = _cli("export", "--postgres", dsn, env=cli_env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    output = completed.stdout + completed.stderr
    assert redact_dsn(dsn) in output
    if pg_server.password:
        assert pg_server.password not in output
    _assert_same_tables(warehouse_con, dsn, "raw", exact=True)
    _assert_same_tables(warehouse_con, dsn, "marts", exact=True)
    with psycopg.connect(dsn) as pg:
        # Slack message text stays home by default; the rest of each record is there.
        row = pg.execute(
            "SELECT count(*) FILTER (WHERE _record ?| %s), count(*) FILTER (WHERE _record ? 'ts') "
            "FROM raw.slack_messages",
            [list(SLACK_TEXT_KEYS)],
        ).fetchone()
        assert row is not None and row[0] == 0 and row[1] > 0
        assert pg.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = 'slack_messages' AND column_name = '_record'"
        ).fetchone() == ("jsonb",)
        # No private staging schema is left behind.
        schemas = {r[0] for r in pg.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert not {s for s in schemas if s.endswith("__incoming")}


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_include_message_text_keeps_slack_records_whole(
    pg_server: PostgresServer, small_warehouse: Path, warehouse_con: duckdb.DuckDBPyConnection
) -> None:
    dsn = pg_server.create_database("il_with_text")
    export_to_postgres(small_warehouse, dsn, include_message_text=True, include_marts=False)
    columns = list(duckdb_columns(warehouse_con, "raw", "slack_messages"))
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TimeZone = 'UTC'")
        actual = postgres_rows(pg, "raw", "slack_messages", columns)
        assert postgres_tables(pg, "marts") == []
    expected = duckdb_rows(warehouse_con, "raw", "slack_messages", columns)
    assert any("text" in row[columns.index("_record")] for row in expected)
    assert table_differences(expected, actual, columns, exact=True) == []


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_reexport_replaces_its_own_tables_and_keeps_others(
    pg_server: PostgresServer, small_warehouse: Path
) -> None:
    dsn = pg_server.create_database("il_reexport")
    export_to_postgres(small_warehouse, dsn)
    first = postgres_digest(dsn)
    with psycopg.connect(dsn) as pg:
        pg.execute("CREATE TABLE raw.gone_from_warehouse (x int)")
        pg.execute(f"COMMENT ON TABLE raw.gone_from_warehouse IS '{EXPORT_COMMENT}'")
        pg.execute("CREATE TABLE marts.team_notes (x int)")
        pg.execute("INSERT INTO marts.team_notes VALUES (1)")
        pg.execute("DELETE FROM raw.slack_messages")
    export_to_postgres(small_warehouse, dsn)
    second = postgres_digest(dsn)
    assert "raw.gone_from_warehouse" not in second  # loaded by an export once, no longer in the warehouse
    assert second.pop("marts.team_notes").startswith("1:")  # not loaded by an export: kept
    assert second == first


def _wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
@pytest.mark.parametrize("mistake", ["wrong_password", "closed_port", "missing_database", "malformed"])
def test_wrong_dsn_is_one_clear_line_and_leaves_the_previous_export(
    pg_server: PostgresServer, small_warehouse: Path, cli_env: dict[str, str], mistake: str
) -> None:
    dsn = pg_server.create_database("il_wrong_dsn")
    export_to_postgres(small_warehouse, dsn)
    before, warehouse_before = postgres_digest(dsn), file_digest(small_warehouse)
    secret = "Not-The-Password-42"
    wrong = {
        # a role that does not exist, with a password: refused by trust and password servers alike
        "wrong_password": pg_server.dsn("il_wrong_dsn", user="nobody_here", password=secret),
        "closed_port": pg_server.dsn("il_wrong_dsn", host="127.0.0.1", port="1", password=secret),
        "missing_database": pg_server.dsn("il_no_such_db", password=secret),
        "malformed": f"host=127.0.0.1 password={secret} oops",
    }[mistake]
    completed = _cli("export", "--postgres", wrong, env=cli_env)
    assert completed.returncode != 0
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), completed.stderr
    assert "Postgres" in lines[0]
    assert secret not in completed.stdout + completed.stderr
    assert postgres_digest(dsn) == before
    assert file_digest(small_warehouse) == warehouse_before


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_server_going_away_during_copy_rolls_back(pg_server: PostgresServer, small_warehouse: Path) -> None:
    dsn = pg_server.create_database("il_copy_dies")
    export_to_postgres(small_warehouse, dsn)
    before, warehouse_before = postgres_digest(dsn), file_digest(small_warehouse)
    batches: list[str] = []

    def terminate_after_a_few_batches(table: str, rows: int) -> None:
        batches.append(table)
        if len(batches) == 5:  # mid-load: some tables copied, more to come
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'incident-lake export' AND pid <> pg_backend_pid()"
                )

    with pytest.raises(PostgresExportError) as raised:
        export_to_postgres(small_warehouse, dsn, batch_rows=50, on_batch=terminate_after_a_few_batches)
    message = str(raised.value)
    assert "rolled back" in message and redact_dsn(dsn) in message, message
    assert len(batches) >= 5
    assert postgres_digest(dsn) == before
    assert file_digest(small_warehouse) == warehouse_before


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_server_going_away_during_the_swap_leaves_the_previous_export(
    pg_server: PostgresServer, small_warehouse: Path, cli_env: dict[str, str]
) -> None:
    """The CLI export is stopped where it hurts most: raw already swapped, marts not yet, not committed."""
    dsn = pg_server.create_database("il_swap_dies")
    export_to_postgres(small_warehouse, dsn)
    before, warehouse_before = postgres_digest(dsn), file_digest(small_warehouse)
    with psycopg.connect(dsn) as blocker, psycopg.connect(dsn, autocommit=True) as admin:
        blocker.execute("LOCK TABLE marts.fct_incidents IN ACCESS EXCLUSIVE MODE")

        def export_waiting_on_the_lock() -> bool:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'incident-lake export' "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
            return row is not None and row[0] > 0

        def terminate() -> None:
            _wait_for(export_waiting_on_the_lock)
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'incident-lake export'"
            )

        killer = threading.Thread(target=terminate)
        killer.start()
        completed = _cli("export", "--postgres", dsn, env=cli_env)
        killer.join()
        blocker.rollback()
    assert completed.returncode != 0
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "rolled back" in lines[0], completed.stderr
    if pg_server.password:
        assert pg_server.password not in completed.stdout + completed.stderr
    assert postgres_digest(dsn) == before
    assert file_digest(small_warehouse) == warehouse_before


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_dbt_build_on_postgres_gives_the_duckdb_marts(
    pg_server: PostgresServer,
    small_warehouse: Path,
    warehouse_con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
) -> None:
    """Raw tables exported (only), then `dbt build --target postgres`: every mart, every column equal."""
    dsn = pg_server.create_database("il_dbt")
    export_to_postgres(small_warehouse, dsn, include_marts=False)
    # On-call hours count up to the build: this build counts them up to the DuckDB build's instant (the
    # `build_time` var), read back from its shifts, so both count the same hours.
    built = build_time_of(warehouse_con)
    assert built is not None, "no shift was running at the DuckDB build: its on-call hours cannot be pinned"
    pinned = ("--vars", json.dumps({"build_time": built.isoformat()}))
    # Its own target folder: dbt_project/target holds the DuckDB manifest Dagster loads.
    run = dbt_build(tmp_path, dbt_env(dsn), "--target", "postgres", *pinned, timeout=900)
    assert run.returncode == 0, run.output[-4000:]
    shifts: list[float] = []
    _assert_same_tables(warehouse_con, dsn, "marts", exact=False, clock_shifts=shifts)
    # The open ages differ only by the time between the DuckDB build (the CLI run) and this one.
    assert shifts, "no open follow-up: the clock columns were not compared"
    assert max(shifts) - min(shifts) < 0.01, (min(shifts), max(shifts))
    assert 0 <= shifts[0] <= time.time() - small_warehouse.stat().st_mtime + 60
