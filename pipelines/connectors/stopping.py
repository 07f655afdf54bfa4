"""A stop request shared by every thread of a sync (SIGTERM, Ctrl-C, a host shutting the run down).

Every wait of the connectors (retry backoff, a 429's Retry-After, a rate budget, a pause of all threads)
goes through `StopSignal.sleep`, and every request starts with `StopSignal.check`, so a stop request is
noticed within one request's time instead of after the longest backoff (docs/sync.md, "Stopping").
"""

from __future__ import annotations

import threading


class Stopped(Exception):
    """The sync was asked to stop; raised at the next wait or request of any thread."""


class StopSignal:
    """A thread-safe, one-way flag: once set, `sleep` and `check` raise `Stopped`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str = "stop requested") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise `Stopped` if a stop was requested."""
        if self._event.is_set():
            raise Stopped(self.reason)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (≤ 0: not at all), or raise `Stopped` as soon as a stop is requested."""
        if seconds > 0 and self._event.wait(seconds):
            raise Stopped(self.reason)
        self.check()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for a stop request; True if one came (never raises)."""
        return self._event.wait(seconds)
