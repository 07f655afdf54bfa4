"""PagerDuty's plan: services, users and teams, incidents (the core listing), log entries and on-calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipelines.connectors.http import HttpClient
from pipelines.connectors.pagerduty import PagerDutyConnector
from pipelines.connectors.pagination import ListingStopped
from pipelines.ingest.loader import Loader
from pipelines.settings import Settings

SOURCE = "pagerduty"
LOOKBACK = timedelta(hours=1)
ONCALL_LOOKBACK = timedelta(days=7)
# Entity -> the column whose newest value is the entity's cursor.
CURSOR_COLUMNS = {"incidents": "created_at", "log_entries": "created_at", "oncalls": "start_at"}


def sync(settings: Settings, loader: Loader, client: HttpClient, full_refresh: bool) -> None:
    loader.summary.stats = client.stats
    connector = PagerDutyConnector(client)
    writer = loader.writer
    # Whole seconds: PagerDuty reads since/until to the second, and the totals check uses the same bounds.
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(days=settings.pagerduty_lookback_days)

    def since(entity: str, lookback: timedelta) -> datetime:
        cursor = None if full_refresh else writer.get_cursor(SOURCE, entity)
        return max(start, datetime.fromisoformat(cursor) - lookback) if cursor else start

    complete: set[str] = set()
    loader.optional("services", connector.services)
    loader.optional("users", connector.users)  # each user's teams[] is the team membership
    loader.optional("teams", connector.teams)
    if not full_refresh and writer.get_cursor(SOURCE, "incidents"):
        # `since` filters on creation: incidents that were open at the last sync are read again.
        open_ids = [
            r[0]
            for r in writer.query(
                "SELECT id FROM raw.pagerduty_incidents WHERE _record->>'$.status' <> 'resolved'"
            )
        ]
        loader.load_quietly(connector.incidents_by_id(open_ids))
    try:
        loader.load_quietly(connector.incidents(since("incidents", LOOKBACK), end))
        complete.add("incidents")
    except ListingStopped as error:
        loader.listing_stopped([str(error)])
    log_since = since("log_entries", LOOKBACK)
    if loader.optional("log_entries", lambda: connector.log_entries(log_since, end)):
        complete.add("log_entries")
    loader.record_totals(connector.totals)
    # Shifts are few (a week each per policy and level): re-read from a week before the last sync's
    # newest shift start, so a swapped or overridden shift is picked up.
    oncall_since = since("oncalls", ONCALL_LOOKBACK)
    if loader.optional("oncalls", lambda: connector.oncalls(oncall_since, end)):
        complete.add("oncalls")
    # Cursors are the newest times seen in the data (the API's clock, not ours), and move only
    # after the data they cover is written and only for listings read to their end.
    for entity in sorted(complete):
        newest = writer.query(f"SELECT max({CURSOR_COLUMNS[entity]}) FROM raw.pagerduty_{entity}")[0][0]
        if newest is not None:
            writer.set_cursor(SOURCE, entity, newest.isoformat())
