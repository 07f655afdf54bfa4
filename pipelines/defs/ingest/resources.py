"""Typed resources for the four APIs and the warehouse. Secrets come in through `EnvVar`.

A source whose credentials are not set is configured with `None` and skipped at run time with one
log line (DESIGN §3); an `EnvVar` is only used when the variable exists, so a missing secret never
turns into a load error, and a present one never shows its value in run config or the UI.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import SecretStr

from pipelines.settings import Settings, get_settings


def _secret(name: str) -> dg.EnvVar | None:
    return dg.EnvVar(name) if os.environ.get(name) else None


class IncidentioResource(dg.ConfigurableResource):
    api_key: str | None = None
    base_url: str = "https://api.incident.io"


class SlackResource(dg.ConfigurableResource):
    bot_token: str | None = None
    base_url: str = "https://slack.com/api/"
    extra_channels: str = ""


class ZoomResource(dg.ConfigurableResource):
    account_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    base_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"


class PagerDutyResource(dg.ConfigurableResource):
    api_token: str | None = None
    base_url: str = "https://api.pagerduty.com"
    lookback_days: int = 365


def source_settings(
    incidentio: IncidentioResource, slack: SlackResource, zoom: ZoomResource, pagerduty: PagerDutyResource
) -> Settings:
    """The connector settings made from the resources (the library code knows nothing of Dagster)."""

    def secret(value: str | None) -> SecretStr | None:
        return SecretStr(value) if value else None

    return Settings(
        incidentio_api_key=secret(incidentio.api_key),
        incidentio_base_url=incidentio.base_url,
        slack_bot_token=secret(slack.bot_token),
        slack_base_url=slack.base_url,
        slack_extra_channels=slack.extra_channels,
        zoom_account_id=zoom.account_id,
        zoom_client_id=zoom.client_id,
        zoom_client_secret=secret(zoom.client_secret),
        zoom_base_url=zoom.base_url,
        zoom_oauth_url=zoom.oauth_url,
        pagerduty_api_token=secret(pagerduty.api_token),
        pagerduty_base_url=pagerduty.base_url,
        pagerduty_lookback_days=pagerduty.lookback_days,
    )


def build_resources() -> dict[str, dg.ConfigurableResource]:
    settings = get_settings()
    return {
        "warehouse": DuckDBResource(database=str(settings.warehouse_path)),
        "incidentio": IncidentioResource(
            api_key=_secret("INCIDENTIO_API_KEY"), base_url=settings.incidentio_base_url
        ),
        "slack": SlackResource(
            bot_token=_secret("SLACK_BOT_TOKEN"),
            base_url=settings.slack_base_url,
            extra_channels=settings.slack_extra_channels,
        ),
        "zoom": ZoomResource(
            account_id=settings.zoom_account_id,
            client_id=settings.zoom_client_id,
            client_secret=_secret("ZOOM_CLIENT_SECRET"),
            base_url=settings.zoom_base_url,
            oauth_url=settings.zoom_oauth_url,
        ),
        "pagerduty": PagerDutyResource(
            api_token=_secret("PAGERDUTY_API_TOKEN"),
            base_url=settings.pagerduty_base_url,
            lookback_days=settings.pagerduty_lookback_days,
        ),
    }
