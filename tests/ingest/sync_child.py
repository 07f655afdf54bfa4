"""`python sync_child.py`: one incremental sync of the four sources the environment points at, as a
host runs it: SIGTERM raises an interrupt in the main thread (Dagster does the same), and a stopped
sync prints one line and exits 143."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.settings import Settings
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse


class Terminated(Exception):
    pass


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def main() -> int:
    logging.disable(logging.CRITICAL)  # the one line below is all a stopped sync says
    signal.signal(signal.SIGTERM, _terminate)
    settings = Settings()
    con = connect_warehouse(settings.warehouse_path)
    try:
        run_sync(list(SOURCES), settings, RawWriter(con))
    except Terminated:
        print("sync stopped by SIGTERM: what was committed is consistent; run it again to resume", flush=True)
        return 143
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
