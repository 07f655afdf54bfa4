"""The six sections of `make bench`. Each returns a JSON-able dict; `bench/run.py` runs them in order.

Every side of a comparison runs in its own child process (so its wall time and peak memory are its
own) against ONE sandbox server process started for the section, and the sides take turns, round after
round: the machine's noise hits both alike, and each figure is the median of the rounds.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from bench.floor import differences as floor_differences
from bench.goals import per_10x
from bench.limits import PAGE_MAX, budget_bound, pages, pages_of_lists
from bench.measure import ROOT, Measured, check, run_measured
from bench.report import STEP_LABELS
from bench.sandbox import SandboxProcess, wait_for_http
from pipelines.connectors.zoom import zoom_meeting_id

# Warehouses kept between sections (the dashboard reads the largest). BENCH_WORK moves them; a trial run
# with BENCH_RESULTS keeps them next to its results file, away from the repository's data/.
_TRIAL = os.environ.get("BENCH_RESULTS")
WORK = Path(
    os.environ.get("BENCH_WORK")
    or (Path(_TRIAL).resolve().parent / "work" if _TRIAL else ROOT / "data" / "bench")
)
DLT_ENV = {"RUNTIME__DLTHUB_TELEMETRY": "false", "DO_NOT_TRACK": "1"}


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _records(rows: dict[str, int]) -> int:
    return sum(rows.values())


def _scratch(name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    return path


# ---------------------------------------------------------------------------------------- 1 and 2
def ingest(size: str, rounds: int, log: Any) -> dict[str, Any]:
    """Sections 1 and 2: our sync, dlt, and the `read_json` floor on the same pages, side by side.

    Every side loads every raw table. Raises RuntimeError (no figures) when the floor's tables differ
    from the recording sync's (ids and typed key columns, `bench.floor.differences`), when our rows per
    table differ from the floor's, or when the dlt pipeline leaves a raw table out; dlt's own row
    counts that differ from ours are reported in `row_mismatches`.
    """
    ours: list[Measured] = []
    peer: list[Measured] = []
    floor: list[Measured] = []
    recorded: dict[str, Any] = {}
    requests: dict[str, Any] = {}
    with SandboxProcess(size) as sandbox:
        scratch = _scratch("ingest")
        try:
            pages_dir = scratch / "pages"
            log(f"ingest/{size}: recording the API pages for the floor (not timed)")
            recorded = check(
                run_measured(
                    ["-m", "bench.floor", "record", str(pages_dir), str(scratch / "recorded.duckdb")],
                    env=sandbox.env,
                ),
                "recording the pages",
            ).report
            for n in range(rounds):
                for side in ("ours", "dlt", "floor"):
                    target = scratch / f"{side}-{n}"
                    sandbox.reset()
                    server_cpu = sandbox.cpu_seconds()
                    if side == "ours":
                        args = ["-m", "bench.ours", str(target.with_suffix(".duckdb"))]
                        m = check(run_measured(args, env=sandbox.env), "our sync")
                        ours.append(m)
                    elif side == "dlt":
                        args = ["-m", "bench.dlt_pipeline", str(target)]
                        m = check(run_measured(args, env={**sandbox.env, **DLT_ENV}), "the dlt pipeline")
                        peer.append(m)
                    else:
                        args = [
                            "-m",
                            "bench.floor",
                            "load",
                            str(pages_dir),
                            str(target.with_suffix(".duckdb")),
                        ]
                        m = check(run_measured(args), "the read_json floor")
                        if not floor:  # once, untimed: the floor loaded what the recording sync loaded
                            loaded = target.with_suffix(".duckdb")
                            differ = floor_differences(scratch / "recorded.duckdb", loaded)
                            if differ:
                                raise RuntimeError(f"the floor's raw tables differ from the sync's: {differ}")
                        floor.append(m)
                    m.report["server_cpu_seconds"] = sandbox.cpu_seconds() - server_cpu
                    if side != "floor":
                        requests[side] = sandbox.stats()["total"]
                    log(
                        f"ingest/{size} round {n + 1}/{rounds} {side}: {m.report['seconds']:.1f}s, "
                        f"{_records(m.report['rows'])} records, peak {m.peak_rss_mb:.0f} MB"
                    )
                    shutil.rmtree(target, ignore_errors=True)
                    target.with_suffix(".duckdb").unlink(missing_ok=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    ours_rows, dlt_rows, floor_rows = ours[0].report["rows"], peer[0].report["rows"], floor[0].report["rows"]
    # Every side loads every raw table: records/s compares the same records, or the section stops.
    missing = sorted(set(ours_rows) - set(dlt_rows))
    if missing:
        raise RuntimeError(f"the dlt pipeline does not load {missing}: add them to bench/dlt_pipeline.py")
    compared = sorted(ours_rows)
    mismatched = {t: [ours_rows[t], dlt_rows[t]] for t in compared if ours_rows[t] != dlt_rows[t]}
    floor_mismatched = {
        t: [ours_rows[t], floor_rows.get(t)] for t in compared if ours_rows[t] != floor_rows.get(t)
    }
    if floor_mismatched:
        raise RuntimeError(f"rows per table, ours vs the floor, differ: {floor_mismatched}")
    records = sum(ours_rows[t] for t in compared)

    def summarise(runs: list[Measured], rows: dict[str, int]) -> dict[str, Any]:
        seconds = _median([r.report["seconds"] for r in runs])
        n = sum(rows.get(t, 0) for t in compared)
        return {
            "records": n,
            "seconds": round(seconds, 3),
            "records_per_second": round(n / seconds, 1),
            "process_wall_seconds": round(_median([r.wall_seconds for r in runs]), 3),
            "peak_rss_mb": round(_median([r.peak_rss_mb for r in runs]), 1),
            "cpu_seconds": round(_median([r.cpu_seconds for r in runs]), 2),
            "sandbox_cpu_seconds": round(_median([r.report["server_cpu_seconds"] for r in runs]), 2),
            "all_seconds": [round(r.report["seconds"], 3) for r in runs],
            "all_peak_rss_mb": [round(r.peak_rss_mb, 1) for r in runs],
        }

    ours_side, dlt_side, floor_side = (
        summarise(ours, ours_rows),
        summarise(peer, dlt_rows),
        summarise(floor, floor_rows),
    )
    ours_side["per_source_seconds"] = {
        source: round(_median([r.report["sources"][source]["seconds"] for r in ours]), 2)
        for source in ours[0].report.get("sources", {})
    }
    return {
        "size": size,
        "rounds": rounds,
        "records": records,
        "tables_compared": compared,
        "row_mismatches": mismatched,
        "floor_row_mismatches": floor_mismatched,
        "requests": requests,
        "recorded_pages": recorded,
        "ours": ours_side,
        "dlt": {
            **dlt_side,
            "version": peer[0].report.get("dlt"),
            "stage_seconds": {
                stage: round(_median([r.report.get("stages", {}).get(stage, 0.0) for r in peer]), 2)
                for stage in ("extract", "normalize", "load")
            },
            "peak_rss_mb_after_stage": peer[0].report.get("peak_rss_mb_after"),
        },
        "floor": floor_side,
        "ingest_vs_dlt_speedup": round(ours_side["records_per_second"] / dlt_side["records_per_second"], 2),
        "ingest_vs_dlt_wall_ratio": round(ours_side["seconds"] / dlt_side["seconds"], 3),
        "ingest_vs_dlt_peak_rss_ratio": round(ours_side["peak_rss_mb"] / dlt_side["peak_rss_mb"], 3),
        "ingest_over_floor": round(ours_side["seconds"] / floor_side["seconds"], 2),
    }


# ---------------------------------------------------------------------------------------------- 3
def _windows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each meeting's incident windows (docs/metrics.md#linking-the-tools):
    reported − 1 h … closed (else resolved, now) + 1 h."""
    import orjson

    now = datetime.now(UTC)
    windows: dict[str, list[tuple[datetime, datetime]]] = {}
    for (raw,) in con.execute("SELECT _record FROM raw.incidentio_incidents").fetchall():
        incident = orjson.loads(raw)
        meeting_id = zoom_meeting_id(incident.get("call_url"))
        if meeting_id is None:
            continue
        stamps = {
            (e.get("incident_timestamp") or {}).get("name"): (e.get("value") or {}).get("value")
            for e in incident.get("incident_timestamp_values") or []
        }

        def at(value: Any) -> datetime | None:
            if not value:
                return None
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

        start = at(stamps.get("Reported at")) or at(incident.get("created_at"))
        if start is None:
            continue
        end = at(stamps.get("Closed at")) or at(stamps.get("Resolved at")) or now
        windows.setdefault(meeting_id, []).append((start - timedelta(hours=1), end + timedelta(hours=1)))
    return windows


def minimum_requests(warehouse: Path) -> dict[str, dict[str, int]]:
    """The fewest requests that read what a full sync read, given the documented page-size maxima."""
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def one(sql: str) -> int:
            return int(con.execute(sql).fetchall()[0][0] or 0)

        def column(sql: str) -> list[int]:
            return [int(r[0]) for r in con.execute(sql).fetchall()]

        history = column(
            "SELECT count(m.id) FROM raw.slack_channels c LEFT JOIN raw.slack_messages m "
            "ON m.channel_id = c.id AND (m.thread_ts IS NULL OR m.thread_ts = m.ts "
            "OR m._record->>'$.subtype' = 'thread_broadcast') GROUP BY c.id"
        )
        threads = column(
            "SELECT greatest(count(r.id), 1) FROM raw.slack_messages p LEFT JOIN raw.slack_messages r "
            "ON r.channel_id = p.channel_id AND r.thread_ts = p.ts AND r.ts <> p.ts "
            "WHERE (p._record->>'$.reply_count')::INTEGER > 0 GROUP BY p.id"
        )
        meetings = one("SELECT count(DISTINCT zoom_meeting_id) FROM raw.incidentio_incidents")
        windows = _windows(con)
        participant_rows = dict(
            con.execute("SELECT meeting_uuid, count(*) FROM raw.zoom_participants GROUP BY 1").fetchall()
        )
        instances = [
            uuid
            for uuid, meeting_id, start in con.execute(
                "SELECT id, meeting_id, start_time FROM raw.zoom_meeting_instances"
            ).fetchall()
            if start is not None and any(lo <= start <= hi for lo, hi in windows.get(str(meeting_id), []))
        ]
        zoom_users = column(
            "SELECT count(*) FROM (SELECT unnest(['active', 'inactive']) AS s) s "
            "LEFT JOIN raw.zoom_users u ON u._record->>'$.status' = s.s GROUP BY s.s"
        )
        count = {t: one(f"SELECT count(*) FROM raw.{t}") for t in (
            "incidentio_incidents", "incidentio_incident_updates", "incidentio_users", "slack_users",
            "slack_channels", "pagerduty_incidents", "pagerduty_log_entries", "pagerduty_services",
            "pagerduty_users", "pagerduty_oncalls",
        )}  # fmt: skip
    io, sl, zm, pd = "incidentio", "slack", "zoom", "pagerduty"
    return {
        io: {
            "/v2/incidents": pages(count["incidentio_incidents"], PAGE_MAX[(io, "/v2/incidents")]),
            "/v2/incident_updates": pages(
                count["incidentio_incident_updates"], PAGE_MAX[(io, "/v2/incident_updates")]
            ),
            "/v2/users": pages(count["incidentio_users"], PAGE_MAX[(io, "/v2/users")]),
            "/v1/incident_attachments": count["incidentio_incidents"],
            **{
                p: 1
                for p in (
                    "/v2/actions",
                    "/v2/follow_ups",
                    "/v1/severities",
                    "/v1/incident_statuses",
                    "/v2/incident_roles",
                    "/v2/incident_timestamps",
                    "/v1/incident_types",
                    "/v2/custom_fields",
                )
            },
        },
        sl: {
            "users.list": pages(count["slack_users"], PAGE_MAX[(sl, "users.list")]),
            "conversations.info": count["slack_channels"],
            "conversations.history": pages_of_lists(history, PAGE_MAX[(sl, "conversations.history")]),
            # each page of replies repeats the parent: 999 replies a page at most
            "conversations.replies": pages_of_lists(threads, PAGE_MAX[(sl, "conversations.replies")] - 1),
        },
        zm: {
            "/oauth/token": 1,
            "/users": pages_of_lists(zoom_users, PAGE_MAX[(zm, "/users")]),
            "/past_meetings/{id}/instances": meetings,
            "/past_meetings/{id}/participants": pages_of_lists(
                [participant_rows.get(uuid, 0) for uuid in instances],
                PAGE_MAX[(zm, "/past_meetings/{id}/participants")],
            ),
        },
        pd: {
            "/incidents": pages(count["pagerduty_incidents"], PAGE_MAX[(pd, "/incidents")]),
            "/log_entries": pages(count["pagerduty_log_entries"], PAGE_MAX[(pd, "/log_entries")]),
            "/oncalls": pages(count["pagerduty_oncalls"], PAGE_MAX[(pd, "/oncalls")]),
            "/services": pages(count["pagerduty_services"], PAGE_MAX[(pd, "/services")]),
            "/users": pages(count["pagerduty_users"], PAGE_MAX[(pd, "/users")]),
        },
    }


def _total(requests: dict[str, dict[str, int]]) -> int:
    return sum(sum(e.values()) for e in requests.values())


def requests_section(size: str, log: Any) -> dict[str, Any]:
    """Section 3: a full sync's requests per endpoint against the minimum; then a sync with no changes."""
    scratch = _scratch("requests")
    warehouse = scratch / "warehouse.duckdb"
    try:
        with SandboxProcess(size) as sandbox:
            sandbox.reset()
            full = check(run_measured(["-m", "bench.ours", str(warehouse)], env=sandbox.env), "full sync")
            full_requests = sandbox.stats()["requests"]
            log(f"requests/{size}: full sync {full.report['seconds']:.1f}s, {_total(full_requests)} requests")
            sandbox.reset()
            again = check(run_measured(["-m", "bench.ours", str(warehouse)], env=sandbox.env), "re-sync")
            resync_requests = sandbox.stats()["requests"]
            log(
                f"requests/{size}: re-sync {again.report['seconds']:.1f}s, {_total(resync_requests)} requests"
            )
        minimum = minimum_requests(warehouse)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    endpoints = []
    for api in sorted(set(full_requests) | set(minimum)):
        for endpoint in sorted(set(full_requests.get(api, {})) | set(minimum.get(api, {}))):
            made = full_requests.get(api, {}).get(endpoint, 0)
            least = minimum.get(api, {}).get(endpoint, 0)
            endpoints.append(
                {
                    "api": api,
                    "endpoint": endpoint,
                    "full_sync": made,
                    "minimum": least,
                    "over_minimum": round(made / least, 3) if least else None,
                    "resync": resync_requests.get(api, {}).get(endpoint, 0),
                }
            )
    full_total, min_total, resync_total = _total(full_requests), _total(minimum), _total(resync_requests)
    return {
        "size": size,
        "endpoints": endpoints,
        "full_sync_requests": full_total,
        "minimum_requests": min_total,
        "full_sync_seconds": round(full.report["seconds"], 3),
        "full_sync_per_source_seconds": {s: x["seconds"] for s, x in full.report["sources"].items()},
        "resync_per_source_seconds": {s: x["seconds"] for s, x in again.report["sources"].items()},
        "resync_requests": resync_total,
        "resync_seconds": round(again.report["seconds"], 3),
        "resync_new_or_updated_rows": {
            s: sum(t["new"] + t["updated"] for t in x["tables"].values())
            for s, x in again.report["sources"].items()
        },
        "full_sync_requests_by_api": {a: sum(e.values()) for a, e in full_requests.items()},
        "full_sync_requests_raw": full_requests,
        "full_sync_requests_over_minimum": round(full_total / min_total, 3),
        "resync_requests_over_full": round(resync_total / full_total, 4),
        "resync_seconds_over_full": round(again.report["seconds"] / full.report["seconds"], 4),
    }


# ---------------------------------------------------------------------------------------------- 4
def rate_limited(size: str, speed: float, full_requests: dict[str, dict[str, int]] | None, log: Any) -> dict:
    """Section 4: a full sync against the sandbox enforcing every documented budget, time compressed."""
    scratch = _scratch("ratelimited")
    faults = f"budget=1,speed={speed:g}"
    if full_requests is None:  # count the requests the data needs, without a budget
        with SandboxProcess(size) as sandbox:
            sandbox.reset()
            check(run_measured(["-m", "bench.ours", str(scratch / "count.duckdb")], env=sandbox.env), "sync")
            full_requests = sandbox.stats()["requests"]
    try:
        with SandboxProcess(size, faults) as sandbox:
            sandbox.reset()
            m = check(
                run_measured(["-m", "bench.ours", str(scratch / "warehouse.duckdb")], env=sandbox.env),
                "rate-limited sync",
            )
            stats = sandbox.stats()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # The bound is computed on the requests the data needs (a run without a budget, so without 429s).
    bound = budget_bound(full_requests, speed=speed)
    seconds = m.report["seconds"]
    rejected = {api: faults_.get("budget", 0) for api, faults_ in stats.get("faults", {}).items()}
    log(f"rate-limited/{size}: {seconds:.1f}s against a bound of {bound['seconds']:.1f}s, 429s: {rejected}")
    per_source = {s: x["seconds"] for s, x in m.report["sources"].items()}
    return {
        "size": size,
        "faults": faults,
        "speed": speed,
        "seconds": round(seconds, 3),
        "per_source_seconds": per_source,
        "requests": stats["total"],
        "rejected_429": rejected,
        "bound_seconds": round(float(bound["seconds"]), 3),  # type: ignore[arg-type]
        "bound_per_api": bound["per_api"],
        "bound_binding_api": bound["binding"],
        "bound_per_bucket": bound["per_bucket"],
        "seconds_at_real_speed": round(seconds * speed, 1),
        "bound_at_real_speed": round(float(bound["seconds"]) * speed, 1),  # type: ignore[arg-type]
        "rate_limited_wall_over_bound": round(seconds / float(bound["seconds"]), 3)  # type: ignore[arg-type]
        if bound["seconds"]
        else None,
    }


# ---------------------------------------------------------------------------------------------- 5
def _cli(*args: str) -> list[str]:
    return ["-m", "pipelines.cli", *args]


STEPS = tuple(STEP_LABELS)  # the steps of section 5: sync, build, export, and the two kinds of run


def scaling(sizes: list[str], rounds: int, log: Any) -> dict[str, Any]:
    """Section 5: the product's commands (through Dagster, as a user runs them) at each size.

    At each size, on a new warehouse against one sandbox: `sync`, `build` (from scratch) and `export`
    once; then `run` `rounds` times in turns: once with nothing changed at the source, once after the
    sandbox's typical hour of change (`POST /_sandbox/mutate?kind=typical_hour`). Each step: wall
    seconds and peak RSS MB of the process tree (runs: the median, and every round). The commands run
    without DAGSTER_HOME, as a new user runs them: they use whatever Dagster instance the CLI picks by
    default (a persistent one next to the warehouse, in the size's new folder).
    """
    results = {size: _scale_one(size, rounds, log) for size in sizes}
    return {"sizes": results, "rounds": max(1, rounds), "growth": growth(results, sizes)}


def _scale_one(size: str, rounds: int, log: Any) -> dict[str, Any]:
    """Section 5 at one size: the row of `scaling`'s `sizes`."""
    folder = WORK / size
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {
        "INCIDENT_LAKE_DB": str(folder / "warehouse.duckdb"),
        "INCIDENT_LAKE_EXPORT_DIR": str(folder / "exports"),
        "DO_NOT_TRACK": "1",
    }
    row: dict[str, Any] = {}
    with SandboxProcess(size) as sandbox:
        counts = sandbox.counts.items()
        row["source_records"] = sum(v for k, v in counts if k not in ("people", "zoom_meetings"))

        def step(name: str, args: list[str]) -> Measured:
            # No DAGSTER_HOME: the instance the CLI picks by default, as for a new user.
            child_env = {**sandbox.env, **env}
            measured = run_measured(args, env=child_env, timeout=4 * 3600, drop=("DAGSTER_HOME",))
            m = check(measured, f"{name} ({size})")
            log(f"scaling/{size}: {name} {m.wall_seconds:.1f}s, peak {m.peak_rss_mb:.0f} MB")
            return m

        for name, args in (("sync", _cli("sync")), ("build", _cli("build")), ("export", _cli("export"))):
            m = step(name, args)
            row[name] = {"seconds": round(m.wall_seconds, 2), "peak_rss_mb": round(m.peak_rss_mb, 1)}
        runs: dict[str, list[Measured]] = {"run_no_change": [], "run_typical_hour": []}
        changes: list[dict[str, Any]] = []
        for _ in range(max(1, rounds)):
            runs["run_no_change"].append(step("run (nothing changed)", _cli("run")))
            changes.append(sandbox.mutate("typical_hour"))
            runs["run_typical_hour"].append(step("run (after a typical hour)", _cli("run")))
        for name, measured in runs.items():
            row[name] = {
                "seconds": round(_median([m.wall_seconds for m in measured]), 2),
                "peak_rss_mb": round(_median([m.peak_rss_mb for m in measured]), 1),
                "all_seconds": [round(m.wall_seconds, 2) for m in measured],
                "all_peak_rss_mb": [round(m.peak_rss_mb, 1) for m in measured],
            }
        row["typical_hour"] = {
            "updated_incidents": _median([len(c["updated_incidents"]) for c in changes]),
            "new_messages": _median([len(c["new_messages"]) for c in changes]),
        }
    with duckdb.connect(env["INCIDENT_LAKE_DB"], read_only=True) as con:
        row["raw_records"] = sum(
            int(con.execute(f'SELECT count(*) FROM raw."{t}"').fetchall()[0][0])
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        )
    row["warehouse_mb"] = round(Path(env["INCIDENT_LAKE_DB"]).stat().st_size / 2**20, 1)
    return row


def growth(rows: dict[str, Any], sizes: list[str]) -> dict[str, Any]:
    """From one size to the next: `records` (the raw records' ratio), and for each step
    `<step>_seconds` / `<step>_peak_rss_mb` (the larger size's figure ÷ the smaller's) and the same per
    10× data (`…_per_10x`, `goals.per_10x`), so growths between sizes of unequal spacing compare."""
    out: dict[str, Any] = {}
    for smaller, larger in itertools.pairwise(sizes):
        a, b = rows[smaller], rows[larger]
        records = b["raw_records"] / a["raw_records"]
        entry: dict[str, Any] = {"records": round(records, 2)}
        for name in STEPS:
            for what in ("seconds", "peak_rss_mb"):
                if name not in a or name not in b or not a[name][what]:
                    continue
                ratio = b[name][what] / a[name][what]
                scaled = per_10x(ratio, records)
                entry[f"{name}_{what}"] = round(ratio, 2)
                entry[f"{name}_{what}_per_10x"] = None if scaled is None else round(scaled, 2)
        out[f"{smaller}->{larger}"] = entry
    return out


# ---------------------------------------------------------------------------------------------- 6
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process and its children (`incident-lake dashboard` runs Streamlit as a child)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    proc.terminate()
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=20)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def page_row(timing: Any) -> dict[str, Any]:
    """One page's figures from a `bench.measure_render.PageTiming` (url, title, seconds, all_seconds,
    errors): `first_seconds` the first visit (a cold cache), `warm_seconds` the best of the later
    visits (None with a single visit), `best_seconds` the best of all. Reads only those five
    attributes, so fields the page timer adds later do not break the section."""
    visits = [float(v) for v in getattr(timing, "all_seconds", ()) or (timing.seconds,)]
    return {
        "title": timing.title,
        "url": timing.url,
        "first_seconds": visits[0],
        "warm_seconds": min(visits[1:]) if len(visits) > 1 else None,
        "best_seconds": float(timing.seconds),
        "all_seconds": visits,
        "errors": int(timing.errors),
    }


def dashboard(size: str, repeat: int, log: Any) -> dict[str, Any]:
    """Section 6: every page of the dashboard in headless Chromium, on the warehouse of section 5: each
    page's first visit (cold: the dashboard's warm-up is switched off) and its later visits (warm)."""
    from bench.measure_render import measure_pages

    warehouse = WORK / size / "warehouse.duckdb"
    if not warehouse.exists():
        raise RuntimeError(
            f"no {size} warehouse at {warehouse}: run the scaling section with size {size} first"
        )
    port = _free_port()
    # The warm-up off: a page's first visit runs its own queries (cold); with it on, the dashboard runs
    # them in the background from the first visit on, and the first visits would time a race with it.
    env = {
        **os.environ,
        "INCIDENT_LAKE_DB": str(warehouse),
        "INCIDENT_LAKE_DASHBOARD_WARMUP": "false",
        "DO_NOT_TRACK": "1",
    }
    server = subprocess.Popen(
        [sys.executable, *_cli("dashboard", "--port", str(port))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=120)
        started = time.perf_counter()
        # At least two visits a page: the first is the cold one, the later ones the warm cache.
        timings = measure_pages(f"http://127.0.0.1:{port}", repeat=max(2, repeat))
        elapsed = time.perf_counter() - started
    finally:
        _stop_tree(server)
    pages_ = [page_row(t) for t in timings]
    for p in pages_:
        log(f"dashboard/{size}: {p['title']}: first {p['first_seconds']:.2f}s, warm {p['warm_seconds']}s")
    return {
        "size": size,
        "repeat": max(2, repeat),
        "pages": pages_,
        "slowest_first_seconds": max((p["first_seconds"] for p in pages_), default=None),
        "slowest_best_seconds": max((p["best_seconds"] for p in pages_), default=None),
        "slowest_warm_seconds": max(
            (p["warm_seconds"] for p in pages_ if p["warm_seconds"] is not None), default=None
        ),
        "measure_seconds": round(elapsed, 1),
    }
