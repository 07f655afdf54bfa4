"""The demo's own warehouse: it refuses to write sandbox data into one that holds real data."""

from __future__ import annotations

from pathlib import Path

from pipelines.cli.execution import CliError
from pipelines.ingest.sources import SOURCES


def prepare_demo_warehouse(path: Path) -> None:
    """Mark `path` as a demo warehouse and empty its raw tables and cursors (a fresh start, so rows of
    an earlier demo of another size or seed go). Raises `CliError` if it holds non-demo data."""
    from pipelines.warehouse.raw_tables import RAW_TABLES
    from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

    con = connect_warehouse(path)
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute("CREATE TABLE IF NOT EXISTS meta.warehouse_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
        kind = con.execute("SELECT value FROM meta.warehouse_info WHERE key = 'kind'").fetchall()
        has_raw = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()[0][0]
        if has_raw and (not kind or kind[0][0] != "demo"):
            raise CliError(
                f"{path} holds synced data that is not from the demo: point INCIDENT_LAKE_DB at another file "
                "to run the demo"
            )
        con.execute("INSERT OR REPLACE INTO meta.warehouse_info VALUES ('kind', 'demo')")
        writer = RawWriter(con)
        for table in RAW_TABLES:
            con.execute(f"DELETE FROM {table.qualified_name}")
        for source in SOURCES:
            writer.clear_cursors(source)
    finally:
        con.close()
