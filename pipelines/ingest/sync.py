"""Sync runner: pulls the configured sources into `raw.*` concurrently and summarises each.

Plain library code (no Dagster): the Dagster assets and the benchmark both call `run_sync`. This
module only orchestrates; what each source reads and when its cursors move is its plan
(`pipelines/ingest/plans/`). The four sources start together. Slack and Zoom read the incidents to
know which channels and calls to fetch, so after their own independent work (users) they wait until
incident.io has listed its incidents, not until it has finished. All writes go through one background
writer that commits many batches per transaction.

Stopping: an interrupt reaching the calling thread (Ctrl-C's `KeyboardInterrupt`, or the exception a
host such as Dagster raises on SIGTERM) sets the sync's `StopSignal`; every wait and request of every
source sees it, the sources get `STOP_GRACE_SECONDS` to wind down, what was queued is committed
(cursors never ahead of their rows), each source's run is recorded as `stopped`, and the interrupt is
raised again. A request still stuck in a socket read is abandoned on its daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.connectors.stopping import Stopped, StopSignal
from pipelines.ingest.clients import ClientFactory, clients_from_settings
from pipelines.ingest.loader import Loader, ProgressFn, SourceSummary
from pipelines.ingest.plans import incidentio, pagerduty, slack, zoom
from pipelines.settings import Settings
from pipelines.warehouse.raw_writer import RawWriter

log = logging.getLogger(__name__)

# After a stop request, how long the sources get to notice it and hand over what they read.
STOP_GRACE_SECONDS = 3.0

Plan = Callable[[Settings, Loader, Any, bool], None]
PLANS: dict[str, Plan] = {
    "incidentio": incidentio.sync,
    "slack": slack.sync,
    "zoom": zoom.sync,
    "pagerduty": pagerduty.sync,
}

__all__ = ["STOP_GRACE_SECONDS", "SourceSummary", "run_sync"]


def _run_one(
    source: str,
    settings: Settings,
    client_factory: ClientFactory,
    loader: Loader,
    full_refresh: bool,
) -> None:
    """One source, start to end; the outcome goes into `loader.summary` (never raises)."""
    summary, writer, stop = loader.summary, loader.writer, loader.stop
    clock = time.perf_counter()
    try:
        if full_refresh:
            writer.clear_cursors(source)
        client = client_factory(stop)
        try:
            PLANS[source](settings, loader, client, full_refresh)
        finally:
            client.close()
        writer.flush()  # the counts are final once the source's rows are committed
        if summary.stopped_listings:
            summary.status = "incomplete"
            summary.error = (
                f"{len(summary.stopped_listings)} listing(s) stopped: {summary.stopped_listings[0]}"
            )
    except Stopped as error:
        summary.status, summary.error = "stopped", str(error) or "stop requested"
    except Exception as error:  # the summary carries the failure; the caller decides to raise
        summary.status = "failed"
        summary.error = str(error)
        if not stop.is_set():
            log.exception("%s sync failed", source)
    finally:
        if source == "incidentio":
            loader.incidents_ready.set()  # even after a failure: Slack and Zoom use what the warehouse holds
        summary.seconds = time.perf_counter() - clock
        loader.done.set()


def run_sync(
    sources: list[str],
    settings: Settings,
    writer: RawWriter,
    *,
    full_refresh: bool = False,
    progress: ProgressFn | None = None,
    clients: Mapping[str, ClientFactory] | None = None,
    stop: StopSignal | None = None,
) -> dict[str, SourceSummary]:
    """Sync the given sources, all four at once (Slack and Zoom wait for incident.io's incidents).

    `clients`: a client factory per source (the Dagster resources pass theirs); by default built from
    `settings`. `stop`: set it (from any thread) to stop the sync as an interrupt would, without raising.
    Returns a summary per source (status `ok`, `incomplete`, `failed` or `stopped`). An interrupt of the
    calling thread is raised again once committed data and cursors are consistent.
    """
    stop = stop or StopSignal()
    factories = dict(clients or clients_from_settings(settings))
    incidents_ready = threading.Event()
    if "incidentio" not in sources:
        incidents_ready.set()
    started = datetime.now(UTC)
    loaders = {s: Loader(writer, SourceSummary(s), progress, stop, incidents_ready) for s in sources}
    interrupt: BaseException | None = None
    writer_error: RuntimeError | None = None
    try:
        with writer.in_background():
            threads = [
                threading.Thread(
                    target=_run_one,
                    args=(s, settings, factories[s], loaders[s], full_refresh),
                    name=f"sync-{s}",
                    daemon=True,  # a thread stuck in a socket read must not hold the process after a stop
                )
                for s in sources
            ]
            for thread in threads:
                thread.start()
            done = [loader.done for loader in loaders.values()]
            try:
                _wait(done, stop)
            except BaseException as error:  # KeyboardInterrupt, a host's interrupt on SIGTERM
                interrupt = error
                stop.set(f"interrupted ({type(error).__name__})")
                log.warning("sync: stopping (%s); committing what was read", type(error).__name__)
                _wait(done, None, deadline=time.monotonic() + STOP_GRACE_SECONDS)
            for loader in loaders.values():
                loader.closed.set()
            for source, loader in loaders.items():
                if not loader.done.is_set():  # still stuck after the grace period: abandoned
                    loader.summary.status, loader.summary.error = "stopped", stop.reason
                    loader.summary.seconds = (datetime.now(UTC) - started).total_seconds()
                    log.warning("%s: abandoned while stopping", source)
                _record_run(writer, loader.summary, started, full_refresh)
    except RuntimeError as error:  # the background writer failed: what came after was not committed
        writer_error = error
    if writer_error is not None:
        for loader in loaders.values():
            if loader.summary.status in ("ok", "incomplete"):
                loader.summary.status, loader.summary.error = "failed", str(writer_error)
    if interrupt is not None:
        raise interrupt
    return {s: loaders[s].summary for s in sources}


def _wait(done: list[threading.Event], stop: StopSignal | None, deadline: float | None = None) -> None:
    """Wait for the sources in short steps, so an interrupt reaches this thread at once; once `stop`
    is set (or from the start, with `deadline`), wait at most until the grace period ends.

    Events, not `Thread.join`: an exception raised by a signal handler inside `join` can make Python
    3.11 mark a running thread as finished (bpo-45274).
    """
    for event in done:
        while not event.wait(0.2):
            if deadline is None and stop is not None and stop.is_set():
                deadline = time.monotonic() + STOP_GRACE_SECONDS
            if deadline is not None and time.monotonic() >= deadline:
                return


def _record_run(writer: RawWriter, summary: SourceSummary, started: datetime, full_refresh: bool) -> None:
    # The sources start together but end on their own: each run ends `summary.seconds` after the start.
    finished = started + timedelta(seconds=summary.seconds)
    try:
        writer.record_run(summary.source, started, finished, summary.status, full_refresh, summary.as_dict())
    except RuntimeError as error:  # the warehouse write failed: the summary already says so
        log.warning("%s: sync run not recorded: %s", summary.source, error)
