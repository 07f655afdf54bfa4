"""Typed resources for the four APIs and the warehouse. Secrets come in through `EnvVar`.

A source whose credentials are not set is configured with `None` and skipped at run time with one
log line (docs/contract.md#configuration); an `EnvVar` is only used when the variable exists, so a
missing secret never turns into a load error, and a present one never shows its value in run config or the UI.

Each API resource builds and owns its client (`client(stop)`: one pooled `httpx.Client`, or Slack's
`WebClient`, with the API's budget, timeout and retries); the sync library takes those clients and
knows nothing of Dagster.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import SecretStr

from pipelines.connectors.http import HttpClient
from pipelines.connectors.slack import SlackWebApi
from pipelines.connectors.stopping import StopSignal
from pipelines.ingest import clients
from pipelines.ingest.clients import ClientFactory
from pipelines.settings import Settings, get_settings


def _secret(name: str) -> dg.EnvVar | None:
    return dg.EnvVar(name) if os.environ.get(name) else None


class _ApiResource(dg.ConfigurableResource):
    """What every API client shares: seconds before a silent request is retried, and the budget scale
    (1 = the documented limits, N = the sandbox at speed N, 0 = off)."""

    http_timeout: float = 30.0
    rate_scale: float = 1.0


class IncidentioResource(_ApiResource):
    api_key: str | None = None
    base_url: str = "https://api.incident.io"

    def client(self, stop: StopSignal | None = None) -> HttpClient:
        """The incident.io client (the caller closes it)."""
        return clients.incidentio_client(
            self.api_key or "",
            self.base_url,
            timeout=self.http_timeout,
            rate_scale=self.rate_scale,
            stop=stop,
        )


class SlackResource(_ApiResource):
    bot_token: str | None = None
    base_url: str = "https://slack.com/api/"
    extra_channels: str = ""
    rate_profile: str = "tier3"

    def client(self, stop: StopSignal | None = None) -> SlackWebApi:
        """The Slack Web API client (slack-sdk `WebClient` behind our budget and retries)."""
        return clients.slack_client(
            self.bot_token or "",
            self.base_url,
            timeout=self.http_timeout,
            rate_scale=self.rate_scale,
            rate_profile=self.rate_profile,
            stop=stop,
        )


class ZoomResource(_ApiResource):
    account_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    base_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"

    def client(self, stop: StopSignal | None = None) -> HttpClient:
        """The Zoom client, with its Server-to-Server OAuth token provider."""
        return clients.zoom_client(
            self.account_id or "",
            self.client_id or "",
            self.client_secret or "",
            self.base_url,
            self.oauth_url,
            timeout=self.http_timeout,
            rate_scale=self.rate_scale,
            stop=stop,
        )


class PagerDutyResource(_ApiResource):
    api_token: str | None = None
    base_url: str = "https://api.pagerduty.com"
    lookback_days: int = 365

    def client(self, stop: StopSignal | None = None) -> HttpClient:
        """The PagerDuty REST API v2 client."""
        return clients.pagerduty_client(
            self.api_token or "",
            self.base_url,
            timeout=self.http_timeout,
            rate_scale=self.rate_scale,
            stop=stop,
        )


def api_clients(
    incidentio: IncidentioResource, slack: SlackResource, zoom: ZoomResource, pagerduty: PagerDutyResource
) -> dict[str, ClientFactory]:
    """The client factory of each source, for `run_sync(clients=...)`."""
    return {
        "incidentio": incidentio.client,
        "slack": slack.client,
        "zoom": zoom.client,
        "pagerduty": pagerduty.client,
    }


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
        slack_rate_profile=slack.rate_profile,
        zoom_account_id=zoom.account_id,
        zoom_client_id=zoom.client_id,
        zoom_client_secret=secret(zoom.client_secret),
        zoom_base_url=zoom.base_url,
        zoom_oauth_url=zoom.oauth_url,
        pagerduty_api_token=secret(pagerduty.api_token),
        pagerduty_base_url=pagerduty.base_url,
        pagerduty_lookback_days=pagerduty.lookback_days,
        incident_lake_http_timeout=incidentio.http_timeout,
        incident_lake_rate_scale=incidentio.rate_scale,
    )


def build_resources() -> dict[str, dg.ConfigurableResource]:
    settings = get_settings()
    common = {
        "http_timeout": settings.incident_lake_http_timeout,
        "rate_scale": settings.incident_lake_rate_scale,
    }
    return {
        "warehouse": DuckDBResource(
            database=str(settings.warehouse_path), connection_config=settings.duckdb_config()
        ),
        "incidentio": IncidentioResource(
            api_key=_secret("INCIDENTIO_API_KEY"), base_url=settings.incidentio_base_url, **common
        ),
        "slack": SlackResource(
            bot_token=_secret("SLACK_BOT_TOKEN"),
            base_url=settings.slack_base_url,
            extra_channels=settings.slack_extra_channels,
            rate_profile=settings.slack_rate_profile,
            **common,
        ),
        "zoom": ZoomResource(
            account_id=settings.zoom_account_id,
            client_id=settings.zoom_client_id,
            client_secret=_secret("ZOOM_CLIENT_SECRET"),
            base_url=settings.zoom_base_url,
            oauth_url=settings.zoom_oauth_url,
            **common,
        ),
        "pagerduty": PagerDutyResource(
            api_token=_secret("PAGERDUTY_API_TOKEN"),
            base_url=settings.pagerduty_base_url,
            lookback_days=settings.pagerduty_lookback_days,
            **common,
        ),
    }
