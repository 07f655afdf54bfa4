"""What a source's plan writes through: entity → raw table, counts, skipped and stopped listings.

The connectors yield batches per entity; the `Loader` maps each to its raw table (the one place that
mapping is applied), queues it on the warehouse writer with the sets it covers, and keeps the source's
summary: counts per table, rejected records, entities skipped because the API refused them, and
listings stopped because their cursor repeated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipelines.connectors.common import ApiTotal, Batch
from pipelines.connectors.http import ApiError, RequestStats, is_unavailable
from pipelines.connectors.pagination import ListingStopped
from pipelines.connectors.stopping import Stopped, StopSignal
from pipelines.warehouse.raw_tables import raw_table_for
from pipelines.warehouse.raw_writer import RawWriter, UpsertCounts

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, str, int], None]  # (source, table, rows written in this batch)


@dataclass
class SourceSummary:
    """One source's sync: status `ok`, `incomplete` (a listing stopped; the rest is in), `failed`
    or `stopped` (asked to stop), counts per raw table, and what was skipped or stopped."""

    source: str
    status: str = "ok"
    seconds: float = 0.0
    tables: dict[str, UpsertCounts] = field(default_factory=dict)
    rejected: int = 0
    stats: RequestStats = field(default_factory=RequestStats)
    error: str | None = None
    # Optional entities the API refused: entity -> "HTTP 403: message".
    skipped: dict[str, str] = field(default_factory=dict)
    # Listings stopped by their guard, one line each naming the endpoint.
    stopped_listings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "tables": {
                t: {"new": c.new, "updated": c.updated, "deleted": c.deleted} for t, c in self.tables.items()
            },
            "rejected": self.rejected,
            **self.stats.as_dict(),
            "skipped": dict(self.skipped),
            "stopped_listings": list(self.stopped_listings),
            "error": self.error,
        }

    def line(self) -> str:
        new = sum(c.new for c in self.tables.values())
        updated = sum(c.updated for c in self.tables.values())
        deleted = sum(c.deleted for c in self.tables.values())
        s = self.stats
        text = (
            f"{self.source}: {self.status} in {self.seconds:.1f}s, {s.requests} requests, "
            f"{s.retries} retries, {s.rate_limited} rate-limited, {new} new, {updated} updated"
        )
        if deleted:
            text += f", {deleted} deleted at the source"
        if self.rejected:
            text += f", {self.rejected} rejected (see meta.rejected_records)"
        if self.stopped_listings and not self.error:
            text += f", {len(self.stopped_listings)} listing(s) stopped: {self.stopped_listings[0]}"
        return text + (f": {self.error}" if self.error else "")

    def warning_line(self) -> str | None:
        """The one warning of a source that skipped entities the API refused (docs/sync.md,
        "Permissions"), with the API's own words for the first, so a missing scope or feature is named;
        None when nothing was skipped."""
        if not self.skipped:
            return None
        first = min(self.skipped)
        return (
            f"{self.source}: skipped {', '.join(sorted(self.skipped))} (see meta.skipped_entities; "
            f"{first}: {self.skipped[first]})"
        )


class Loader:
    """Writes one source's batches and keeps its summary; shared by that source's threads."""

    def __init__(
        self,
        writer: RawWriter,
        summary: SourceSummary,
        progress: ProgressFn | None,
        stop: StopSignal,
        incidents_ready: threading.Event | None = None,
    ) -> None:
        self.writer = writer
        self.summary = summary
        self.progress = progress
        self.stop = stop
        # Set once incident.io's incidents are queued for writing (or it is not syncing at all).
        self.incidents_ready = incidents_ready or threading.Event()
        # Set by the sync once it stops waiting for this source: nothing may be written after.
        self.closed = threading.Event()
        # Set when the source's work has ended, however it ended.
        self.done = threading.Event()
        self._lock = threading.Lock()
        # The HTTP status of each entity skipped this sync (None: skipped because another one was).
        self.skipped_status: dict[str, int | None] = {}

    @property
    def source(self) -> str:
        return self.summary.source

    def load(self, batches: Iterable[Batch]) -> list[dict[str, Any]]:
        """Write every batch; return the records written (callers that need them use them)."""
        written: list[dict[str, Any]] = []
        for batch in batches:
            self.write(batch)
            written.extend(row["_record"] for row in batch.rows)
        return written

    def load_quietly(self, batches: Iterable[Batch]) -> None:
        for batch in batches:
            self.write(batch)

    def write(self, batch: Batch) -> None:
        if self.closed.is_set():
            raise Stopped(self.stop.reason or "the sync stopped waiting for this source")
        table = raw_table_for(self.source, batch.entity)
        with self._lock:
            counts = self.summary.tables.setdefault(table.name, UpsertCounts())
            self.summary.rejected += len(batch.rejected)
        covers = [(c.name, c.key) for c in batch.covers]
        self.writer.submit(table, batch.rows, counts, covers)
        for endpoint, record_id, reason, payload in batch.rejected:
            self.writer.reject(table, endpoint, record_id, reason, payload)
            log.warning("%s %s: rejected record %s: %s", self.source, endpoint, record_id, reason)
        if self.progress:
            self.progress(self.source, table.name, len(batch.rows))

    def record_totals(self, totals: list[ApiTotal]) -> None:
        """Queued after the rows they count, so the asset check never sees a total without its rows."""
        for t in totals:
            table = raw_table_for(self.source, t.entity)
            self.writer.record_total(self.source, table, t.column, t.since, t.until, t.total)

    def listing_stopped(self, lines: Iterable[str]) -> None:
        with self._lock:
            self.summary.stopped_listings.extend(lines)

    def optional(self, entity: str, read: Callable[[], Iterator[Batch]]) -> bool:
        """Load an optional entity; a 403 or 404 skips it (one warning, a `meta.skipped_entities` row)
        instead of failing the source, and a stopped listing is recorded. True if it was read whole.

        Each source's core listing is not read through here: its refusal fails the source.
        """
        try:
            self.load_quietly(read())
        except ListingStopped as error:
            log.error("%s", error)
            self.listing_stopped([str(error)])
            return False
        except ApiError as error:
            if not is_unavailable(error):
                raise
            self.skip(entity, error.status, str(error))
            return False
        self.writer.clear_skip(self.source, entity)
        return True

    def skip(self, entity: str, status: int | None, message: str) -> None:
        """Record an optional entity as skipped: one warning line, the summary, `meta.skipped_entities`.

        Called by `optional` with the API's refusal, and by a plan for an entity that cannot be read
        because the one it depends on was skipped (schedule entries need the schedules).
        """
        log.warning("%s: %s skipped: %s", self.source, entity, message)
        with self._lock:
            self.summary.skipped[entity] = message
            self.skipped_status[entity] = status
        self.writer.record_skip(self.source, entity, status, message)

    def wait_for_incidents(self) -> None:
        while not self.incidents_ready.wait(0.5):
            self.stop.check()
