"""Run one side of a comparison in its own process and measure it: wall time and peak memory.

Peak RSS is the larger of (a) the peak of the summed resident memory of the process tree, sampled
every 20 ms with psutil, and (b) the kernel's own high-water mark of the largest process in the
tree (`wait4`'s `ru_maxrss`), which catches spikes between samples.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # psutil comes with the `bench` extra; the report and its tests run without it
    import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    """One child process: what it printed last as JSON, and how long / how big it was."""

    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    cpu_seconds: float = 0.0  # user + system CPU of the process tree (the children it waited for)
    report: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""


def _tree_rss(proc: psutil.Process) -> int:
    import psutil

    total = 0
    try:
        total += proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
    except psutil.Error:
        pass
    return total


def run_measured(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 3600,
    python: bool = True,
    drop: tuple[str, ...] = (),
) -> Measured:
    """Run `python args...` (or `args` when `python=False`) with this environment plus `env`, less the
    variables named in `drop`; parse the last stdout line that is JSON."""
    import psutil

    cmd = [sys.executable, *args] if python else args
    full_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k not in drop}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(watched))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killer = threading.Timer(timeout, proc.kill)  # a hung side must not hang the benchmark
    killer.daemon = True
    killer.start()
    out_lines: list[str] = []
    err_lines: list[str] = []
    readers = [
        threading.Thread(target=lambda: out_lines.extend(proc.stdout or []), daemon=True),
        threading.Thread(target=lambda: err_lines.extend(proc.stderr or []), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # already reaped
        status, usage = 0, None
    wall = time.perf_counter() - started
    killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for reader in readers:
        reader.join(timeout=10)
    cpu = 0.0
    if usage is not None:
        peak = max(peak, usage.ru_maxrss * 1024)
        cpu = usage.ru_utime + usage.ru_stime
    report: dict[str, Any] = {}
    for line in reversed(out_lines):
        line = line.strip()
        if line.startswith("{"):
            try:
                report = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    return Measured(
        wall_seconds=wall,
        peak_rss_mb=peak / 2**20,
        returncode=proc.returncode,
        cpu_seconds=cpu,
        report=report,
        stderr_tail="".join(err_lines[-30:]),
    )


def check(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {measured.returncode}):\n{measured.stderr_tail}")
    return measured
