"""Slack's plan: users, then the channels of incidents (history is the core listing) and threads."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from pipelines.connectors.slack import SlackConnector, SlackWebApi, thread_state
from pipelines.ingest.loader import Loader
from pipelines.ingest.plans.common import is_active
from pipelines.settings import Settings

SOURCE = "slack"


def sync(settings: Settings, loader: Loader, client: SlackWebApi, full_refresh: bool) -> None:
    now = datetime.now(UTC)
    loader.summary.stats = client.stats
    connector = SlackConnector(client, **_profile(settings))
    loader.optional("users", connector.users)  # needs no incidents: done while incident.io lists them
    loader.wait_for_incidents()
    channel_ids = _channels_to_read(settings, loader, full_refresh, now)
    known_threads: dict[tuple[str, str], str | None] = {}
    if not full_refresh:
        known_threads = {
            (channel, ts): thread_state({"latest_reply": latest, "reply_count": count})
            for channel, ts, latest, count in loader.writer.query(
                "SELECT channel_id, ts, _record->>'$.latest_reply', _record->>'$.reply_count' "
                "FROM raw.slack_messages WHERE (_record->>'$.reply_count')::INTEGER > 0"
            )
        }
    loader.optional("channels", lambda: connector.channels(channel_ids))
    try:
        for channel_id, batch in connector.messages(channel_ids, known_threads):
            loader.write(batch)
            if batch.covers:  # read whole: checked; a stopped history is read again next sync
                loader.writer.set_cursor(SOURCE, f"channel:{channel_id}", now.isoformat())
    finally:
        loader.listing_stopped(connector.stopped)


def _channels_to_read(settings: Settings, loader: Loader, full_refresh: bool, now: datetime) -> list[str]:
    """Channels of active incidents, extras, new ones, and old ones in turns (least recently checked
    first, `SLACK_RECHECK_CHANNELS_PER_SYNC` a sync), so a late reply in an old thread is found
    without polling every channel hourly."""
    incidents = _incident_channels(loader)
    synced = {r[0] for r in loader.writer.query("SELECT id FROM raw.slack_channels")}
    extra = [c.strip() for c in settings.slack_extra_channels.split(",") if c.strip()]
    all_channels = sorted(
        {i["slack_channel_id"] for i in incidents if i.get("slack_channel_id")} | set(extra)
    )
    if full_refresh:
        return all_channels
    checked = {
        entity.removeprefix("channel:"): value
        for entity, value in loader.writer.query(
            "SELECT entity, cursor_value FROM meta.sync_cursors "
            "WHERE source = 'slack' AND entity LIKE 'channel:%'"
        )
    }
    active = {i["slack_channel_id"] for i in incidents if i.get("slack_channel_id") and is_active(i, now)}
    must = [c for c in all_channels if c in active or c in extra or c not in synced or c not in checked]
    must_set = set(must)
    rest = sorted((c for c in all_channels if c not in must_set), key=lambda c: checked.get(c, ""))
    return must + list(itertools.islice(rest, settings.slack_recheck_channels_per_sync))


def _incident_channels(loader: Loader) -> list[dict[str, Any]]:
    """The three fields Slack needs from each incident, picked out by DuckDB (no JSON parsed here)."""
    rows = loader.writer.query(
        "SELECT _record->>'$.slack_channel_id', _record->>'$.incident_status.category', "
        "_record->>'$.updated_at' FROM raw.incidentio_incidents"
    )
    return [
        {"slack_channel_id": channel, "incident_status": {"category": category}, "updated_at": updated}
        for channel, category, updated in rows
    ]


def _profile(settings: Settings) -> dict[str, Any]:
    """`nonmarketplace`: apps distributed outside the Slack Marketplace get 15 messages a page."""
    if settings.slack_rate_profile == "nonmarketplace":
        return {"history_limit": 15, "replies_limit": 15, "concurrency": 1}
    return {}
