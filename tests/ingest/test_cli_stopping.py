"""`incident-lake sync` as cron, Dagster or Kubernetes stop it: SIGTERM while every API hangs ends the
command within 10 s, with one line and the exit status of a terminated process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb

from pipelines.ingest.sources import SOURCES
from pipelines.sandbox.faults import FaultSpec
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer

SOURCE_PREFIXES = ("INCIDENTIO_", "SLACK_", "ZOOM_", "PAGERDUTY_")


def test_sigterm_during_the_sync_command_stops_it_within_10_s_with_one_line(tmp_path):
    org = generate_organisation("small", seed=9)
    warehouse = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SOURCE_PREFIXES)}
    # Every request is held 60 s (longer than the HTTP timeout): the sync can only wait.
    with SandboxServer(org, faults=FaultSpec.parse("timeout=1,delay=60")) as server:
        env.update(server.env(), INCIDENT_LAKE_DB=str(warehouse), DO_NOT_TRACK="1")
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "sync"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        # The command may parse the dbt project first: wait until the sync is talking to the APIs.
        deadline = time.monotonic() + 240
        while server.stats.total() < 4 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert server.stats.total() >= 4, "the sync never reached the APIs"
        time.sleep(1)
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        seconds = time.monotonic() - asked
    assert seconds < 10, seconds
    assert process.returncode == 143, (process.returncode, err)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: raw_sources stopped by a signal"), lines
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = dict(con.execute("SELECT source, status FROM meta.sync_runs").fetchall())
    assert runs == {s: "stopped" for s in SOURCES}
