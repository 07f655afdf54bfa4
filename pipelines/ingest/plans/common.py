"""Rules the plans share: which incidents are still worth polling, and incident timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pipelines.connectors.common import parse_time

# Slack channels and Zoom calls of finished incidents are polled for this long after their last change.
ACTIVE_WINDOW = timedelta(days=14)
FINISHED_CATEGORIES = frozenset({"closed", "declined", "merged", "canceled"})


def incident_timestamp(incident: dict[str, Any], name: str) -> datetime | None:
    """The value of the incident's timestamp called `name` ("Reported at"…), if set."""
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
