"""Helpers shared by the sandbox tests: a fixed anchor and each API's auth headers."""

from __future__ import annotations

from datetime import UTC, datetime

ANCHOR = datetime(2026, 3, 2, tzinfo=UTC)  # fixed, so tests don't depend on today's date
PD_ACCEPT = "application/vnd.pagerduty+json;version=2"


def incidentio_headers(env: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {env['INCIDENTIO_API_KEY']}"}


def pagerduty_headers(env: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Token token={env['PAGERDUTY_API_TOKEN']}", "Accept": PD_ACCEPT}
