"""`incident-lake`: every command materializes Dagster assets in-process (DESIGN §3).

Long work shows progress on stderr; a failure exits non-zero with one line saying what failed and
what to do. Secrets are never printed: the sandbox's credentials go into this process's
environment, and from there into resources through `EnvVar`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from dotenv import load_dotenv
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipelines.ingest.sources import SOURCES, NoSourceConfigured, configured_sources
from pipelines.lib.progress import set_progress_listener
from pipelines.settings import DASHBOARD_APP, reload_settings

console = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(click.ClickException):
    """One clear line: what failed and what to do."""

    def show(self, file: Any = None) -> None:
        console.print(f"[bold red]error:[/] {self.format_message()}")


# --- running Dagster -------------------------------------------------------------------------------


@contextmanager
def _progress_display() -> Iterator[None]:
    """Show rows landing per source, dbt models built, and each source's end-of-sync summary."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def finish_dbt() -> None:
        if "dbt" in tasks:
            progress.remove_task(tasks.pop("dbt"))
            progress.console.print(f"[green]✓[/] dbt build: {counts['dbt']} models built, tests passed")

    def listener(event: str, fields: dict[str, Any]) -> None:
        if event == "rows":
            source = fields["source"]
            counts[source] = counts.get(source, 0) + fields["rows"]
            if source not in tasks:
                tasks[source] = progress.add_task(source)
            progress.update(tasks[source], description=f"sync {source}: {counts[source]:,} records")
        elif event == "source_done":
            summary = fields["summary"]
            if summary.source in tasks:
                progress.remove_task(tasks.pop(summary.source))
            colour = "green" if summary.status == "ok" else "red"
            progress.console.print(
                f"[{colour}]✓[/] {summary.line()}" if colour == "green" else f"✗ {summary.line()}"
            )
        elif event == "dbt_start":
            tasks["dbt"] = progress.add_task("dbt build")
            counts["dbt"] = 0
        elif event == "dbt_model" and "dbt" in tasks:
            counts["dbt"] += 1
            progress.update(tasks["dbt"], description=f"dbt build: {counts['dbt']} models built")
        elif event == "published":
            finish_dbt()
            progress.console.print(f"[green]✓[/] dashboard snapshot published: {fields['path']}")
        elif event == "exported_postgres":
            progress.console.print(
                f"[green]✓[/] postgres: {fields['tables']} tables, {fields['rows']:,} rows loaded into "
                f"{fields['target']}"
            )
        elif event == "exported":
            finish_dbt()
            snapshot = fields.get("snapshot")
            restated = (
                f" (snapshot {snapshot}, {fields.get('restated', 0)} restated values)" if snapshot else ""
            )
            progress.console.print(
                f"[green]✓[/] export: {fields['models']} models written to {fields['dest']}{restated}"
            )

    set_progress_listener(listener)
    try:
        with progress:
            yield
    finally:
        set_progress_listener(None)


def _error_line(error_info: Any) -> str:
    """The innermost message of a Dagster step failure, without the exception class prefix."""
    while getattr(error_info, "cause", None) is not None:
        # An ExportError is already the one line for the user; its cause (an OSError…) is detail.
        if str(getattr(error_info, "cls_name", "")).endswith("ExportError"):
            break
        error_info = error_info.cause
    message = (getattr(error_info, "message", "") or "").strip().splitlines()
    first = message[0] if message else "unknown error"
    prefix, _, rest = first.partition(": ")
    # "_duckdb.IOException: …" or "dagster._core…Failure: …": the class name is noise for a user.
    return rest if rest and re.fullmatch(r"[\w.]+", prefix) else first


def materialize(selection: Any, run_config: dict[str, Any] | None = None) -> None:
    import dagster as dg

    from pipelines.definitions import build_definitions

    verbose = logging.getLogger().level <= logging.INFO
    logging.getLogger("dagster").setLevel(logging.INFO if verbose else logging.CRITICAL)
    defs = build_definitions()
    # Failures are reported once, as one line, below; Dagster's own log shows with --verbose.
    log_level = "INFO" if verbose else "CRITICAL"
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = defs.resolve_implicit_global_asset_job_def()
    # dbt writes its log to stdout and Dagster logs every step: keep both for --verbose.
    quiet = contextlib.ExitStack()
    if not verbose:
        quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        logging.disable(logging.WARNING)
    try:
        with quiet, _progress_display():
            result = job.execute_in_process(
                run_config=config,
                instance=instance,
                asset_selection=list(selection.resolve(defs.resolve_asset_graph())),
                raise_on_error=False,
            )
    finally:
        logging.disable(logging.NOTSET)
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if failures:
            step = failures[0]
            reason = _error_line(step.step_failure_data.error)
            raise CliError(f"{step.step_key} failed: {reason}")
        raise CliError("the run failed before any step ran: check the configuration above")


def _raw_selection(sources: list[str]) -> Any:
    import dagster as dg

    from pipelines.warehouse.raw_tables import RAW_TABLES

    return dg.AssetSelection.assets(*[["raw", t.name] for t in RAW_TABLES if t.source in sources])


def _sync_run_config(full_refresh: bool) -> dict[str, Any]:
    return {"ops": {"raw_sources": {"config": {"full_refresh": full_refresh}}}}


def _export_run_config(
    fmt: str,
    dest: str | None,
    include_message_text: bool = False,
    *,
    hash_emails: bool = False,
    snapshot: bool = False,
) -> dict[str, Any]:
    # Flags only: the --hash-emails key stays in the environment (run config is logged by Dagster).
    config = {
        "format": fmt,
        "dest": dest,
        "include_message_text": include_message_text,
        "hash_emails": hash_emails,
        "snapshot": snapshot,
    }
    return {"ops": {"exports__marts_files": {"config": config}}}


def _require_sources(requested: tuple[str, ...]) -> list[str]:
    settings = reload_settings()
    configured = configured_sources(settings)
    if not configured:
        raise CliError(str(NoSourceConfigured()))
    wanted = list(requested) or list(SOURCES)
    for source in wanted:
        if source not in configured:
            console.print(f"{source}: skipped, no credentials")
    runnable = [s for s in wanted if s in configured]
    if not runnable:
        raise CliError(f"none of {', '.join(wanted)} is configured: set its credentials (see README)")
    return runnable


# --- commands --------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show library logs.")
def main(verbose: bool) -> None:
    """incident-lake: incident.io, Slack, Zoom and PagerDuty in one warehouse."""
    load_dotenv(override=False)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s"
    )


@main.command()
@click.option("--source", "sources", multiple=True, type=click.Choice(SOURCES), help="Only these sources.")
@click.option("--full-refresh", is_flag=True, help="Ignore cursors and fetch everything again.")
def sync(sources: tuple[str, ...], full_refresh: bool) -> None:
    """Pull sources into raw.* (incremental by default)."""
    runnable = _require_sources(sources)
    materialize(_raw_selection(runnable), _sync_run_config(full_refresh))


def _dbt_and_snapshot() -> Any:
    import dagster as dg

    return dg.AssetSelection.groups("staging", "intermediate", "marts") | dg.AssetSelection.assets(
        ["published", "marts_snapshot"]
    )


@main.command()
def build() -> None:
    """Run the dbt build (models and tests) and publish the dashboard snapshot."""
    _check_warehouse_exists()
    materialize(_dbt_and_snapshot())


@main.command()
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option(
    "--dest", type=click.Path(file_okay=False), help="Export folder (default: INCIDENT_LAKE_EXPORT_DIR)."
)
@click.option("--include-message-text", is_flag=True, help="Also export Slack message text.")
@click.option(
    "--hash-emails",
    is_flag=True,
    help="Replace every email with an HMAC-SHA256 keyed by INCIDENT_LAKE_HASH_KEY (joinable across models).",
)
@click.option(
    "--snapshot",
    is_flag=True,
    help="Also keep this export as DEST/snapshots/<UTC time>/ with the restatements since the previous one.",
)
@click.option(
    "--postgres",
    "postgres_dsn",
    metavar="DSN",
    help="Load raw tables and marts into this Postgres database instead of writing files "
    "(postgresql://user:password@host:port/dbname; the password may come from PGPASSWORD or ~/.pgpass).",
)
def export(
    fmt: str,
    dest: str | None,
    include_message_text: bool,
    hash_emails: bool,
    snapshot: bool,
    postgres_dsn: str | None,
) -> None:
    """Write the marts out as files, or load raw tables and marts into Postgres."""
    import dagster as dg

    if postgres_dsn:
        _export_postgres(postgres_dsn, include_message_text)
        return
    _check_warehouse_exists()
    if hash_emails:
        _check_hash_key()
    materialize(
        dg.AssetSelection.assets(["exports", "marts_files"]),
        _export_run_config(fmt, dest, include_message_text, hash_emails=hash_emails, snapshot=snapshot),
    )


def _check_hash_key() -> None:
    """Fail before Dagster starts when --hash-emails has no usable key (the message names the variable)."""
    from exports.privacy import load_hash_key
    from exports.warehouse import ExportError

    try:
        load_hash_key()
    except ExportError as exc:
        raise CliError(str(exc)) from None


def _export_postgres(dsn: str, include_message_text: bool) -> None:
    """Load raw + marts into Postgres. The DSN reaches the asset through the environment (read as a
    secret by Settings), never through run config, so Dagster never logs or stores it."""
    import dagster as dg

    from exports.postgres import PostgresExportError, parse_dsn

    try:
        parse_dsn(dsn)  # a malformed DSN fails here, in one line that does not echo it
    except PostgresExportError as exc:
        raise CliError(str(exc)) from None
    os.environ["INCIDENT_LAKE_POSTGRES_DSN"] = dsn
    _check_warehouse_exists()
    materialize(
        dg.AssetSelection.assets(["exports", "postgres_warehouse"]),
        {"ops": {"exports__postgres_warehouse": {"config": {"include_message_text": include_message_text}}}},
    )


@main.command()
@click.option("--full-refresh", is_flag=True)
def run(full_refresh: bool) -> None:
    """sync → build → export: what the schedule runs."""
    import dagster as dg

    runnable = _require_sources(())
    selection = (
        _raw_selection(runnable) | _dbt_and_snapshot() | dg.AssetSelection.assets(["exports", "marts_files"])
    )
    materialize(
        selection, _merge_run_config(_sync_run_config(full_refresh), _export_run_config("parquet", None))
    )


def _merge_run_config(*configs: dict[str, Any]) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for config in configs:
        ops.update(config.get("ops", {}))
    return {"ops": ops}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--size", type=click.Choice(["small", "default", "large"]), default="default", show_default=True
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--faults", default=None, help='Fault injection, e.g. "429=0.05,500=0.05,timeout=0.02".')
def sandbox(host: str, port: int, size: str, seed: int, faults: str | None) -> None:
    """Serve the four simulated APIs and print the env vars that point the pipeline at them."""
    from pipelines.sandbox.server import run_sandbox

    run_sandbox(host=host, port=port, size=size, seed=seed, faults=faults, print_fn=click.echo)


@main.command()
@click.option("--port", default=8501, show_default=True, type=int)
def dashboard(port: int) -> None:
    """Serve the Streamlit app on 127.0.0.1."""
    _serve_dashboard(port)


def _serve_dashboard(port: int) -> None:
    settings = reload_settings()
    command = [
        sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, "INCIDENT_LAKE_PUBLISHED_DB": str(settings.published_path)}
    console.print(f"dashboard: http://127.0.0.1:{port}  (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(command, env=env, check=False)


@main.command()
@click.option(
    "--size", type=click.Choice(["small", "default", "large"]), default="default", show_default=True
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--no-dashboard", is_flag=True, help="Stop after the export.")
@click.option("--port", default=8501, show_default=True, type=int, help="Dashboard port.")
def demo(size: str, seed: int, no_dashboard: bool, port: int) -> None:
    """Start the sandbox, run sync → build → export against it, then serve the dashboard."""
    import dagster as dg

    from pipelines.sandbox.generator import generate_organisation
    from pipelines.sandbox.server import SandboxServer

    started = time.perf_counter()
    with console.status(f"generating the {size} sandbox organisation (seed {seed})"):
        org = generate_organisation(size=size, seed=seed)
    console.print(f"[green]✓[/] sandbox organisation generated in {time.perf_counter() - started:.1f}s")
    with SandboxServer(org) as server:
        os.environ.update(server.env())
        settings = reload_settings()
        _prepare_demo_warehouse(settings.warehouse_path)
        selection = (
            _raw_selection(list(SOURCES))
            | _dbt_and_snapshot()
            | dg.AssetSelection.assets(["exports", "marts_files"])
        )
        materialize(selection, _merge_run_config(_sync_run_config(True), _export_run_config("parquet", None)))
    console.print(
        f"[bold green]demo pipeline finished in {time.perf_counter() - started:.1f}s[/]: "
        f"warehouse {settings.warehouse_path}, export {settings.export_dir}"
    )
    if not no_dashboard:
        _serve_dashboard(port)


def _prepare_demo_warehouse(path: Path) -> None:
    """The demo owns its warehouse: it refuses to write sandbox data into one that holds real data."""
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
        from pipelines.warehouse.raw_tables import RAW_TABLES

        for table in RAW_TABLES:  # a fresh start, so rows of an earlier demo (other size or seed) go
            con.execute(f"DELETE FROM {table.qualified_name}")
        for source in SOURCES:
            writer.clear_cursors(source)
    finally:
        con.close()


def _check_warehouse_exists() -> None:
    settings = reload_settings()
    if not settings.warehouse_path.exists():
        raise CliError(
            f"no warehouse at {settings.warehouse_path}: "
            "run `incident-lake sync` first (or `incident-lake demo`)"
        )


if __name__ == "__main__":
    main()
