"""Where the time goes: one side of the ingest comparison under py-spy (every thread sampled).

    python -m bench.profile ours|dlt|sandbox [--size default] [--rate 200] [--gil]

`ours`/`dlt` profile that side's process; `sandbox` profiles the sandbox server while our sync runs.
Writes the collapsed stacks to `bench/profiles/<side>-<size>.folded` and a summary (the functions with
the most samples, self and inclusive, and the share of each area: HTTP, JSON, DuckDB, …) to
`bench/profiles/<side>-<size>.txt`, and prints the summary. `--gil` samples only the thread that holds
the GIL: where a GIL-bound process spends its one core. Not part of `make bench` (py-spy needs
ptrace rights); BENCHMARKS.md quotes these summaries.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.measure import ROOT
from bench.sandbox import SandboxProcess

OUT = ROOT / "bench" / "profiles"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
# Areas, checked in order against the frames of a stack from the leaf up: the first that matches wins.
AREAS = (
    ("DuckDB (SQL execution, inserts)", ("duckdb",)),
    ("pyarrow", ("pyarrow",)),
    ("JSON encode/decode", ("orjson", "json/decoder", "json/encoder", "simplejson", "ujson")),
    (
        "HTTP client (httpx/httpcore/requests/urllib3/slack_sdk)",
        ("httpx", "httpcore", "requests/", "urllib3", "slack_sdk", "http/client"),
    ),
    (
        "dlt normalize (schema inference, relational)",
        ("dlt/normalize", "dlt/common/normalizers", "dlt/common/schema"),
    ),
    (
        "dlt extract (items, pipes, buffered writers)",
        ("dlt/extract", "dlt/common/storages", "dlt/common/data_writers"),
    ),
    ("dlt load / destination", ("dlt/load", "dlt/destinations")),
    ("dlt other", ("dlt/",)),
    ("record shaping (connectors, time parsing)", ("pipelines/connectors",)),
    ("raw writer", ("pipelines/warehouse",)),
    ("sync orchestration", ("pipelines/ingest",)),
    ("sandbox (Starlette/uvicorn handlers)", ("pipelines/sandbox", "starlette", "uvicorn", "h11", "asyncio")),
    ("threading / waiting", ("threading.py", "concurrent/futures", "queue.py", "selectors.py")),
    ("imports / start-up", ("<frozen importlib", "importlib")),
)


def _frames(stack: str) -> list[str]:
    return [
        f for f in stack.split(";") if f and not f.startswith("thread (") and not f.startswith("process ")
    ]


def summarise(folded: Path, top: int = 25) -> str:
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            incl_counts[frame] += count
        for name, needles in AREAS:
            if any(any(n in frame for n in needles) for frame in reversed(frames[-6:])):
                areas[name] += count
                break
        else:
            areas["other Python"] += count
    if not total:
        return "no samples\n"

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    lines = [f"{total} samples (all threads, not idle)", "", "share by area (leaf-most 6 frames):"]
    lines += [f"  {pct(n)}  {name}" for name, n in areas.most_common()]
    lines += ["", f"top {top} functions by own samples:"]
    lines += [f"  {pct(n)}  {frame}" for frame, n in self_counts.most_common(top)]
    lines += ["", f"top {top} functions by inclusive samples:"]
    lines += [f"  {pct(n)}  {frame}" for frame, n in incl_counts.most_common(top)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("side", choices=["ours", "dlt", "sandbox"])
    parser.add_argument("--size", default="default")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--gil", action="store_true", help="only samples of the thread holding the GIL")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"{args.side}-{args.size}{'-gil' if args.gil else ''}"
    folded = OUT / f"{name}.folded"
    scratch = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    record = [spy, "record", "--format", "raw", "--rate", str(args.rate), "--nonblocking", "-o", str(folded)]
    if args.gil:
        record.append("--gil")
    try:
        with SandboxProcess(args.size) as sandbox:
            env = {**os.environ, **sandbox.env, "RUNTIME__DLTHUB_TELEMETRY": "false"}
            if args.side == "sandbox":
                spy_proc = subprocess.Popen([*record, "--pid", str(sandbox.pid())], stderr=subprocess.DEVNULL)
                time.sleep(1)
                subprocess.run(
                    [sys.executable, "-m", "bench.ours", str(scratch / "w.duckdb")],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                spy_proc.send_signal(2)  # SIGINT: py-spy writes what it sampled
                spy_proc.wait(timeout=60)
            else:
                target = (
                    ["-m", "bench.ours", str(scratch / "w.duckdb")]
                    if args.side == "ours"
                    else ["-m", "bench.dlt_pipeline", str(scratch / "dlt")]
                )
                subprocess.run([*record, "--", sys.executable, *target], cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    summary = summarise(folded)
    (OUT / f"{name}.txt").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
