"""The one sandbox server a benchmark run talks to, in its own process.

`python -m bench.sandbox SIZE [FAULTS]` generates the organisation, serves it on a free loopback port
and prints one JSON line: the env vars that point the pipeline at it, and the record counts.
`SandboxProcess` starts it, reads that line, reads or resets the request counters and changes the
organisation (`mutate`) over HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

import httpx

from bench.measure import ROOT


def serve(size: str, faults: str | None) -> None:
    from pipelines.sandbox.generator import generate_organisation
    from pipelines.sandbox.server import SandboxServer

    org = generate_organisation(size, 42)
    server = SandboxServer(org, faults=faults or None).start()
    print(json.dumps({"env": server.env(), "base_url": server.base_url, "counts": org.counts()}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    finally:
        server.stop()


class SandboxProcess:
    """`with SandboxProcess("default") as sandbox: sandbox.env, sandbox.stats(), sandbox.reset()`."""

    def __init__(self, size: str, faults: str | None = None) -> None:
        self.size = size
        self.faults = faults
        self.env: dict[str, str] = {}
        self.base_url = ""
        self.counts: dict[str, int] = {}
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SandboxProcess:
        args = [sys.executable, "-m", "bench.sandbox", self.size, *([self.faults] if self.faults else [])]
        self._proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.size} sandbox did not start (exit {self._proc.wait()})")
        info = json.loads(line)
        self.env, self.base_url, self.counts = info["env"], info["base_url"], info["counts"]
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is None:
            return
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/_sandbox/stats", timeout=30).json()

    def reset(self) -> None:
        httpx.delete(f"{self.base_url}/_sandbox/stats", timeout=30)

    def mutate(self, kind: str | None = None) -> dict[str, Any]:
        """Apply the sandbox's next change set (`kind="typical_hour"`: one typical hour of change, see
        `pipelines.sandbox.mutations.typical_hour`); returns its summary. Raises on an error answer."""
        params = {"kind": kind} if kind else {}
        response = httpx.post(f"{self.base_url}/_sandbox/mutate", params=params, timeout=120)
        response.raise_for_status()
        return dict(response.json())

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        import psutil

        times = psutil.Process(self.pid()).cpu_times()
        return float(times.user + times.system)

    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
