"""Handlers for the HTTP client's transport seam (`httpx.MockTransport`), and a fast no-wait policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from pipelines.connectors.http import HttpClient

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(
    handler: Handler, source: str = "test", base_url: str = "http://api.local", **kwargs: Any
) -> HttpClient:
    """An `HttpClient` whose requests go to `handler`; waits between retries are at most 10 ms."""
    kwargs.setdefault("max_delay", 0.01)
    return HttpClient(source, base_url, transport=httpx.MockTransport(handler), **kwargs)
