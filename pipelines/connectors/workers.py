"""A bounded pool of daemon threads for a connector's independent requests (channels, meetings…).

Like `ThreadPoolExecutor.map` (results in order, at most `workers` at once), but its threads are
daemons and are not joined when the interpreter exits: a request stuck in a socket read when a sync
is told to stop cannot hold the process past its stop (docs/sync.md, "Stopping").
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


class DaemonPool:
    """`with DaemonPool(8, "slack") as pool: for result in pool.map(fetch, items): ...`"""

    def __init__(self, workers: int, name: str) -> None:
        self._workers = max(1, workers)
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._queue.put((future, fn, args))
        return future

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Results in the order of `items`; the first exception is raised when its turn comes (the
        work not started yet is cancelled)."""
        futures = [self.submit(fn, item) for item in items]

        def results() -> Iterator[R]:
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

        return results()

    def shutdown(self) -> None:
        for _ in self._threads:
            self._queue.put(_DONE)

    def __enter__(self) -> DaemonPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
