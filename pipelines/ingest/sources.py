"""Which sources are configured, built from settings; a source without credentials is skipped."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.settings import Settings

SOURCES = ("incidentio", "slack", "zoom", "pagerduty")

REQUIRED_VARS: dict[str, tuple[str, ...]] = {
    "incidentio": ("INCIDENTIO_API_KEY",),
    "slack": ("SLACK_BOT_TOKEN",),
    "zoom": ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"),
    "pagerduty": ("PAGERDUTY_API_TOKEN",),
}


@dataclass(frozen=True)
class SourceStatus:
    source: str
    configured: bool
    missing: tuple[str, ...]


def source_status(settings: Settings, source: str) -> SourceStatus:
    values = {
        "INCIDENTIO_API_KEY": settings.incidentio_api_key,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "ZOOM_ACCOUNT_ID": settings.zoom_account_id,
        "ZOOM_CLIENT_ID": settings.zoom_client_id,
        "ZOOM_CLIENT_SECRET": settings.zoom_client_secret,
        "PAGERDUTY_API_TOKEN": settings.pagerduty_api_token,
    }
    missing = tuple(var for var in REQUIRED_VARS[source] if not values[var])
    return SourceStatus(source, not missing, missing)


def configured_sources(settings: Settings) -> list[str]:
    return [s for s in SOURCES if source_status(settings, s).configured]


class NoSourceConfigured(Exception):
    def __init__(self) -> None:
        names = ", ".join(v for vars_ in REQUIRED_VARS.values() for v in vars_)
        super().__init__(
            f"no source is configured: set the credentials of at least one source ({names}), "
            "or run `incident-lake demo` to use the built-in sandbox"
        )
