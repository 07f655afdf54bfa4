"""Running one of the code location's jobs in this process, the way a schedule would, and turning a
failure into the one line the user reads."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import click

from pipelines.cli.progress import console, progress_display


class CliError(click.ClickException):
    """One clear line: what failed and what to do."""

    def show(self, file: Any = None) -> None:
        console.print(f"[bold red]error:[/] {self.format_message()}")


def run_job(
    job_name: str,
    run_config: Any = None,
    *,
    only: Any = None,
    definitions: Callable[[], Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Execute job `job_name` of the definitions in process.

    `run_config` is a `dg.RunConfig` (pipelines/defs/runs/config.py) or the dict a `RunRequest`
    holds; `only` an optional `dg.AssetSelection` that narrows the job (e.g. the raw tables of one
    source); `tags` the run's tags. Raises `CliError` with the failed step and its innermost message.
    """
    import dagster as dg

    verbose = logging.getLogger().level <= logging.INFO
    logging.getLogger("dagster").setLevel(logging.INFO if verbose else logging.CRITICAL)
    if definitions is None:
        from pipelines.definitions import build_definitions

        definitions = build_definitions
    defs = definitions()
    job = defs.resolve_job_def(job_name)
    config = dict(run_config.to_config_dict() if isinstance(run_config, dg.RunConfig) else run_config or {})
    # Failures are reported once, as one line, below; Dagster's own log shows with --verbose.
    config["loggers"] = {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}
    if only is not None:
        graph = defs.resolve_asset_graph()
        # The assets and checks `only` selects (a selection without checks runs none).
        job = job.get_subset(
            asset_selection=only.resolve(graph), asset_check_selection=only.resolve_checks(graph)
        )
    instance = cli_instance()
    # dbt writes its log to stdout and Dagster logs every step: keep both for --verbose.
    quiet = contextlib.ExitStack()
    if not verbose:
        quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        # The step's error becomes the one line below; the sources' own log lines show with --verbose.
        logging.disable(logging.CRITICAL)
    try:
        with quiet, progress_display():
            result = job.execute_in_process(
                run_config=config,
                instance=instance,
                tags=dict(tags or {}),
                raise_on_error=False,
            )
        forget_old_runs(instance)
    finally:
        logging.disable(logging.NOTSET)
        instance.dispose()
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if failures:
            step = failures[0]
            if _was_interrupted(step.step_failure_data.error):
                raise Stopped(
                    f"{step.step_key} stopped by a signal: what was committed (rows and cursors) is kept; "
                    "run the command again to resume"
                )
            reason = error_line(step.step_failure_data.error)
            raise CliError(f"{step.step_key} failed: {reason}")
        raise CliError("the run failed before any step ran: check the configuration above")


# Runs older than this are deleted from the CLI's instance after each run, so its history (and the
# lookups the hourly build makes in it) stays the size of a month, not of the warehouse's life.
RUN_HISTORY_DAYS = 30


def cli_instance() -> Any:
    """The Dagster instance the CLI's runs record into: DAGSTER_HOME's when set, else `local_instance()`.
    The caller disposes of it."""
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else local_instance()


def local_instance() -> Any:
    """The CLI's persistent Dagster instance, next to the warehouse (`<warehouse>.dagster/`), used when
    DAGSTER_HOME is not set. It keeps the data versions the hourly build compares
    (pipelines/defs/transform/changes.py); an ephemeral instance would rebuild everything every hour.
    Telemetry is off: it is a local file store, not a deployment."""
    import dagster as dg

    from pipelines.settings import get_settings

    home = get_settings().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(str(home), overrides={"telemetry": {"enabled": False}})


def forget_old_runs(instance: Any, days: int = RUN_HISTORY_DAYS) -> int:
    """Delete the runs created more than `days` ago (their events go with them); returns how many.
    A model not rebuilt in that time loses its recorded inputs, so the next hourly build is a full one."""
    import datetime as dt

    import dagster as dg

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    old = instance.get_run_records(filters=dg.RunsFilter(created_before=cutoff), limit=1000)
    for record in old:
        instance.delete_run(record.dagster_run.run_id)
    return len(old)


class Stopped(CliError):
    """SIGTERM or Ctrl-C ended the run (Dagster turns both into an interrupt): exit like a terminated
    process, 128 + SIGTERM."""

    exit_code = 143


def _was_interrupted(error_info: Any) -> bool:
    while error_info is not None:
        if str(getattr(error_info, "cls_name", "")) == "DagsterExecutionInterruptedError":
            return True
        error_info = getattr(error_info, "cause", None)
    return False


def error_line(error_info: Any) -> str:
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
