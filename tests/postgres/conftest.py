"""Fixtures of the Postgres tests: one PostgreSQL server and one small-sandbox warehouse per session.

Every test here is in xdist group "postgres" (one worker: one server, one copy of the warehouse). The
warehouse is a copy of the session's shared one (tests/conftest.py): the small sandbox synced over HTTP,
built by dbt on DuckDB, through the real CLI.
Without a server the tests skip with the reason, unless INCIDENT_LAKE_REQUIRE_POSTGRES=1 (CI) makes
that a failure.

No __init__.py on purpose (as in tests/dbt): modules here are imported by their basename.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from postgres_support import REQUIRE_VARIABLE, NoPostgres, PostgresServer, postgres_server

if TYPE_CHECKING:  # the fixture's class (tests/conftest.py), for the hint only
    from tests.conftest import SharedWarehouse

# The end-to-end helpers (run the real CLI with a clean environment) are shared, not copied.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import clean_env


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        with postgres_server() as server:
            yield server
    except NoPostgres as reason:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but {reason}")
        pytest.skip(str(reason))


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_warehouse: SharedWarehouse) -> Path:
    """The small sandbox (seed 7) synced and built by `incident-lake run`: raw.* and marts.* on DuckDB.
    A copy of the session's shared warehouse, as the CLI's exports here write next to it."""
    return shared_warehouse.copy_to(tmp_path_factory.mktemp("pg_warehouse"))


@pytest.fixture
def warehouse_con(small_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    from pipelines.settings import get_settings

    # The export opens this file in this process too: DuckDB wants one configuration per open file.
    con = duckdb.connect(str(small_warehouse), read_only=True, config=get_settings().duckdb_config())
    con.execute("SET TimeZone = 'UTC'")
    try:
        yield con
    finally:
        con.close()


@pytest.fixture
def cli_env(small_warehouse: Path) -> dict[str, str]:
    """The CLI's environment for the warehouse above (no source credentials, no Postgres variables)."""
    env = clean_env(small_warehouse.parent)
    env.pop("INCIDENT_LAKE_POSTGRES_DSN", None)
    return {k: v for k, v in env.items() if not k.startswith("PG")}
