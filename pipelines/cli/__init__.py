"""`incident-lake`, the command line: thin commands (commands.py) that run the Dagster jobs in process
(execution.py) with a live view of the work (progress.py)."""

from pipelines.cli.commands import main

__all__ = ["main"]
