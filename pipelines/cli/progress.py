"""What the CLI shows on stderr while a job runs: rows landing per source, dbt models built, and one
line per finished step. The assets report through `pipelines.lib.progress`, which knows no terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipelines.lib.progress import set_progress_listener

console = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def progress_display() -> Iterator[None]:
    """Listen to the assets' progress events while the block runs."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Piped or logged output gets the finished lines only: a live display there leaves a blank line.
        disable=not console.is_terminal,
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
            # A source that did not end `ok` is named once, in the command's closing error line.
            if summary.status == "ok":
                progress.console.print(f"[green]✓[/] {summary.line()}")
            if warning := summary.warning_line():
                progress.console.print(f"[yellow]warning:[/] {warning}")
        elif event == "dbt_skipped":
            print_build_skipped(fields["reason"])
        elif event == "dbt_start":
            tasks["dbt"] = progress.add_task("dbt build")
            counts["dbt"] = 0
            if fields.get("mode") == "changed":
                progress.console.print(
                    f"dbt build of what changed ({fields['reason']}); "
                    f"{fields['models_left_alone']} models left as they are (views, seeds, tables no "
                    f"change reaches), {fields['tests_left_out']} tests of unchanged data left out"
                )
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
            if not snapshot:
                restated = ""
            elif fields.get("not_compared"):
                restated = f" (snapshot {snapshot}, not compared: {fields['not_compared']})"
            else:
                restated = f" (snapshot {snapshot}, {fields.get('restated', 0)} restated values)"
            progress.console.print(
                f"[green]✓[/] export: {fields['models']} models written to {fields['dest']}{restated}"
            )

    set_progress_listener(listener)
    try:
        with progress:
            yield
    finally:
        set_progress_listener(None)


def print_build_skipped(reason: str) -> None:
    """The line of an hour whose sync changed nothing (`reason` says what was compared)."""
    console.print(
        f"[green]✓[/] nothing changed at the sources ({reason}): dbt build, dashboard snapshot and "
        "export skipped"
    )
