"""`python -m bench`: run the sections, merge them into `bench/results.json`, print a table.

    python -m bench                                  # every section, sizes small default large
    python -m bench --sizes small                    # a quick run (every section on `small`)
    python -m bench --sections ingest,requests       # some sections; the others keep their last figures

Sizes (also `BENCH_SIZES`): the ingest, requests and rate-limit sections use `default` when it is among
the sizes (else the largest given), scaling uses every size, the dashboard the largest.
After the run, every goal of issue 15 (`bench/goals.py`) is printed with its figure and met/missed, and
kept in results.json under `goals`. `BENCH_RESULTS=/tmp/x/results.json`: a trial that writes there (and
its warehouses to /tmp/x/work) and leaves bench/results.json, BENCHMARKS.md and data/ alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import sections
from bench.goals import format_goal, format_value, headline_targets, judge, meets
from bench.measure import ROOT
from bench.report import goals_json, update_benchmarks_md

# BENCH_RESULTS: write somewhere else (a trial run that must not replace the committed figures).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results.json")
SECTIONS = ("requests", "rate_limited", "ingest", "scaling", "dashboard")  # run in this order
ALL_SIZES = ("small", "default", "large")
HEADLINE_KEYS = {
    "ingest_vs_dlt_speedup": ("ingest", "ingest_vs_dlt_speedup"),
    "ingest_vs_dlt_peak_rss_ratio": ("ingest", "ingest_vs_dlt_peak_rss_ratio"),
    "ingest_over_floor": ("ingest", "ingest_over_floor"),
    "full_sync_requests_over_minimum": ("requests", "full_sync_requests_over_minimum"),
    "resync_requests_over_full": ("requests", "resync_requests_over_full"),
    "rate_limited_wall_over_bound": ("rate_limited", "rate_limited_wall_over_bound"),
}


def machine() -> dict[str, Any]:
    import duckdb
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import dlt

        dlt_version = dlt.__version__
    except ImportError:
        dlt_version = None
    cores = os.cpu_count() or 0
    memory = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()
    description = (
        f"{cpu}, {cores} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, dlt {dlt_version}; "
        f"load average {load[0]:.1f} at the start (the cores are shared with other jobs)"
    )
    return {
        "description": description,
        "cpu": cpu,
        "cores": cores,
        "memory_gib": round(memory, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dlt": dlt_version,
        "load_average_at_start": [round(x, 2) for x in load],
    }


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def load_results() -> dict[str, Any]:
    if RESULTS.exists():
        try:
            return json.loads(RESULTS.read_text())
        except json.JSONDecodeError:
            pass
    return {}


def headline(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (section, field) in HEADLINE_KEYS.items():
        out[key] = (results.get("sections", {}).get(section) or {}).get(field)
    return out


def _log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def run(sizes: list[str], wanted: list[str], rounds: int, speed: float, dashboard_repeat: int) -> dict:
    results = load_results()
    stored = results.get("sections", {})
    comparison_size = "default" if "default" in sizes else sizes[-1]
    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "ingest": lambda: sections.ingest(comparison_size, rounds, _log),
        "requests": lambda: sections.requests_section(comparison_size, _log),
        "rate_limited": lambda: sections.rate_limited(
            comparison_size, speed, _full_requests(stored, comparison_size), _log
        ),
        "scaling": lambda: sections.scaling(sizes, rounds, _log),
        "dashboard": lambda: sections.dashboard(sizes[-1], dashboard_repeat, _log),
    }
    started = time.perf_counter()
    results["machine"] = machine()["description"]
    results["machine_details"] = machine()
    for name in SECTIONS:
        if name not in wanted:
            continue
        _log(f"section {name} …")
        clock = time.perf_counter()
        data = runs[name]()
        data["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        data["section_seconds"] = round(time.perf_counter() - clock, 1)
        data["commit"] = git_commit()
        data["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        stored[name] = data
        results = _merge_and_write(
            name, data, results
        )  # after every section: a crash keeps what was measured
    results["last_run"] = {
        "sections": wanted,
        "sizes": sizes,
        "seconds": round(time.perf_counter() - started, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write(results)
    return results


def _merge_and_write(name: str, data: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """Re-read the file (another run may have written other sections meanwhile) and set one section."""
    results = load_results()
    results.setdefault("sections", {})[name] = data
    results["machine"] = ours["machine"]
    results["machine_details"] = ours["machine_details"]
    results.update(headline(results))
    results["goals"] = goals_json(results)
    _write(results)
    return results


def _full_requests(stored: dict[str, Any], size: str) -> dict[str, dict[str, int]] | None:
    section = stored.get("requests") or {}
    return section.get("full_sync_requests_raw") if section.get("size") == size else None


def _write(results: dict[str, Any]) -> None:
    ordered = {k: results[k] for k in ("machine", *HEADLINE_KEYS) if k in results}
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(ordered, indent=2, sort_keys=False, default=str) + "\n")


def _cell(data: dict[str, Any] | None, a: str, b: str, fmt: str) -> str:
    """`fmt` filled with `data[a]` and `data[b]`; `—` when either is missing."""
    if not data or data.get(a) is None or data.get(b) is None:
        return "—"
    return fmt.format(data[a], data[b])


def print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(130, Console().width))
    s = results.get("sections", {})
    table = Table(title=f"incident-lake benchmark — {results.get('machine', '')}", show_lines=False)
    table.add_column("key")
    table.add_column("value", justify="right")
    table.add_column("target")
    targets = headline_targets()
    for key in HEADLINE_KEYS:
        value = results.get(key)
        target = targets.get(key)
        mark = ""
        if target and value is not None:
            ok = meets(target[0], target[1], value)
            mark = f"{target[0]} {target[1]:g} {'met' if ok else 'MISSED'}"
        table.add_row(key, "—" if value is None else f"{value:g}", mark)
    console.print(table)

    if ing := s.get("ingest"):
        t = Table(title=f"1–2. ingest, {ing['size']} ({ing['records']} records, median of {ing['rounds']})")
        for c in ("side", "seconds", "records/s", "peak RSS MB", "process wall s"):
            t.add_column(c, justify="right" if c != "side" else "left")
        for side in ("ours", "dlt", "floor"):
            x = ing[side]
            t.add_row(
                side,
                f"{x['seconds']:.2f}",
                f"{x['records_per_second']:.0f}",
                f"{x['peak_rss_mb']:.0f}",
                f"{x['process_wall_seconds']:.2f}",
            )
        console.print(t)
    if req := s.get("requests"):
        t = Table(title=f"3. requests, {req['size']}")
        for c in ("api", "endpoint", "full sync", "minimum", "over min", "re-sync"):
            t.add_column(c)
        for e in req["endpoints"]:
            t.add_row(
                e["api"],
                e["endpoint"],
                str(e["full_sync"]),
                str(e["minimum"]),
                "—" if e["over_minimum"] is None else f"{e['over_minimum']:.2f}",
                str(e["resync"]),
            )
        t.add_row(
            "all",
            "",
            str(req["full_sync_requests"]),
            str(req["minimum_requests"]),
            f"{req['full_sync_requests_over_minimum']:.2f}",
            f"{req['resync_requests']} ({req['resync_seconds']:.1f}s vs {req['full_sync_seconds']:.1f}s)",
        )
        console.print(t)
    if rl := s.get("rate_limited"):
        bound = rl["bound_seconds"]
        console.print(
            f"4. rate-limited ({rl['faults']}, {rl['size']}): {rl['seconds']:.1f}s against a bound of "
            f"{bound:.1f}s ({rl['bound_binding_api']}) = {rl['rate_limited_wall_over_bound']}×; at real "
            f"speed ≈ {rl['seconds_at_real_speed'] / 60:.1f} min vs {rl['bound_at_real_speed'] / 60:.1f} min"
        )
    if sc := s.get("scaling"):
        steps = [k for k in sections.STEPS if any(k in row for row in sc["sizes"].values())]
        t = Table(title="5. scaling (CLI through Dagster: wall s / peak RSS MB; growth per 10× data)")
        for c in ("size", "records", *steps):
            t.add_column(c)
        for size, row in sc["sizes"].items():
            t.add_row(
                size,
                str(row["raw_records"]),
                *(_cell(row.get(k), "seconds", "peak_rss_mb", "{:.1f} / {:.0f}") for k in steps),
            )
        for step, g in sc["growth"].items():
            t.add_row(
                f"× {step}",
                f"{g['records']:.1f}×",
                *(
                    _cell(g, f"{k}_seconds_per_10x", f"{k}_peak_rss_mb_per_10x", "{:.2f}× / {:.2f}×")
                    for k in steps
                ),
            )
        console.print(t)
    if db := s.get("dashboard"):
        t = Table(title=f"6. dashboard render, {db['size']} warehouse (headless Chromium)")
        for c in ("page", "first visit s", "warm s", "errors"):
            t.add_column(c)
        for p in db["pages"]:
            warm = p.get("warm_seconds")
            warm_text = "—" if warm is None else f"{warm:.2f}"
            t.add_row(p["title"], f"{p['first_seconds']:.2f}", warm_text, str(p["errors"]))
        console.print(t)
    t = Table(title="Goals (issue 15), measured in this results file")
    for c in ("what", "value", "goal", "verdict"):
        t.add_column(c)
    for v in judge(results):
        t.add_row(v.goal.what, format_value(v.value, v.goal.unit), format_goal(v.goal), v.status)
    console.print(t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="incident-lake benchmarks (see BENCHMARKS.md)")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or " ".join(ALL_SIZES))
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma separated: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "2")))
    parser.add_argument("--speed", type=float, default=60.0, help="time compression of the rate-limited run")
    parser.add_argument("--dashboard-repeat", type=int, default=2)
    parser.add_argument("--table", action="store_true", help="only print the table of the last results")
    args = parser.parse_args(argv)
    if args.table:
        print_table(load_results())
        return 0
    sizes = [s for s in args.sizes.replace(",", " ").split() if s]
    unknown = [s for s in sizes if s not in ALL_SIZES]
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in wanted if s not in SECTIONS]
    if unknown or bad or not sizes:
        parser.error(f"sizes from {ALL_SIZES}, sections from {SECTIONS}")
    sizes = [s for s in ALL_SIZES if s in sizes]
    results = run(sizes, wanted, args.rounds, args.speed, args.dashboard_repeat)
    print_table(results)
    if os.environ.get("BENCH_RESULTS"):
        _log(f"results in {RESULTS}; BENCHMARKS.md left alone")
    elif update_benchmarks_md(results):
        _log("BENCHMARKS.md figures updated from bench/results.json")
    return 0
