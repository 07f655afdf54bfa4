"""Zoom's plan: users, then the instances of incident calls and their participants (the core)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from pipelines.connectors.common import parse_time
from pipelines.connectors.http import HttpClient
from pipelines.connectors.zoom import CallWindow, ZoomConnector, instances_in_windows
from pipelines.ingest.loader import Loader
from pipelines.ingest.plans.common import incident_timestamp, is_active
from pipelines.settings import Settings

SOURCE = "zoom"
CALL_WINDOW_MARGIN = timedelta(hours=1)
# Participants of an instance no longer change this long after it started (Zoom has processed it).
SETTLE_TIME = timedelta(days=1)


def sync(settings: Settings, loader: Loader, client: HttpClient, full_refresh: bool) -> None:
    loader.summary.stats = client.stats
    connector = ZoomConnector(client)
    loader.optional("users", connector.users)  # needs no incidents: done while incident.io lists them
    loader.wait_for_incidents()
    try:
        _sync_calls(loader, connector, full_refresh)
    finally:
        loader.listing_stopped(connector.stopped)


def _call_windows(loader: Loader, full_refresh: bool, now: datetime) -> tuple[list[CallWindow], set[str]]:
    """Each incident's call (its stored `zoom_meeting_id`) and the window its instances must start in;
    and the meetings still worth polling."""
    windows: list[CallWindow] = []
    active: set[str] = set()
    rows = loader.writer.query(
        "SELECT zoom_meeting_id, _record FROM raw.incidentio_incidents WHERE zoom_meeting_id IS NOT NULL"
    )
    for meeting_id, record in rows:
        incident = orjson.loads(record)
        reported = incident_timestamp(incident, "Reported at") or parse_time(incident.get("created_at"))
        if reported is None:
            continue
        end = incident_timestamp(incident, "Closed at") or incident_timestamp(incident, "Resolved at") or now
        windows.append(CallWindow(meeting_id, reported - CALL_WINDOW_MARGIN, end + CALL_WINDOW_MARGIN))
        if full_refresh or is_active(incident, now):
            active.add(meeting_id)
    return windows, active


def _sync_calls(loader: Loader, connector: ZoomConnector, full_refresh: bool) -> None:
    now = datetime.now(UTC)
    windows, active_meetings = _call_windows(loader, full_refresh, now)
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
        loader.write(batch)
        start = started[uuid]
        if batch.covers and start is not None and now - start > SETTLE_TIME:
            loader.writer.set_cursor(SOURCE, f"participants:{uuid}", "settled")
