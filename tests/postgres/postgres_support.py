"""A PostgreSQL server for the tests, and helpers that read and compare DuckDB and Postgres tables.

The server: `INCIDENT_LAKE_TEST_POSTGRES_DSN` when set (a superuser or a role that may create
databases), otherwise a throwaway cluster made with `initdb` found on the PATH or in
/usr/lib/postgresql/*/bin, listening on 127.0.0.1 on a free port, with password authentication (so a
wrong password is really refused). initdb refuses to run as root: as root it runs as the `postgres` user
(`runuser`), in a temporary folder that user owns.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

DSN_VARIABLE = "INCIDENT_LAKE_TEST_POSTGRES_DSN"
REQUIRE_VARIABLE = "INCIDENT_LAKE_REQUIRE_POSTGRES"


class NoPostgres(Exception):
    """Neither a DSN nor initdb: the tests skip (or fail, when INCIDENT_LAKE_REQUIRE_POSTGRES=1)."""


@dataclass(frozen=True)
class PostgresServer:
    admin_dsn: str  # a role that may create databases, connected to an existing database

    def dsn(self, dbname: str, **overrides: str) -> str:
        parts = {**conninfo_to_dict(self.admin_dsn), "dbname": dbname, **overrides}
        return make_conninfo("", **parts)

    @property
    def password(self) -> str | None:
        value = conninfo_to_dict(self.admin_dsn).get("password")
        return str(value) if value else None

    def create_database(self, name: str) -> str:
        """A fresh, empty database (dropped first if a previous run left it); returns its DSN."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)


def _find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    return max(candidates, key=lambda p: int(Path(p).parts[-3])) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The configured server, or a throwaway one for the duration of the block."""
    configured = os.environ.get(DSN_VARIABLE)
    if configured:
        yield PostgresServer(configured)
        return
    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise NoPostgres(
            f"no PostgreSQL server: set {DSN_VARIABLE} or install PostgreSQL so that initdb is on the PATH "
            "or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)"
        )
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="incident-lake-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            raise NoPostgres("running as root and there is no `postgres` user to run initdb as") from None
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    password = "pw-" + secrets.token_hex(8)
    port = _free_port()
    data, log = folder / "data", folder / "server.log"
    password_file = folder / "password"
    password_file.write_text(password + "\n")
    if prefix:
        os.chown(password_file, owner.pw_uid, owner.pw_gid)

    def run(*args: str) -> None:
        completed = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if completed.returncode != 0:
            details = (completed.stderr or completed.stdout).strip()[-2000:]
            if log.exists():
                details += "\n" + log.read_text()[-2000:]
            raise RuntimeError(f"{' '.join(args[:2])} failed: {details}")

    try:
        run(
            initdb, "-D", str(data), "-U", "postgres", f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        # Throwaway data: no fsync; sockets in our folder (the system's may not be writable).
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        run(pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
        try:
            yield PostgresServer(
                make_conninfo(
                    "",
                    host="127.0.0.1",
                    port=str(port),
                    user="postgres",
                    password=password,
                    dbname="postgres",
                )
            )
        finally:
            subprocess.run(
                [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- reading and comparing -----------------------------------------------------------------------------


def duckdb_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = ? AND table_type = 'BASE TABLE' "
        "AND NOT starts_with(table_name, '_') ORDER BY 1",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def duckdb_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


def duckdb_rows(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str]
) -> list[tuple[Any, ...]]:
    types = duckdb_columns(con, schema, table)
    select = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f'SELECT {select} FROM "{schema}"."{table}"').fetchall()
    json_positions = {i for i, c in enumerate(columns) if types[c] == "JSON"}
    return [
        tuple(json.loads(v) if i in json_positions and v is not None else v for i, v in enumerate(row))
        for row in rows
    ]


def postgres_tables(con: psycopg.Connection[Any], schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY 1",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def postgres_columns(con: psycopg.Connection[Any], schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


def postgres_rows(
    con: psycopg.Connection[Any], schema: str, table: str, columns: list[str]
) -> list[tuple[Any, ...]]:
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema, table)
    )
    return [tuple(row) for row in con.execute(query).fetchall()]


def _normal(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sort_key(row: tuple[Any, ...], skip: frozenset[int] = frozenset()) -> tuple[Any, ...]:
    """Orders rows the same way on both sides, whatever float noise (floats rounded for ordering only)."""
    key = []
    for i, value in enumerate(row):
        if i in skip or value is None:
            key.append((0, ""))
        elif isinstance(value, float):
            key.append((1, f"{round(value, 3):.3f}"))
        elif isinstance(value, dict | list):
            key.append((1, json.dumps(value, sort_keys=True)))
        else:
            key.append((1, str(value)))
    return tuple(key)


def _values_equal(left: Any, right: Any, exact: bool) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return left == right if exact else math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-6)
    return bool(left == right)


def table_differences(
    expected: list[tuple[Any, ...]],
    actual: list[tuple[Any, ...]],
    columns: list[str],
    *,
    exact: bool,
    clock_columns: frozenset[str] = frozenset(),
    clock_shifts: list[float] | None = None,
) -> list[str]:
    """Human-readable differences between two row sets (empty when equal): counts, then the first rows.

    `clock_columns` hold ages measured at build time (`current_timestamp - created_at`): two builds at
    different moments differ there by their time apart, so `actual - expected` goes to `clock_shifts`
    for the caller to check that it is one and the same shift on every row.
    """
    if len(expected) != len(actual):
        return [f"{len(expected)} rows expected, {len(actual)} found"]
    skip = frozenset(i for i, c in enumerate(columns) if c in clock_columns)
    left = sorted((tuple(_normal(v) for v in row) for row in expected), key=lambda r: _sort_key(r, skip))
    right = sorted((tuple(_normal(v) for v in row) for row in actual), key=lambda r: _sort_key(r, skip))
    problems = []
    for row_left, row_right in zip(left, right, strict=True):
        for i, (column, a, b) in enumerate(zip(columns, row_left, row_right, strict=True)):
            if i in skip and isinstance(a, float) and isinstance(b, float):
                if clock_shifts is not None:
                    clock_shifts.append(b - a)
            elif not _values_equal(a, b, exact):
                problems.append(f"{column}: {a!r} != {b!r} (row {row_left[:3]!r}…)")
        if len(problems) >= 5:
            break
    return problems


def postgres_digest(dsn: str) -> dict[str, str]:
    """Every table of schemas raw and marts (and any other non-system schema) -> row count and md5 of its
    rows: equal digests mean Postgres was left untouched."""
    digest: dict[str, str] = {}
    with psycopg.connect(dsn) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            row = con.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                    "FROM {} t"
                ).format(sql.Identifier(schema, table))
            ).fetchone()
            assert row is not None
            digest[f"{schema}.{table}"] = f"{row[0]}:{row[1]}"
    return digest


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
