"""Terminal output for the CLI: rich consoles (stdout, stderr) and the progress bars.

The CLI's edge: commands receive its ``ProgressFactory`` and never import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from posesim_cam.progress import ProgressCallback, ProgressFactory

# Progress and messages go to stderr so that --json output on stdout stays clean.
err = Console(stderr=True)
out = Console()


@contextmanager
def progress_bars() -> Iterator[ProgressFactory]:
    """Yields a factory: (description, total) -> callback(done) that drives one bar. Where
    stderr is no terminal (a log, a pipe, a test) there are no bars: rich would still leave a
    blank line before the one-sentence error a script reads."""
    if not err.is_terminal:
        yield lambda description, total: lambda done: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:

        def factory(description: str, total: int) -> ProgressCallback:
            task = progress.add_task(description, total=total or None)
            return lambda done: progress.update(task, completed=done)

        yield factory
