"""Sync runner: pulls the configured sources into `raw.*` concurrently and summarises each.

Plain library code (no Dagster): the Dagster assets and the benchmark both call `run_sync`.
The four sources start together. Slack and Zoom read the incidents to know which channels and calls
to fetch, so after their own independent work (users) they wait until incident.io has listed its
incidents, not until it has finished (its updates, actions and attachments run alongside them).
Within a source, independent work (channels, meetings, time windows, incidents) runs on a bounded
thread pool; each API's budget (`ApiBudget`) paces the requests. All writes go through one background
writer that commits many batches per transaction.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pipelines.connectors import incidentio, pagerduty, slack, zoom
from pipelines.connectors.common import ApiTotal, Batch, parse_time
from pipelines.connectors.http import RequestStats
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.zoom import CallWindow, instances_in_windows
from pipelines.settings import Settings
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME, RawTable
from pipelines.warehouse.raw_writer import RawWriter, UpsertCounts

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, str, int], None]  # (source, table, rows written in this batch)
# Edits can land with a slightly older updated_at than the newest we saw (clock skew, slow writes).
INCIDENTIO_LOOKBACK = timedelta(hours=1)
PAGERDUTY_LOOKBACK = timedelta(hours=1)
ONCALL_LOOKBACK = timedelta(days=7)
CALL_WINDOW_MARGIN = timedelta(hours=1)
# Slack channels and Zoom calls of finished incidents are polled for this long after their last change.
ACTIVE_WINDOW = timedelta(days=14)
ZOOM_SETTLE_TIME = timedelta(days=1)
FINISHED_CATEGORIES = frozenset({"closed", "declined", "merged", "canceled"})
ZOOM_JOIN_URL = re.compile(r"/j/(\d{9,12})")


@dataclass
class SourceSummary:
    source: str
    status: str = "ok"
    seconds: float = 0.0
    tables: dict[str, UpsertCounts] = field(default_factory=dict)
    rejected: int = 0
    stats: RequestStats = field(default_factory=RequestStats)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "tables": {t: {"new": c.new, "updated": c.updated} for t, c in self.tables.items()},
            "rejected": self.rejected,
            **self.stats.as_dict(),
            "error": self.error,
        }

    def line(self) -> str:
        new = sum(c.new for c in self.tables.values())
        updated = sum(c.updated for c in self.tables.values())
        s = self.stats
        text = (
            f"{self.source}: {self.status} in {self.seconds:.1f}s, {s.requests} requests, "
            f"{s.retries} retries, {s.rate_limited} rate-limited, {new} new, {updated} updated"
        )
        if self.rejected:
            text += f", {self.rejected} rejected (see meta.rejected_records)"
        return text + (f": {self.error}" if self.error else "")


class _Loader:
    """Queues batches for one source's tables and keeps its counts (filled in as they are committed)."""

    def __init__(
        self,
        writer: RawWriter,
        summary: SourceSummary,
        progress: ProgressFn | None,
        incidents_ready: threading.Event | None = None,
    ) -> None:
        self.writer = writer
        self.summary = summary
        self.progress = progress
        # Set once incident.io's incidents are queued for writing (or it is not syncing at all).
        self.incidents_ready = incidents_ready or threading.Event()

    def load(self, batches: Iterable[Batch]) -> list[dict[str, Any]]:
        """Write every batch; return the records written (callers that need them use them)."""
        written: list[dict[str, Any]] = []
        for batch in batches:
            self._write(batch)
            written.extend(row["_record"] for row in batch.rows)
        return written

    def load_quietly(self, batches: Iterable[Batch]) -> None:
        for batch in batches:
            self._write(batch)

    def _write(self, batch: Batch) -> None:
        table: RawTable = batch.table
        counts = self.summary.tables.setdefault(table.name, UpsertCounts())
        self.writer.submit(table, batch.rows, counts)
        for endpoint, record_id, reason, payload in batch.rejected:
            self.writer.reject(table, endpoint, record_id, reason, payload)
            log.warning("%s %s: rejected record %s: %s", self.summary.source, endpoint, record_id, reason)
        self.summary.rejected += len(batch.rejected)
        if self.progress:
            self.progress(self.summary.source, table.name, len(batch.rows))

    def wait_for_incidents(self) -> None:
        self.incidents_ready.wait()


def _budget(settings: Settings, source: str) -> ApiBudget:
    return ApiBudget(source, settings.incident_lake_rate_scale, slack_profile=settings.slack_rate_profile)


def _sync_incidentio(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    client = incidentio.make_client(
        settings.incidentio_api_key.get_secret_value(),
        settings.incidentio_base_url,
        timeout=settings.incident_lake_http_timeout,
        budget=_budget(settings, "incidentio"),
    )
    loader.summary.stats = client.stats
    connector = incidentio.IncidentioConnector(client)
    with client:
        cursor = None if full_refresh else loader.writer.get_cursor("incidentio", "incidents")
        since = None
        if cursor:
            since = (datetime.fromisoformat(cursor) - INCIDENTIO_LOOKBACK).isoformat().replace("+00:00", "Z")
        loader.load_quietly(connector.catalog())
        loader.load_quietly(connector.users())
        incidents = loader.load(connector.incidents(updated_since=since))
        loader.incidents_ready.set()  # Slack and Zoom can start on them (they read after a flush)
        loader.load_quietly(connector.incident_updates())
        loader.load_quietly(connector.actions_and_follow_ups())
        # Attachments are listed per incident: only for incidents that changed since the last sync.
        loader.load_quietly(connector.incident_attachments([i["id"] for i in incidents]))
        _record_totals(loader, "incidentio", connector.totals)
        newest = max(
            (parse_time(i.get("updated_at")) for i in incidents if i.get("updated_at")), default=None
        )
        if newest is not None and (cursor is None or newest > datetime.fromisoformat(cursor)):
            loader.writer.set_cursor("incidentio", "incidents", newest.isoformat())


def _record_totals(loader: _Loader, source: str, totals: list[ApiTotal]) -> None:
    """Queued after the rows they count, so the asset check never sees a total without its rows."""
    for t in totals:
        table = RAW_TABLES_BY_NAME[f"{source}_{t.entity}"]
        loader.writer.record_total(source, table, t.column, t.since, t.until, t.total)


def _incident_rows(writer: RawWriter) -> list[dict[str, Any]]:
    """Incidents with a call (what Zoom needs), whole."""
    rows = writer.query(
        "SELECT _record FROM raw.incidentio_incidents WHERE _record->>'$.call_url' IS NOT NULL"
    )
    return [orjson.loads(r[0]) for r in rows]


def _incident_channels(writer: RawWriter) -> list[dict[str, Any]]:
    """The three fields Slack needs from each incident, picked out by DuckDB (no JSON parsed here)."""
    rows = writer.query(
        "SELECT _record->>'$.slack_channel_id', _record->>'$.incident_status.category', "
        "_record->>'$.updated_at' FROM raw.incidentio_incidents"
    )
    return [
        {"slack_channel_id": channel, "incident_status": {"category": category}, "updated_at": updated}
        for channel, category, updated in rows
    ]


def _timestamp(incident: dict[str, Any], name: str) -> datetime | None:
    for entry in incident.get("incident_timestamp_values") or []:
        if (entry.get("incident_timestamp") or {}).get("name") == name:
            return parse_time((entry.get("value") or {}).get("value"))
    return None


def is_active(incident: dict[str, Any], now: datetime) -> bool:
    """Still worth polling in Slack and Zoom: not finished, or updated within the active window.

    A message posted in a channel more than `ACTIVE_WINDOW` after its incident last changed is
    picked up by `--full-refresh` only: polling every channel ever made on every hourly sync would
    spend the whole Slack budget on channels that are silent.
    """
    category = (incident.get("incident_status") or {}).get("category")
    if category not in FINISHED_CATEGORIES:
        return True
    updated = parse_time(incident.get("updated_at"))
    return updated is None or now - updated <= ACTIVE_WINDOW


def _sync_slack(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    now = datetime.now(UTC)
    stats = RequestStats()
    loader.summary.stats = stats
    client = slack.make_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_base_url,
        stats,
        timeout=settings.incident_lake_http_timeout,
        budget=_budget(settings, "slack"),
    )
    connector = slack.SlackConnector(client, stats, **_slack_profile(settings))
    with client:
        loader.load_quietly(connector.users())  # needs no incidents: done while incident.io lists them
        loader.wait_for_incidents()
        _sync_slack_channels(settings, loader, connector, full_refresh, now)


def _sync_slack_channels(
    settings: Settings, loader: _Loader, connector: slack.SlackConnector, full_refresh: bool, now: datetime
) -> None:
    incidents = _incident_channels(loader.writer)
    synced = {r[0] for r in loader.writer.query("SELECT id FROM raw.slack_channels")}
    extra = [c.strip() for c in settings.slack_extra_channels.split(",") if c.strip()]
    all_channels = sorted(
        {i["slack_channel_id"] for i in incidents if i.get("slack_channel_id")} | set(extra)
    )
    checked = {
        entity.removeprefix("channel:"): value
        for entity, value in loader.writer.query(
            "SELECT entity, cursor_value FROM meta.sync_cursors "
            "WHERE source = 'slack' AND entity LIKE 'channel:%'"
        )
    }
    if full_refresh:
        channel_ids = all_channels
    else:
        active = {i["slack_channel_id"] for i in incidents if i.get("slack_channel_id") and is_active(i, now)}
        must = [c for c in all_channels if c in active or c in extra or c not in synced or c not in checked]
        # Old channels take turns, least recently checked first, so a late reply in an old thread is
        # found within ceil(old channels / SLACK_RECHECK_PER_SYNC) syncs without polling every channel hourly.
        rest = sorted((c for c in all_channels if c not in set(must)), key=lambda c: checked.get(c, ""))
        channel_ids = must + rest[: settings.slack_recheck_channels_per_sync]
    known_threads: dict[tuple[str, str], str | None] = {}
    if not full_refresh:
        known_threads = {
            (channel, ts): latest
            for channel, ts, latest in loader.writer.query(
                "SELECT channel_id, ts, _record->>'$.latest_reply' FROM raw.slack_messages "
                "WHERE (_record->>'$.reply_count')::INTEGER > 0"
            )
        }
    loader.load_quietly(connector.channels(channel_ids))
    for channel_id, batch in connector.messages(channel_ids, known_threads):
        loader.load_quietly([batch])
        loader.writer.set_cursor("slack", f"channel:{channel_id}", now.isoformat())


def _slack_profile(settings: Settings) -> dict[str, Any]:
    """`nonmarketplace`: apps distributed outside the Slack Marketplace get 15 messages a page."""
    if settings.slack_rate_profile == "nonmarketplace":
        return {"history_limit": 15, "replies_limit": 15, "concurrency": 1}
    return {}


def _sync_zoom(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    stats = RequestStats()
    loader.summary.stats = stats
    tokens = zoom.ZoomTokenProvider(
        settings.zoom_oauth_url,
        settings.zoom_account_id or "",
        settings.zoom_client_id or "",
        settings.zoom_client_secret.get_secret_value(),
        stats,
        timeout=settings.incident_lake_http_timeout,
    )
    client = zoom.make_client(
        settings.zoom_base_url,
        tokens,
        stats,
        timeout=settings.incident_lake_http_timeout,
        budget=_budget(settings, "zoom"),
    )
    connector = zoom.ZoomConnector(client)
    with client:
        loader.load_quietly(connector.users())  # needs no incidents: done while incident.io lists them
        loader.wait_for_incidents()
        _sync_zoom_calls(loader, connector, full_refresh)


def _sync_zoom_calls(loader: _Loader, connector: zoom.ZoomConnector, full_refresh: bool) -> None:
    now = datetime.now(UTC)
    windows: list[CallWindow] = []
    active_meetings: set[str] = set()
    for incident in _incident_rows(loader.writer):
        meeting_id = zoom_meeting_id(incident.get("call_url"))
        reported = _timestamp(incident, "Reported at") or parse_time(incident.get("created_at"))
        if not meeting_id or reported is None:
            continue
        end = _timestamp(incident, "Closed at") or _timestamp(incident, "Resolved at") or now
        windows.append(CallWindow(meeting_id, reported - CALL_WINDOW_MARGIN, end + CALL_WINDOW_MARGIN))
        if full_refresh or is_active(incident, now):
            active_meetings.add(meeting_id)
    known_meetings = {
        r[0] for r in loader.writer.query("SELECT DISTINCT meeting_id FROM raw.zoom_meeting_instances")
    }
    meetings = sorted(
        m for m in {w.meeting_id for w in windows} if m in active_meetings or m not in known_meetings
    )
    # Participants of an instance are read once it has ended and Zoom has processed it (a day later
    # they no longer change); the marker is written after the rows, so a crash re-reads, never skips.
    settled = (
        set()
        if full_refresh
        else {
            r[0].removeprefix("participants:")
            for r in loader.writer.query(
                "SELECT entity FROM meta.sync_cursors WHERE source = 'zoom' AND entity LIKE 'participants:%' "
                "AND cursor_value = 'settled'"
            )
        }
    )
    loader.load_quietly(connector.instances(meetings))
    instances = [
        {"uuid": uuid, "meeting_id": meeting_id, "start_time": start.isoformat()}
        for uuid, meeting_id, start in loader.writer.query(
            "SELECT id, meeting_id, start_time FROM raw.zoom_meeting_instances"
        )
    ]
    started = {i["uuid"]: parse_time(i["start_time"]) for i in instances}
    wanted = [item for item in instances_in_windows(instances, windows) if item[1] not in settled]
    for uuid, batch in connector.participants(wanted):
        loader.load_quietly([batch])
        if started[uuid] is not None and now - started[uuid] > ZOOM_SETTLE_TIME:
            loader.writer.set_cursor("zoom", f"participants:{uuid}", "settled")


def zoom_meeting_id(call_url: str | None) -> str | None:
    """The numeric meeting id in a Zoom join URL (`https://zoom.us/j/93398114182?pwd=…`)."""
    if not call_url:
        return None
    match = ZOOM_JOIN_URL.search(call_url)
    return match.group(1) if match else None


def _sync_pagerduty(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    client = pagerduty.make_client(
        settings.pagerduty_api_token.get_secret_value(),
        settings.pagerduty_base_url,
        timeout=settings.incident_lake_http_timeout,
        budget=_budget(settings, "pagerduty"),
    )
    loader.summary.stats = client.stats
    connector = pagerduty.PagerDutyConnector(client)
    # Whole seconds: PagerDuty reads since/until to the second, and the totals check uses the same bounds.
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(days=settings.pagerduty_lookback_days)
    incidents_cursor = None if full_refresh else loader.writer.get_cursor("pagerduty", "incidents")
    log_cursor = None if full_refresh else loader.writer.get_cursor("pagerduty", "log_entries")
    with client:
        loader.load_quietly(connector.services())
        loader.load_quietly(connector.users())
        if incidents_cursor:
            # `since` filters on creation: incidents that were open at the last sync are read again.
            open_ids = [
                r[0]
                for r in loader.writer.query(
                    "SELECT id FROM raw.pagerduty_incidents WHERE _record->>'$.status' <> 'resolved'"
                )
            ]
            loader.load_quietly(connector.incidents_by_id(open_ids))
        incidents_since = (
            max(start, datetime.fromisoformat(incidents_cursor) - PAGERDUTY_LOOKBACK)
            if incidents_cursor
            else start
        )
        loader.load_quietly(connector.incidents(incidents_since, end))
        log_since = (
            max(start, datetime.fromisoformat(log_cursor) - PAGERDUTY_LOOKBACK) if log_cursor else start
        )
        loader.load_quietly(connector.log_entries(log_since, end))
        _record_totals(loader, "pagerduty", connector.totals)
        # Shifts are few (a week each per policy and level): re-read from a week before the last sync's
        # newest shift start, so a swapped or overridden shift is picked up.
        oncall_cursor = None if full_refresh else loader.writer.get_cursor("pagerduty", "oncalls")
        oncalls_since = (
            max(start, datetime.fromisoformat(oncall_cursor) - ONCALL_LOOKBACK) if oncall_cursor else start
        )
        loader.load_quietly(connector.oncalls(oncalls_since, end))
        # Cursors are the newest times seen in the data (the API's clock, not ours), and move only
        # after the data they cover is written: a crash re-reads, never skips.
        for entity, column in (
            ("incidents", "created_at"),
            ("log_entries", "created_at"),
            ("oncalls", "start_at"),
        ):
            newest = loader.writer.query(f"SELECT max({column}) FROM raw.pagerduty_{entity}")[0][0]
            if newest is not None:
                loader.writer.set_cursor("pagerduty", entity, newest.isoformat())


SYNCERS: dict[str, Callable[[Settings, _Loader, bool], None]] = {
    "incidentio": _sync_incidentio,
    "slack": _sync_slack,
    "zoom": _sync_zoom,
    "pagerduty": _sync_pagerduty,
}


def _run_one(
    source: str,
    settings: Settings,
    writer: RawWriter,
    full_refresh: bool,
    progress: ProgressFn | None,
    incidents_ready: threading.Event,
) -> SourceSummary:
    summary = SourceSummary(source)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        if full_refresh:
            writer.clear_cursors(source)
        SYNCERS[source](settings, _Loader(writer, summary, progress, incidents_ready), full_refresh)
        writer.flush()  # the counts are final once the source's rows are committed
    except Exception as error:  # the summary carries the failure; the caller decides to raise
        summary.status = "failed"
        summary.error = str(error)
        log.exception("%s sync failed", source)
    finally:
        if source == "incidentio":
            incidents_ready.set()  # even after a failure: Slack and Zoom use what the warehouse holds
    summary.seconds = time.perf_counter() - clock
    try:
        writer.record_run(source, started, summary.status, full_refresh, summary.as_dict())
    except RuntimeError as error:  # the warehouse write failed: the summary already says so
        log.warning("%s: sync run not recorded: %s", source, error)
    return summary


def run_sync(
    sources: list[str],
    settings: Settings,
    writer: RawWriter,
    *,
    full_refresh: bool = False,
    progress: ProgressFn | None = None,
) -> dict[str, SourceSummary]:
    """Sync the given sources, all four at once (Slack and Zoom wait for incident.io's incidents)."""
    incidents_ready = threading.Event()
    if "incidentio" not in sources:
        incidents_ready.set()
    results: dict[str, SourceSummary] = {}
    try:
        with writer.in_background(), ThreadPoolExecutor(4, thread_name_prefix="sync") as pool:
            futures = {
                source: pool.submit(
                    _run_one, source, settings, writer, full_refresh, progress, incidents_ready
                )
                for source in sources
            }
            results = {source: future.result() for source, future in futures.items()}
    except RuntimeError as error:  # the background writer failed: what came after was not committed
        for summary in results.values():
            if summary.status == "ok":
                summary.status, summary.error = "failed", str(error)
    return {s: results[s] for s in sources if s in results}
