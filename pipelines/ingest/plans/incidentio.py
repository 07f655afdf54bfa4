"""incident.io's plan: catalog and users, then incidents (the core listing), then their details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.connectors.common import Batch, parse_time
from pipelines.connectors.http import HttpClient
from pipelines.connectors.incidentio import IncidentioConnector
from pipelines.connectors.pagination import ListingStopped
from pipelines.connectors.zoom import zoom_meeting_id
from pipelines.ingest.loader import Loader
from pipelines.settings import Settings
from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

SOURCE = "incidentio"
# Edits can land with a slightly older updated_at than the newest we saw (clock skew, slow writes).
LOOKBACK = timedelta(hours=1)
# Removing an attachment does not move its incident's `updated_at`: besides the incidents that changed,
# this many others have their attachments re-read per sync, least recently checked first, so a
# deletion is found within ceil(incidents / this) syncs.
ATTACHMENT_RECHECK_PER_SYNC = 25
INCIDENTS = RAW_TABLES_BY_NAME["incidentio_incidents"]


def sync(settings: Settings, loader: Loader, client: HttpClient, full_refresh: bool) -> None:
    loader.summary.stats = client.stats
    connector = IncidentioConnector(client)
    cursor = None if full_refresh else loader.writer.get_cursor(SOURCE, "incidents")
    since = None
    if cursor:
        since = (datetime.fromisoformat(cursor) - LOOKBACK).isoformat().replace("+00:00", "Z")
    backfill_zoom_meeting_ids(loader)
    for entity, read in connector.catalog_lists():
        loader.optional(entity, read)
    loader.optional("users", connector.users)
    incidents: list[dict[str, Any]] = []
    complete = True
    try:
        for batch in connector.incidents(updated_since=since):
            loader.write(batch)
            incidents.extend(row["_record"] for row in batch.rows)
    except ListingStopped as error:  # what was read is kept; the cursor stays where it was
        loader.listing_stopped([str(error)])
        complete = False
    finally:
        loader.incidents_ready.set()  # Slack and Zoom can start on them (they read after a flush)
    loader.optional("incident_updates", connector.incident_updates)
    for entity, read in connector.per_incident_lists():
        loader.optional(entity, read)
    # Attachments are listed per incident: incidents that changed since the last sync, and others in turns.
    ids = _attachment_incidents(loader, [i["id"] for i in incidents], full_refresh)
    now = datetime.now(UTC).isoformat()

    def attachments() -> Iterator[Batch]:
        for batch in connector.incident_attachments(ids):
            yield batch
            for covered in batch.covers:  # checked: the marker follows the rows it covers
                loader.writer.set_cursor(SOURCE, f"attachments:{covered.key[0]}", now)

    loader.optional("incident_attachments", attachments)
    loader.record_totals(connector.totals)
    seen = [t for i in incidents if (t := parse_time(i.get("updated_at"))) is not None]
    newest = max(seen, default=None)
    if complete and newest is not None and (cursor is None or newest > datetime.fromisoformat(cursor)):
        loader.writer.set_cursor(SOURCE, "incidents", newest.isoformat())


def _attachment_incidents(loader: Loader, changed: list[str], full_refresh: bool) -> list[str]:
    """The incidents whose attachments are read: every changed one, then the least recently checked."""
    if full_refresh:
        return changed
    checked = {
        entity.removeprefix("attachments:"): value
        for entity, value in loader.writer.query(
            "SELECT entity, cursor_value FROM meta.sync_cursors "
            "WHERE source = 'incidentio' AND entity LIKE 'attachments:%'"
        )
    }
    wanted = set(changed)
    others = [
        r[0] for r in loader.writer.query(f"SELECT id FROM {INCIDENTS.qualified_name}") if r[0] not in wanted
    ]
    others.sort(key=lambda i: checked.get(i, ""))
    return changed + others[:ATTACHMENT_RECHECK_PER_SYNC]


def backfill_zoom_meeting_ids(loader: Loader) -> None:
    """Fill `zoom_meeting_id` of incidents stored before the column existed (with the same rule the
    connector applies to new rows); rows whose call is not a Zoom link stay NULL."""
    rows = loader.writer.query(
        f"SELECT id, _record->>'$.call_url' FROM {INCIDENTS.qualified_name} "
        "WHERE zoom_meeting_id IS NULL AND _record->>'$.call_url' IS NOT NULL"
    )
    values = {row_id: meeting for row_id, url in rows if (meeting := zoom_meeting_id(url))}
    if values:
        loader.writer.update_column(INCIDENTS, "zoom_meeting_id", values)
