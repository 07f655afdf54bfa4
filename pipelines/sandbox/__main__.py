"""`python -m pipelines.sandbox [--size S] [--seed N] [--faults SPEC] [--port P] [--measure]`

Serves the sandbox (as `incident-lake sandbox` does), or with `--measure` only generates the organisation
and prints how long that took and its record counts.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from pipelines.sandbox.faults import FaultSpec
from pipelines.sandbox.generator import SIZES, generate_organisation
from pipelines.sandbox.server import run_sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sandbox")
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--faults",
        default=None,
        help="e.g. 429=0.05,seed=7 or profile=restricted_key or stuck=zoom_participants (see README.md)",
    )
    parser.add_argument("--measure", action="store_true", help="generate only; print time and counts")
    args = parser.parse_args(argv)
    try:
        FaultSpec.parse(args.faults)
    except ValueError as exc:
        parser.error(str(exc))
    if args.measure:
        started = time.perf_counter()
        org = generate_organisation(args.size, args.seed)
        elapsed = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            json.dumps(
                {
                    "size": args.size,
                    "seconds": round(elapsed, 2),
                    "max_rss_mb": rss_mb,
                    "counts": org.counts(),
                },
                indent=2,
            )
        )
        return
    run_sandbox(args.host, args.port, args.size, args.seed, args.faults)


if __name__ == "__main__":
    main()
