"""Warm the query caches as soon as the dashboard process sees a new snapshot version.

Every query result is cached per snapshot version (`dashboards.sql.run_query`), so the first visit of a
page after a publish used to pay for all its queries. The entrypoint calls `watch` on every script run;
it starts, once per process, a daemon thread that polls the snapshot's version and, for each new one,
runs the queries every page runs with the sidebar's default filters (`default_filters`) and each page's
own default widgets, through the same cached functions: those entries are in the cache before a visitor
arrives. (The first version a process sees is warmed while its first visitor's page runs.)

`PAGE_WARMERS` mirrors what each page asks for by default. A test renders every page after `warm` and
checks that no query missed the cache, so a page that gains a query without its warmer fails the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
from streamlit.logger import get_logger

from dashboards.filters import Filters, can_filter_teams, default_filters
from dashboards.queries import explorer, follow_ups, health, oncall, overview, people, post_incident
from dashboards.queries import severity as severity_queries
from dashboards.queries import teams as teams_queries
from dashboards.snapshot import (
    CACHE_TTL_SECONDS,
    Snapshot,
    SnapshotInfo,
    current_snapshot,
    snapshot_info,
)
from pipelines.settings import get_settings

# Streamlit's logger setup, so the lines reach the server's log like Streamlit's own.
_LOGGER = get_logger(__name__)

Warmer = Callable[[Snapshot, SnapshotInfo, Filters], None]


def _overview(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    previous = filters.previous_period()
    comparable = info.first_day is not None and previous.start >= info.first_day
    overview.headline(snapshot, info, filters)
    if comparable:
        overview.headline(snapshot, info, previous)
    overview.monthly_by_severity(snapshot, filters)
    overview.metrics_mttr(snapshot, filters, with_ci=info.has("metrics_mttr", *overview.MTTR_CI_COLUMNS))
    if info.has("fct_pagerduty_incidents", *overview.PAGERDUTY_COLUMNS):
        overview.mtta(snapshot, filters)
        if comparable:
            overview.mtta(snapshot, previous)


def _severity(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    severity_queries.by_severity(snapshot, info, filters)
    if info.has(severity_queries.SEVERITY_PERIODS, *severity_queries.SEVERITY_PERIOD_COLUMNS):
        severity_queries.time_at_severity(snapshot, filters)
        severity_queries.severity_changes(snapshot, filters)
        severity_queries.changed_incident_count(snapshot, filters)


def _explorer(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    # The page's defaults: no search text, every status, the most recent incident selected.
    extra = tuple(c for c in ("permalink",) if info.has("fct_incidents", c))
    explorer.status_categories(snapshot, filters)
    found, _ = explorer.search_incidents(snapshot, filters, "", (), extra)
    if not found.empty:
        first = str(found["incident_id"].iloc[0])
        explorer.incident(snapshot, first)
        explorer.timeline(snapshot, first, info.has("dim_people", "person_email", "name"))


def _people(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    has_people = info.has("dim_people", "person_email", "name")
    people.lead_summary(snapshot, filters)
    if info.has(people.RESPONSE, *people.RESPONSE_COLUMNS):
        people.time_to_lead(snapshot, filters)
    people.lead_load(snapshot, filters, has_people)
    people.role_coverage(snapshot, filters)
    people.workload(snapshot, filters, has_people)
    people.page_heatmap(snapshot, filters, info.has("dim_people", "person_email", "timezone"))


def _follow_ups(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    if info.published_at is None:  # the page measures ages at "now": nothing stable to warm
        return
    follow_ups.summary(snapshot, filters, info.published_at)
    follow_ups.open_follow_ups(snapshot, filters, info.published_at)
    follow_ups.completion_by_severity(snapshot, filters, info.published_at)


def _data_health(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    if info.has(health.SYNC_RUNS, *health.SYNC_RUN_COLUMNS):
        health.sync_status(snapshot)
    if info.has(health.SKIPPED, *health.SKIPPED_COLUMNS):
        health.skipped_entities(snapshot)
    health.freshness(snapshot, info)
    health.row_counts(snapshot, info)
    if info.has(health.COVERAGE):
        health.coverage(snapshot)


def _teams(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    teams_queries.mttr_per_team(snapshot, filters)
    teams_queries.attribution(snapshot, filters)
    teams_queries.metrics_mttr_by_team(snapshot, filters)
    teams_queries.team_workload(snapshot, filters)
    teams_queries.follow_through(snapshot, filters, "team")


def _post_incident(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    post_incident.by_month_and_severity(snapshot, filters)
    post_incident.metrics_post_incident(snapshot, filters)


def _oncall(snapshot: Snapshot, info: SnapshotInfo, filters: Filters) -> None:
    has_people = info.has("dim_people", "person_email", "name")
    if info.has(oncall.BURDEN, *oncall.BURDEN_COLUMNS):
        # The page's default: no person picked (everyone on call in the period).
        oncall.oncall_people(snapshot, filters, has_people)
        totals = oncall.per_person(oncall.burden(snapshot, filters, (), has_people))
        if not totals.empty and info.has("dim_people", "person_email", "timezone"):
            oncall.timezone_coverage(snapshot, sorted(totals["person_email"].dropna()))
        if can_filter_teams(info):
            oncall.member_load(snapshot, filters, has_people)
    if info.has(oncall.PAGES, *oncall.PAGE_COLUMNS):
        oncall.page_summary(snapshot, filters, ())
        oncall.pages_per_week(snapshot, filters, ())
        oncall.mtta_by_source(snapshot, filters, ())
    if info.has("fct_incidents", *oncall.DECLARE_COLUMNS):
        oncall.time_to_declare(snapshot, filters)


# Page title -> what the page queries with its default filters and widgets.
PAGE_WARMERS: dict[str, Warmer] = {
    "Overview": _overview,
    "Severity": _severity,
    "Incident explorer": _explorer,
    "People and roles": _people,
    "Follow-ups": _follow_ups,
    "Data health": _data_health,
    "Teams": _teams,
    "Post-incident": _post_incident,
    "On-call": _oncall,
}
# Pages that warn when an entity their numbers rest on was refused by its API (components.skipped_note).
_SKIPPED_NOTE_PAGES = ("Teams", "Post-incident", "On-call")


@dataclass(frozen=True)
class WarmResult:
    """What one warm-up did: seconds of wall time, and the pages whose queries failed (title: error)."""

    seconds: float
    failed: tuple[tuple[str, str], ...] = ()


def warm(snapshot: Snapshot, info: SnapshotInfo) -> WarmResult:
    """Run every page's default queries on `snapshot` through the cached query functions. A page whose
    query fails (e.g. a mart an older snapshot lacks) is recorded and skipped: the page itself will
    show its note when visited."""
    started = time.perf_counter()
    filters = default_filters(info)
    failed: list[tuple[str, str]] = []
    for title, warmer in PAGE_WARMERS.items():
        try:
            if title in _SKIPPED_NOTE_PAGES and info.has(health.SKIPPED, *health.SKIPPED_COLUMNS):
                health.skipped_entities(snapshot)
            warmer(snapshot, info, filters)
        except (duckdb.Error, KeyError, ValueError) as exc:
            failed.append((title, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    return WarmResult(round(time.perf_counter() - started, 3), tuple(failed))


# How often the watcher looks at the snapshot's mtime (a stat call).
POLL_SECONDS = 2.0
# Cached results expire CACHE_TTL_SECONDS after they were computed: warm the same version again then.
REWARM_SECONDS = CACHE_TTL_SECONDS + POLL_SECONDS


def check(last_version: int | None) -> int | None:
    """Warm the current snapshot when its version differs from `last_version` and it can feed the
    dashboard; return the version now current (None without a snapshot). Logs what it did."""
    snapshot = current_snapshot()
    if snapshot is None or snapshot.version == last_version:
        return None if snapshot is None else snapshot.version
    info = snapshot_info(snapshot.path, snapshot.version)
    if not info.ready:
        return snapshot.version
    result = warm(snapshot, info)
    _LOGGER.info(
        "warmed every page's default queries of snapshot %s (version %s) in %.2f s",
        snapshot.path,
        snapshot.version,
        result.seconds,
    )
    for title, error in result.failed:
        _LOGGER.warning("warm-up of the %s page skipped: %s", title, error)
    return snapshot.version


_watcher_lock = threading.Lock()
_watcher: threading.Thread | None = None


def _watch_forever() -> None:
    last: int | None = None
    warmed_at = time.monotonic()
    while True:
        if time.monotonic() - warmed_at >= REWARM_SECONDS:
            last = None  # the warmed entries have expired: warm this version again
        try:
            current = check(last)
        except Exception:  # never let the watcher die: the pages still work, only colder
            _LOGGER.exception("the dashboard's cache warm-up failed")
        else:
            if current != last:
                warmed_at = time.monotonic()
            last = current
        time.sleep(POLL_SECONDS)


def watch() -> threading.Thread | None:
    """Start, once per process, the daemon thread that warms every new snapshot version as soon as it
    is published (polling its mtime every POLL_SECONDS), and again when the cached results expire
    (REWARM_SECONDS). The entrypoint calls it on every run; None
    when the warm-up is switched off (`INCIDENT_LAKE_DASHBOARD_WARMUP=false`, e.g. to time cold pages)."""
    global _watcher
    if not get_settings().incident_lake_dashboard_warmup:
        return None
    with _watcher_lock:
        if _watcher is None or not _watcher.is_alive():
            _watcher = threading.Thread(target=_watch_forever, name="incident-lake-warmup", daemon=True)
            _watcher.start()
        return _watcher
