"""A process-wide progress listener: the CLI shows what the in-process Dagster run is doing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProgressListener = Callable[[str, dict[str, Any]], None]  # (event, fields)

_listener: ProgressListener | None = None


def set_progress_listener(listener: ProgressListener | None) -> None:
    global _listener
    _listener = listener


def report(event: str, **fields: Any) -> None:
    if _listener is not None:
        _listener(event, fields)
