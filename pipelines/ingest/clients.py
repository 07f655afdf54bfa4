"""Each source's API client, built from settings; the Dagster resources build the same ones.

A `ClientFactory` takes the sync's `StopSignal` and returns the source's client (`HttpClient` for
incident.io, Zoom and PagerDuty, `SlackWebApi` for Slack), closed by the sync when the source is done.
`transports` replaces the network of the httpx-based clients (tests: `httpx.MockTransport`, or a
transport that forwards to the sandbox and alters some answers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from pipelines.connectors import incidentio, pagerduty, slack, zoom
from pipelines.connectors.http import RequestStats
from pipelines.connectors.ratelimit import ApiBudget
from pipelines.connectors.stopping import StopSignal
from pipelines.settings import Settings

ClientFactory = Callable[[StopSignal], Any]


def budget_for(source: str, rate_scale: float, slack_profile: str = "tier3") -> ApiBudget:
    """The client-side budget of one API: its documented limits times `rate_scale` (0: off)."""
    return ApiBudget(source, rate_scale, slack_profile=slack_profile)


def incidentio_client(
    api_key: str,
    base_url: str,
    *,
    timeout: float,
    rate_scale: float,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    return incidentio.make_client(
        api_key,
        base_url,
        timeout=timeout,
        budget=budget_for("incidentio", rate_scale),
        stop=stop,
        transport=transport,
    )


def slack_client(
    token: str,
    base_url: str,
    *,
    timeout: float,
    rate_scale: float,
    rate_profile: str = "tier3",
    stop: StopSignal | None = None,
) -> slack.SlackWebApi:
    return slack.make_client(
        token,
        base_url,
        RequestStats(),
        timeout=timeout,
        budget=budget_for("slack", rate_scale, rate_profile),
        stop=stop,
    )


def zoom_client(
    account_id: str,
    client_id: str,
    client_secret: str,
    base_url: str,
    oauth_url: str,
    *,
    timeout: float,
    rate_scale: float,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    stats = RequestStats()
    tokens = zoom.ZoomTokenProvider(oauth_url, account_id, client_id, client_secret, stats, timeout=timeout)
    return zoom.make_client(
        base_url,
        tokens,
        stats,
        timeout=timeout,
        budget=budget_for("zoom", rate_scale),
        stop=stop,
        transport=transport,
    )


def pagerduty_client(
    api_token: str,
    base_url: str,
    *,
    timeout: float,
    rate_scale: float,
    stop: StopSignal | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    return pagerduty.make_client(
        api_token,
        base_url,
        timeout=timeout,
        budget=budget_for("pagerduty", rate_scale),
        stop=stop,
        transport=transport,
    )


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def clients_from_settings(
    settings: Settings, transports: Mapping[str, httpx.BaseTransport] | None = None
) -> dict[str, ClientFactory]:
    """A client factory per source, from the environment's settings (`Settings`)."""
    transports = transports or {}
    common = {"timeout": settings.incident_lake_http_timeout, "rate_scale": settings.incident_lake_rate_scale}
    return {
        "incidentio": lambda stop: incidentio_client(
            _secret(settings.incidentio_api_key),
            settings.incidentio_base_url,
            stop=stop,
            transport=transports.get("incidentio"),
            **common,
        ),
        "slack": lambda stop: slack_client(
            _secret(settings.slack_bot_token),
            settings.slack_base_url,
            rate_profile=settings.slack_rate_profile,
            stop=stop,
            **common,
        ),
        "zoom": lambda stop: zoom_client(
            settings.zoom_account_id or "",
            settings.zoom_client_id or "",
            _secret(settings.zoom_client_secret),
            settings.zoom_base_url,
            settings.zoom_oauth_url,
            stop=stop,
            transport=transports.get("zoom"),
            **common,
        ),
        "pagerduty": lambda stop: pagerduty_client(
            _secret(settings.pagerduty_api_token),
            settings.pagerduty_base_url,
            stop=stop,
            transport=transports.get("pagerduty"),
            **common,
        ),
    }
