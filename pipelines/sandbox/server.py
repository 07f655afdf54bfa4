"""Run the sandbox: `SandboxServer` (a context manager, uvicorn in a background thread) and `run_sandbox`
(for the `incident-lake sandbox` command)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from pipelines.sandbox.app import build_app
from pipelines.sandbox.faults import FaultSpec, Stats
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.model import Organisation


class SandboxServer:
    """Serve the four simulated APIs for `org` on loopback.

    >>> with SandboxServer(generate_organisation("small")) as server:
    ...     os.environ.update(server.env())

    `port=0` picks a free port. `faults` is a `FaultSpec` or its string form (see `faults.py`);
    `zoom_token_ttl` shortens Zoom access tokens (seconds) so tests can see them expire.
    """

    def __init__(
        self,
        org: Organisation,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSpec | str | None = None,
        zoom_token_ttl: float = 3599.0,
    ) -> None:
        self.org = org
        self.host = host
        self.app, self.state = build_app(org, faults, zoom_token_ttl)
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as e:
            self._sock.close()
            raise RuntimeError(
                f"the sandbox cannot listen on {host}:{port} ({e.strerror}): choose another port"
            ) from e
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------- lifecycle
    def start(self) -> SandboxServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox server did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=5)
        if self._thread.is_alive():  # a held (timeout-fault) response: stop waiting for it
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._thread = None
        self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_forever(self, poll: Callable[[], bool] | None = None) -> None:
        """Block until Ctrl-C (or until `poll()` returns True), then shut down cleanly."""
        self.start()
        try:
            while poll is None or not poll():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ---------------------------------------------------------------------------------- properties
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> Stats:
        """Request counters per API and path template (also at `GET /_sandbox/stats`)."""
        return self.state.stats

    def env(self) -> dict[str, str]:
        """The environment variables (docs/contract.md#configuration) pointing the pipeline here."""
        c = self.org.credentials
        base = self.base_url
        return {
            "INCIDENTIO_API_KEY": c.incidentio_api_key,
            "INCIDENTIO_BASE_URL": f"{base}/incidentio",
            "SLACK_BOT_TOKEN": c.slack_bot_token,
            "SLACK_BASE_URL": f"{base}/slack/api/",
            "ZOOM_ACCOUNT_ID": c.zoom_account_id,
            "ZOOM_CLIENT_ID": c.zoom_client_id,
            "ZOOM_CLIENT_SECRET": c.zoom_client_secret,
            "ZOOM_BASE_URL": f"{base}/zoom/v2",
            "ZOOM_OAUTH_URL": f"{base}/zoom/oauth/token",
            "PAGERDUTY_API_TOKEN": c.pagerduty_api_token,
            "PAGERDUTY_BASE_URL": f"{base}/pagerduty",
            **self.rate_env(),
        }

    def rate_env(self) -> dict[str, str]:
        """Client budgets that match this server: its own (compressed) limits when it enforces any,
        else none, so syncs against an unlimited sandbox are not slowed to the real APIs' pace."""
        spec = self.state.faults
        limited = spec.budget or spec.slack_profile != "tier3"
        env = {"INCIDENT_LAKE_RATE_SCALE": f"{spec.speed:g}" if limited else "0"}
        if spec.slack_profile == "nonmarketplace":
            env["SLACK_RATE_PROFILE"] = "nonmarketplace"
        return env

    def mutate(self, step: int | None = None) -> dict[str, Any]:
        return self.org.mutate(step)


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 8765,
    size: str = "default",
    seed: int = 42,
    faults: str | None = None,
    print_fn: Callable[[str], None] = print,
    until: Callable[[], bool] | None = None,
) -> None:
    """Generate the organisation, serve it, print `export X=...` lines, block until Ctrl-C (or `until()`)."""
    spec = FaultSpec.parse(faults)  # fail on a bad spec before the (possibly long) generation
    started = time.monotonic()
    org = generate_organisation(size, seed)
    server = SandboxServer(org, host=host, port=port, faults=spec)
    counts = org.counts()
    print_fn(
        f"# incident-lake sandbox: size={size} seed={seed} generated in {time.monotonic() - started:.1f}s "
        f"({counts['incidentio_incidents']} incidents, {counts['slack_messages']} Slack messages, "
        f"{counts['zoom_instances']} calls, {counts['pagerduty_incidents']} PagerDuty incidents)"
    )
    if spec.active or spec.budget or spec.slack_profile != "tier3" or spec.changes_answers:
        print_fn(f"# faults: {spec}")
    for key, value in server.env().items():
        print_fn(f"export {key}={value}")
    print_fn(f"# serving on {server.base_url} (stats: {server.base_url}/_sandbox/stats); Ctrl-C to stop")
    server.serve_forever(until)
