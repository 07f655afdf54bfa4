"""incident.io's plan: catalog and users, then incidents (the core listing), then their details, then
the second wave (teams, the catalog, post-mortems, On-call), every one of them optional."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

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
# Schedule entries are read over the PagerDuty incidents' lookback (`PAGERDUTY_LOOKBACK_DAYS`) to this
# far ahead: without a window the API answers from now on only.
SCHEDULE_AHEAD = timedelta(days=14)
# Past entries do not change once their shift is over, but an override can still be entered for a
# shift just gone: after a schedule's first read, each sync re-reads from this long before the last one.
SCHEDULE_RECHECK = timedelta(days=7)
# An alert resolves after it fires and the API filters alerts on creation only: alerts created this
# long before the newest one seen are read again, so a recent alert's resolution lands.
ALERT_LOOKBACK = timedelta(days=7)


def sync(settings: Settings, loader: Loader, client: HttpClient, full_refresh: bool) -> None:
    loader.summary.stats = client.stats
    connector = IncidentioConnector(client)
    # Every cursor of the source in one read, before any writes: a warehouse read waits until the
    # shared writer has caught up with every source's queued rows.
    cursors: dict[str, str] = (
        {}
        if full_refresh
        else dict(
            loader.writer.query(
                "SELECT entity, cursor_value FROM meta.sync_cursors WHERE source = ?", [SOURCE]
            )
        )
    )
    cursor = cursors.get("incidents")
    since = None
    if cursor:
        since = (datetime.fromisoformat(cursor) - LOOKBACK).isoformat().replace("+00:00", "Z")
    backfill_zoom_meeting_ids(loader)
    custom_fields: list[dict[str, Any]] = []
    for entity, read in connector.catalog_lists():
        if entity == "custom_fields":
            read = _keeping(read, custom_fields)
        if not loader.optional(entity, read) and entity == "custom_fields":
            custom_fields = _stored_records(loader, "custom_fields")
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
    sync_teams_and_postmortems(loader, connector, custom_fields)
    sync_oncall(settings, loader, connector, cursors)


def sync_teams_and_postmortems(
    loader: Loader, connector: IncidentioConnector, custom_fields: list[dict[str, Any]]
) -> None:
    """Teams, catalog types, the entries of the catalog types in use, and post-mortem documents: each
    read whole every sync (a few requests: they hold hundreds of records, not thousands).
    `custom_fields`: the custom field records of this sync (or the stored ones if they were not read)."""
    loader.optional("teams", connector.teams)
    catalog_types: list[dict[str, Any]] = []
    if not loader.optional("catalog_types", _keeping(connector.catalog_types, catalog_types)):
        catalog_types = _stored_records(loader, "catalog_types")
    type_ids = catalog_types_in_use(custom_fields, catalog_types)
    loader.optional("catalog_entries", lambda: connector.catalog_entries(type_ids))
    loader.optional("postmortem_documents", connector.postmortem_documents)


def catalog_types_in_use(
    custom_fields: list[dict[str, Any]], catalog_types: list[dict[str, Any]]
) -> list[str]:
    """The catalog types whose entries are read: every type a custom field points at
    (`catalog_type_id`), and the team type (`is_team_type`) even when no field does, because teams'
    `catalog_entry` ids and their aliases live there. Types no field uses (e.g. a Product type) cost
    nothing. Either list may come from the warehouse, so a key that cannot read one still uses the other."""
    used = {f.get("catalog_type_id") for f in custom_fields}
    used |= {t.get("id") for t in catalog_types if t.get("is_team_type") is True}
    return sorted(t for t in used if isinstance(t, str) and t)


def _keeping(
    read: Callable[[], Iterator[Batch]], kept: list[dict[str, Any]]
) -> Callable[[], Iterator[Batch]]:
    """`read`, also collecting the records it returns into `kept` (what the rest of the plan needs from
    them, without a warehouse read that would wait for the shared writer)."""

    def wrapped() -> Iterator[Batch]:
        for batch in read():
            kept.extend(row["_record"] for row in batch.rows)
            yield batch

    return wrapped


def _stored_records(loader: Loader, entity: str) -> list[dict[str, Any]]:
    """The live records of one of the source's raw tables, for when this sync could not read them."""
    table = RAW_TABLES_BY_NAME[f"{SOURCE}_{entity}"]
    rows = loader.writer.query(f"SELECT _record FROM {table.qualified_name} WHERE _deleted_at IS NULL")
    return [orjson.loads(r[0]) for r in rows]


def sync_oncall(
    settings: Settings, loader: Loader, connector: IncidentioConnector, cursors: dict[str, str]
) -> None:
    """Schedules and their entries, escalations, alerts and incident alerts (docs/sync.md, "Teams, catalog,
    post-mortems and On-call").

    An account without On-call answers 404 on each: each is skipped on its own, and schedule entries
    are recorded as skipped with the schedules (they cannot be listed without them). `cursors`: the
    source's cursors as the sync started (empty for a full refresh).
    """
    now = datetime.now(UTC).replace(microsecond=0)
    schedules: list[dict[str, Any]] = []
    read_whole = loader.optional("schedules", _keeping(connector.schedules, schedules))
    refused = loader.summary.skipped.get("schedules")
    if refused is not None:
        reason = f"not read because the schedules were skipped: {refused}"
        loader.skip("schedule_entries", loader.skipped_status.get("schedules"), reason)
    else:
        if not read_whole:  # the listing stopped part-way: the schedules known so far
            schedules = _stored_records(loader, "schedules")
        schedule_ids = [str(s["id"]) for s in schedules]
        start = now - timedelta(days=settings.pagerduty_lookback_days)
        loader.optional(
            "schedule_entries",
            lambda: _schedule_entries(loader, connector, schedule_ids, start, now, cursors),
        )
    _incremental(loader, "escalations", "updated_at", LOOKBACK, connector.escalations, cursors)
    _incremental(loader, "alerts", "created_at", ALERT_LOOKBACK, connector.alerts, cursors)
    loader.optional("incident_alerts", connector.incident_alerts)


def _schedule_entries(
    loader: Loader,
    connector: IncidentioConnector,
    schedule_ids: list[str],
    start: datetime,
    now: datetime,
    cursors: dict[str, str],
) -> Iterator[Batch]:
    """Each schedule's `final` entries: the whole lookback on its first read (or a full
    refresh: `cursors` is then empty), then from `SCHEDULE_RECHECK` before its last read; always up
    to `SCHEDULE_AHEAD` from now. The per-schedule cursor (`schedule_entries:<id>`, the time of the
    read) is queued after the schedule's rows, so a crash re-reads rather than skips."""
    end = now + SCHEDULE_AHEAD
    for schedule_id in sorted(schedule_ids):
        entity = f"schedule_entries:{schedule_id}"
        cursor = cursors.get(entity)
        since = start if cursor is None else max(start, datetime.fromisoformat(cursor) - SCHEDULE_RECHECK)
        yield connector.schedule_entries(schedule_id, _iso(since), _iso(end))
        loader.writer.set_cursor(SOURCE, entity, now.isoformat())


def _incremental(
    loader: Loader,
    entity: str,
    column: str,
    lookback: timedelta,
    read: Callable[[str | None], Iterator[Batch]],
    cursors: dict[str, str],
) -> None:
    """Read `entity` from its cursor (the newest `column` value seen, minus `lookback`; everything
    when there is none) and move the cursor to the newest value this read returned.

    The cursor moves only once the listing has been read to its end: escalations come newest first,
    so a listing stopped half way has read the newest records and not the older ones in the range,
    and a cursor taken from what it read would step over them.
    """
    cursor = cursors.get(entity)
    since = _iso(datetime.fromisoformat(cursor) - lookback) if cursor else None
    seen: list[datetime] = []

    def batches() -> Iterator[Batch]:
        for batch in read(since):
            seen.extend(t for row in batch.rows if (t := row.get(column)) is not None)
            yield batch

    complete = loader.optional(entity, batches)
    newest = max(seen, default=None)
    if complete and newest is not None and (cursor is None or newest > datetime.fromisoformat(cursor)):
        loader.writer.set_cursor(SOURCE, entity, newest.isoformat())


def _iso(value: datetime) -> str:
    """Whole seconds in UTC with a `Z`, the form the API's filters and windows take."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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
