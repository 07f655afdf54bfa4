"""Sync runner: pulls the configured sources into `raw.*` concurrently and summarises each.

Plain library code (no Dagster): the Dagster assets and the benchmark both call `run_sync`.
incident.io goes first because Slack and Zoom read the incidents to know which channels and calls
to fetch; PagerDuty does not depend on it and runs alongside from the start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.connectors import incidentio, pagerduty, slack, zoom
from pipelines.connectors.common import Batch, parse_time
from pipelines.connectors.http import RequestStats
from pipelines.settings import Settings
from pipelines.warehouse.raw_tables import RawTable
from pipelines.warehouse.raw_writer import RawWriter, UpsertCounts

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, str, int], None]  # (source, table, rows written in this batch)
# Edits can land with a slightly older updated_at than the newest we saw (clock skew, slow writes).
INCIDENTIO_LOOKBACK = timedelta(hours=1)
CALL_WINDOW_MARGIN = timedelta(hours=1)


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
    """Writes batches for one source and keeps its counts."""

    def __init__(self, writer: RawWriter, summary: SourceSummary, progress: ProgressFn | None) -> None:
        self.writer = writer
        self.summary = summary
        self.progress = progress

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
        counts = self.writer.upsert(table, batch.rows)
        self.summary.tables.setdefault(table.name, UpsertCounts()).add(counts)
        for endpoint, record_id, reason, payload in batch.rejected:
            self.writer.reject(table, endpoint, record_id, reason, payload)
            log.warning("%s %s: rejected record %s: %s", self.summary.source, endpoint, record_id, reason)
        self.summary.rejected += len(batch.rejected)
        if self.progress:
            self.progress(self.summary.source, table.name, len(batch.rows))


def _sync_incidentio(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    client = incidentio.make_client(
        settings.incidentio_api_key.get_secret_value(), settings.incidentio_base_url
    )
    loader.summary.stats = client.stats
    connector = incidentio.IncidentioConnector(client)
    with client:
        cursor = None if full_refresh else loader.writer.get_cursor("incidentio", "incidents")
        since = None
        if cursor:
            since = (datetime.fromisoformat(cursor) - INCIDENTIO_LOOKBACK).isoformat().replace("+00:00", "Z")
        incidents = loader.load(connector.incidents(updated_since=since))
        loader.load_quietly(connector.incident_updates())
        loader.load_quietly(connector.incident_attachments([i["id"] for i in incidents]))
        newest = max(
            (parse_time(i.get("updated_at")) for i in incidents if i.get("updated_at")), default=None
        )
        if newest is not None and (cursor is None or newest.isoformat() > cursor):
            loader.writer.set_cursor("incidentio", "incidents", newest.isoformat())


def _incident_rows(writer: RawWriter) -> list[dict[str, Any]]:
    """The fields Slack and Zoom need from the incidents already in the warehouse."""
    import orjson

    rows = writer.query("SELECT _record FROM raw.incidentio_incidents")
    return [orjson.loads(r[0]) for r in rows]


def _timestamp(incident: dict[str, Any], name: str) -> datetime | None:
    for entry in incident.get("incident_timestamp_values") or []:
        if (entry.get("incident_timestamp") or {}).get("name") == name:
            return parse_time((entry.get("value") or {}).get("value"))
    return None


def _sync_slack(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    incidents = _incident_rows(loader.writer)
    channel_ids = sorted({i["slack_channel_id"] for i in incidents if i.get("slack_channel_id")})
    channel_ids += [c.strip() for c in settings.slack_extra_channels.split(",") if c.strip()]
    stats = RequestStats()
    loader.summary.stats = stats
    client = slack.make_client(settings.slack_bot_token.get_secret_value(), settings.slack_base_url, stats)
    connector = slack.SlackConnector(client, stats)
    loader.load_quietly(connector.channels(channel_ids))
    loader.load_quietly(connector.messages(channel_ids))


def _sync_zoom(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    from pipelines.connectors.zoom import CallWindow, instances_in_windows

    now = datetime.now(UTC)
    windows = []
    for incident in _incident_rows(loader.writer):
        meeting_id = zoom_meeting_id(incident.get("call_url"))
        if not meeting_id:
            continue
        reported = _timestamp(incident, "Reported at") or parse_time(incident.get("created_at"))
        end = _timestamp(incident, "Closed at") or _timestamp(incident, "Resolved at") or now
        if reported is None:
            continue
        windows.append(CallWindow(meeting_id, reported - CALL_WINDOW_MARGIN, end + CALL_WINDOW_MARGIN))
    stats = RequestStats()
    loader.summary.stats = stats
    tokens = zoom.ZoomTokenProvider(
        settings.zoom_oauth_url,
        settings.zoom_account_id or "",
        settings.zoom_client_id or "",
        settings.zoom_client_secret.get_secret_value(),
        stats,
    )
    client = zoom.make_client(settings.zoom_base_url, tokens, stats)
    connector = zoom.ZoomConnector(client)
    with client:
        instances = loader.load(connector.instances(sorted({w.meeting_id for w in windows})))
        # The raw record has no meeting id of its own: join it back from the table's key column.
        meeting_of = dict(loader.writer.query("SELECT id, meeting_id FROM raw.zoom_meeting_instances"))
        for instance in instances:
            instance["meeting_id"] = meeting_of.get(instance.get("uuid"))
        loader.load_quietly(connector.participants(instances_in_windows(instances, windows)))


def zoom_meeting_id(call_url: str | None) -> str | None:
    """The numeric meeting id in a Zoom join URL (`https://zoom.us/j/93398114182?pwd=…`)."""
    import re

    if not call_url:
        return None
    match = re.search(r"/j/(\d{9,12})", call_url)
    return match.group(1) if match else None


def _sync_pagerduty(settings: Settings, loader: _Loader, full_refresh: bool) -> None:
    client = pagerduty.make_client(
        settings.pagerduty_api_token.get_secret_value(), settings.pagerduty_base_url
    )
    loader.summary.stats = client.stats
    connector = pagerduty.PagerDutyConnector(client)
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(days=settings.pagerduty_lookback_days)
    with client:
        loader.load_quietly(connector.incidents(start, end))
        loader.load_quietly(connector.log_entries(start, end))


SYNCERS: dict[str, Callable[[Settings, _Loader, bool], None]] = {
    "incidentio": _sync_incidentio,
    "slack": _sync_slack,
    "zoom": _sync_zoom,
    "pagerduty": _sync_pagerduty,
}


def _run_one(
    source: str, settings: Settings, writer: RawWriter, full_refresh: bool, progress: ProgressFn | None
) -> SourceSummary:
    summary = SourceSummary(source)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        if full_refresh:
            writer.clear_cursors(source)
        SYNCERS[source](settings, _Loader(writer, summary, progress), full_refresh)
    except Exception as error:  # the summary carries the failure; the caller decides to raise
        summary.status = "failed"
        summary.error = str(error)
        log.exception("%s sync failed", source)
    summary.seconds = time.perf_counter() - clock
    writer.record_run(source, started, summary.status, full_refresh, summary.as_dict())
    return summary


def run_sync(
    sources: list[str],
    settings: Settings,
    writer: RawWriter,
    *,
    full_refresh: bool = False,
    progress: ProgressFn | None = None,
) -> dict[str, SourceSummary]:
    """Sync the given sources; PagerDuty alongside incident.io, then Slack and Zoom alongside each other."""
    results: dict[str, SourceSummary] = {}
    with ThreadPoolExecutor(4, thread_name_prefix="sync") as pool:
        futures: dict[str, Future[SourceSummary]] = {}
        if "pagerduty" in sources:
            futures["pagerduty"] = pool.submit(
                _run_one, "pagerduty", settings, writer, full_refresh, progress
            )
        if "incidentio" in sources:
            results["incidentio"] = _run_one("incidentio", settings, writer, full_refresh, progress)
        for source in ("slack", "zoom"):
            if source in sources:
                futures[source] = pool.submit(_run_one, source, settings, writer, full_refresh, progress)
        for source, future in futures.items():
            results[source] = future.result()
    return {s: results[s] for s in sources if s in results}
