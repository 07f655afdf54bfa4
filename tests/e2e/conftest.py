"""Shared end-to-end fixture: the whole pipeline through the real CLI, run twice, on the small
sandbox over HTTP. Tests compare the warehouse with the generator's own truth (`pipelines.sandbox.truth`).
Mark end-to-end tests with `pytest.mark.xdist_group("e2e")` so one worker runs the pipeline once."""

from __future__ import annotations

import duckdb
import pytest
from e2e_support import SECRET_VARS, clean_env, raw_counts, run_cli

from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    org = generate_organisation("small", seed=7)
    with SandboxServer(org) as server:
        env = {**clean_env(tmp), **server.env()}
        first = run_cli("run", env=env, cwd=tmp)
        assert first.returncode == 0, first.stderr[-3000:]
        counts_after_first = raw_counts(tmp / "warehouse.duckdb")
        second = run_cli("run", env=env, cwd=tmp)
        assert second.returncode == 0, second.stderr[-3000:]
        secrets = [server.env()[name] for name in SECRET_VARS]
    con = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    yield {
        "org": org,
        "con": con,
        "tmp": tmp,
        "outputs": first.stdout + first.stderr + second.stdout + second.stderr,
        "secrets": secrets,
        "counts_after_first": counts_after_first,
    }
    con.close()
