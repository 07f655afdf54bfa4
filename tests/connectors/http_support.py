"""A fake for the HTTP client's transport seam, driven by handlers written with httpx's types."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from pipelines.connectors import http


def fake_transport(handler: Callable[[httpx.Request], httpx.Response]) -> http.Transport:
    """An httpx timeout or transport error raised by the handler is a failed exchange."""

    def send(url: str, headers: Mapping[str, str]) -> http.Response:
        request = httpx.Request("GET", url, headers=dict(headers))
        try:
            response = handler(request)
        except httpx.TransportError as error:
            raise http.TransportFailure(type(error).__name__) from error
        return http.Response(response.status_code, response.headers, response.read())

    return send
