"""The server itself: environment, quick start and clean stop, the CLI helper, no secrets in the source."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from pipelines.sandbox import Organisation, SandboxServer, run_sandbox

DESIGN_VARS = {
    "INCIDENTIO_API_KEY",
    "INCIDENTIO_BASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_BASE_URL",
    "ZOOM_ACCOUNT_ID",
    "ZOOM_CLIENT_ID",
    "ZOOM_CLIENT_SECRET",
    "ZOOM_BASE_URL",
    "ZOOM_OAUTH_URL",
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_BASE_URL",
}


def test_env_is_exactly_the_design_variables(server: SandboxServer) -> None:
    env = server.env()
    # Plus the client budget that matches the server: none for an unlimited sandbox.
    assert set(env) == DESIGN_VARS | {"INCIDENT_LAKE_RATE_SCALE"}
    assert env["INCIDENT_LAKE_RATE_SCALE"] == "0"
    assert env["SLACK_BOT_TOKEN"].startswith("xoxb-") and env["SLACK_BASE_URL"].endswith("/slack/api/")
    assert all(v.startswith(server.base_url) for k, v in env.items() if k.endswith("_URL"))


def test_starts_fast_and_stops_cleanly(org: Organisation, http: httpx.Client) -> None:
    started = time.monotonic()
    server = SandboxServer(org).start()
    assert time.monotonic() - started < 2
    assert http.get(server.base_url + "/_sandbox/health").json()["ok"] is True
    stopped = time.monotonic()
    server.stop()
    assert time.monotonic() - stopped < 3
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", server.port)) != 0


def test_stops_while_a_response_is_held(org: Organisation, http: httpx.Client) -> None:
    server = SandboxServer(org, faults="timeout=1,delay=30").start()
    with contextlib.suppress(httpx.ReadTimeout):
        http.get(server.base_url + "/pagerduty/services", timeout=0.2)
    stopped = time.monotonic()
    server.stop()
    assert time.monotonic() - stopped < 8


def test_run_sandbox_prints_exports() -> None:
    lines: list[str] = []
    run_sandbox(port=0, size="small", seed=1, faults="429=0.1", print_fn=lines.append, until=lambda: True)
    exports = [line for line in lines if line.startswith("export ")]
    names = {line.split("=", 1)[0].removeprefix("export ") for line in exports}
    assert names == DESIGN_VARS | {"INCIDENT_LAKE_RATE_SCALE"}
    assert any("faults" in line for line in lines)


def test_no_token_shaped_literals_in_the_source() -> None:
    shaped = re.compile(r"(xox[abpr]-[0-9A-Za-z-]{10,}|u\+[A-Za-z0-9_-]{18,})")
    root = Path(__file__).resolve().parents[2] / "pipelines" / "sandbox"
    for path in root.rglob("*.py"):
        assert not shaped.search(path.read_text()), path


def test_a_busy_port_is_a_clear_error(server: SandboxServer, org: Organisation) -> None:
    with pytest.raises(RuntimeError, match="choose another port"):
        SandboxServer(org, port=server.port)
