"""One side of the ingest comparison: incident-lake's own sync (`run_sync`, no Dagster), in this process.

`python -m bench.ours WAREHOUSE [--full-refresh]` syncs the four sources the environment points at
into WAREHOUSE and prints one JSON line: seconds inside the sync, rows per raw table, requests.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipelines.ingest.sync import run_sync
from pipelines.settings import Settings
from pipelines.warehouse.raw_tables import RAW_TABLES
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

SOURCES = ["incidentio", "slack", "zoom", "pagerduty"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--full-refresh", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings(incident_lake_db=args.warehouse)
    con = connect_warehouse(args.warehouse)
    writer = RawWriter(con)
    started = time.perf_counter()
    summaries = run_sync(SOURCES, settings, writer, full_refresh=args.full_refresh)
    seconds = time.perf_counter() - started
    rows = {t.name: writer.row_count(t) for t in RAW_TABLES}
    con.close()
    failed = {s: x.error for s, x in summaries.items() if x.status != "ok"}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "sources": {s: x.as_dict() for s, x in summaries.items()},
                "failed": failed,
            },
            default=str,
        ),
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
