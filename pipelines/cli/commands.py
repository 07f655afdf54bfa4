"""`incident-lake` commands: each runs one job of the code location (pipelines/defs/runs/jobs.py).

Long work shows progress on stderr; a failure exits non-zero with one line saying what failed and
what to do. Secrets are never printed: the sandbox's credentials go into this process's
environment, and from there into resources through `EnvVar`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import click
from dotenv import load_dotenv

from pipelines.cli.execution import CliError, run_job
from pipelines.cli.progress import console
from pipelines.ingest.sources import SOURCES, NoSourceConfigured, configured_sources
from pipelines.settings import DASHBOARD_APP, reload_settings


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
    _check_warehouse_location(settings.warehouse_path)
    return runnable


def _check_warehouse_location(path: Path) -> None:
    """A warehouse path under a file (not a folder) can never be created: say so before any work."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CliError(
                    f"cannot create the warehouse at {path}: {parent} is a file, not a folder "
                    "(set INCIDENT_LAKE_DB to a path in a folder)"
                )
            return


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
    from pipelines.defs.ingest.assets import SyncConfig
    from pipelines.defs.runs.config import run_config
    from pipelines.defs.runs.selections import raw_of
    from pipelines.defs.runs.sync import sync_definitions

    runnable = _require_sources(sources)
    run_job(
        "sync",
        run_config(sync=SyncConfig(full_refresh=full_refresh)),
        only=raw_of(runnable),
        definitions=sync_definitions,
    )


@main.command()
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
def build(full_refresh: bool) -> None:
    """Run the dbt build (every model and data test) and publish the dashboard snapshot."""
    from pipelines.defs.runs.config import run_config
    from pipelines.defs.transform.assets import TransformConfig

    _check_warehouse_exists()
    run_job("build", run_config(transform=TransformConfig(full_refresh=full_refresh)))


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
    from pipelines.defs.exports.assets import ExportConfig
    from pipelines.defs.runs.config import run_config

    if postgres_dsn:
        _export_postgres(postgres_dsn, include_message_text)
        return
    _check_warehouse_exists()
    if hash_emails:
        _check_hash_key()
    # Flags only: the --hash-emails key stays in the environment (run config is logged by Dagster).
    config = ExportConfig(
        format=fmt,
        dest=dest,
        include_message_text=include_message_text,
        hash_emails=hash_emails,
        snapshot=snapshot,
    )
    run_job("export_files", run_config(export=config))


def _check_hash_key() -> None:
    """Fail before Dagster starts when --hash-emails has no usable key (the message names the variable)."""
    from exports.privacy import load_hash_key
    from exports.warehouse import ExportError

    try:
        load_hash_key()
    except ExportError as exc:
        raise CliError(str(exc)) from None


def _export_postgres(dsn: str, include_message_text: bool) -> None:
    """Load raw + marts into Postgres. The DSN reaches the Postgres resource through the environment
    (an `EnvVar`), never through run config, so Dagster never logs or stores it."""
    from exports.postgres import PostgresExportError, parse_dsn
    from pipelines.defs.exports.assets import PostgresExportConfig
    from pipelines.defs.exports.resources import DSN_VAR
    from pipelines.defs.runs.config import run_config

    try:
        parse_dsn(dsn)  # a malformed DSN fails here, in one line that does not echo it
    except PostgresExportError as exc:
        raise CliError(str(exc)) from None
    os.environ[DSN_VAR] = dsn
    _check_warehouse_exists()
    run_job(
        "load_postgres", run_config(postgres=PostgresExportConfig(include_message_text=include_message_text))
    )


@main.command()
@click.option("--full-refresh", is_flag=True, help="Ignore cursors and fetch everything again.")
def run(full_refresh: bool) -> None:
    """sync → build → export: the job the hourly schedule runs."""
    _require_sources(())
    _run_hourly_job(full_refresh=full_refresh)


def _run_hourly_job(*, full_refresh: bool) -> None:
    """An hour's two runs exactly as the schedule and its sensor request them
        (pipelines/defs/runs/requests.py): the `sync` job, then `hourly_build` only if the sync changed
        something. Neither the sync nor the decision (read from the dbt manifest) loads dagster-dbt; only
    the build does."""
    import dagster as dg

    from pipelines.cli.execution import cli_instance
    from pipelines.cli.progress import print_build_skipped
    from pipelines.defs.runs.requests import hourly_build_request, hourly_sync_request
    from pipelines.defs.runs.sync import sync_definitions

    sync_request = hourly_sync_request(full_refresh=full_refresh)
    if isinstance(sync_request, dg.SkipReason):
        raise CliError(sync_request.skip_message or "nothing to run")
    only: dg.AssetSelection = dg.AssetSelection.assets(*sync_request.asset_selection or [])
    if sync_request.asset_check_keys is not None:
        only = only.without_checks() | dg.AssetSelection.checks(*sync_request.asset_check_keys)
    run_job(
        "sync",
        sync_request.run_config,
        only=only,
        definitions=sync_definitions,
        tags=sync_request.tags,
    )
    instance = cli_instance()
    try:
        build_request = hourly_build_request(instance, full_refresh=full_refresh)
    finally:
        instance.dispose()
    if isinstance(build_request, dg.SkipReason):
        print_build_skipped(build_request.skip_message or "no raw table changed")
        return
    run_job("hourly_build", build_request.run_config)


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

    try:
        run_sandbox(host=host, port=port, size=size, seed=seed, faults=faults, print_fn=click.echo)
    except (ValueError, RuntimeError) as error:  # a bad --faults spec, a port already taken
        raise CliError(str(error)) from None


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
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the Streamlit server rather than wait on a child: a SIGTERM (systemd, a container stop)
    # then reaches the server itself and never leaves it running on the port.
    os.execve(sys.executable, command, env)


@main.command()
@click.option(
    "--size", type=click.Choice(["small", "default", "large"]), default="default", show_default=True
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--no-dashboard", is_flag=True, help="Stop after the export.")
@click.option("--port", default=8501, show_default=True, type=int, help="Dashboard port.")
def demo(size: str, seed: int, no_dashboard: bool, port: int) -> None:
    """Start the sandbox, run sync → build → export against it, then serve the dashboard."""
    from pipelines.cli.demo import prepare_demo_warehouse
    from pipelines.sandbox.generator import generate_organisation
    from pipelines.sandbox.server import SandboxServer

    started = time.perf_counter()
    with console.status(f"generating the {size} sandbox organisation (seed {seed})"):
        org = generate_organisation(size=size, seed=seed)
    console.print(f"[green]✓[/] sandbox organisation generated in {time.perf_counter() - started:.1f}s")
    with SandboxServer(org) as server:
        os.environ.update(server.env())
        settings = reload_settings()
        prepare_demo_warehouse(settings.warehouse_path)
        _run_hourly_job(full_refresh=True)
    console.print(
        f"[bold green]demo pipeline finished in {time.perf_counter() - started:.1f}s[/]: "
        f"warehouse {settings.warehouse_path}, export {settings.export_dir}"
    )
    if not no_dashboard:
        _serve_dashboard(port)


def _check_warehouse_exists() -> None:
    settings = reload_settings()
    if not settings.warehouse_path.exists():
        raise CliError(
            f"no warehouse at {settings.warehouse_path}: "
            "run `incident-lake sync` first (or `incident-lake demo`)"
        )


if __name__ == "__main__":
    main()
